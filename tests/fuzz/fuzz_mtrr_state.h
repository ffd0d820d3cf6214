/* MTRR states from fuzzer input, for tests/fuzz/fuzz_mtrr.c and fuzz_ept.c. Two ways:
 * raw (every register set directly, as firmware leaves them for mtrr_read_state(),
 * reserved bits and types included) or written (a capability word, then guest WRMSRs that
 * mtrr_state_write() accepts or refuses). Header-only. */
#ifndef VMXRAY_TESTS_FUZZ_MTRR_STATE_H
#define VMXRAY_TESTS_FUZZ_MTRR_STATE_H
#include <string.h>

#include "arch/mtrr.h"
#include "tests/fuzz/fuzz_input.h"

static const uint32_t fz_fixed_msrs[MTRR_NUM_FIXED] = {
	MSR_IA32_MTRR_FIX64K_00000, MSR_IA32_MTRR_FIX16K_80000, MSR_IA32_MTRR_FIX16K_A0000,
	MSR_IA32_MTRR_FIX4K_C0000,  MSR_IA32_MTRR_FIX4K_C8000,  MSR_IA32_MTRR_FIX4K_D0000,
	MSR_IA32_MTRR_FIX4K_D8000,  MSR_IA32_MTRR_FIX4K_E0000,  MSR_IA32_MTRR_FIX4K_E8000,
	MSR_IA32_MTRR_FIX4K_F0000,  MSR_IA32_MTRR_FIX4K_F8000,
};

/* An MSR number: mostly an MTRR (or one next to them), sometimes anything. */
static inline uint32_t fz_mtrr_msr(struct fz *f)
{
	uint8_t sel = fz_u8(f);

	if (sel < 2)
		return sel ? MSR_IA32_MTRR_DEF_TYPE : MSR_IA32_MTRRCAP;
	if (sel < 2 + MTRR_NUM_FIXED)
		return fz_fixed_msrs[sel - 2];
	if (sel < 2 + MTRR_NUM_FIXED + 2 * MTRR_MAX_VAR + 2)
		return MSR_IA32_MTRR_PHYSBASE0 + (sel - 2 - MTRR_NUM_FIXED) - 1;
	return sel < 250 ? MSR_IA32_MTRR_PHYSBASE0 + sel : fz_u32(f);
}

/* Bits MAXPHYADDR-1:12 as arch/mtrr.c takes them (36 when unknown, 13..52). */
static inline unsigned fz_mtrr_width(const struct mtrr_state *s)
{
	unsigned m = s->maxphyaddr ? s->maxphyaddr : 36;

	return m > 52 ? 52 : m < 13 ? 13 : m;
}

static inline uint8_t fz_mtrr_type(struct fz *f)
{
	static const uint8_t types[8] = { MTRR_TYPE_UC, MTRR_TYPE_WC, MTRR_TYPE_WT, MTRR_TYPE_WP,
					  MTRR_TYPE_WB, MTRR_TYPE_WB, 2, 7 };

	return types[fz_u8(f) & 7];
}

/* A value for an MTRR: usually one firmware could write (valid types, a contiguous mask
 * within MAXPHYADDR), sometimes the fuzzer's raw bits (discontinuous masks, reserved
 * bits and types). */
static inline uint64_t fz_mtrr_value(struct fz *f, const struct mtrr_state *s, uint32_t msr)
{
	unsigned m = fz_mtrr_width(s);
	uint8_t how = fz_u8(f);
	uint64_t v = 0;

	if (how & 1)
		return fz_u64(f);
	if (msr == MSR_IA32_MTRR_DEF_TYPE)
		return fz_mtrr_type(f) | (how & 0xc0ULL) << 4; /* E and FE */
	if (msr >= MSR_IA32_MTRR_FIX64K_00000) {
		for (unsigned i = 0; i < 8; i++)
			v |= (uint64_t)fz_mtrr_type(f) << (8 * i);
		return v;
	}
	if (msr & 1) /* PHYSMASKn */
		return bits_mask(m - 1, 12 + fz_u8(f) % (m - 12)) | ((how & 2) ? 0 : MTRR_PHYSMASK_V);
	return (fz_u64(f) & bits_mask(m - 1, 12)) | fz_mtrr_type(f);
}

/* Fills s from the input; returns true for the raw kind. */
static inline bool fz_mtrr_state(struct fz *f, struct mtrr_state *s)
{
	uint8_t kind = fz_u8(f);

	memset(s, 0, sizeof(*s));
	s->maxphyaddr = fz_u8(f) % 64;
	if (kind & 1) {
		s->cap = fz_u64(f);
		s->def_type = fz_mtrr_value(f, s, MSR_IA32_MTRR_DEF_TYPE);
		for (unsigned i = 0; i < MTRR_NUM_FIXED; i++)
			s->fixed[i] = fz_mtrr_value(f, s, fz_fixed_msrs[i]);
		for (unsigned i = 0; i < MTRR_MAX_VAR; i++) {
			s->var[i].base = fz_mtrr_value(f, s, MSR_IA32_MTRR_PHYSBASE0 + 2 * i);
			s->var[i].mask = fz_mtrr_value(f, s, MSR_IA32_MTRR_PHYSMASK0 + 2 * i);
		}
		return true;
	}
	s->cap = fz_u16(f);
	unsigned writes = fz_u8(f) % 24;
	for (unsigned i = 0; i < writes; i++) {
		uint32_t msr = fz_mtrr_msr(f);

		mtrr_state_write(s, msr, fz_mtrr_value(f, s, msr));
	}
	return false;
}

#endif
