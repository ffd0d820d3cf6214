/* MTRR memory-type resolver and guest-write validation. Pure.
 * SDM Vol. 3A, 12.11 "Memory Type Range Registers (MTRRs)". */
#include "arch/mtrr.h"

#include <stddef.h>

#define MTRR_MIXED (-1) /* block_type(): the block holds more than one type */
#define MTRR_FIXED_PER_MSR 8 /* one type byte per sub-range */
#define MTRR_MIN_ORDER 12 /* MTRR granularity: 4 KiB, the smallest fixed or variable range */

/* SDM Vol. 3A, 12.11.2.2 "Fixed Range MTRRs": each MSR holds eight type bytes, byte i for
 * [base + i * unit, base + (i + 1) * unit). Index order matches struct mtrr_state.fixed. */
static const struct mtrr_fixed_desc {
	uint32_t msr;
	uint32_t base;
	uint32_t unit;
} mtrr_fixed[MTRR_NUM_FIXED] = {
	{ MSR_IA32_MTRR_FIX64K_00000, 0x00000, 0x10000 },
	{ MSR_IA32_MTRR_FIX16K_80000, 0x80000, 0x4000 },
	{ MSR_IA32_MTRR_FIX16K_A0000, 0xA0000, 0x4000 },
	{ MSR_IA32_MTRR_FIX4K_C0000, 0xC0000, 0x1000 },
	{ MSR_IA32_MTRR_FIX4K_C8000, 0xC8000, 0x1000 },
	{ MSR_IA32_MTRR_FIX4K_D0000, 0xD0000, 0x1000 },
	{ MSR_IA32_MTRR_FIX4K_D8000, 0xD8000, 0x1000 },
	{ MSR_IA32_MTRR_FIX4K_E0000, 0xE0000, 0x1000 },
	{ MSR_IA32_MTRR_FIX4K_E8000, 0xE8000, 0x1000 },
	{ MSR_IA32_MTRR_FIX4K_F0000, 0xF0000, 0x1000 },
	{ MSR_IA32_MTRR_FIX4K_F8000, 0xF8000, 0x1000 },
};

bool mtrr_type_valid(uint8_t type)
{
	return type == MTRR_TYPE_UC || type == MTRR_TYPE_WC || type == MTRR_TYPE_WT ||
	       type == MTRR_TYPE_WP || type == MTRR_TYPE_WB;
}

/* A reserved encoding can only come from a corrupt snapshot; resolve it as UC, which
 * never caches what must not be cached (and is a valid EPT memory type). */
static uint8_t mtrr_type_sane(uint64_t field)
{
	uint8_t t = (uint8_t)field;

	return mtrr_type_valid(t) ? t : MTRR_TYPE_UC;
}

unsigned mtrr_vcnt(const struct mtrr_state *s)
{
	unsigned n = (unsigned)bits_get(s->cap, MTRRCAP_VCNT_HI, MTRRCAP_VCNT_LO);

	return n < MTRR_MAX_VAR ? n : MTRR_MAX_VAR;
}

/* Bits MAXPHYADDR-1:12, the PhysBase/PhysMask fields. MAXPHYADDR 0 means CPUID.80000008H
 * was not read: "software may assume that the processor supports a 36-bit physical
 * address size" (SDM Vol. 3A, 12.11.2.3 "Variable Range MTRRs"). */
static uint64_t mtrr_phys_field(const struct mtrr_state *s)
{
	unsigned m = s->maxphyaddr ? s->maxphyaddr : 36;

	if (m > 52)
		m = 52;
	if (m <= MTRR_MIN_ORDER)
		m = MTRR_MIN_ORDER + 1;
	return bits_mask(m - 1, MTRR_MIN_ORDER);
}

static bool mtrr_enabled(const struct mtrr_state *s)
{
	return (s->def_type & MTRR_DEF_TYPE_E) != 0;
}

