/* Unit tests: ept/ept.c over a heap arena with fake physical addresses. Every sampled
 * guest-physical address must translate to itself with RWX and the reference MTRR type
 * (test_mtrr_ref.h), except owned ranges, which must be not present. Samples: dense
 * around every range boundary, every 1 GiB edge, every 2 MiB edge of the low 8 GiB, all
 * of the first 4 MiB, and a stride over the whole space. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ept/ept.h"
#include "test_mtrr_ref.h"

/* ---- heap arena: page i lives at mem + i * 4K, "physically" at pa_base + i * 4K ---- */

#define ARENA_PAGES 4200
#define ARENA_PA    0x80000000ULL

struct arena {
	uint8_t *mem;
	uint64_t pa_base;
	size_t npages, used;
};

static struct arena arena;

static void *arena_alloc(void *ctx, uint64_t *pa)
{
	struct arena *a = ctx;
	uint8_t *p;

	if (a->used == a->npages)
		return NULL;
	p = a->mem + a->used * 4096;
	memset(p, 0xA5, 4096); /* the builder must zero what it gets */
	*pa = a->pa_base + a->used * 4096;
	a->used++;
	return p;
}

static void *arena_p2v(void *ctx, uint64_t pa)
{
	struct arena *a = ctx;

	if (pa < a->pa_base || pa >= a->pa_base + a->used * 4096 || (pa & 0xFFF))
		fail_msg("table pa %#llx outside the arena", (unsigned long long)pa);
	return a->mem + (pa - a->pa_base);
}

static size_t arena_free(void *ctx)
{
	struct arena *a = ctx;
	return a->npages - a->used;
}

static struct ept_alloc alloc = { arena_alloc, arena_p2v, &arena, NULL };
/* The same arena, telling how many pages it has left: the all-or-nothing retype. */
static struct ept_alloc alloc_counted = { arena_alloc, arena_p2v, &arena, arena_free };

static void arena_reset(size_t npages)
{
	arena.used = 0;
	arena.npages = npages;
}

static int group_setup(void **state)
{
	(void)state;
	arena.mem = aligned_alloc(4096, ARENA_PAGES * 4096);
	arena.pa_base = ARENA_PA;
	return arena.mem ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	free(arena.mem);
	return 0;
}

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* ---- independent walk over the raw entries, checking the encoding on the way ---- */

struct ref_leaf {
	uint64_t entry;
	unsigned level;
	bool present;
};

static void ref_check_leaf(uint64_t e, unsigned level, unsigned maxphy)
{
	unsigned shift = 12 + 9 * (level - 1);
	uint8_t mt = (uint8_t)((e >> 3) & 7);

	assert_int_equal(e & (1ULL << 6), 0); /* IPAT clear: the guest PAT combines */
	assert_true(mt == 0 || mt == 1 || mt == 4 || mt == 5 || mt == 6);
	assert_int_equal(e & (((1ULL << shift) - 1) & ~0xFFFULL), 0); /* reserved address bits */
	assert_int_equal(e & (((1ULL << 52) - 1) & ~((1ULL << maxphy) - 1)), 0);
}

static struct ref_leaf ref_walk(const struct ept *e, uint64_t gpa)
{
	uint64_t table_pa = e->pml4_pa;

	for (unsigned level = 4; level >= 1; level--) {
		const uint64_t *t = arena_p2v(&arena, table_pa);
		uint64_t ent = t[(gpa >> (12 + 9 * (level - 1))) & 511];
		bool leaf = level == 1 || ((ent & 0x80) && level <= 3);

		if ((ent & 7) == 0)
			return (struct ref_leaf){ ent, level, false };
		assert_int_equal(ent & 7, 7);
		if (leaf) {
			ref_check_leaf(ent, level, e->maxphyaddr);
			return (struct ref_leaf){ ent, level, true };
		}
		assert_int_equal(ent & 0xF8, 0); /* bits 7:3 reserved in table references */
		table_pa = ent & 0x000FFFFFFFFFF000ULL;
	}
	fail();
	return (struct ref_leaf){ 0, 0, false };
}

/* ---- sampling ---- */

struct samples {
	uint64_t *gpa;
	size_t n, cap;
};

static void samples_add(struct samples *s, uint64_t gpa, uint64_t limit)
{
	if (gpa >= limit)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 4096;
		s->gpa = realloc(s->gpa, s->cap * sizeof(*s->gpa));
		assert_non_null(s->gpa);
	}
	s->gpa[s->n++] = gpa;
}

