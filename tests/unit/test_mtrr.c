/* Unit tests: arch/mtrr.c (resolver, uniformity over ranges, guest MSR writes), checked
 * against the independent per-address reference in test_mtrr_ref.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "arch/mtrr.h"
#include "test_mtrr_ref.h"

static struct mtrr_state st;

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static const uint8_t valid_types[] = { MTRR_TYPE_UC, MTRR_TYPE_WC, MTRR_TYPE_WT, MTRR_TYPE_WP,
				       MTRR_TYPE_WB };

static uint8_t rng_type(void)
{
	return valid_types[rng() % sizeof(valid_types)];
}

/* Every page of [start, end) resolves like the reference. */
static void check_pages(const struct mtrr_state *s, uint64_t start, uint64_t end)
{
	for (uint64_t pa = start; pa < end; pa += 0x1000) {
		uint8_t want = ref_mtrr_type(s, pa);

		if (mtrr_type_of(s, pa) != want)
			fail_msg("pa %#llx: got %u want %u", (unsigned long long)pa,
				 mtrr_type_of(s, pa), want);
		assert_int_equal(mtrr_type_of(s, pa + 0xFFF), want);
	}
}

/* Brute-force uniformity with the reference, page by page. */
static bool ref_uniform(const struct mtrr_state *s, uint64_t base, uint64_t size, uint8_t *type)
{
	uint64_t first = base & ~0xFFFULL;
	uint8_t t = ref_mtrr_type(s, first);

	for (uint64_t pa = first + 0x1000; pa < base + size; pa += 0x1000)
		if (ref_mtrr_type(s, pa) != t)
			return false;
	*type = t;
	return true;
}

static void check_uniform(const struct mtrr_state *s, uint64_t base, uint64_t size)
{
	uint8_t want_t = 0xEE, got_t = 0xEE;
	bool want = ref_uniform(s, base, size, &want_t);
	bool got = mtrr_range_is_uniform(s, base, size, &got_t);

	if (want != got)
		fail_msg("[%#llx +%#llx): uniform got %d want %d", (unsigned long long)base,
			 (unsigned long long)size, got, want);
	if (want)
		assert_int_equal(got_t, want_t);
}

static void test_disabled_is_uc(void **state)
{
	uint8_t t = 0xEE;

	(void)state;
	ref_layout_pc(&st, 36);
	st.def_type &= ~REF_E;
	for (size_t i = 0; i < ARRAY_SIZE(ref_layout_pc_edges); i++)
		assert_int_equal(mtrr_type_of(&st, ref_layout_pc_edges[i]), MTRR_TYPE_UC);
	assert_true(mtrr_range_is_uniform(&st, 0, 1ULL << 36, &t));
	assert_int_equal(t, MTRR_TYPE_UC);
	/* E = 0 but FE = 1: FE has no effect. */
	assert_int_equal(mtrr_type_of(&st, 0x1000), MTRR_TYPE_UC);
}

static void test_fixed_ranges(void **state)
{
	(void)state;
	ref_layout_pc(&st, 36);
	check_pages(&st, 0, 0x400000);
	assert_int_equal(mtrr_type_of(&st, 0x9FFFF), MTRR_TYPE_WB);
	assert_int_equal(mtrr_type_of(&st, 0xA0000), MTRR_TYPE_UC);
	assert_int_equal(mtrr_type_of(&st, 0xBFFFF), MTRR_TYPE_UC);
	assert_int_equal(mtrr_type_of(&st, 0xC0000), MTRR_TYPE_WP);
	assert_int_equal(mtrr_type_of(&st, 0xC8000), MTRR_TYPE_UC);
	assert_int_equal(mtrr_type_of(&st, 0xFFFFF), MTRR_TYPE_WP);
	assert_int_equal(mtrr_type_of(&st, 0x100000), MTRR_TYPE_WB); /* var0 from 1 MiB on */
	/* FE = 0: the variable ranges cover the first MiB. */
	st.def_type &= ~REF_FE;
	assert_int_equal(mtrr_type_of(&st, 0xA0000), MTRR_TYPE_WB);
	check_pages(&st, 0, 0x200000);
	/* FE = 1 but no fixed MTRRs on this CPU. */
	st.def_type |= REF_FE;
	st.cap &= ~REF_FIX;
	assert_int_equal(mtrr_type_of(&st, 0xC0000), MTRR_TYPE_WB);
	check_pages(&st, 0, 0x200000);
}

