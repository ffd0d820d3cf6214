/* vmxray's log in memory (drivers/logring.h). */
#include "drivers/logring.h"

static char logring_early[LOG_RING_EARLY_BYTES];
struct logring g_logring = { logring_early, sizeof(logring_early), 0, 0, 0 };

void logring_init(struct logring *r, char *buf, uint64_t size)
{
	*r = (struct logring){ buf, size, 0, 0, 0 };
}

/* Drops the oldest line (up to and including its newline). */
static void logring_drop_oldest(struct logring *r)
{
	while (r->tail < r->head) {
		char c = r->buf[r->tail % r->size];
		r->tail++;
		if (c == '\n')
			break;
	}
	r->lost++;
}

void logring_append(struct logring *r, const char *line, size_t len)
{
	if (!r->size || len > r->size) {
		r->lost++;
		return;
	}
	while (r->size - (r->head - r->tail) < len)
		logring_drop_oldest(r);
	for (size_t i = 0; i < len; i++)
		r->buf[(r->head + i) % r->size] = line[i];
	r->head += len;
}

void logring_sink(void *ctx, const char *line, size_t len)
{
	logring_append(ctx, line, len);
}

uint64_t logring_read(const struct logring *r, uint64_t offset, char *dst, uint64_t cap, uint64_t *first)
{
	uint64_t start = offset < r->tail ? r->tail : offset;

	*first = start;
	if (start >= r->head)
		return 0;
	uint64_t n = r->head - start < cap ? r->head - start : cap;
	for (uint64_t i = 0; i < n; i++)
		dst[i] = r->buf[(start + i) % r->size];
	return n;
}

bool logring_rehome(struct logring *r, char *buf, uint64_t size)
{
	if (!size || r->head - r->tail > size)
		return false;
	for (uint64_t off = r->tail; off < r->head; off++)
		buf[off % size] = r->buf[off % r->size];
	r->buf = buf;
	r->size = size;
	return true;
}
