/* A per-CPU ring of trace records (trace_record.h) in vmxray's memory. Pure: the
 * arithmetic over a caller's buffer; vmx/exit/trace_hw.c owns the rings and their locks.
 *
 * Cursors count the records since start (record n sits in slot n % cap). When the ring
 * is full the oldest record goes; if no reader had taken it (TRACE_READ, the stream, a
 * dump) it is counted in `lost`, never dropped silently. */
#ifndef VMXRAY_VMX_STUDY_TRACERING_H
#define VMXRAY_VMX_STUDY_TRACERING_H
#include <stdint.h>

#include "vmx/study/trace_record.h"

struct tracering {
	struct trace_record *rec;
	uint32_t cap;        /* records (0: no ring) */
	uint64_t head;       /* cursor of the next record written = records written so far */
	uint64_t consumed;   /* every record below this cursor was read by someone */
	uint64_t lost;       /* records overwritten before anyone read them */
	uint64_t read;       /* records a reader took (or passed over) while the ring held them */
	uint64_t filtered;   /* exits of a traced reason that trace_filter= left out */
};

void tracering_init(struct tracering *r, void *buf, uint64_t bytes);
/* The slot for the next record (its seq filled in); the caller fills the rest. NULL
 * when the ring has no room at all (cap 0). Every record written ends up in exactly one
 * of lost, read, or the unread ones still held: head = lost + read + (head - max(consumed,
 * oldest)). */
struct trace_record *tracering_push(struct tracering *r);
/* The oldest cursor still held. */
uint64_t tracering_oldest(const struct tracering *r);
/* Copies up to max records from cursor on (from the oldest held when cursor is older);
 * *first = the cursor of the first one copied. Marks them consumed. Returns the count. */
uint32_t tracering_read(struct tracering *r, uint64_t cursor, struct trace_record *dst, uint32_t max, uint64_t *first);

#endif
