/* MTRR snapshot and memory-type resolver, SDM Vol. 3A, 12.11 "Memory Type Range
 * Registers (MTRRs)". Pure: the state is filled by mtrr_read_state() (arch/mtrr_hw.c)
 * or by tests, and updated by mtrr_state_write() when the guest writes an MTRR MSR.
 *
 * The hypervisor gives the guest the host's MTRRs and folds them into the EPT memory
 * type (ept/ept.c): for accesses translated by EPT the EPT memory type takes the place of
 * the MTRR type (SDM Vol. 3C, 29.3.7.2 "Memory Type Used for Translated Guest-Physical
 * Addresses"), so the MTRRs the guest sees must be applied by us. */
#ifndef VMXRAY_ARCH_MTRR_H
#define VMXRAY_ARCH_MTRR_H
#include <stdbool.h>
#include <stdint.h>

#include "arch/bits.h"
#include "arch/msr.h"

/* Memory types, SDM Vol. 3A, 12.11.2 "Setting Memory Ranges with MTRRs" (table "Memory
 * Types That Can Be Encoded in MTRRs"). 2, 3 and 7..255 are reserved. The EPT memory
 * type (bits 5:3 of an EPT leaf entry) uses the same encodings. */
#define MTRR_TYPE_UC 0u
#define MTRR_TYPE_WC 1u
#define MTRR_TYPE_WT 4u
#define MTRR_TYPE_WP 5u
#define MTRR_TYPE_WB 6u

/* IA32_MTRRCAP, SDM Vol. 3A, 12.11.1 "MTRR Feature Identification".
 *   7:0  VCNT  number of variable ranges
 *   8    FIX   fixed-range MTRRs supported
 *   10   WC    write-combining type supported
 *   11   SMRR  SMRR interface supported */
#define MTRRCAP_VCNT_HI 7
#define MTRRCAP_VCNT_LO 0
#define MTRRCAP_FIX     BIT(8)
#define MTRRCAP_WC      BIT(10)
#define MTRRCAP_SMRR    BIT(11)

/* IA32_MTRR_DEF_TYPE, SDM Vol. 3A, 12.11.2.1 "IA32_MTRR_DEF_TYPE MSR".
 *   7:0  Type  default memory type
 *   10   FE    fixed-range MTRRs enabled
 *   11   E     MTRRs enabled
 *   9:8, 63:12 reserved (#GP on a nonzero write) */
#define MTRR_DEF_TYPE_TYPE_HI 7
#define MTRR_DEF_TYPE_TYPE_LO 0
#define MTRR_DEF_TYPE_FE      BIT(10)
#define MTRR_DEF_TYPE_E       BIT(11)

/* IA32_MTRR_PHYSBASEn / IA32_MTRR_PHYSMASKn, SDM Vol. 3A, 12.11.2.3 "Variable Range MTRRs".
 *   PHYSBASE  7:0 Type, 11:8 reserved, MAXPHYADDR-1:12 PhysBase
 *   PHYSMASK  10:0 reserved, 11 V (valid), MAXPHYADDR-1:12 PhysMask
 * A range matches when (address AND PhysMask) = (PhysBase AND PhysMask). */
#define MTRR_PHYSBASE_TYPE_HI 7
#define MTRR_PHYSBASE_TYPE_LO 0
#define MTRR_PHYSMASK_V       BIT(11)

#define MTRR_NUM_FIXED  11
#define MTRR_MAX_VAR    16
#define MTRR_FIXED_END  0x100000ULL /* the fixed ranges cover [0, 1 MiB) */

struct mtrr_var {
	uint64_t base; /* IA32_MTRR_PHYSBASEn */
	uint64_t mask; /* IA32_MTRR_PHYSMASKn */
};

struct mtrr_state {
	uint64_t cap;                       /* IA32_MTRRCAP (read-only to the guest) */
	uint64_t def_type;                  /* IA32_MTRR_DEF_TYPE */
	uint64_t fixed[MTRR_NUM_FIXED];     /* FIX64K_00000, FIX16K_80000, FIX16K_A0000,
					       FIX4K_C0000 .. FIX4K_F8000, in that order */
	struct mtrr_var var[MTRR_MAX_VAR];  /* the first mtrr_vcnt() pairs are meaningful */
	unsigned maxphyaddr;                /* CPUID.80000008H:EAX[7:0] */
};

/* Number of variable pairs in use: MTRRCAP.VCNT, clamped to MTRR_MAX_VAR. */
unsigned mtrr_vcnt(const struct mtrr_state *s);

/* True for the types the SDM defines (UC, WC, WT, WP, WB). */
bool mtrr_type_valid(uint8_t type);

/* Memory type of the byte at physical address pa, SDM Vol. 3A, 12.11.4.1 "MTRR Precedences". */
uint8_t mtrr_type_of(const struct mtrr_state *s, uint64_t pa);

/* True when every byte of [base, base + size) has the same memory type, stored in *type.
 * Computed from range boundaries (aligned blocks), not by probing pages. False for
 * size 0 or a range that wraps past 2^64. */
bool mtrr_range_is_uniform(const struct mtrr_state *s, uint64_t base, uint64_t size, uint8_t *type);

/* IA32_MTRRCAP, IA32_MTRR_DEF_TYPE, the 11 fixed-range MSRs and the 16 architectural
 * variable pairs (0x200..0x21F; whether pair n exists depends on VCNT, see below). */
bool mtrr_is_mtrr_msr(uint32_t msr);

/* Guest WRMSR to an MTRR: updates the snapshot and returns true, or returns false (and
 * leaves the snapshot unchanged) when the write would #GP on hardware: not an MTRR,
 * IA32_MTRRCAP (read-only), a fixed-range MSR without MTRRCAP.FIX, a variable pair at
 * or above VCNT, reserved bits set, or a reserved memory type (WC without MTRRCAP.WC
 * counts as reserved). */
bool mtrr_state_write(struct mtrr_state *s, uint32_t msr, uint64_t value);

/* Guest RDMSR of an MTRR from the snapshot; false under the same conditions a write of
 * a valid value would fail (not an MTRR, absent fixed or variable MSR). */
bool mtrr_state_read_range(const struct mtrr_state *s, uint32_t msr, uint64_t *value);
/* The two single MSRs inline (an exit path asks for IA32_MTRR_DEF_TYPE most), the
 * fixed and variable ranges out of line. */
static inline bool mtrr_state_read(const struct mtrr_state *s, uint32_t msr, uint64_t *value)
{
	if (msr == MSR_IA32_MTRR_DEF_TYPE || msr == MSR_IA32_MTRRCAP) {
		*value = msr == MSR_IA32_MTRRCAP ? s->cap : s->def_type;
		return true;
	}
	return mtrr_state_read_range(s, msr, value);
}

/* Hardware edge (arch/mtrr_hw.c): reads the host MTRRs. Variable pairs per MTRRCAP.VCNT,
 * fixed-range MSRs only when MTRRCAP.FIX is set. */
void mtrr_read_state(struct mtrr_state *s, unsigned maxphyaddr);

#endif