/* "If the physical address falls within the first 1 MByte of physical memory and fixed
 * MTRRs are enabled, the processor uses the memory type stored for the appropriate
 * fixed-range MTRR" (12.11.4.1). FE is meaningful only with E, and only when MTRRCAP.FIX
 * says the registers exist. */
static bool mtrr_fixed_active(const struct mtrr_state *s)
{
	return mtrr_enabled(s) && (s->def_type & MTRR_DEF_TYPE_FE) && (s->cap & MTRRCAP_FIX);
}

static uint8_t mtrr_default_type(const struct mtrr_state *s)
{
	return mtrr_type_sane(bits_get(s->def_type, MTRR_DEF_TYPE_TYPE_HI, MTRR_DEF_TYPE_TYPE_LO));
}

/* Index into mtrr_fixed of the MSR covering pa (pa < MTRR_FIXED_END). */
static size_t mtrr_fixed_index_of(uint64_t pa)
{
	size_t i = 0;

	while (i + 1 < MTRR_NUM_FIXED && pa >= mtrr_fixed[i + 1].base)
		i++;
	return i;
}

static uint8_t mtrr_fixed_type(const struct mtrr_state *s, uint64_t pa)
{
	size_t i = mtrr_fixed_index_of(pa);
	unsigned sub = (unsigned)((pa - mtrr_fixed[i].base) / mtrr_fixed[i].unit);

	return mtrr_type_sane(bits_get(s->fixed[i], sub * 8 + 7, sub * 8));
}

static uint64_t mtrr_fixed_unit(uint64_t pa)
{
	return mtrr_fixed[mtrr_fixed_index_of(pa)].unit;
}

static bool mtrr_var_valid(const struct mtrr_state *s, unsigned n)
{
	return (s->var[n].mask & MTRR_PHYSMASK_V) != 0;
}

/* The PhysMask bits that take part in matching. A valid pair with mask 0 matches every
 * address (address AND 0 = PhysBase AND 0). */
static uint64_t mtrr_var_mask(const struct mtrr_state *s, unsigned n)
{
	return s->var[n].mask & mtrr_phys_field(s);
}

static uint8_t mtrr_var_type(const struct mtrr_state *s, unsigned n)
{
	return mtrr_type_sane(bits_get(s->var[n].base, MTRR_PHYSBASE_TYPE_HI, MTRR_PHYSBASE_TYPE_LO));
}

/* Combine the types of all matching variable ranges (a bit set indexed by type),
 * SDM Vol. 3A, 12.11.4.1 "MTRR Precedences":
 *   one match, or several with identical types -> that type;
 *   several, one of them UC -> UC;  several, WT and WB -> WT;
 *   "For overlaps not defined by the above rules, processor behavior is undefined."
 * For the undefined case (e.g. WC + WB) we choose UC: it is never wrong for MMIO, and
 * such firmware setups are bugs we would rather see as slow than as corrupt. */
static uint8_t mtrr_resolve_var(unsigned seen, uint8_t def)
{
	if (seen == 0)
		return def;
	if (seen & BIT(MTRR_TYPE_UC))
		return MTRR_TYPE_UC;
	if ((seen & (seen - 1)) == 0)
		return (uint8_t)__builtin_ctz(seen);
	if (seen == (BIT(MTRR_TYPE_WT) | BIT(MTRR_TYPE_WB)))
		return MTRR_TYPE_WT;
	return MTRR_TYPE_UC;
}

uint8_t mtrr_type_of(const struct mtrr_state *s, uint64_t pa)
{
	unsigned seen = 0;

	if (!mtrr_enabled(s))
		return MTRR_TYPE_UC;
	if (mtrr_fixed_active(s) && pa < MTRR_FIXED_END)
		return mtrr_fixed_type(s, pa);
	for (unsigned n = 0; n < mtrr_vcnt(s); n++) {
		uint64_t m = mtrr_var_mask(s, n);

		if (mtrr_var_valid(s, n) && ((pa ^ s->var[n].base) & m) == 0)
			seen |= (unsigned)BIT(mtrr_var_type(s, n));
	}
	return mtrr_resolve_var(seen, mtrr_default_type(s));
}

