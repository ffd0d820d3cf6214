/* Unit tests: boot/memory.c (pool, RAM map), arch/paging.c (host identity map),
 * arch/desc.c (segment decoding, host tables). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "arch/bits.h"
#include "arch/desc.h"
#include "arch/paging.h"
#include "arch/memory.h"

static void test_pool_alloc_and_exhaustion(void **state)
{
	(void)state;
	uint8_t *arena = aligned_alloc(4096, 8 * 4096);
	memset(arena, 0xAA, 8 * 4096);
	struct page_pool p;
	pool_init(&p, (uint64_t)(uintptr_t)arena, 8 * 4096);
	uint8_t *a = pool_alloc_pages(&p, 3);
	assert_ptr_equal(a, arena);
	for (int i = 0; i < 3 * 4096; i++)
		assert_int_equal(a[i], 0);
	assert_ptr_equal(pool_alloc_pages(&p, 5), arena + 3 * 4096);
	assert_null(pool_alloc_pages(&p, 1));
	assert_null(pool_alloc_pages(&p, 0));
	assert_int_equal(p.high_water, 8);
	free(arena);
}

static void test_mem_map_merges_and_contains(void **state)
{
	(void)state;
	struct mem_map m = { 0 };
	mem_map_add(&m, 0x100000, 0x100000);
	mem_map_add(&m, 0x0, 0xA0000);
	mem_map_add(&m, 0x200000, 0x1000); /* adjacent: merges */
	mem_map_add(&m, 0x180000, 0x10000); /* inside: merges */
	assert_int_equal(m.count, 2);
	assert_int_equal(m.r[0].base, 0);
	assert_int_equal(m.r[0].size, 0xA0000);
	assert_int_equal(m.r[1].base, 0x100000);
	assert_int_equal(m.r[1].size, 0x101000);
	assert_true(mem_map_contains(&m, 0x100000, 0x101000));
	assert_false(mem_map_contains(&m, 0x100000, 0x101001));
	assert_false(mem_map_contains(&m, 0x9F000, 0x2000)); /* straddles the hole */
	assert_false(mem_map_contains(&m, 0x1000, 0));
	assert_false(mem_map_contains(&m, UINT64_MAX - 0xFFF, 0x2000)); /* wraps */
	assert_int_equal(mem_map_top(&m), 0x201000);
	assert_true(mem_ranges_overlap(0x1000, 0x1000, 0x1FFF, 1));
	assert_false(mem_ranges_overlap(0x1000, 0x1000, 0x2000, 1));
}

struct heap {
	uint8_t *mem;
	unsigned used, cap;
};
static void *heap_page(void *ctx, uint64_t *pa)
{
	struct heap *h = ctx;
	if (h->used == h->cap)
		return NULL;
	void *v = h->mem + 4096 * h->used++;
	memset(v, 0, 4096);
	*pa = (uint64_t)(uintptr_t)v;
	return v;
}

static uint64_t walk(uint64_t cr3, uint64_t va)
{
	uint64_t *t = (uint64_t *)(uintptr_t)cr3;
	unsigned shift = 39;
	for (int level = 4; level > 0; level--, shift -= 9) {
		uint64_t e = t[(va >> shift) & 511];
		if (!(e & 1))
			return ~0ULL;
		if (e & 0x80 || level == 1)
			return (e & 0x000FFFFFFFFFF000ULL & ~((1ULL << shift) - 1)) | (va & ((1ULL << shift) - 1));
		t = (uint64_t *)(uintptr_t)(e & 0x000FFFFFFFFFF000ULL);
	}
	return ~0ULL;
}

