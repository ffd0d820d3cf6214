/* Fuzz target: ept/ept.c, a differential fuzzer. ept_build_identity() runs over a bounded
 * heap arena with a random MTRR state (tests/fuzz/fuzz_mtrr_state.h), random CPU
 * capabilities and random owned ranges; ept_map_4k() and guest MTRR writes followed by
 * ept_update_memtypes() (what vmx/exit/exit_msr.c does) then change it. A model of each
 * sampled guest-physical address says what ept_translate() must answer, from
 * mtrr_type_of(), which is the reference:
 *   built:    an owned page or one at or above 2^min(MAXPHYADDR, 48) is not present; any
 *             other translates to itself, RWX, with the MTRR type of its page;
 *   map_4k:   the page takes the new translation (or none); a refused call (EINVAL, or
 *             ENOMEM: splits keep the translation) changes nothing;
 *   update:   every present page overlapping the range takes the new MTRR type, every page
 *             outside keeps its type; after ENOMEM only the pages outside are checked.
 * Also: a refused build (EINVAL for bad arguments, ENOMEM when the arena runs out) is
 * allowed, a build with valid arguments and enough pages is not refused with EINVAL, and
 * the walker only ever follows tables it was given.
 *
 * Input: the MTRR state; capability flags and MAXPHYADDR; owned ranges; sample addresses;
 * then operations.
 */
// fuzz-srcs: ept/ept.c arch/mtrr.c

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ept/ept.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_mtrr_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ARENA_PAGES 32
#define ARENA_PA 0x40000000ULL
#define MAX_OWNED 4
#define MAX_SAMPLES 96
#define GPA_LIMIT (1ULL << EPT_GPA_BITS)

struct arena {
	uint8_t *mem;
	size_t used;
};

static struct arena arena;

static void *arena_alloc(void *ctx, uint64_t *pa)
{
	struct arena *a = ctx;
	uint8_t *p;

	if (a->used == ARENA_PAGES)
		return NULL;
	p = a->mem + a->used * 4096;
	memset(p, 0xa5, 4096); /* the builder must zero what it gets */
	*pa = ARENA_PA + a->used * 4096;
	a->used++;
	return p;
}

static void *arena_p2v(void *ctx, uint64_t pa)
{
	struct arena *a = ctx;

	if (pa < ARENA_PA || pa >= ARENA_PA + a->used * 4096 || (pa & 0xfff))
		abort(); /* a table address the allocator never gave out */
	return a->mem + (pa - ARENA_PA);
}

/* What one sampled address must translate to. */
struct expect {
	uint64_t gpa;
	bool unknown; /* after a partial update: not checked any more */
	bool present;
	uint64_t hpa; /* of the page */
	unsigned perms;
	uint8_t memtype;
};

struct run {
	struct ept e;
	struct ept_alloc alloc;
	struct mtrr_state mtrr;
	struct ept_caps caps;
	struct ept_range owned[MAX_OWNED];
	size_t n_owned;
	struct expect sample[MAX_SAMPLES];
	size_t n_samples;
};

static void add_sample(struct run *r, uint64_t gpa)
{
	if (r->n_samples < MAX_SAMPLES)
		r->sample[r->n_samples++].gpa = gpa;
}

static uint64_t map_limit(const struct run *r)
{
	return 1ULL << (r->caps.maxphyaddr < EPT_GPA_BITS ? r->caps.maxphyaddr : EPT_GPA_BITS);
}

static bool owned(const struct run *r, uint64_t gpa)
{
	for (size_t i = 0; i < r->n_owned; i++)
		if (gpa - r->owned[i].base < r->owned[i].size)
			return true;
	return false;
}

static void check_sample(const struct run *r, const struct expect *x)
{
	uint64_t hpa = 0;
	unsigned perms = 0, level = 0;
	uint8_t memtype = 0xee;
	int rc = ept_translate(&r->e, x->gpa, &hpa, &perms, &memtype, &level);

	if (x->gpa >= GPA_LIMIT) {
		if (rc != EPT_EINVAL)
			abort();
		return;
	}
	if (!x->present) {
		if (rc != EPT_ENOTPRESENT || level < EPT_LEVEL_PT || level > EPT_LEVEL_PML4)
			abort();
		return;
	}
	if (rc != 0 || hpa != (x->hpa | (x->gpa & 0xfff)) || perms != x->perms ||
	    memtype != x->memtype || level < EPT_LEVEL_PT || level > EPT_LEVEL_PDPT)
		abort();
}

static void check_all(const struct run *r)
{
	for (size_t i = 0; i < r->n_samples; i++)
		if (!r->sample[i].unknown)
			check_sample(r, &r->sample[i]);
}

/* ---- building ---- */

static void read_owned(struct run *r, struct fz *f)
{
	r->n_owned = fz_u8(f) % (MAX_OWNED + 1);
	for (size_t i = 0; i < r->n_owned; i++) {
		uint8_t how = fz_u8(f);
		uint64_t base = fz_u64(f), size = fz_u32(f);

		if (!(how & 1)) { /* page-aligned, inside the map, a few pages to a few GiB */
			base = base & (map_limit(r) - 1) & ~0xfffULL;
			size = (size % (1u << 20)) << 12;
			if (base + size > map_limit(r))
				size = map_limit(r) - base;
		} else if (how & 2) {
			size = fz_u64(f); /* raw: unaligned, wrapping */
		}
		r->owned[i] = (struct ept_range){ base, size };
	}
}

static bool ranges_valid(const struct run *r)
{
	for (size_t i = 0; i < r->n_owned; i++) {
		const struct ept_range *o = &r->owned[i];

		if ((o->base | o->size) & 0xfff || o->base + o->size < o->base)
			return false;
	}
	return true;
}

