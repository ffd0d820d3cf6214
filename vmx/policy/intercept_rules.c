/* Pure rules of the opt-in intercepts: see vmx/policy/intercept_rules.h. */
#include "vmx/policy/intercept_rules.h"

#include "arch/cr.h"

uint64_t intercept_guest_tsc(uint64_t tsc, bool offsetting, uint64_t offset, bool scaling, uint64_t multiplier)
{
	if (scaling)
		tsc = (uint64_t)(((unsigned __int128)tsc * multiplier) >> 48);
	return offsetting ? tsc + offset : tsc;
}

uint64_t intercept_reg_write(uint64_t old, uint64_t value, unsigned osize)
{
	switch (osize) {
	case 0: return (old & ~0xFFFFULL) | (value & 0xFFFF);
	case 1: return (uint32_t)value;
	default: return value;
	}
}

/* SDM Vol. 1, 3.4.3.1 "Status Flags": CF 0, PF 2, AF 4, ZF 6, SF 7, OF 11. */
#define STATUS_FLAGS 0x8D5ULL

uint64_t intercept_rdrand_rflags(uint64_t rflags, bool ok)
{
	return (rflags & ~STATUS_FLAGS) | (ok ? 1 : 0);
}

#define DR6_B0_B3 0xFULL
#define DR6_BD (1ULL << 13)
#define DR6_BS (1ULL << 14)
#define DR6_RTM (1ULL << 16)

uint64_t intercept_dr6_after_db(uint64_t dr6, uint64_t qual)
{
	dr6 = (dr6 & ~DR6_B0_B3) | (qual & (DR6_B0_B3 | DR6_BD | DR6_BS));
	if (qual & DR6_RTM)
		dr6 &= ~DR6_RTM;
	return dr6;
}

#define DR7_GD (1ULL << 13)

uint64_t intercept_dr7_after_db(uint64_t dr7)
{
	return dr7 & ~DR7_GD;
}

/* Table 6-4 "Interrupt and Exception Classes": contributory #DE, #TS, #NP, #SS, #GP;
 * page faults #PF (and #VE, "Virtualization Exception"); the rest benign. */
static unsigned exception_class(unsigned v)
{
	switch (v) {
	case 0: case 10: case 11: case 12: case 13: return 1; /* contributory */
	case 14: case 20: return 2;                           /* page fault */
	case 8: return 3;                                     /* double fault */
	default: return 0;                                    /* benign */
	}
}

enum intercept_combine intercept_exception_combine(unsigned first_type, unsigned first, unsigned second)
{
	if (first_type != 3) /* hardware exception */
		return COMBINE_SECOND;
	unsigned a = exception_class(first), b = exception_class(second);
	if (a == 3 && (b == 1 || b == 2))
		return COMBINE_TRIPLE_FAULT;
	if ((a == 1 && b == 1) || (a == 2 && (b == 1 || b == 2)))
		return COMBINE_DOUBLE_FAULT;
	return COMBINE_SECOND;
}

#define EFER_SCE_BIT (1ULL << 0)
#define EFER_LME_BIT (1ULL << 8)
#define EFER_LMA_BIT (1ULL << 10)
#define EFER_NXE_BIT (1ULL << 11)

bool intercept_efer_write(uint64_t old, uint64_t value, bool paging, bool nx, uint64_t *out)
{
	uint64_t allowed = EFER_SCE_BIT | EFER_LME_BIT | EFER_LMA_BIT | (nx ? EFER_NXE_BIT : 0);
	if (value & ~allowed)
		return false;
	if (paging && ((old ^ value) & EFER_LME_BIT))
		return false;
	*out = (value & ~EFER_LMA_BIT) | (old & EFER_LMA_BIT);
	return true;
}

bool intercept_pat_valid(uint64_t value)
{
	for (unsigned i = 0; i < 8; i++) {
		unsigned t = (value >> (8 * i)) & 0xFF;
		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

bool intercept_canonical(uint64_t la, unsigned width)
{
	if (width == 0 || width >= 64)
		return true;
	int64_t s = (int64_t)(la << (64 - width)) >> (64 - width);
	return (uint64_t)s == la;
}

uint64_t intercept_mem_offset(uint32_t info, uint64_t disp, const uint64_t gpr[16])
{
	uint64_t ea = disp;
	if (!((info >> 27) & 1))
		ea += gpr[(info >> 23) & 0xF];
	if (!((info >> 22) & 1))
		ea += gpr[(info >> 18) & 0xF] << (info & 3);
	switch ((info >> 7) & 7) {
	case 0: return ea & 0xFFFF;
	case 1: return ea & 0xFFFFFFFFULL;
	default: return ea;
	}
}

bool intercept_invpcid_faults(uint64_t type, uint64_t desc_lo, uint64_t desc_la, bool pcide, unsigned la_width)
{
	if (type > 3 || (desc_lo >> 12))
		return true;
	if (type == 0 && !intercept_canonical(desc_la, la_width))
		return true;
	return type <= 1 && !pcide && (desc_lo & 0xFFF);
}

unsigned intercept_dr_alias(unsigned dr, bool cr4_de)
{
	return (dr == 4 || dr == 5) && !cr4_de ? dr + 2 : dr;
}

bool intercept_dr_write_value(unsigned dr, uint64_t value, uint64_t *out)
{
	if ((dr == 6 || dr == 7) && (value >> 32))
		return false;
	if (dr == 7)
		value = (value | 0x400) & ~0xD800ULL;
	*out = value; /* DR6 is written by MOV in root mode: the processor applies its own bits */
	return true;
}

bool intercept_legacy_prefix(uint8_t b)
{
	return b == 0x66 || b == 0x67 || b == 0xF0 || b == 0xF2 || b == 0xF3 || b == 0x2E || b == 0x36 ||
	       b == 0x3E || b == 0x26 || b == 0x64 || b == 0x65;
}

int intercept_rdrand_osize(const uint8_t *insn, unsigned len, bool mode64, bool cs_d)
{
	bool opsize = false, rex_w = false;
	unsigned i = 0;
	while (i < len && intercept_legacy_prefix(insn[i])) {
		opsize |= insn[i] == 0x66;
		i++;
	}
	if (mode64 && i < len && (insn[i] & 0xF0) == 0x40) {
		rex_w = insn[i] & 8;
		i++;
	}
	if (i + 2 >= len || insn[i] != 0x0F || insn[i + 1] != 0xC7)
		return -1;
	unsigned reg = (insn[i + 2] >> 3) & 7;
	if ((insn[i + 2] >> 6) != 3 || (reg != 6 && reg != 7))
		return -1;
	if (rex_w)
		return 2;
	bool d32 = mode64 || cs_d;
	return d32 != opsize ? 1 : 0;
}

uint64_t intercept_x2apic_held_view(uint32_t msr, uint64_t value, const uint64_t held[4])
{
	bool isr = msr >= 0x810 && msr <= 0x817, irr = msr >= 0x820 && msr <= 0x827;
	if (!isr && !irr)
		return value;
	unsigned word = msr & 7; /* vectors 32 * word .. 32 * word + 31 */
	uint32_t bits = (uint32_t)(held[word / 2] >> (32 * (word % 2)));
	return isr ? value & ~(uint64_t)bits : value | bits;
}