static void test_fixed_every_subrange(void **state)
{
	(void)state;
	ref_state_init(&st, 36, 0, MTRR_TYPE_WB | REF_E | REF_FE);
	for (uint64_t pa = 0; pa < 0x100000; pa += 0x1000)
		ref_set_fixed(&st, pa, pa + 0x1000, valid_types[(pa >> 12) % 5]);
	/* 64 KiB and 16 KiB sub-ranges hold the type of their last page written. */
	check_pages(&st, 0, 0x100000);
	check_uniform(&st, 0, 0x10000);
	check_uniform(&st, 0x80000, 0x4000);
	check_uniform(&st, 0xC0000, 0x1000);
	check_uniform(&st, 0xC0000, 0x2000);
}

static void test_variable_precedence(void **state)
{
	(void)state;
	ref_layout_pc(&st, 36);
	assert_int_equal(mtrr_type_of(&st, 0xBFFFF000), MTRR_TYPE_WT); /* WT + WB */
	assert_int_equal(mtrr_type_of(&st, 0xC0000000), MTRR_TYPE_UC); /* UC + WB */
	assert_int_equal(mtrr_type_of(&st, 0xAFFFF000), MTRR_TYPE_WB);
	assert_int_equal(mtrr_type_of(&st, 0x40001000), MTRR_TYPE_UC);
	assert_int_equal(mtrr_type_of(&st, 0x40002000), MTRR_TYPE_WB);
	assert_int_equal(mtrr_type_of(&st, 0x100100000), MTRR_TYPE_UC);
	assert_int_equal(mtrr_type_of(&st, 0x100200000), MTRR_TYPE_WB);
	assert_int_equal(mtrr_type_of(&st, 0x140000000), MTRR_TYPE_UC); /* default */
	/* Identical types overlapping, then an undefined overlap (WC + WB -> UC by choice). */
	ref_set_var(&st, 7, 0x10000000, 1ULL << 28, MTRR_TYPE_WB);
	assert_int_equal(mtrr_type_of(&st, 0x10000000), MTRR_TYPE_WB);
	ref_set_var(&st, 7, 0x10000000, 1ULL << 28, MTRR_TYPE_WC);
	assert_int_equal(mtrr_type_of(&st, 0x10000000), MTRR_TYPE_UC);
	/* WT + WT + WB -> WT. */
	ref_set_var(&st, 7, 0xB0000000, 1ULL << 24, MTRR_TYPE_WT);
	assert_int_equal(mtrr_type_of(&st, 0xB0000000), MTRR_TYPE_WT);
	/* A pair without V does not match. */
	st.var[1].mask &= ~REF_V;
	assert_int_equal(mtrr_type_of(&st, 0xC0000000), MTRR_TYPE_WB);
	for (size_t i = 0; i < ARRAY_SIZE(ref_layout_pc_edges); i++) {
		uint64_t e = ref_layout_pc_edges[i];

		check_pages(&st, e > 0x3000 ? e - 0x3000 : 0, e + 0x3000);
	}
}

