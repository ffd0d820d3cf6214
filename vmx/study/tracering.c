/* The trace ring's arithmetic (tracering.h). Pure. */
#include "vmx/study/tracering.h"

void tracering_init(struct tracering *r, void *buf, uint64_t bytes)
{
	*r = (struct tracering){ .rec = buf, .cap = (uint32_t)(bytes / TRACE_RECORD_BYTES) };
	if (!buf)
		r->cap = 0;
}

uint64_t tracering_oldest(const struct tracering *r)
{
	return r->head > r->cap ? r->head - r->cap : 0;
}

struct trace_record *tracering_push(struct tracering *r)
{
	if (!r->cap)
		return 0;
	if (r->head >= r->cap && r->head - r->cap >= r->consumed) /* the record it replaces was never read */
		r->lost++;
	struct trace_record *t = &r->rec[r->head % r->cap];
	t->seq = (uint32_t)r->head;
	r->head++;
	return t;
}

uint32_t tracering_read(struct tracering *r, uint64_t cursor, struct trace_record *dst, uint32_t max, uint64_t *first)
{
	uint64_t from = cursor < tracering_oldest(r) ? tracering_oldest(r) : cursor;
	uint32_t n = 0;

	*first = from;
	while (n < max && from + n < r->head) {
		dst[n] = r->rec[(from + n) % r->cap];
		n++;
	}
	if (n && from + n > r->consumed) {
		uint64_t base = r->consumed > tracering_oldest(r) ? r->consumed : tracering_oldest(r);
		r->read += from + n - base;
		r->consumed = from + n;
	}
	return n;
}
