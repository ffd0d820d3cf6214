/* VM-entry checks on the guest segment registers: SDM Vol. 3C, 27.3.1.2 "Checks on Guest
 * Segment Registers". Access rights are decoded by seg_ar_decode() (vmx/decode/decode.c,
 * 25.4.1 "Guest Register State", Table "Format of Access Rights"). Pure. */
#include "arch/bits.h"
#include "arch/cr.h"
#include "vmx/checker/checker_internal.h"

#define SEC VMX_CHECK_SEC_GUEST_SEG

/* Access-rights bits 11:8 and 31:17 are reserved. */
#define AR_RESERVED (bits_mask(11, 8) | bits_mask(31, 17))

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_TR, SEG_LDTR, SEG_COUNT };

struct seg_fields {
	uint32_t sel, base, limit, ar;
};

static const struct seg_fields seg_fields[SEG_COUNT] = {
	[SEG_ES] = { GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES },
	[SEG_CS] = { GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES },
	[SEG_SS] = { GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES },
	[SEG_DS] = { GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES },
	[SEG_FS] = { GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES },
	[SEG_GS] = { GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES },
	[SEG_TR] = { GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES },
	[SEG_LDTR] = { GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT, GUEST_LDTR_AR_BYTES },
};

struct seg {
	const struct seg_fields *f;
	uint64_t sel, base, limit;
	uint32_t ar_raw;
	struct seg_ar ar;
};

static struct seg seg_load(const struct check *c, unsigned i)
{
	struct seg s = { .f = &seg_fields[i] };

	s.sel = check_get(c, s.f->sel);
	s.base = check_get(c, s.f->base);
	s.limit = check_get(c, s.f->limit);
	s.ar_raw = (uint32_t)check_get(c, s.f->ar);
	s.ar = seg_ar_decode(s.ar_raw);
	return s;
}

static unsigned rpl(const struct seg *s)
{
	return (unsigned)(s->sel & 3);
}

/* "If any bit in the limit field in the range 11:0 is 0, G must be 0. If any bit in the
 * limit field in the range 31:20 is 1, G must be 1." */
static bool limit_granularity_ok(const struct seg *s)
{
	if ((s->limit & 0xFFF) != 0xFFF && s->ar.g)
		return false;
	return !(s->limit & bits_mask(31, 20)) || s->ar.g;
}

/* P, reserved bits, and limit/G: the same rule for every usable segment. */
static void seg_ar_common(struct check *c, const struct seg *s)
{
	check_expect(c, s->ar.p, SEC, "a usable segment must have P (bit 7) = 1", s->f->ar);
	check_no_bits(c, s->ar_raw & AR_RESERVED, SEC,
		      "access-rights bits 11:8 and 31:17 are reserved and must be 0", s->f->ar);
	check_expect(c, limit_granularity_ok(s), SEC,
		     "limit bits 11:0 not all 1 require G = 0, and limit bits 31:20 not all 0 require G = 1",
		     s->f->ar);
}

static void seg_code_data_common(struct check *c, const struct seg *s)
{
	check_expect(c, s->ar.s, SEC, "a usable code or data segment must have S (bit 4) = 1",
		     s->f->ar);
	seg_ar_common(c, s);
}

/* ---- Selectors and bases ---- */

static void seg_selectors(struct check *c, const struct seg *s)
{
	check_no_bits(c, s[SEG_TR].sel & 4, SEC, "the TR selector TI flag (bit 2) must be 0",
		      GUEST_TR_SELECTOR);
	if (!s[SEG_LDTR].ar.unusable)
		check_no_bits(c, s[SEG_LDTR].sel & 4, SEC,
			      "a usable LDTR must have selector TI flag (bit 2) = 0", GUEST_LDTR_SELECTOR);
	if (!c->v86 && !c->unrestricted)
		check_expect(c, rpl(&s[SEG_SS]) == rpl(&s[SEG_CS]), SEC,
			     "the SS selector RPL must equal the CS selector RPL (unless \"unrestricted guest\" = 1)",
			     GUEST_SS_SELECTOR);
}

static void seg_bases(struct check *c, const struct seg *s)
{
	static const unsigned canonical[] = { SEG_TR, SEG_FS, SEG_GS, SEG_LDTR };
	static const unsigned low32[] = { SEG_CS, SEG_SS, SEG_DS, SEG_ES };

	for (size_t i = 0; i < ARRAY_SIZE(canonical); i++) {
		const struct seg *g = &s[canonical[i]];

		if (canonical[i] == SEG_LDTR && g->ar.unusable)
			continue;
		check_expect(c, check_canonical(c, g->base), SEC,
			     "the TR, FS, GS and (usable) LDTR base addresses must be canonical", g->f->base);
	}
	for (size_t i = 0; i < ARRAY_SIZE(low32); i++) {
		const struct seg *g = &s[low32[i]];

		if (low32[i] != SEG_CS && g->ar.unusable)
			continue;
		check_no_bits(c, g->base & bits_mask(63, 32), SEC,
			      "CS and usable SS, DS and ES base addresses must have bits 63:32 = 0", g->f->base);
	}
}

/* ---- Virtual-8086 mode ---- */

static void seg_v86(struct check *c, const struct seg *s)
{
	check_expect(c, s->base == s->sel << 4, SEC,
		     "in virtual-8086 mode, a segment base must be its selector shifted left by 4", s->f->base);
	check_expect(c, s->limit == 0xFFFF, SEC,
		     "in virtual-8086 mode, a segment limit must be 0000FFFFH", s->f->limit);
	check_expect(c, s->ar_raw == 0xF3, SEC,
		     "in virtual-8086 mode, segment access rights must be 000000F3H", s->f->ar);
}