static void test_uniform_layout(void **state)
{
	uint8_t t = 0xEE;

	(void)state;
	ref_layout_pc(&st, 36);
	assert_false(mtrr_range_is_uniform(&st, 0, 0x200000, &t));
	assert_true(mtrr_range_is_uniform(&st, 0xA0000, 0x20000, &t));
	assert_int_equal(t, MTRR_TYPE_UC);
	assert_false(mtrr_range_is_uniform(&st, 0x9F000, 0x2000, &t));
	assert_true(mtrr_range_is_uniform(&st, 0x100000, 0x40001000 - 0x100000, &t));
	assert_int_equal(t, MTRR_TYPE_WB);
	assert_false(mtrr_range_is_uniform(&st, 0x40000000, 1ULL << 30, &t));
	assert_true(mtrr_range_is_uniform(&st, 0xC0000000, 1ULL << 30, &t));
	assert_int_equal(t, MTRR_TYPE_UC);
	assert_true(mtrr_range_is_uniform(&st, 0xB0000000, 0x10000000, &t));
	assert_int_equal(t, MTRR_TYPE_WT);
	/* UC from var1 and UC from the default above 5 GiB are one type, with WB between. */
	assert_false(mtrr_range_is_uniform(&st, 0xC0000000, 0x100000000, &t));
	assert_true(mtrr_range_is_uniform(&st, 0x140000000, (1ULL << 36) - 0x140000000, &t));
	assert_int_equal(t, MTRR_TYPE_UC);
	/* Unaligned bytes: the types are per 4 KiB page. */
	assert_true(mtrr_range_is_uniform(&st, 0x40001001, 0x10, &t));
	assert_int_equal(t, MTRR_TYPE_UC);
	assert_false(mtrr_range_is_uniform(&st, 0x40000FFF, 2, &t));
	assert_false(mtrr_range_is_uniform(&st, 0x1000, 0, &t));
	assert_false(mtrr_range_is_uniform(&st, UINT64_MAX - 0xFFF, 0x2000, &t));
	/* Up to the last byte of the 64-bit space. */
	st.def_type &= ~REF_E;
	assert_true(mtrr_range_is_uniform(&st, 1ULL << 40, -(1ULL << 40), &t));
	assert_int_equal(t, MTRR_TYPE_UC);
	/* A WB range that only repeats the default type does not break uniformity. */
	st.def_type = MTRR_TYPE_WB | REF_E | REF_FE;
	ref_set_var(&st, 7, 0x200000000, 1ULL << 21, MTRR_TYPE_WB);
	assert_true(mtrr_range_is_uniform(&st, 0x200000000 - (1ULL << 30), 1ULL << 32, &t));
	assert_int_equal(t, MTRR_TYPE_WB);
}

/* A valid pair whose PhysMask is 0 below MAXPHYADDR matches every address: with
 * MAXPHYADDR 32, a 4 GiB WB range at 0 is written as PhysMask = 0, V = 1. */
static void test_mask_zero_matches_all(void **state)
{
	uint8_t t = 0xEE;

	(void)state;
	ref_state_init(&st, 32, 2, MTRR_TYPE_UC | REF_E);
	ref_set_var(&st, 0, 0, 1ULL << 32, MTRR_TYPE_WB);
	assert_int_equal(st.var[0].mask, REF_V);
	assert_int_equal(mtrr_type_of(&st, 0), MTRR_TYPE_WB);
	assert_int_equal(mtrr_type_of(&st, 0xFFFFF000), MTRR_TYPE_WB);
	assert_true(mtrr_range_is_uniform(&st, 0, 1ULL << 32, &t));
	assert_int_equal(t, MTRR_TYPE_WB);
	ref_set_var(&st, 1, 0xC0000000, 1ULL << 30, MTRR_TYPE_UC);
	check_uniform(&st, 0x80000000, 1ULL << 31);
	check_uniform(&st, 0xC0000000, 1ULL << 30);
	check_pages(&st, 0xBFFF0000, 0xC0010000);
}

/* A discontinuous mask: PhysMask with a hole matches a periodic set of ranges. */
static void test_discontinuous_mask(void **state)
{
	(void)state;
	ref_state_init(&st, 36, 2, MTRR_TYPE_WB | REF_E);
	ref_set_var(&st, 0, 0, 1ULL << 20, MTRR_TYPE_UC);
	st.var[0].mask &= ~(1ULL << 24); /* matches [0,1M) + k * 16M */
	check_pages(&st, 0, 0x4000000);
	check_uniform(&st, 0, 1ULL << 21);
	check_uniform(&st, 0x1000000, 1ULL << 20);
	check_uniform(&st, 0x1100000, 0xF00000);
	check_uniform(&st, 0x1100000, 0xF01000);
	check_uniform(&st, 0x100000, 0xF00000);
}

/* Random register files, random ranges: resolver and uniformity agree with brute force. */
static void random_state(struct mtrr_state *s)
{
	ref_state_init(s, 36, 8, rng_type() | REF_E | ((rng() & 1) ? REF_FE : 0));
	for (unsigned i = 0; i < MTRR_NUM_FIXED; i++)
		for (unsigned b = 0; b < 8; b++)
			s->fixed[i] |= (uint64_t)(rng() % 3 ? MTRR_TYPE_WB : rng_type()) << (8 * b);
	for (unsigned n = 0; n < 8; n++) {
		unsigned order = 12 + (unsigned)(rng() % 15);
		uint64_t base = (rng() % (1ULL << 28)) & ~((1ULL << order) - 1);

		if (rng() % 4 == 0)
			continue;
		ref_set_var(s, n, base, 1ULL << order, rng_type());
		if (rng() % 8 == 0)
			s->var[n].mask &= ~(1ULL << (order + 1 + rng() % 6));
	}
}