static void test_paging_identity(void **state)
{
	(void)state;
	struct heap h = { aligned_alloc(4096, 80 * 4096), 0, 80 };
	struct page_alloc a = { heap_page, &h };
	uint64_t cr3 = paging_build_identity(&a, paging_identity_limit(40, true), true);
	assert_int_not_equal(cr3, 0);
	assert_int_equal(h.used, 3); /* PML4 + 2 PDPTs for 1 TiB */
	uint64_t probes[] = { 0, 0x1234567, 0xFEE00000, 0x3FFFFFFFF, 0xFFFFFFFFFF };
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(walk(cr3, probes[i]), probes[i]);
	assert_int_equal(walk(cr3, 1ULL << 40), ~0ULL);

	h.used = 0;
	cr3 = paging_build_identity(&a, paging_identity_limit(40, false), false);
	assert_int_equal(h.used, 1 + 1 + 64); /* 64 GiB with 2 MiB pages */
	assert_int_equal(walk(cr3, 0xFEE00123), 0xFEE00123);
	assert_int_equal(walk(cr3, GiB(64) - 1), GiB(64) - 1);
	assert_int_equal(walk(cr3, GiB(64)), ~0ULL);
	h.cap = 10, h.used = 0;
	assert_int_equal(paging_build_identity(&a, GiB(64), false), 0); /* out of pages */
	free(h.mem);
}

static void test_desc_decode(void **state)
{
	(void)state;
	/* OVMF-like GDT: 0x38 = 64-bit code, 0x30 = data, 0x40 = TSS at 0x1234567890 */
	uint64_t gdt[10] = { 0 };
	gdt[0x38 / 8] = 0x00AF9B000000FFFFULL;
	gdt[0x30 / 8] = 0x00CF93000000FFFFULL;
	gdt[0x40 / 8] = 0x34008B5678900067ULL; /* base 31:0 = 0x34567890 */
	gdt[0x48 / 8] = 0x12;
	struct seg_state s;
	desc_decode_segment((uint8_t *)gdt, sizeof(gdt) - 1, 0x38, &s);
	assert_int_equal(s.ar, 0xA09B);
	assert_int_equal(s.limit, 0xFFFFFFFF);
	assert_int_equal(s.base, 0);
	desc_decode_segment((uint8_t *)gdt, sizeof(gdt) - 1, 0x30, &s);
	assert_int_equal(s.ar, 0xC093);
	desc_decode_segment((uint8_t *)gdt, sizeof(gdt) - 1, 0x40, &s);
	assert_int_equal(s.ar, 0x008B);
	assert_int_equal(s.limit, 0x67);
	assert_int_equal(s.base, 0x1234567890ULL);
	desc_decode_segment((uint8_t *)gdt, sizeof(gdt) - 1, 0, &s);
	assert_int_equal(s.ar, SEG_AR_UNUSABLE);
	desc_decode_segment((uint8_t *)gdt, 0x37, 0x38, &s); /* beyond the limit */
	assert_int_equal(s.ar, SEG_AR_UNUSABLE);
	desc_decode_segment((uint8_t *)gdt, sizeof(gdt) - 1, 0x3C, &s); /* TI = 1 */
	assert_int_equal(s.ar, SEG_AR_UNUSABLE);
}

static void test_host_tables(void **state)
{
	(void)state;
	static struct host_tables t;
	uint64_t isr[32];
	for (int i = 0; i < 32; i++)
		isr[i] = 0xFFFF800012345000ULL + (uint64_t)i * 16;
	desc_build_host_tables(&t, isr, 0xABC000);
	struct seg_state s;
	desc_decode_segment((uint8_t *)t.gdt, sizeof(t.gdt) - 1, HOST_SEL_CODE, &s);
	assert_int_equal(s.ar, 0xA09B);
	desc_decode_segment((uint8_t *)t.gdt, sizeof(t.gdt) - 1, HOST_SEL_TSS, &s);
	assert_int_equal(s.ar, 0x89);
	assert_int_equal(s.base, (uint64_t)(uintptr_t)&t.tss);
	assert_int_equal(s.limit, 103);
	for (int i = 0; i < 32; i++)
		assert_int_equal(desc_idt_gate_offset(&t.idt[i]), isr[i]);
	assert_int_equal((t.idt[2].lo >> 32) & 7, HOST_IST_NMI);
	assert_int_equal((t.idt[13].lo >> 32) & 7, 0);
	assert_int_equal(t.tss.ist[0], 0xABC000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_alloc_and_exhaustion),
		cmocka_unit_test(test_mem_map_merges_and_contains),
		cmocka_unit_test(test_paging_identity),
		cmocka_unit_test(test_desc_decode),
		cmocka_unit_test(test_host_tables),
	};
	return cmocka_run_group_tests_name("memory_paging_desc", tests, NULL, NULL);
}