/* Pages b-3 .. b+2 around a boundary b. */
static void samples_around(struct samples *s, uint64_t b, uint64_t limit)
{
	for (int d = -3; d <= 2; d++)
		if ((int64_t)b + d * 4096 >= 0)
			samples_add(s, b + (uint64_t)(d * 4096), limit);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorted, each page once. */
static void samples_unique(struct samples *s)
{
	size_t n = 0;

	qsort(s->gpa, s->n, sizeof(*s->gpa), cmp_u64);
	for (size_t i = 0; i < s->n; i++)
		if (n == 0 || s->gpa[i] != s->gpa[n - 1])
			s->gpa[n++] = s->gpa[i];
	s->n = n;
}

static void samples_standard(struct samples *s, uint64_t limit, const uint64_t *edges,
			     size_t n_edges, const struct ept_range *owned, size_t n_owned)
{
	for (size_t i = 0; i < n_edges; i++)
		samples_around(s, edges[i], limit);
	for (size_t i = 0; i < n_owned; i++) {
		samples_around(s, owned[i].base, limit);
		samples_around(s, owned[i].base + owned[i].size, limit);
	}
	for (uint64_t g = 0; g < limit; g += 1ULL << 30)
		samples_around(s, g, limit);
	for (uint64_t m = 0; m < (8ULL << 30) && m < limit; m += 2ULL << 20)
		samples_around(s, m, limit);
	for (uint64_t p = 0; p < (4ULL << 20); p += 4096)
		samples_add(s, p, limit);
	for (uint64_t i = 0, step = limit >> 16; i < (1 << 16); i++)
		samples_add(s, i * step + ((rng() % step) & ~0xFFFULL), limit);
	samples_add(s, limit - 4096, limit);
}

static bool in_owned(const struct ept_range *owned, size_t n, uint64_t gpa)
{
	for (size_t i = 0; i < n; i++)
		if (gpa >= owned[i].base && gpa < owned[i].base + owned[i].size)
			return true;
	return false;
}

/* One page: identity with RWX and the reference type, or not present when owned. */
static void check_page(const struct ept *e, const struct mtrr_state *s,
		       const struct ept_range *owned, size_t n_owned, uint64_t gpa)
{
	struct ref_leaf r = ref_walk(e, gpa);
	uint64_t hpa = 0, off = rng() & 0xFFF;
	unsigned perms = 0, level = 0;
	uint8_t mt = 0xEE;
	int rc = ept_translate(e, gpa + off, &hpa, &perms, &mt, &level);

	if (in_owned(owned, n_owned, gpa)) {
		if (r.present || r.entry != 0 || rc != EPT_ENOTPRESENT)
			fail_msg("owned gpa %#llx: entry %#llx", (unsigned long long)gpa,
				 (unsigned long long)r.entry);
		assert_int_equal(level, r.level);
		return;
	}
	if (!r.present || rc != 0)
		fail_msg("gpa %#llx not mapped (rc %d)", (unsigned long long)gpa, rc);
	assert_int_equal(hpa, gpa + off);
	assert_int_equal(perms, EPT_RWX);
	assert_int_equal(level, r.level);
	if (mt != ref_mtrr_type(s, gpa) || ((r.entry >> 3) & 7) != mt)
		fail_msg("gpa %#llx: type %u, reference %u", (unsigned long long)gpa, mt,
			 ref_mtrr_type(s, gpa));
}

static void check_identity(const struct ept *e, const struct mtrr_state *s,
			   const uint64_t *edges, size_t n_edges, const struct ept_range *owned,
			   size_t n_owned)
{
	struct samples smp = { 0 };
	uint64_t limit = 1ULL << e->maxphyaddr;

	samples_standard(&smp, limit, edges, n_edges, owned, n_owned);
	samples_unique(&smp);
	for (size_t i = 0; i < smp.n; i++)
		check_page(e, s, owned, n_owned, smp.gpa[i]);
	/* Nothing above MAXPHYADDR (within the 48 bits a 4-level walk covers). */
	if (e->maxphyaddr < EPT_GPA_BITS)
		assert_int_equal(ept_translate(e, limit, NULL, NULL, NULL, NULL), EPT_ENOTPRESENT);
	assert_int_equal(e->pages_used, arena.used);
	free(smp.gpa);
}

/* ---- fixtures ---- */

static struct mtrr_state st;
static struct ept ept;

/* Hypervisor memory: one page, a range straddling a 2 MiB boundary, one straddling the
 * 1 GiB boundary at 0x40000000, one in the VGA hole, one above 4 GiB. */
static const struct ept_range pc_owned[] = {
	{ 0x1000, 0x1000 },
	{ 0x7FF000, 0x2000 },
	{ 0x3FF00000, 0x200000 },
	{ 0x9F000, 0x3000 },
	{ 0x13FFFF000, 0x3000 },
};

static int build(unsigned maxphy, bool g1, bool m2, const struct ept_range *owned, size_t n)
{
	struct ept_caps caps = { .page_1g = g1, .page_2m = m2, .ad = true, .maxphyaddr = maxphy };

	arena_reset(ARENA_PAGES);
	return ept_build_identity(&ept, &caps, &st, owned, n, &alloc);
}

/* Leaves of each size (index = level) over the whole tree. */
static void count_leaves(uint64_t table_pa, unsigned level, size_t counts[5])
{
	const uint64_t *t = arena_p2v(&arena, table_pa);

	for (unsigned i = 0; i < 512; i++) {
		if ((t[i] & 7) == 0)
			continue;
		if (level == 1 || (t[i] & EPT_PS))
			counts[level]++;
		else
			count_leaves(t[i] & 0x000FFFFFFFFFF000ULL, level - 1, counts);
	}
}

static size_t report(const char *what)
{
	size_t c[5] = { 0 };

	count_leaves(ept.pml4_pa, 4, c);
	print_message("ept: %-44s %5zu table pages (%6zu KiB); leaves 1G %zu, 2M %zu, 4K %zu\n",
		      what, ept.pages_used, ept.pages_used * 4, c[3], c[2], c[1]);
	return ept.pages_used;
}

/* ---- tests ---- */

static void test_pc_layout(void **state)
{
	(void)state;
	ref_layout_pc(&st, 36);
	assert_int_equal(build(36, true, true, pc_owned, ARRAY_SIZE(pc_owned)), 0);
	check_identity(&ept, &st, ref_layout_pc_edges, ARRAY_SIZE(ref_layout_pc_edges), pc_owned,
		       ARRAY_SIZE(pc_owned));
	/* The VGA hole and ROMs keep their fixed-range types at 4 KiB. */
	uint8_t mt;
	unsigned level;
	assert_int_equal(ept_translate(&ept, 0xA4000, NULL, NULL, &mt, &level), 0);
	assert_int_equal(mt, MTRR_TYPE_UC);
	assert_int_equal(level, 1);
	assert_int_equal(ept_translate(&ept, 0xC0000, NULL, NULL, &mt, NULL), 0);
	assert_int_equal(mt, MTRR_TYPE_WP);
	/* 3-4 GiB (UC over WB) is one 1 GiB page; 5 GiB and up too (default UC). */
	assert_int_equal(ept_translate(&ept, 0xC0000000, NULL, NULL, &mt, &level), 0);
	assert_int_equal(level, 3);
	assert_int_equal(mt, MTRR_TYPE_UC);
	assert_int_equal(ept_translate(&ept, 0x800000000, NULL, NULL, NULL, &level), 0);
	assert_int_equal(level, 3);
	/* WT over WB at 0xB0000000 is 2 MiB pages, not 4 KiB. */
	assert_int_equal(ept_translate(&ept, 0xB0000000, NULL, NULL, &mt, &level), 0);
	assert_int_equal(level, 2);
	assert_int_equal(mt, MTRR_TYPE_WT);
	/* Owned straddling 0x40000000: the last page below and the first above. */
	assert_int_equal(ept_translate(&ept, 0x3FFFF000, NULL, NULL, NULL, NULL), EPT_ENOTPRESENT);
	assert_int_equal(ept_translate(&ept, 0x40000000, NULL, NULL, NULL, NULL), EPT_ENOTPRESENT);
	assert_int_equal(ept_translate(&ept, 0x40100000, NULL, NULL, NULL, &level), 0);
	assert_int_equal(level, 1);
	assert_int_equal(ept_translate(&ept, 0x40200000, NULL, NULL, NULL, &level), 0);
	assert_int_equal(level, 2);
}

static void test_pc_layout_no_1g(void **state)
{
	unsigned level;

	(void)state;
	ref_layout_pc(&st, 36);
	assert_int_equal(build(36, false, true, pc_owned, ARRAY_SIZE(pc_owned)), 0);
	check_identity(&ept, &st, ref_layout_pc_edges, ARRAY_SIZE(ref_layout_pc_edges), pc_owned,
		       ARRAY_SIZE(pc_owned));
	assert_int_equal(ept_translate(&ept, 0xC0000000, NULL, NULL, NULL, &level), 0);
	assert_int_equal(level, 2);
}

static void test_pc_layout_4k_only(void **state)
{
	(void)state;
	ref_layout_pc(&st, 32);
	assert_int_equal(build(32, false, false, pc_owned, 4), 0);
	check_identity(&ept, &st, ref_layout_pc_edges, ARRAY_SIZE(ref_layout_pc_edges), pc_owned, 4);
	assert_int_equal(ept.pages_used, 1 + 1 + 4 + 2048);
	/* 1 GiB pages but no 2 MiB pages: 1 GiB where uniform, else 4 KiB. */
	assert_int_equal(build(32, true, false, pc_owned, 4), 0);
	check_identity(&ept, &st, ref_layout_pc_edges, ARRAY_SIZE(ref_layout_pc_edges), pc_owned, 4);
	assert_int_equal(ept.pages_used, 1 + 1 + 3 + 3 * 512);
}

static void test_mtrrs_disabled(void **state)
{
	unsigned level;
	uint8_t mt;

	(void)state;
	ref_layout_pc(&st, 39);
	st.def_type = MTRR_TYPE_WB | REF_FE; /* E = 0: all UC, the default type is ignored */
	assert_int_equal(build(39, true, true, pc_owned, ARRAY_SIZE(pc_owned)), 0);
	check_identity(&ept, &st, ref_layout_pc_edges, ARRAY_SIZE(ref_layout_pc_edges), pc_owned,
		       ARRAY_SIZE(pc_owned));
	assert_int_equal(ept_translate(&ept, 0, NULL, NULL, &mt, &level), 0);
	assert_int_equal(mt, MTRR_TYPE_UC);
	assert_int_equal(level, 1); /* the owned page at 0x1000 shares its 2 MiB */
	assert_int_equal(ept_translate(&ept, 0x80000000, NULL, NULL, &mt, &level), 0);
	assert_int_equal(level, 3);
	/* PML4, PDPT, PDs for GiB 0, 1, 4 and 5 (owned pages only), PTs for 0, 6M, 8M,
	 * 0x3FE00000, 0x40000000, 0x13FE00000, 0x140000000. */
	assert_int_equal(ept.pages_used, 1 + 1 + 4 + 7);
}

/* The common alternative: default WB, UC holes for MMIO, nothing 1 GiB aligned. */
static void test_default_wb_layout(void **state)
{
	static const uint64_t edges[] = { 0x80000000, 0xFEC00000, 0xFEC01000, 0xFEE00000,
					  0xFEE01000, 0x100000000, 0x23F800000, 0x240000000 };

	(void)state;
	ref_state_init(&st, 38, 8, MTRR_TYPE_WB | REF_E | REF_FE);
	ref_set_fixed(&st, 0, 0xA0000, MTRR_TYPE_WB);
	ref_set_fixed(&st, 0xA0000, 0xC0000, MTRR_TYPE_UC);
	ref_set_fixed(&st, 0xC0000, 0x100000, MTRR_TYPE_WP);
	ref_set_var(&st, 0, 0x80000000, 1ULL << 31, MTRR_TYPE_UC);
	ref_set_var(&st, 1, 0xFEC00000, 0x1000, MTRR_TYPE_UC);
	ref_set_var(&st, 2, 0xFEE00000, 0x1000, MTRR_TYPE_UC);
	ref_set_var(&st, 3, 0x23F800000, 8ULL << 20, MTRR_TYPE_UC);
	ref_set_var(&st, 4, 0xE0000000, 1ULL << 28, MTRR_TYPE_WC); /* WC + UC -> UC */
	assert_int_equal(build(38, true, true, pc_owned, ARRAY_SIZE(pc_owned)), 0);
	check_identity(&ept, &st, edges, ARRAY_SIZE(edges), pc_owned, ARRAY_SIZE(pc_owned));
}

/* Random register files and random owned ranges, sampled around every boundary. */
static void random_layout(struct mtrr_state *s, struct ept_range *owned, size_t n_owned,
			  uint64_t *edges, size_t *n_edges)
{
	static const uint8_t types[] = { MTRR_TYPE_UC, MTRR_TYPE_WC, MTRR_TYPE_WT, MTRR_TYPE_WP,
					 MTRR_TYPE_WB };

	ref_state_init(s, 36, 8, types[rng() % 5] | REF_E | ((rng() & 1) ? REF_FE : 0));
	for (unsigned i = 0; i < MTRR_NUM_FIXED; i++)
		for (unsigned b = 0; b < 8; b++)
			s->fixed[i] |= (uint64_t)types[rng() % 5] << (8 * b);
	*n_edges = 0;
	for (unsigned n = 0; n < 8; n++) {
		unsigned order = 12 + (unsigned)(rng() % 23);
		uint64_t base = (rng() % (1ULL << 35)) & ~((1ULL << order) - 1);

		ref_set_var(s, n, base, 1ULL << order, types[rng() % 5]);
		edges[(*n_edges)++] = base;
		edges[(*n_edges)++] = base + (1ULL << order);
	}
	for (size_t i = 0; i < n_owned; i++) {
		owned[i].base = (rng() % (1ULL << 35)) & ~0xFFFULL;
		owned[i].size = (1 + rng() % 1024) * 4096;
	}
}

static void test_random_layouts(void **state)
{
	struct ept_range owned[4];
	uint64_t edges[16];
	size_t n_edges;

	(void)state;
	for (int trial = 0; trial < 40; trial++) {
		random_layout(&st, owned, ARRAY_SIZE(owned), edges, &n_edges);
		assert_int_equal(build(36, trial & 1, true, owned, ARRAY_SIZE(owned)), 0);
		check_identity(&ept, &st, edges, n_edges, owned, ARRAY_SIZE(owned));
	}
}

static void test_table_memory(void **state)
{
	size_t p;

	(void)state;
	ref_layout_pc(&st, 36);
	assert_int_equal(build(36, true, true, pc_owned, ARRAY_SIZE(pc_owned)), 0);
	p = report("4 GiB RAM, MAXPHYADDR 36 (64 GiB), 1G pages");
	assert_true(p <= 16);
	assert_int_equal(build(36, false, true, pc_owned, ARRAY_SIZE(pc_owned)), 0);
	p = report("4 GiB RAM, MAXPHYADDR 36 (64 GiB), 2M pages");
	assert_true(p <= 2 + 64 + 12);
	ref_layout_pc(&st, 40);
	assert_int_equal(build(40, true, true, pc_owned, ARRAY_SIZE(pc_owned)), 0);
	p = report("4 GiB RAM, MAXPHYADDR 40 (1 TiB), 1G pages");
	check_identity(&ept, &st, ref_layout_pc_edges, ARRAY_SIZE(ref_layout_pc_edges), pc_owned,
		       ARRAY_SIZE(pc_owned));
	assert_true(p <= 16);
	assert_int_equal(build(40, false, true, pc_owned, ARRAY_SIZE(pc_owned)), 0);
	p = report("4 GiB RAM, MAXPHYADDR 40 (1 TiB), 2M pages");
	check_identity(&ept, &st, ref_layout_pc_edges, ARRAY_SIZE(ref_layout_pc_edges), pc_owned,
		       ARRAY_SIZE(pc_owned));
	assert_true(p <= 3 + 1024 + 12);
	/* All of 1 TiB as WB RAM with the usual 3-4 GiB hole. */
	ref_state_init(&st, 40, 2, MTRR_TYPE_WB | REF_E);
	ref_set_var(&st, 0, 0xC0000000, 1ULL << 30, MTRR_TYPE_UC);
	assert_int_equal(build(40, true, true, pc_owned, 0), 0);
	p = report("1 TiB WB RAM, MAXPHYADDR 40, 1G pages");
	assert_int_equal(p, 3);
}

static void test_eptp(void **state)
{
	(void)state;
	ref_layout_pc(&st, 36);
	assert_int_equal(build(36, true, true, NULL, 0), 0);
	assert_int_equal(ept.pml4_pa, ARENA_PA);
	assert_int_equal(ept_pointer(&ept, false), ARENA_PA | (3 << 3) | 6);
	assert_int_equal(ept_pointer(&ept, true), ARENA_PA | (1 << 6) | (3 << 3) | 6);
}

static void test_errors(void **state)
{
	struct ept_caps caps = { .page_1g = false, .page_2m = true, .maxphyaddr = 36 };
	struct ept_range bad = { 0x1800, 0x1000 };

	(void)state;
	ref_layout_pc(&st, 36);
	arena_reset(10);
	assert_int_equal(ept_build_identity(&ept, &caps, &st, NULL, 0, &alloc), EPT_ENOMEM);
	arena_reset(ARENA_PAGES);
	assert_int_equal(ept_build_identity(&ept, &caps, &st, &bad, 1, &alloc), EPT_EINVAL);
	caps.maxphyaddr = 60;
	assert_int_equal(ept_build_identity(&ept, &caps, &st, NULL, 0, &alloc), EPT_EINVAL);
	/* Table pages must be addressable with MAXPHYADDR bits. */
	caps.maxphyaddr = 36;
	arena.pa_base = 1ULL << 36;
	assert_int_equal(ept_build_identity(&ept, &caps, &st, NULL, 0, &alloc), EPT_EINVAL);
	arena.pa_base = ARENA_PA;
	/* Map arguments: alignment, write-only (a misconfiguration), reserved types. */
	assert_int_equal(build(36, true, true, NULL, 0), 0);
	assert_int_equal(ept_map_4k(&ept, 0x1001, 0x1000, EPT_RWX, MTRR_TYPE_WB, &alloc), EPT_EINVAL);
	assert_int_equal(ept_map_4k(&ept, 0x1000, 0x1800, EPT_RWX, MTRR_TYPE_WB, &alloc), EPT_EINVAL);
	assert_int_equal(ept_map_4k(&ept, 0x1000, 0x1000, EPT_WRITE, MTRR_TYPE_WB, &alloc), EPT_EINVAL);
	assert_int_equal(ept_map_4k(&ept, 0x1000, 0x1000, EPT_RWX, 2, &alloc), EPT_EINVAL);
	assert_int_equal(ept_map_4k(&ept, 0x1000, 0x1000, EPT_RWX, 7, &alloc), EPT_EINVAL);
	assert_int_equal(ept_map_4k(&ept, 0x1000, 1ULL << 36, EPT_READ, 6, &alloc), EPT_EINVAL);
	assert_int_equal(ept_map_4k(&ept, 1ULL << 48, 0, EPT_READ, 6, &alloc), EPT_EINVAL);
	assert_int_equal(ept_translate(&ept, 1ULL << 48, NULL, NULL, NULL, NULL), EPT_EINVAL);
	/* Out of table memory while splitting. */
	arena.npages = arena.used;
	assert_int_equal(ept_map_4k(&ept, 0x800000000, 0x1000, EPT_READ, 6, &alloc), EPT_ENOMEM);
}

/* ---- ept_map_4k ---- */

static void test_map_4k_splits(void **state)
{
	uint64_t hpa;
	unsigned perms, level;
	uint8_t mt;
	const uint64_t gib = 0x800000000; /* GiB 32: one 1 GiB UC page */
	const uint64_t gpa = gib + 0x12345000;

	(void)state;
	ref_layout_pc(&st, 36);
	assert_int_equal(build(36, true, true, NULL, 0), 0);
	size_t before = ept.pages_used;
	assert_int_equal(ept_map_4k(&ept, gpa, 0x5000, EPT_READ | EPT_EXECUTE, MTRR_TYPE_WB, &alloc), 0);
	assert_int_equal(ept.pages_used, before + 2); /* a PD and a PT */
	assert_int_equal(ept_translate(&ept, gpa + 0x10, &hpa, &perms, &mt, &level), 0);
	assert_int_equal(hpa, 0x5010);
	assert_int_equal(perms, EPT_READ | EPT_EXECUTE);
	assert_int_equal(mt, MTRR_TYPE_WB);
	assert_int_equal(level, 1);
	/* The other 511 pages of its 2 MiB and the other 511 2 MiB pages keep translating. */
	for (uint64_t p = gpa & ~0x1FFFFFULL; p < (gpa & ~0x1FFFFFULL) + 0x200000; p += 4096) {
		if (p == gpa)
			continue;
		assert_int_equal(ept_translate(&ept, p, &hpa, &perms, &mt, &level), 0);
		assert_int_equal(hpa, p);
		assert_int_equal(perms, EPT_RWX);
		assert_int_equal(mt, MTRR_TYPE_UC);
		assert_int_equal(level, 1);
	}
	for (uint64_t p = gib; p < gib + (1ULL << 30); p += 0x200000) {
		if (p == (gpa & ~0x1FFFFFULL))
			continue;
		assert_int_equal(ept_translate(&ept, p + 0x1000, &hpa, NULL, &mt, &level), 0);
		assert_int_equal(hpa, p + 0x1000);
		assert_int_equal(level, 2);
		assert_int_equal(mt, MTRR_TYPE_UC);
	}
	/* A second page in the same 2 MiB needs no new table; perms 0 unmaps. */
	assert_int_equal(ept_map_4k(&ept, gpa + 0x1000, 0, 0, 0, &alloc), 0);
	assert_int_equal(ept_translate(&ept, gpa + 0x1000, NULL, NULL, NULL, &level), EPT_ENOTPRESENT);
	assert_int_equal(level, 1);
	assert_int_equal(ept.pages_used, before + 2);
	/* Above MAXPHYADDR (still below 2^48): tables are created. */
	assert_int_equal(ept_map_4k(&ept, 1ULL << 40, 0x7000, EPT_RWX, MTRR_TYPE_UC, &alloc), 0);
	assert_int_equal(ept_translate(&ept, (1ULL << 40) + 8, &hpa, NULL, NULL, NULL), 0);
	assert_int_equal(hpa, 0x7008);
	assert_int_equal(ept.pages_used, before + 2 + 3);
	assert_int_equal(ept.pages_used, arena.used);
}

/* ---- ept_update_memtypes after guest MTRR writes ---- */

struct snap {
	uint64_t gpa;
	int rc;
	uint64_t hpa;
	uint8_t mt;
};

static struct snap *snapshot(const struct samples *s)
{
	struct snap *v = calloc(s->n, sizeof(*v));

	assert_non_null(v);
	for (size_t i = 0; i < s->n; i++) {
		v[i].gpa = s->gpa[i];
		v[i].rc = ept_translate(&ept, s->gpa[i], &v[i].hpa, NULL, &v[i].mt, NULL);
	}
	return v;
}

/* Guest writes (msr, value) pairs, we re-type [base, base + size); then every page in that
 * range has its new reference type, every page outside keeps its old type, and no
 * translation or presence changes. Returns the number of sampled pages whose type changed. */
static size_t guest_mtrr_write(const uint32_t *msr, const uint64_t *val, size_t n, uint64_t base,
			       uint64_t size, const uint64_t *edges, size_t n_edges)
{
	struct samples smp = { 0 };
	size_t changed = 0;

	samples_standard(&smp, 1ULL << ept.maxphyaddr, ref_layout_pc_edges,
			 ARRAY_SIZE(ref_layout_pc_edges), pc_owned, ARRAY_SIZE(pc_owned));
	for (size_t i = 0; i < n_edges; i++)
		samples_around(&smp, edges[i], 1ULL << ept.maxphyaddr);
	samples_unique(&smp);
	struct snap *old = snapshot(&smp);
	for (size_t i = 0; i < n; i++)
		assert_true(mtrr_state_write(&st, msr[i], val[i]));
	assert_int_equal(ept_update_memtypes(&ept, &st, base, size, &alloc), 0);
	struct snap *now = snapshot(&smp);
	for (size_t i = 0; i < smp.n; i++) {
		bool inside = smp.gpa[i] >= base && smp.gpa[i] < base + size;

		assert_int_equal(now[i].rc, old[i].rc);
		assert_int_equal(now[i].hpa, old[i].hpa);
		if (inside)
			check_page(&ept, &st, pc_owned, ARRAY_SIZE(pc_owned), smp.gpa[i]);
		if (old[i].rc != 0)
			continue; /* owned: check_page saw a zero entry */
		changed += now[i].mt != old[i].mt;
		if (!inside)
			assert_int_equal(now[i].mt, old[i].mt);
	}
	assert_int_equal(ept.pages_used, arena.used);
	free(old);
	free(now);
	free(smp.gpa);
	return changed;
}

static void test_update_splits_1g(void **state)
{
	/* PHYSBASE7/PHYSMASK7: 2 MiB WB at 6 GiB + 2 MiB, inside a 1 GiB UC page. */
	const uint32_t msr[] = { 0x20E, 0x20F };
	const uint64_t val[] = { 0x180200000 | MTRR_TYPE_WB, 0xFFFE00000 | REF_V };
	const uint64_t edges[] = { 0x180200000, 0x180400000 };
	unsigned level;
	uint8_t mt;

	(void)state;
	ref_layout_pc(&st, 36);
	assert_int_equal(build(36, true, true, pc_owned, ARRAY_SIZE(pc_owned)), 0);
	size_t before = ept.pages_used;
	/* The guest's update region is the whole GiB the pair could affect. */
	assert_true(guest_mtrr_write(msr, val, 2, 0x180000000, 1ULL << 30, edges, 2) > 0);
	assert_int_equal(ept.pages_used, before + 1); /* one PD, no PT */
	assert_int_equal(ept_translate(&ept, 0x180200000, NULL, NULL, &mt, &level), 0);
	assert_int_equal(mt, MTRR_TYPE_WB);
	assert_int_equal(level, 2);
	assert_int_equal(ept_translate(&ept, 0x180400000, NULL, NULL, &mt, &level), 0);
	assert_int_equal(mt, MTRR_TYPE_UC);
	assert_int_equal(level, 2);
	assert_int_equal(ept_translate(&ept, 0x1C0000000, NULL, NULL, &mt, &level), 0);
	assert_int_equal(level, 3);
}

/* Issue 20, finding 6: one PHYSMASK with a hole (bit 12 only: every other 4 KiB page
 * UC) asks for every large page to split. With too few pages the retype changes
 * nothing (it used to split until the pool ran dry, leaving the map half retyped);
 * the count says what it would take; with enough pages it is done whole. */
static void test_update_discontinuous_mask_all_or_nothing(void **state)
{
	(void)state;
	ref_layout_pc(&st, 36);
	assert_int_equal(build(36, true, true, pc_owned, ARRAY_SIZE(pc_owned)), 0);
	size_t before = ept.pages_used;
	arena.npages = arena.used + 40; /* 40 pages left */
	uint8_t *copy = malloc(arena.used * 4096);
	assert_non_null(copy);
	memcpy(copy, arena.mem, arena.used * 4096);

	struct mtrr_state next = st;
	assert_true(mtrr_state_write(&next, 0x20E, 0x0 | MTRR_TYPE_UC));
	assert_true(mtrr_state_write(&next, 0x20F, 0x1000 | REF_V)); /* mask bit 12 only */
	size_t need_4g = ept_memtypes_pages_needed(&ept, &next, 0, 1ULL << 32, SIZE_MAX);
	/* The first 4 GiB: 4 GiB / 2 MiB = 2048 PTs, plus the PDs of the 1 GiB pages split. */
	/* Every 2 MiB page of it that is not uniformly UC anyway (the PCI hole) takes a PT. */
	assert_true(need_4g > 1024 && need_4g <= 2048 + 4);
	assert_int_equal(ept_memtypes_pages_needed(&ept, &next, 0, 1ULL << 36, 100), 101); /* stops past the cap */

	assert_int_equal(ept_update_memtypes(&ept, &next, 0, 1ULL << 36, &alloc_counted), EPT_ENOMEM);
	assert_int_equal(ept.pages_used, before);
	assert_int_equal(arena.used, before);
	assert_memory_equal(copy, arena.mem, before * 4096); /* not one entry changed */

	/* The first 4 GiB, with the pages it needs: done whole, exactly the pages counted,
	 * every page typed. */
	arena.npages = ARENA_PAGES;
	assert_int_equal(ept_update_memtypes(&ept, &next, 0, 1ULL << 32, &alloc_counted), 0);
	assert_int_equal(ept.pages_used, before + need_4g);
	for (uint64_t gpa = 0x100000; gpa < (1ULL << 32); gpa += 0x1234000) {
		uint8_t mt;
		if (ept_translate(&ept, gpa, NULL, NULL, &mt, NULL) == 0)
			assert_int_equal(mt, mtrr_type_of(&next, gpa));
	}
	assert_int_equal(ept_memtypes_pages_needed(&ept, &next, 0, 1ULL << 32, SIZE_MAX), 0);
	free(copy);
}

static void test_update_one_page(void **state)
{
	/* One 4 KiB WT page inside a 2 MiB WB page; the update range is exactly that page. */
	const uint32_t msr[] = { 0x20E, 0x20F };
	const uint64_t val[] = { 0x12345000 | MTRR_TYPE_WT, 0xFFFFFF000 | REF_V };
	const uint64_t edges[] = { 0x12345000, 0x12346000 };
	unsigned level;
	uint8_t mt;

	(void)state;
	ref_layout_pc(&st, 36);
	assert_int_equal(build(36, true, true, pc_owned, ARRAY_SIZE(pc_owned)), 0);
	size_t before = ept.pages_used;
	assert_int_equal(guest_mtrr_write(msr, val, 2, 0x12345000, 0x1000, edges, 2), 1);
	assert_int_equal(ept.pages_used, before + 1); /* one PT */
	assert_int_equal(ept_translate(&ept, 0x12345000, NULL, NULL, &mt, &level), 0);
	assert_int_equal(mt, MTRR_TYPE_WT);
	assert_int_equal(level, 1);
	assert_int_equal(ept_translate(&ept, 0x12344000, NULL, NULL, &mt, &level), 0);
	assert_int_equal(mt, MTRR_TYPE_WB);
	/* Removing it again (V = 0): the page goes back to WB, the PT stays. */
	const uint32_t msr2[] = { 0x20F };
	const uint64_t val2[] = { 0 };
	assert_int_equal(guest_mtrr_write(msr2, val2, 1, 0x12345000, 0x1000, edges, 2), 1);
	assert_int_equal(ept.pages_used, before + 1);
}

static void test_update_partial_range_keeps_large(void **state)
{
	/* The update range covers part of a 1 GiB UC page whose type does not change there:
	 * no split. Then a change in part of a 2 MiB page: split, only that part changes. */
	const uint32_t msr[] = { MSR_IA32_MTRR_DEF_TYPE };
	const uint64_t val[] = { MTRR_TYPE_UC | REF_E | REF_FE };
	const uint32_t msr2[] = { 0x20E, 0x20F };
	const uint64_t val2[] = { 0x1FF000000 | MTRR_TYPE_WP, 0xFFF000000 | REF_V };
	const uint64_t edges[] = { 0x1FF000000, 0x1FF101000, 0x200000000 };

	(void)state;
	ref_layout_pc(&st, 36);
	assert_int_equal(build(36, true, true, pc_owned, ARRAY_SIZE(pc_owned)), 0);
	size_t before = ept.pages_used;
	assert_int_equal(guest_mtrr_write(msr, val, 1, 0x180001000, 0x5000, edges, 0), 0);
	assert_int_equal(ept.pages_used, before);
	/* 16 MiB WP at 0x1FF000000 (GiB 7 UC); update only its first 1 MiB + 4 KiB. */
	assert_true(guest_mtrr_write(msr2, val2, 2, 0x1FF000000, 0x101000, edges, 3) > 0);
	assert_int_equal(ept.pages_used, before + 2); /* a PD, and a PT for the partial 2 MiB */
	uint8_t mt;
	assert_int_equal(ept_translate(&ept, 0x1FF100000, NULL, NULL, &mt, NULL), 0);
	assert_int_equal(mt, MTRR_TYPE_WP);
	assert_int_equal(ept_translate(&ept, 0x1FF101000, NULL, NULL, &mt, NULL), 0);
	assert_int_equal(mt, MTRR_TYPE_UC); /* outside the announced range: untouched */
}

static void test_update_whole_space(void **state)
{
	/* Default type UC -> WB over everything, then MTRRs off: owned pages stay not present,
	 * uniform large pages just change type. */
	const uint32_t msr[] = { MSR_IA32_MTRR_DEF_TYPE };
	const uint64_t wb[] = { MTRR_TYPE_WB | REF_E | REF_FE };
	const uint64_t off[] = { MTRR_TYPE_WB };

	(void)state;
	ref_layout_pc(&st, 36);
	assert_int_equal(build(36, true, true, pc_owned, ARRAY_SIZE(pc_owned)), 0);
	size_t before = ept.pages_used;
	assert_true(guest_mtrr_write(msr, wb, 1, 0, 1ULL << 36, NULL, 0) > 0);
	assert_int_equal(ept.pages_used, before);
	assert_true(guest_mtrr_write(msr, off, 1, 0, 1ULL << 36, NULL, 0) > 0);
	assert_int_equal(ept.pages_used, before);
	check_identity(&ept, &st, ref_layout_pc_edges, ARRAY_SIZE(ref_layout_pc_edges), pc_owned,
		       ARRAY_SIZE(pc_owned));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pc_layout),
		cmocka_unit_test(test_pc_layout_no_1g),
		cmocka_unit_test(test_pc_layout_4k_only),
		cmocka_unit_test(test_mtrrs_disabled),
		cmocka_unit_test(test_default_wb_layout),
		cmocka_unit_test(test_random_layouts),
		cmocka_unit_test(test_table_memory),
		cmocka_unit_test(test_eptp),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_map_4k_splits),
		cmocka_unit_test(test_update_splits_1g),
		cmocka_unit_test(test_update_discontinuous_mask_all_or_nothing),
		cmocka_unit_test(test_update_one_page),
		cmocka_unit_test(test_update_partial_range_keeps_large),
		cmocka_unit_test(test_update_whole_space),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