static void test_random_against_reference(void **state)
{
	(void)state;
	for (int trial = 0; trial < 1000; trial++) {
		random_state(&st);
		for (int i = 0; i < 2000; i++) {
			uint64_t pa = rng() % (1ULL << 29);

			assert_int_equal(mtrr_type_of(&st, pa), ref_mtrr_type(&st, pa));
		}
		for (int i = 0; i < 30; i++) {
			uint64_t base = rng() % (1ULL << 28);
			uint64_t size = 1 + rng() % (0x1000ULL << (rng() % 13));

			check_uniform(&st, base, size);
			check_uniform(&st, base & ~0x1FFFFFULL, 1ULL << 21);
		}
	}
}

static void test_is_mtrr_msr(void **state)
{
	(void)state;
	assert_true(mtrr_is_mtrr_msr(MSR_IA32_MTRRCAP));
	assert_true(mtrr_is_mtrr_msr(MSR_IA32_MTRR_DEF_TYPE));
	assert_true(mtrr_is_mtrr_msr(0x200));
	assert_true(mtrr_is_mtrr_msr(0x21F));
	assert_false(mtrr_is_mtrr_msr(0x220));
	assert_false(mtrr_is_mtrr_msr(0x1FF));
	assert_true(mtrr_is_mtrr_msr(0x250));
	assert_false(mtrr_is_mtrr_msr(0x251));
	assert_true(mtrr_is_mtrr_msr(0x258));
	assert_true(mtrr_is_mtrr_msr(0x259));
	assert_false(mtrr_is_mtrr_msr(0x25A));
	for (uint32_t m = 0x268; m <= 0x26F; m++)
		assert_true(mtrr_is_mtrr_msr(m));
	assert_false(mtrr_is_mtrr_msr(0x270));
	assert_false(mtrr_is_mtrr_msr(MSR_IA32_PAT));
}

static void test_guest_writes_def_fixed(void **state)
{
	uint64_t v = 0;

	(void)state;
	ref_layout_pc(&st, 36);
	/* DEF_TYPE: type, FE, E; bits 9:8 and 63:12 reserved; reserved types #GP. */
	assert_true(mtrr_state_write(&st, MSR_IA32_MTRR_DEF_TYPE, 0xC06));
	assert_int_equal(st.def_type, 0xC06);
	assert_false(mtrr_state_write(&st, MSR_IA32_MTRR_DEF_TYPE, 0xD06));
	assert_false(mtrr_state_write(&st, MSR_IA32_MTRR_DEF_TYPE, 0x1C06));
	assert_false(mtrr_state_write(&st, MSR_IA32_MTRR_DEF_TYPE, 0xC02));
	assert_false(mtrr_state_write(&st, MSR_IA32_MTRR_DEF_TYPE, 0xC07));
	assert_int_equal(st.def_type, 0xC06);
	/* MTRRCAP is read-only; non-MTRR MSRs are refused. */
	assert_false(mtrr_state_write(&st, MSR_IA32_MTRRCAP, st.cap));
	assert_false(mtrr_state_write(&st, MSR_IA32_PAT, 0));
	/* Fixed: every byte must be a defined type. */
	assert_true(mtrr_state_write(&st, MSR_IA32_MTRR_FIX16K_A0000, 0x0606060606060606ULL));
	assert_int_equal(mtrr_type_of(&st, 0xA0000), MTRR_TYPE_WB);
	assert_false(mtrr_state_write(&st, MSR_IA32_MTRR_FIX16K_A0000, 0x0606060606060206ULL));
	assert_false(mtrr_state_write(&st, 0x26D, 0x0800000000000000ULL));
	assert_true(mtrr_state_write(&st, 0x26D, 0x0505050505050505ULL));
	assert_int_equal(mtrr_type_of(&st, 0xEF000), MTRR_TYPE_WP);
	st.cap &= ~REF_FIX;
	assert_false(mtrr_state_write(&st, MSR_IA32_MTRR_FIX64K_00000, 0));
	assert_false(mtrr_state_read(&st, MSR_IA32_MTRR_FIX64K_00000, &v));
	st.cap |= REF_FIX;
	assert_true(mtrr_state_read(&st, 0x26D, &v));
	assert_int_equal(v, 0x0505050505050505ULL);
}

