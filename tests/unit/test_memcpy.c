/* Unit tests: arch/memcpy.c (the hypervisor's memcpy and memset, REP MOVSQ/STOSQ and a byte
 * tail), compiled here under other names so the test's own C library stays in use. Every
 * length 0..80 and a page and a bit, at every source and destination misalignment 0..7,
 * against a byte loop; the bytes around the destination must stay as they were. */
#define memcpy hv_memcpy
#define memset hv_memset
#include "arch/memcpy.c"
#undef memcpy
#undef memset

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define GUARD 16
#define MAX_LEN (4096 + 37)
static uint8_t src[MAX_LEN + 2 * GUARD], dst[MAX_LEN + 2 * GUARD], want[MAX_LEN + 2 * GUARD];

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

static const size_t lengths[] = { 0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 63, 64, 65, 79, 80, 4096, MAX_LEN };

static void test_memcpy_every_length_and_alignment(void **state)
{
	(void)state;
	for (size_t li = 0; li < sizeof(lengths) / sizeof(lengths[0]); li++)
		for (unsigned so = 0; so < 8; so++)
			for (unsigned d = 0; d < 8; d++) {
				size_t n = lengths[li];
				fill(src, sizeof(src), (uint8_t)(so * 31 + n));
				fill(dst, sizeof(dst), 0xA0);
				fill(want, sizeof(want), 0xA0);
				for (size_t i = 0; i < n; i++) /* the reference: a byte loop */
					want[GUARD + d + i] = src[GUARD + so + i];
				void *r = hv_memcpy(dst + GUARD + d, src + GUARD + so, n);
				assert_ptr_equal(r, dst + GUARD + d);
				assert_memory_equal(dst, want, sizeof(dst)); /* guards untouched too */
			}
}

static void test_memset_every_length_alignment_and_value(void **state)
{
	static const int values[] = { 0, 0xA5, 0xFF, 0x1FF /* only the low byte counts */, -1 };
	(void)state;
	for (size_t li = 0; li < sizeof(lengths) / sizeof(lengths[0]); li++)
		for (unsigned d = 0; d < 8; d++)
			for (size_t vi = 0; vi < sizeof(values) / sizeof(values[0]); vi++) {
				size_t n = lengths[li];
				fill(dst, sizeof(dst), 0x3C);
				fill(want, sizeof(want), 0x3C);
				for (size_t i = 0; i < n; i++)
					want[GUARD + d + i] = (uint8_t)values[vi];
				void *r = hv_memset(dst + GUARD + d, values[vi], n);
				assert_ptr_equal(r, dst + GUARD + d);
				assert_memory_equal(dst, want, sizeof(dst));
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memcpy_every_length_and_alignment),
		cmocka_unit_test(test_memset_every_length_alignment_and_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