/* ---- uniformity over naturally aligned blocks ---- */

enum mtrr_cover { MTRR_COVER_NONE, MTRR_COVER_ALL, MTRR_COVER_PART };

/* How variable range n covers the block [base, base + 2^order), base aligned to 2^order.
 * Mask bits at or above order are constant over the block and decide whether any byte
 * can match; a mask bit below order splits the block (even a discontinuous mask,
 * which the SDM allows: "Some mask values can result in ranges that are not continuous"). */
static enum mtrr_cover mtrr_var_cover(const struct mtrr_state *s, unsigned n, uint64_t base,
				      unsigned order)
{
	uint64_t m = mtrr_var_mask(s, n);
	uint64_t low = BIT(order) - 1;

	if (!mtrr_var_valid(s, n) || ((base ^ s->var[n].base) & m & ~low) != 0)
		return MTRR_COVER_NONE;
	return (m & low) ? MTRR_COVER_PART : MTRR_COVER_ALL;
}

static int mtrr_block_type(const struct mtrr_state *s, uint64_t base, unsigned order);

/* Both halves uniform and equal. Recursion stops at 4 KiB: no MTRR boundary lies inside
 * a 4 KiB page, so each level only descends into halves that hold a boundary. */
static int mtrr_block_split(const struct mtrr_state *s, uint64_t base, unsigned order)
{
	int lo = mtrr_block_type(s, base, order - 1);

	if (lo == MTRR_MIXED)
		return MTRR_MIXED;
	return mtrr_block_type(s, base + BIT(order - 1), order - 1) == lo ? lo : MTRR_MIXED;
}

/* True when the block's type cannot depend on which of the partly covering ranges match:
 * every combination of their types (part) with those of the covering ones (seen) resolves
 * to the same type. */
static bool mtrr_part_irrelevant(unsigned seen, unsigned part, uint8_t def)
{
	uint8_t t = mtrr_resolve_var(seen, def);

	for (unsigned sub = part; sub; sub = (sub - 1) & part)
		if (mtrr_resolve_var(seen | sub, def) != t)
			return false;
	return true;
}

/* Inside the block only the address bits in split (the mask bits below order of the
 * ranges that partly cover it) decide which ranges match, so the sub-block up to the
 * highest of them, [base, base + 2^(h+1)), holds every type the block holds. Splitting
 * there rather than at order - 1 keeps a discontinuous mask from doubling the work at
 * every bit it leaves out; a guest can write one (every MTRR write re-types the EPT). */
static int mtrr_var_block_type(const struct mtrr_state *s, uint64_t base, unsigned order)
{
	unsigned seen = 0, part = 0;
	uint64_t split = 0;
	uint8_t def = mtrr_default_type(s);

	for (unsigned n = 0; n < mtrr_vcnt(s); n++) {
		enum mtrr_cover c = mtrr_var_cover(s, n, base, order);

		if (c == MTRR_COVER_PART) {
			part |= (unsigned)BIT(mtrr_var_type(s, n));
			split |= mtrr_var_mask(s, n) & (BIT(order) - 1);
		} else if (c == MTRR_COVER_ALL) {
			seen |= (unsigned)BIT(mtrr_var_type(s, n));
		}
	}
	if (!part || mtrr_part_irrelevant(seen, part, def))
		return mtrr_resolve_var(seen, def);
	return mtrr_block_split(s, base, 64 - (unsigned)__builtin_clzll(split));
}

