/* vmxray's log in memory: a ring of whole lines in the reservation, so that an OS on a
 * machine without a usable UART can still read the log (VMXRAY_HC_LOG_READ, `hvctl log`).
 * Pure.
 *
 * The ring is a window on the stream of every byte logged since start: offsets count
 * from the first byte ever logged and never go back. When a line does not fit, the
 * oldest whole lines make room and are counted as lost; a line longer than the ring is
 * itself lost. */
#ifndef VMXRAY_DRIVERS_LOGRING_H
#define VMXRAY_DRIVERS_LOGRING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOG_RING_DEFAULT_KIB 64
#define LOG_RING_MIN_KIB 4
#define LOG_RING_MAX_KIB 1024
#define LOG_RING_EARLY_BYTES 4096 /* before the reservation's ring exists */

struct logring {
	char *buf;
	uint64_t size;
	uint64_t head;  /* stream offset one past the newest byte */
	uint64_t tail;  /* stream offset of the oldest byte kept (a line start) */
	uint64_t lost;  /* lines dropped to make room, or too long to keep */
};

/* The ring the log sink writes and LOG_READ reads. */
extern struct logring g_logring;

void logring_init(struct logring *r, char *buf, uint64_t size);
void logring_append(struct logring *r, const char *line, size_t len);
/* log_sink_fn-compatible: ctx is a struct logring*. */
void logring_sink(void *ctx, const char *line, size_t len);
/* Copies up to cap bytes of the stream from offset on (from the oldest byte kept when
 * offset is older) into dst; *first = the stream offset of dst[0]. Returns the count. */
uint64_t logring_read(const struct logring *r, uint64_t offset, char *dst, uint64_t cap, uint64_t *first);
/* Moves the ring into a new buffer, keeping its stream offsets and contents; false
 * (nothing changed) when the new buffer is smaller than what the ring holds. */
bool logring_rehome(struct logring *r, char *buf, uint64_t size);

#endif
