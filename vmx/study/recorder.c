/* The flight recorder: the ring and its RECORDER block (format in vmx/study/recorder.h). Pure. */
#include "vmx/study/recorder.h"

#include "drivers/fmt.h"
#include "vmx/decode/exit_reasons.h"

static const char *const recorder_field_names[REC_FIELD_COUNT] = {
#define RECORDER_NAME(id, name, digits) [id] = name,
	RECORDER_FIELDS(RECORDER_NAME)
#undef RECORDER_NAME
};

static const int recorder_field_digits[REC_FIELD_COUNT] = {
#define RECORDER_DIGITS(id, name, digits) [id] = digits,
	RECORDER_FIELDS(RECORDER_DIGITS)
#undef RECORDER_DIGITS
};

void recorder_init(struct recorder *r, struct recorder_entry *ring, uint32_t depth)
{
	*r = (struct recorder){ .ring = ring, .depth = ring ? depth : 0 };
}

uint32_t recorder_count(const struct recorder *r)
{
	return r->recorded < r->depth ? (uint32_t)r->recorded : r->depth;
}

const struct recorder_entry *recorder_get(const struct recorder *r, uint32_t k)
{
	uint32_t n = recorder_count(r);
	if (k >= n)
		return NULL;
	/* The oldest kept entry is where the next one will go once the ring is full. */
	uint32_t oldest = n < r->depth ? 0 : r->next;
	uint32_t slot = oldest + k;
	return &r->ring[slot >= r->depth ? slot - r->depth : slot];
}

static void recorder_emit_changes(const struct recorder_entry *prev, const struct recorder_entry *e,
				  uint32_t k, recorder_emit_fn emit, void *ctx)
{
	char line[RECORDER_LINE_MAX];
	for (unsigned f = 0; f < REC_FIELD_COUNT; f++) {
		if (prev->field[f] == e->field[f])
			continue;
		int w = recorder_field_digits[f];
		fmt_snprintf(line, sizeof(line), "RECORDER #%u   %s 0x%0*lx -> 0x%0*lx", k,
			     recorder_field_names[f], w, prev->field[f], w, e->field[f]);
		emit(ctx, line);
	}
}

void recorder_format(const struct recorder *r, uint32_t cpu, const char *why, recorder_emit_fn emit,
		     void *ctx)
{
	char line[RECORDER_LINE_MAX];
	uint32_t n = recorder_count(r);

	fmt_snprintf(line, sizeof(line), "RECORDER begin cpu%u why=%s entries=%u", cpu, why, n);
	emit(ctx, line);
	for (uint32_t k = 0; k < n; k++) {
		const struct recorder_entry *e = recorder_get(r, k);
		fmt_snprintf(line, sizeof(line), "RECORDER #%u seq=%lu reason=%s rip=0x%016lx qual=0x%lx", k,
			     e->seq, exit_reason_name(e->reason & 0xFFFF), e->field[REC_GUEST_RIP], e->qual);
		emit(ctx, line);
		if (k > 0)
			recorder_emit_changes(recorder_get(r, k - 1), e, k, emit, ctx);
	}
	emit(ctx, "RECORDER end");
}