/* Type of the block [base, base + 2^order) (order >= 12, base aligned), or MTRR_MIXED. */
static int mtrr_block_type(const struct mtrr_state *s, uint64_t base, unsigned order)
{
	if (!mtrr_enabled(s))
		return MTRR_TYPE_UC;
	if (mtrr_fixed_active(s) && base < MTRR_FIXED_END) {
		if (BIT(order) <= mtrr_fixed_unit(base))
			return mtrr_fixed_type(s, base);
		return mtrr_block_split(s, base, order);
	}
	return mtrr_var_block_type(s, base, order);
}

/* Largest order (in pages) of a naturally aligned block starting at page pfn that fits
 * in npages pages. At most 2^63 bytes: the whole 2^64 space (pfn 0, npages 2^52) is two
 * blocks, since BIT(64) in mtrr_block_type() would be undefined. */
static unsigned mtrr_block_order(uint64_t pfn, uint64_t npages)
{
	unsigned fit = 63 - (unsigned)__builtin_clzll(npages);
	unsigned align = pfn ? (unsigned)__builtin_ctzll(pfn) : 63 - MTRR_MIN_ORDER;

	return fit < align ? fit : align;
}

bool mtrr_range_is_uniform(const struct mtrr_state *s, uint64_t base, uint64_t size, uint8_t *type)
{
	int t = MTRR_MIXED;

	/* Work in 4 KiB pages and with the last byte, so a range ending at 2^64 is fine. */
	if (size == 0 || base + (size - 1) < base)
		return false;
	uint64_t pfn = base >> MTRR_MIN_ORDER;
	uint64_t end = ((base + size - 1) >> MTRR_MIN_ORDER) + 1;

	while (pfn < end) {
		unsigned order = mtrr_block_order(pfn, end - pfn);
		int bt = mtrr_block_type(s, pfn << MTRR_MIN_ORDER, order + MTRR_MIN_ORDER);

		if (bt == MTRR_MIXED || (t != MTRR_MIXED && bt != t))
			return false;
		t = bt;
		pfn += BIT(order);
	}
	*type = (uint8_t)t;
	return true;
}

/* ---- guest RDMSR/WRMSR ---- */

/* The eleven fixed-range MSRs lie in three runs, in mtrr_fixed[]'s order (SDM Vol. 3A,
 * 12.11.2.2 "Fixed Range MTRRs"): 0x250, 0x258-0x259, 0x268-0x26F. Computed, not
 * searched: every RDMSR/WRMSR exit of an MTRR asks. */
_Static_assert(MSR_IA32_MTRR_FIX16K_A0000 == MSR_IA32_MTRR_FIX16K_80000 + 1 &&
		       MSR_IA32_MTRR_FIX4K_F8000 == MSR_IA32_MTRR_FIX4K_C0000 + 7 && MTRR_NUM_FIXED == 11,
	       "the fixed-range MSRs are the three runs mtrr_fixed_msr_index computes");
static int mtrr_fixed_msr_index(uint32_t msr)
{
	if (msr == MSR_IA32_MTRR_FIX64K_00000)
		return 0;
	if (msr - MSR_IA32_MTRR_FIX16K_80000 < 2)
		return 1 + (int)(msr - MSR_IA32_MTRR_FIX16K_80000);
	if (msr - MSR_IA32_MTRR_FIX4K_C0000 < 8)
		return 3 + (int)(msr - MSR_IA32_MTRR_FIX4K_C0000);
	return -1;
}

static bool mtrr_is_var_msr(uint32_t msr)
{
	return msr >= MSR_IA32_MTRR_PHYSBASE0 && msr < MSR_IA32_MTRR_PHYSBASE0 + 2 * MTRR_MAX_VAR;
}

bool mtrr_is_mtrr_msr(uint32_t msr)
{
	return msr == MSR_IA32_MTRRCAP || msr == MSR_IA32_MTRR_DEF_TYPE ||
	       mtrr_fixed_msr_index(msr) >= 0 || mtrr_is_var_msr(msr);
}

