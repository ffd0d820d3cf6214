/* Unit tests: drivers/logring.c (wraparound, lost lines, reads at offsets, rehoming). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "drivers/logring.h"

static void put(struct logring *r, const char *s)
{
	logring_append(r, s, strlen(s));
}

/* The whole window as a string. */
static const char *window(const struct logring *r, uint64_t offset, uint64_t *first)
{
	static char out[256];
	uint64_t n = logring_read(r, offset, out, sizeof(out) - 1, first);
	out[n] = 0;
	return out;
}

static void test_fill_without_loss(void **state)
{
	(void)state;
	char buf[16];
	struct logring r;
	uint64_t first;
	logring_init(&r, buf, sizeof(buf));
	put(&r, "one\n");
	put(&r, "two\n");
	assert_string_equal(window(&r, 0, &first), "one\ntwo\n");
	assert_int_equal(first, 0);
	assert_int_equal(r.lost, 0);
	put(&r, "3333333\n"); /* exactly full: 16 bytes */
	assert_int_equal(r.lost, 0);
	assert_string_equal(window(&r, 0, &first), "one\ntwo\n3333333\n");
}

static void test_wraparound_drops_oldest_whole_lines(void **state)
{
	(void)state;
	char buf[16];
	struct logring r;
	uint64_t first;
	logring_init(&r, buf, sizeof(buf));
	put(&r, "aaaaa\n");  /* 0..6 */
	put(&r, "bbbbb\n");  /* 6..12 */
	put(&r, "cccccc\n"); /* 12..19: drops "aaaaa\n", wraps */
	assert_int_equal(r.lost, 1);
	assert_int_equal(r.tail, 6);
	assert_int_equal(r.head, 19);
	assert_string_equal(window(&r, 0, &first), "bbbbb\ncccccc\n");
	assert_int_equal(first, 6);
	put(&r, "dddddddddddd\n"); /* 13 bytes: drops both */
	assert_int_equal(r.lost, 3);
	assert_string_equal(window(&r, 0, &first), "dddddddddddd\n");
	assert_int_equal(first, 19);
}

static void test_line_longer_than_ring_is_lost(void **state)
{
	(void)state;
	char buf[8];
	struct logring r;
	uint64_t first;
	logring_init(&r, buf, sizeof(buf));
	put(&r, "ok\n");
	put(&r, "far too long\n");
	assert_int_equal(r.lost, 1);
	assert_string_equal(window(&r, 0, &first), "ok\n");
}

static void test_reads_at_offsets(void **state)
{
	(void)state;
	char buf[16], out[4];
	struct logring r;
	uint64_t first;
	logring_init(&r, buf, sizeof(buf));
	put(&r, "aaaaa\n");
	put(&r, "bbbbb\n");
	put(&r, "cccccc\n"); /* window 6..19 */
	assert_string_equal(window(&r, 12, &first), "cccccc\n");
	assert_int_equal(first, 12);
	assert_string_equal(window(&r, 17, &first), "c\n"); /* across the wrap */
	assert_string_equal(window(&r, 19, &first), "");
	assert_int_equal(first, 19);
	assert_string_equal(window(&r, 500, &first), "");
	/* a small buffer: the stream in pieces */
	uint64_t off = 0, total = 0;
	for (int i = 0; i < 10; i++) {
		uint64_t n = logring_read(&r, off, out, sizeof(out), &first);
		if (!n)
			break;
		if (i == 0)
			assert_int_equal(first, 6);
		total += n;
		off = first + n;
	}
	assert_int_equal(total, 13);
	assert_int_equal(off, r.head);
}

static void test_rehome_keeps_offsets(void **state)
{
	(void)state;
	char small[16], big[64];
	struct logring r;
	uint64_t first;
	logring_init(&r, small, sizeof(small));
	put(&r, "aaaaa\n");
	put(&r, "bbbbb\n");
	put(&r, "cccccc\n");
	char tiny[8];
	assert_false(logring_rehome(&r, tiny, sizeof(tiny)));
	assert_ptr_equal(r.buf, small);
	assert_true(logring_rehome(&r, big, sizeof(big)));
	assert_string_equal(window(&r, 0, &first), "bbbbb\ncccccc\n");
	assert_int_equal(first, 6);
	put(&r, "dd\n");
	assert_string_equal(window(&r, 0, &first), "bbbbb\ncccccc\ndd\n");
	assert_int_equal(r.lost, 1);
}

static void test_early_ring_is_the_global(void **state)
{
	(void)state;
	assert_non_null(g_logring.buf);
	assert_int_equal(g_logring.size, LOG_RING_EARLY_BYTES);
	logring_sink(&g_logring, "x\n", 2);
	assert_int_equal(g_logring.head, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill_without_loss),
		cmocka_unit_test(test_wraparound_drops_oldest_whole_lines),
		cmocka_unit_test(test_line_longer_than_ring_is_lost),
		cmocka_unit_test(test_reads_at_offsets),
		cmocka_unit_test(test_rehome_keeps_offsets),
		cmocka_unit_test(test_early_ring_is_the_global),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