static void test_guest_writes_variable(void **state)
{
	uint64_t v = 0;

	(void)state;
	ref_layout_pc(&st, 36);
	assert_true(mtrr_state_write(&st, MSR_IA32_MTRR_DEF_TYPE, 0xC06));
	/* Variable: PHYSBASE reserved 11:8 and 63:MAXPHYADDR; PHYSMASK reserved 10:0. */
	assert_true(mtrr_state_write(&st, 0x20E, 0x200000000ULL | MTRR_TYPE_WT));
	assert_true(mtrr_state_write(&st, 0x20F, 0xFFFE00000ULL | REF_V));
	assert_int_equal(mtrr_type_of(&st, 0x200000000ULL), MTRR_TYPE_WT);
	assert_int_equal(mtrr_type_of(&st, 0x200200000ULL), MTRR_TYPE_WB); /* the default, set above */
	assert_false(mtrr_state_write(&st, 0x20E, 0x200000100ULL | MTRR_TYPE_WT));
	assert_false(mtrr_state_write(&st, 0x20E, (1ULL << 36) | MTRR_TYPE_WT));
	assert_false(mtrr_state_write(&st, 0x20E, 0x200000003ULL));
	assert_false(mtrr_state_write(&st, 0x20F, 0xFFFE00001ULL | REF_V));
	assert_false(mtrr_state_write(&st, 0x20F, (1ULL << 36) | REF_V));
	/* Pairs at or above VCNT (10) do not exist. */
	assert_false(mtrr_state_write(&st, 0x214, 0));
	assert_false(mtrr_state_read(&st, 0x215, &v));
	/* WC needs MTRRCAP.WC. */
	st.cap &= ~REF_WCCAP;
	assert_false(mtrr_state_write(&st, 0x20E, MTRR_TYPE_WC));
	/* Reads come from the snapshot. */
	assert_true(mtrr_state_read(&st, 0x20E, &v));
	assert_int_equal(v, 0x200000000ULL | MTRR_TYPE_WT);
	assert_true(mtrr_state_read(&st, 0x20F, &v));
	assert_int_equal(v, 0xFFFE00000ULL | REF_V);
	assert_true(mtrr_state_read(&st, MSR_IA32_MTRRCAP, &v));
	assert_int_equal(v, st.cap);
	assert_false(mtrr_state_read(&st, MSR_IA32_PAT, &v));
}

/* Corrupt snapshots never yield a reserved type (EPT would take it as a misconfiguration). */
static void test_reserved_type_in_snapshot(void **state)
{
	(void)state;
	ref_state_init(&st, 36, 1, 0x7 | REF_E | REF_FE);
	assert_int_equal(mtrr_type_of(&st, 0x100000), MTRR_TYPE_UC);
	st.fixed[0] = 0x02;
	assert_int_equal(mtrr_type_of(&st, 0), MTRR_TYPE_UC);
	ref_set_var(&st, 0, 0, 1ULL << 30, 3);
	assert_int_equal(mtrr_type_of(&st, 0x200000), MTRR_TYPE_UC);
	st.cap = 0xFF; /* VCNT beyond 16 is clamped */
	assert_int_equal(mtrr_vcnt(&st), MTRR_MAX_VAR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disabled_is_uc),
		cmocka_unit_test(test_fixed_ranges),
		cmocka_unit_test(test_fixed_every_subrange),
		cmocka_unit_test(test_variable_precedence),
		cmocka_unit_test(test_uniform_layout),
		cmocka_unit_test(test_mask_zero_matches_all),
		cmocka_unit_test(test_discontinuous_mask),
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_is_mtrr_msr),
		cmocka_unit_test(test_guest_writes_def_fixed),
		cmocka_unit_test(test_guest_writes_variable),
		cmocka_unit_test(test_reserved_type_in_snapshot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