/* For IA32_MTRR_DEF_TYPE, "The legal values for this field are 0, 1, 4, 5, and 6. All
 * other values result in a general-protection exception (#GP) being generated"
 * (12.11.2.1); we apply the same rule to the fixed and variable Type fields. WC also needs
 * MTRRCAP.WC (12.11.1 "MTRR Feature Identification": WC is unsupported when it is clear). */
static bool mtrr_type_writable(const struct mtrr_state *s, uint64_t type)
{
	if (type > 0xFF || !mtrr_type_valid((uint8_t)type))
		return false;
	return type != MTRR_TYPE_WC || (s->cap & MTRRCAP_WC);
}

/* "Bits 8 and 9, and bits 12 through 63, in the IA32_MTRR_DEF_TYPE MSR are reserved". */
static bool mtrr_write_def_type(struct mtrr_state *s, uint64_t v)
{
	uint64_t type_bits = bits_mask(MTRR_DEF_TYPE_TYPE_HI, MTRR_DEF_TYPE_TYPE_LO);
	uint64_t ok = type_bits | MTRR_DEF_TYPE_FE | MTRR_DEF_TYPE_E;

	if ((v & ~ok) || !mtrr_type_writable(s, v & type_bits))
		return false;
	s->def_type = v;
	return true;
}

static bool mtrr_write_fixed(struct mtrr_state *s, int idx, uint64_t v)
{
	if (!(s->cap & MTRRCAP_FIX))
		return false;
	for (unsigned i = 0; i < MTRR_FIXED_PER_MSR; i++)
		if (!mtrr_type_writable(s, bits_get(v, i * 8 + 7, i * 8)))
			return false;
	s->fixed[idx] = v;
	return true;
}

/* PHYSBASEn: Type and PhysBase; PHYSMASKn: V and PhysMask. "All other bits in the
 * IA32_MTRR_PHYSBASEn and IA32_MTRR_PHYSMASKn registers are reserved" (12.11.2.3). */
static bool mtrr_write_var(struct mtrr_state *s, uint32_t msr, uint64_t v)
{
	unsigned n = (msr - MSR_IA32_MTRR_PHYSBASE0) / 2;
	bool is_mask = (msr - MSR_IA32_MTRR_PHYSBASE0) & 1;
	uint64_t type_bits = bits_mask(MTRR_PHYSBASE_TYPE_HI, MTRR_PHYSBASE_TYPE_LO);
	uint64_t ok = mtrr_phys_field(s) | (is_mask ? MTRR_PHYSMASK_V : type_bits);

	if (n >= mtrr_vcnt(s) || (v & ~ok))
		return false;
	if (is_mask) {
		s->var[n].mask = v;
		return true;
	}
	if (!mtrr_type_writable(s, v & type_bits))
		return false;
	s->var[n].base = v;
	return true;
}

bool mtrr_state_write(struct mtrr_state *s, uint32_t msr, uint64_t value)
{
	int idx = mtrr_fixed_msr_index(msr);

	if (msr == MSR_IA32_MTRR_DEF_TYPE)
		return mtrr_write_def_type(s, value);
	if (idx >= 0)
		return mtrr_write_fixed(s, idx, value);
	if (mtrr_is_var_msr(msr))
		return mtrr_write_var(s, msr, value);
	return false; /* IA32_MTRRCAP is read-only; anything else is not an MTRR */
}

bool mtrr_state_read_range(const struct mtrr_state *s, uint32_t msr, uint64_t *value)
{
	unsigned n = (msr - MSR_IA32_MTRR_PHYSBASE0) / 2;

	int idx = mtrr_fixed_msr_index(msr);
	if (idx >= 0 && (s->cap & MTRRCAP_FIX)) {
		*value = s->fixed[idx];
		return true;
	}
	if (!mtrr_is_var_msr(msr) || n >= mtrr_vcnt(s))
		return false;
	*value = (msr & 1) ? s->var[n].mask : s->var[n].base;
	return true;
}