static void expect_identity(struct run *r)
{
	for (size_t i = 0; i < r->n_samples; i++) {
		struct expect *x = &r->sample[i];
		uint64_t page = x->gpa & ~0xfffULL;

		x->present = x->gpa < map_limit(r) && !owned(r, x->gpa);
		x->hpa = page;
		x->perms = EPT_RWX;
		x->memtype = x->present ? mtrr_type_of(&r->mtrr, page) : 0;
	}
}

static void read_samples(struct run *r, struct fz *f)
{
	unsigned n = fz_u8(f) % 48;
	uint64_t limit = map_limit(r);

	r->n_samples = 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t v = fz_u64(f);

		add_sample(r, (v & 1) ? v >> 1 : (v >> 1) % (limit + 0x1000));
	}
	for (size_t i = 0; i < r->n_owned; i++) {
		add_sample(r, r->owned[i].base - 1);
		add_sample(r, r->owned[i].base);
		add_sample(r, r->owned[i].base + r->owned[i].size - 1);
		add_sample(r, r->owned[i].base + r->owned[i].size);
	}
	add_sample(r, 0);
	add_sample(r, 0xfffff);
	add_sample(r, limit - 1);
	add_sample(r, limit);
	add_sample(r, GPA_LIMIT);
}

/* ---- operations ---- */

/* A successful ept_map_4k(): the samples in that page take the new translation. */
static void map_expect(struct run *r, uint64_t gpa, uint64_t hpa, unsigned perms, uint8_t memtype)
{
	for (size_t i = 0; i < r->n_samples; i++) {
		struct expect *x = &r->sample[i];

		if ((x->gpa & ~0xfffULL) != gpa)
			continue;
		*x = (struct expect){ x->gpa, false, perms != 0, hpa, perms, perms ? memtype : 0 };
	}
}

static void op_map(struct run *r, struct fz *f)
{
	uint64_t gpa = fz_u64(f), hpa = fz_u64(f);
	uint8_t how = fz_u8(f);
	unsigned perms = how & 7;
	uint8_t memtype = fz_mtrr_type(f);

	if (!(how & 8)) { /* an address in the map, often a sampled one */
		gpa = ((how & 16) && r->n_samples ? r->sample[gpa % r->n_samples].gpa : gpa % map_limit(r)) &
		      ~0xfffULL;
		hpa = hpa % map_limit(r) & ~0xfffULL;
	}
	if (ept_map_4k(&r->e, gpa, hpa, perms, memtype, &r->alloc) == 0)
		map_expect(r, gpa, hpa, perms, memtype);
	check_all(r); /* after a refusal: unchanged */
}

static void op_mtrr_update(struct run *r, struct fz *f)
{
	struct mtrr_state next = r->mtrr;
	uint32_t msr = fz_mtrr_msr(f);
	uint64_t base = 0, size = map_limit(r); /* what vmx/exit/exit_msr.c re-types */
	uint8_t how = fz_u8(f);

	mtrr_state_write(&next, msr, fz_mtrr_value(f, &next, msr));
	if (how & 1) {
		base = fz_u64(f) % (GPA_LIMIT + 0x10000);
		size = (how & 2) ? fz_u64(f) : fz_u32(f);
	}
	r->mtrr = next;
	int rc = ept_update_memtypes(&r->e, &r->mtrr, base, size, &r->alloc);
	bool bad = size && (base + size < base || base >= GPA_LIMIT);

	if (bad ? rc != EPT_EINVAL : (rc != 0 && rc != EPT_ENOMEM))
		abort();
	for (size_t i = 0; rc != EPT_EINVAL && size && i < r->n_samples; i++) {
		struct expect *x = &r->sample[i];
		uint64_t page = x->gpa & ~0xfffULL;

		/* the pages that overlap [base, base + size) */
		if (!x->present || page < (base & ~0xfffULL) || page >= base + size)
			continue;
		if (rc == EPT_ENOMEM)
			x->unknown = true; /* re-typed or not: a split may have run out */
		else
			x->memtype = mtrr_type_of(&r->mtrr, page);
	}
	check_all(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run r;
	struct fz f = fz_start(data, size);

	if (!arena.mem && !(arena.mem = aligned_alloc(4096, ARENA_PAGES * 4096ULL)))
		abort();
	arena.used = 0;
	memset(&r, 0, sizeof(r));
	r.alloc = (struct ept_alloc){ arena_alloc, arena_p2v, &arena, NULL };
	fz_mtrr_state(&f, &r.mtrr);
	uint8_t caps = fz_u8(&f);
	r.caps = (struct ept_caps){ caps & 1, caps & 2, caps & 4, 32 + fz_u8(&f) % 24 };
	if (caps & 8)
		r.caps.maxphyaddr = fz_u8(&f); /* anything, 0..255 */
	bool args_ok = r.caps.maxphyaddr >= 32 && r.caps.maxphyaddr <= 52;

	if (args_ok) /* map_limit() needs a sane width */
		read_owned(&r, &f);
	args_ok = args_ok && ranges_valid(&r);
	int rc = ept_build_identity(&r.e, &r.caps, &r.mtrr, r.owned, r.n_owned, &r.alloc);

	if (!args_ok || rc != 0) {
		if (args_ok ? rc != EPT_ENOMEM : rc != EPT_EINVAL)
			abort();
		return 0;
	}
	read_samples(&r, &f);
	expect_identity(&r);
	check_all(&r);
	while (!fz_empty(&f)) {
		if (fz_u8(&f) & 1)
			op_map(&r, &f);
		else
			op_mtrr_update(&r, &f);
	}
	return 0;
}
