/* trace_filter=: which traced exits become records or lines (issue 21). Pure.
 *
 * Items `key:LO[-HI]`, comma separated; keys rip, leaf (CPUID), msr (RDMSR/WRMSR), port
 * (IN/OUT/INS/OUTS), cr (MOV CR, CLTS, LMSW); numbers decimal or 0x hex. Items of one key
 * are alternatives; keys combine: an exit passes when its RIP is in one of the rip ranges
 * (if any is given) and, for the reason a key speaks of, its value is in one of that key's
 * ranges (if any is given). A key says nothing about other reasons: `leaf:1` keeps every
 * traced MSR exit. */
#ifndef VMXRAY_VMX_POLICY_TRACE_FILTER_H
#define VMXRAY_VMX_POLICY_TRACE_FILTER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmx/study/trace_record.h"

#define TRACE_FILTER_RANGES 4 /* per key */

/* trace_out=: where traced exits go. memory (the default): records in the per-CPU ring
 * (tracebuf=), read by TRACE_READ and dumped at power-off and panic; serial: one EXIT line
 * each, as before records existed; both: records and EXIT lines; stream: records, each also
 * written at once as a TRACE line (the dump's form). */
enum trace_out { TRACE_OUT_MEMORY, TRACE_OUT_SERIAL, TRACE_OUT_BOTH, TRACE_OUT_STREAM };
#define TRACEBUF_MIN_KIB 4
#define TRACEBUF_MAX_KIB 1024
#define TRACEBUF_DEFAULT_KIB 64

enum trace_filter_key { TF_RIP, TF_LEAF, TF_MSR, TF_PORT, TF_CR, TF_KEYS };

struct trace_filter {
	uint8_t n[TF_KEYS];
	struct { uint64_t lo, hi; } range[TF_KEYS][TRACE_FILTER_RANGES];
};

/* Parses s[0..n) into f (cleared first). False with the reason in err on a bad item:
 * unknown key, bad number, LO > HI, a value too wide for its key, too many ranges. */
bool trace_filter_parse(struct trace_filter *f, const char *s, size_t n, char *err, size_t errlen);
/* Does the record (reason, RIP and the details known before the handler) pass? */
bool trace_filter_match(const struct trace_filter *f, const struct trace_record *r);
static inline bool trace_filter_empty(const struct trace_filter *f)
{
	for (unsigned k = 0; k < TF_KEYS; k++)
		if (f->n[k])
			return false;
	return true;
}

#endif
