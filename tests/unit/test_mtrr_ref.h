/* Shared by test_mtrr.c and test_ept.c: an independent reference MTRR resolver, written
 * per address straight from SDM Vol. 3A, 12.11.4.1 "MTRR Precedences" with its own bit
 * positions and range arithmetic (it calls nothing in arch/mtrr.c), and helpers that fill
 * a struct mtrr_state the way firmware would program the registers. */
#ifndef VMXRAY_TEST_MTRR_REF_H
#define VMXRAY_TEST_MTRR_REF_H
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "arch/mtrr.h"

#define REF_E     (1ULL << 11)
#define REF_FE    (1ULL << 10)
#define REF_FIX   (1ULL << 8)
#define REF_WCCAP (1ULL << 10)
#define REF_V     (1ULL << 11)

/* Which fixed-range MSR (index in struct mtrr_state.fixed) and which byte covers pa < 1 MiB:
 * 0-7FFFF in 64 KiB steps, 80000-BFFFF in 16 KiB steps, C0000-FFFFF in 4 KiB steps. */
static inline void ref_fixed_slot(uint64_t pa, unsigned *msr, unsigned *byte)
{
	if (pa < 0x80000) {
		*msr = 0;
		*byte = (unsigned)(pa / 0x10000);
	} else if (pa < 0xC0000) {
		*msr = 1 + (unsigned)((pa - 0x80000) / 0x20000);
		*byte = (unsigned)(((pa - 0x80000) % 0x20000) / 0x4000);
	} else {
		*msr = 3 + (unsigned)((pa - 0xC0000) / 0x8000);
		*byte = (unsigned)(((pa - 0xC0000) % 0x8000) / 0x1000);
	}
}

static inline uint8_t ref_mtrr_type(const struct mtrr_state *s, uint64_t pa)
{
	unsigned msr, byte, matches = 0, seen = 0;
	uint8_t first = 0;
	bool same = true;
	uint64_t phys = ((1ULL << s->maxphyaddr) - 1) & ~0xFFFULL;

	if (!(s->def_type & REF_E))
		return MTRR_TYPE_UC;
	if ((s->def_type & REF_FE) && (s->cap & REF_FIX) && pa < 0x100000) {
		ref_fixed_slot(pa, &msr, &byte);
		return (uint8_t)(s->fixed[msr] >> (8 * byte));
	}
	for (unsigned n = 0; n < (s->cap & 0xFF) && n < 16; n++) {
		uint64_t mask = s->var[n].mask;
		uint8_t t = (uint8_t)s->var[n].base;

		if (!(mask & REF_V) || (pa & mask & phys) != (s->var[n].base & mask & phys))
			continue;
		if (matches++ == 0)
			first = t;
		same = same && t == first;
		seen |= 1u << t;
	}
	if (matches == 0)
		return (uint8_t)s->def_type;
	if (same)
		return first;
	if (seen & (1u << MTRR_TYPE_UC))
		return MTRR_TYPE_UC;
	if (seen == ((1u << MTRR_TYPE_WT) | (1u << MTRR_TYPE_WB)))
		return MTRR_TYPE_WT;
	return MTRR_TYPE_UC; /* undefined by the SDM; vmxray documents UC */
}

/* Registers as firmware programs them. def_type: the default type | REF_E | REF_FE. */
static inline void ref_state_init(struct mtrr_state *s, unsigned maxphyaddr, unsigned vcnt,
				  uint64_t def_type)
{
	memset(s, 0, sizeof(*s));
	s->maxphyaddr = maxphyaddr;
	s->cap = vcnt | REF_FIX | REF_WCCAP;
	s->def_type = def_type;
}

/* Variable pair n for [base, base + size), size a power of two, base aligned to it.
 * Ranges above MAXPHYADDR are skipped, so one layout serves several address widths. */
static inline void ref_set_var(struct mtrr_state *s, unsigned n, uint64_t base, uint64_t size,
			       uint8_t type)
{
	uint64_t phys = ((1ULL << s->maxphyaddr) - 1) & ~0xFFFULL;

	if (base >> s->maxphyaddr)
		return; /* not addressable: firmware leaves the pair unused */
	s->var[n].base = base | type;
	s->var[n].mask = (~(size - 1) & phys) | REF_V;
}

/* Fixed-range bytes for [start, end), both on the sub-range grid. */
static inline void ref_set_fixed(struct mtrr_state *s, uint64_t start, uint64_t end, uint8_t type)
{
	unsigned msr, byte;

	for (uint64_t pa = start; pa < end; pa += 0x1000) {
		ref_fixed_slot(pa, &msr, &byte);
		s->fixed[msr] &= ~(0xFFULL << (8 * byte));
		s->fixed[msr] |= (uint64_t)type << (8 * byte);
	}
}

/* A PC-like layout: 4 GiB of RAM (3 GiB below 4 GiB, 1 GiB above), default UC.
 *   fixed: 0-9FFFF WB, A0000-BFFFF UC (VGA), C0000-C7FFF WP (VGA ROM),
 *          C8000-DFFFF UC, E0000-FFFFF WP (BIOS ROM)
 *   var0  0-4G WB            var1  C0000000-FFFFFFFF UC (MMIO; UC over WB wins)
 *   var2  4G-5G WB           var3  7F800000 + 8M UC (not 1 GiB aligned)
 *   var4  B0000000 + 256M WT (WT over WB -> WT)
 *   var5  100100000 + 1M UC (not 2 MiB aligned)
 *   var6  40001000 + 4K UC (one page)
 *   var7..9 free (VCNT = 10) */
static inline void ref_layout_pc(struct mtrr_state *s, unsigned maxphyaddr)
{
	ref_state_init(s, maxphyaddr, 10, MTRR_TYPE_UC | REF_E | REF_FE);
	ref_set_fixed(s, 0x00000, 0xA0000, MTRR_TYPE_WB);
	ref_set_fixed(s, 0xA0000, 0xC0000, MTRR_TYPE_UC);
	ref_set_fixed(s, 0xC0000, 0xC8000, MTRR_TYPE_WP);
	ref_set_fixed(s, 0xC8000, 0xE0000, MTRR_TYPE_UC);
	ref_set_fixed(s, 0xE0000, 0x100000, MTRR_TYPE_WP);
	ref_set_var(s, 0, 0, 1ULL << 32, MTRR_TYPE_WB);
	ref_set_var(s, 1, 0xC0000000, 1ULL << 30, MTRR_TYPE_UC);
	ref_set_var(s, 2, 1ULL << 32, 1ULL << 30, MTRR_TYPE_WB);
	ref_set_var(s, 3, 0x7F800000, 8ULL << 20, MTRR_TYPE_UC);
	ref_set_var(s, 4, 0xB0000000, 256ULL << 20, MTRR_TYPE_WT);
	ref_set_var(s, 5, 0x100100000, 1ULL << 20, MTRR_TYPE_UC);
	ref_set_var(s, 6, 0x40001000, 0x1000, MTRR_TYPE_UC);
}

/* Page-aligned boundaries of ref_layout_pc (where a type may change). */
static const uint64_t ref_layout_pc_edges[] = {
	0x0,         0xA0000,     0xC0000,     0xC8000,     0xE0000,     0x100000,
	0x40001000,  0x40002000,  0x7F800000,  0x80000000,  0xB0000000,  0xC0000000,
	0x100000000, 0x100100000, 0x100200000, 0x140000000,
};

#endif
