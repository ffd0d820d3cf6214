/* Fuzz target: arch/mtrr.c, the MTRR memory-type resolver and the validation of guest
 * WRMSRs to the MTRRs. The state comes from firmware (read at start) and from the guest
 * (every MTRR write traps), so any state and any write must be handled.
 *
 * Input: an MTRR state (tests/fuzz/fuzz_mtrr_state.h), then operations of (op byte, two
 * 64-bit words):
 *   type:    mtrr_type_of(pa) is a defined type, the same for every byte of pa's page;
 *   uniform: mtrr_range_is_uniform(base, size) against mtrr_type_of() on every page of
 *            the range when it spans at most 64 pages (a differential check), on sampled
 *            pages when it is larger;
 *   write:   mtrr_state_write() either changes only the register written, which then
 *            reads back the value, or refuses and changes nothing;
 *   read:    mtrr_state_read() answers only for MTRRs.
 */
// fuzz-srcs: arch/mtrr.c

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_mtrr_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EXACT_PAGES 64
#define SAMPLES 16

static uint8_t page_type(const struct mtrr_state *s, uint64_t pa)
{
	uint8_t t = mtrr_type_of(s, pa & ~0xfffULL);

	if (!mtrr_type_valid(t) || mtrr_type_of(s, pa) != t)
		abort(); /* no MTRR boundary lies inside a 4 KiB page */
	return t;
}

static void op_uniform(const struct mtrr_state *s, uint64_t base, uint64_t size)
{
	uint8_t type = 0xee;
	bool uniform = mtrr_range_is_uniform(s, base, size, &type);

	if (size == 0 || base + (size - 1) < base) {
		if (uniform)
			abort();
		return;
	}
	uint64_t first = base >> 12, last = (base + size - 1) >> 12;

	if (last - first < EXACT_PAGES) {
		bool same = true;
		uint8_t t0 = page_type(s, base);

		for (uint64_t p = first + 1; p <= last; p++)
			same &= page_type(s, p << 12) == t0;
		if (uniform != same || (uniform && type != t0))
			abort();
		return;
	}
	if (!uniform)
		return; /* a mixed range would take too long to confirm page by page */
	if (page_type(s, base) != type || page_type(s, base + size - 1) != type)
		abort();
	for (unsigned i = 1; i <= SAMPLES; i++) {
		uint64_t p = first + (last - first) / (SAMPLES + 1) * i;

		if (page_type(s, p << 12) != type)
			abort();
	}
}

/* The field of the state that holds an MTRR other than IA32_MTRRCAP. */
static uint64_t *mtrr_reg(struct mtrr_state *s, uint32_t msr)
{
	if (msr == MSR_IA32_MTRR_DEF_TYPE)
		return &s->def_type;
	for (unsigned i = 0; i < MTRR_NUM_FIXED; i++)
		if (fz_fixed_msrs[i] == msr)
			return &s->fixed[i];
	if (msr < MSR_IA32_MTRR_PHYSBASE0 || msr >= MSR_IA32_MTRR_PHYSBASE0 + 2 * MTRR_MAX_VAR)
		abort();
	struct mtrr_var *var = &s->var[(msr - MSR_IA32_MTRR_PHYSBASE0) / 2];

	return (msr & 1) ? &var->mask : &var->base;
}

static void op_write(struct mtrr_state *s, struct fz *f)
{
	uint32_t msr = fz_mtrr_msr(f);
	uint64_t v = fz_mtrr_value(f, s, msr), got = 0;
	struct mtrr_state before = *s;

	if (!mtrr_state_write(s, msr, v)) {
		if (memcmp(&before, s, sizeof(before)) != 0)
			abort();
		return;
	}
	if (!mtrr_is_mtrr_msr(msr) || msr == MSR_IA32_MTRRCAP)
		abort();
	if (!mtrr_state_read(s, msr, &got) || got != v)
		abort();
	*mtrr_reg(s, msr) = *mtrr_reg(&before, msr);
	if (memcmp(&before, s, sizeof(before)) != 0)
		abort(); /* the write changed another register */
	*mtrr_reg(s, msr) = v;
}

static void op_read(const struct mtrr_state *s, uint32_t msr)
{
	uint64_t v;

	if (mtrr_state_read(s, msr, &v) && !mtrr_is_mtrr_msr(msr))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = fz_start(data, size);
	struct mtrr_state s;

	fz_mtrr_state(&f, &s);
	if (mtrr_vcnt(&s) > MTRR_MAX_VAR)
		abort();
	while (!fz_empty(&f)) {
		uint8_t op = fz_u8(&f) % 4;

		if (op == 0) {
			page_type(&s, fz_u64(&f));
		} else if (op == 1) {
			uint64_t base = fz_u64(&f), sz = fz_u64(&f);

			op_uniform(&s, base, sz);
		} else if (op == 2) {
			op_write(&s, &f);
		} else {
			uint32_t msr = fz_mtrr_msr(&f);

			op_read(&s, msr);
		}
	}
	return 0;
}
