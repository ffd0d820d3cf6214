/* Traces in memory (issue 21): each traced exit becomes a 64-byte record
 * (vmx/study/trace_record.h) in a ring per CPU (vmx/study/tracering.h), read by the
 * TRACE_READ hypercall, dumped as TRACE lines at power-off and panic, or streamed.
 * vmx/exit/trace_hw.c; docs/ARCHITECTURE.md, "Traces in memory". */
#ifndef VMXRAY_VMX_EXIT_TRACE_H
#define VMXRAY_VMX_EXIT_TRACE_H
#include <stdbool.h>
#include <stdint.h>

#include "vmx/exit/exit.h"

struct hv;

/* Before the handler of an exit of a traced reason (t0: the TSC at the whole path's
 * start): the record's header and input details; false when trace_filter= leaves the
 * exit out (counted), which then gives neither a record nor an EXIT line. */
bool trace_begin(struct vcpu *v, const struct vmexit *e, uint64_t t0);
/* After the handler, the last thing before VMRESUME that C does: the outputs, the event
 * injected, the root-mode cycles; the record goes into the ring (and to serial when
 * trace_out=stream). */
void trace_end(struct vcpu *v);
/* Rings for every vcpu from the page pool (after vcpu_create, before launch); logs what
 * it got. Without trace= (or with trace_out=serial) nothing is allocated. */
void trace_setup(struct hv *hv);
/* TRACE lines of every ring's unread records (vmx_stats_print: power-off, reset, panic). */
void trace_dump_all(void);
/* TRACE_READ (vmx/policy/hypercall_abi.h) into dst, already checked for max records.
 * Returns the count or a negative status; *first, *end, *lost as the ABI says. */
int64_t trace_read(uint64_t cursor, struct trace_record *dst, uint32_t max, uint64_t *first, uint64_t *end,
		   uint64_t *lost);

#endif