/* ---- Access rights, outside virtual-8086 mode ---- */

static void seg_cs_dpl(struct check *c, const struct seg *cs, const struct seg *ss)
{
	unsigned t = cs->ar.type;

	if (t == 3)
		check_expect(c, cs->ar.dpl == 0, SEC, "a CS of type 3 must have DPL 0", GUEST_CS_AR_BYTES);
	if (t == 9 || t == 11)
		check_expect(c, cs->ar.dpl == ss->ar.dpl, SEC,
			     "a non-conforming CS (type 9 or 11) must have DPL equal to SS.DPL", GUEST_CS_AR_BYTES);
	if (t == 13 || t == 15)
		check_expect(c, cs->ar.dpl <= ss->ar.dpl, SEC,
			     "a conforming CS (type 13 or 15) must have DPL not greater than SS.DPL",
			     GUEST_CS_AR_BYTES);
}

static void seg_cs(struct check *c, const struct seg *cs, const struct seg *ss)
{
	unsigned t = cs->ar.type;
	bool type_ok = t == 9 || t == 11 || t == 13 || t == 15 || (c->unrestricted && t == 3);

	check_expect(c, type_ok, SEC,
		     "CS type must be 9, 11, 13 or 15 (accessed code), or 3 with \"unrestricted guest\" = 1",
		     GUEST_CS_AR_BYTES);
	seg_code_data_common(c, cs);
	seg_cs_dpl(c, cs, ss);
	check_expect(c, !(c->ia32e && cs->ar.l) || !cs->ar.db, SEC,
		     "with \"IA-32e mode guest\" = 1 and CS.L = 1, CS.D must be 0", GUEST_CS_AR_BYTES);
}

static void seg_ss(struct check *c, const struct seg *ss, const struct seg *cs)
{
	bool pe = check_get(c, GUEST_CR0) & CR0_PE;

	if (!ss->ar.unusable) {
		check_expect(c, ss->ar.type == 3 || ss->ar.type == 7, SEC,
			     "a usable SS must be of type 3 or 7 (read/write data, accessed)", GUEST_SS_AR_BYTES);
		seg_code_data_common(c, ss);
	}
	if (!c->unrestricted)
		check_expect(c, ss->ar.dpl == rpl(ss), SEC,
			     "SS.DPL must equal the SS selector RPL (unless \"unrestricted guest\" = 1)",
			     GUEST_SS_AR_BYTES);
	check_expect(c, !(cs->ar.type == 3 || !pe) || ss->ar.dpl == 0, SEC,
		     "SS.DPL must be 0 when the CS type is 3 or CR0.PE = 0", GUEST_SS_AR_BYTES);
}

/* DS, ES, FS, GS. */
static void seg_data(struct check *c, const struct seg *s)
{
	unsigned t = s->ar.type;

	if (s->ar.unusable)
		return;
	check_expect(c, t & 1, SEC,
		     "a usable DS, ES, FS or GS must have the accessed bit (type bit 0) set", s->f->ar);
	check_expect(c, !(t & 8) || (t & 2), SEC,
		     "a usable DS, ES, FS or GS of code type must be readable (type bit 1)", s->f->ar);
	seg_code_data_common(c, s);
	if (!c->unrestricted && t <= 11)
		check_expect(c, s->ar.dpl >= rpl(s), SEC,
			     "a usable DS, ES, FS or GS of data or non-conforming code type must have DPL not less than its selector RPL (unless \"unrestricted guest\" = 1)",
			     s->f->ar);
}

static void seg_tr(struct check *c, const struct seg *tr)
{
	unsigned t = tr->ar.type;

	if (c->ia32e)
		check_expect(c, t == 11, SEC,
			     "with \"IA-32e mode guest\" = 1, TR must be of type 11 (busy 64-bit TSS)",
			     GUEST_TR_AR_BYTES);
	else
		check_expect(c, t == 3 || t == 11, SEC, "TR must be of type 3 or 11 (busy TSS)",
			     GUEST_TR_AR_BYTES);
	check_expect(c, !tr->ar.s, SEC, "TR must have S (bit 4) = 0", GUEST_TR_AR_BYTES);
	check_expect(c, !tr->ar.unusable, SEC, "TR must be usable (access-rights bit 16 = 0)",
		     GUEST_TR_AR_BYTES);
	seg_ar_common(c, tr);
}

static void seg_ldtr(struct check *c, const struct seg *ldtr)
{
	if (ldtr->ar.unusable)
		return;
	check_expect(c, ldtr->ar.type == 2, SEC, "a usable LDTR must be of type 2 (LDT)",
		     GUEST_LDTR_AR_BYTES);
	check_expect(c, !ldtr->ar.s, SEC, "a usable LDTR must have S (bit 4) = 0", GUEST_LDTR_AR_BYTES);
	seg_ar_common(c, ldtr);
}

void check_guest_segs(struct check *c)
{
	static const unsigned data_segs[] = { SEG_DS, SEG_ES, SEG_FS, SEG_GS };
	struct seg s[SEG_COUNT];

	for (unsigned i = 0; i < SEG_COUNT; i++)
		s[i] = seg_load(c, i);
	seg_selectors(c, s);
	seg_bases(c, s);
	if (c->v86) {
		for (unsigned i = SEG_ES; i <= SEG_GS; i++)
			seg_v86(c, &s[i]);
	} else {
		seg_cs(c, &s[SEG_CS], &s[SEG_SS]);
		seg_ss(c, &s[SEG_SS], &s[SEG_CS]);
		for (size_t i = 0; i < ARRAY_SIZE(data_segs); i++)
			seg_data(c, &s[data_segs[i]]);
	}
	seg_tr(c, &s[SEG_TR]);
	seg_ldtr(c, &s[SEG_LDTR]);
}
