/* A pure walker of the guest's page tables (vmx/decode/guest_walk.h). Section titles are from
 * SDM Vol. 3A, chapter 4 "Paging". */
#include "vmx/decode/guest_walk.h"

#include "arch/bits.h"
#include "arch/cr.h"
#include "arch/msr.h"

#define PAGE_4K (1ULL << 12)
#define PAGE_2M (1ULL << 21)
#define PAGE_4M (1ULL << 22)
#define PAGE_1G (1ULL << 30)

/* Access rights gathered along the walk (4.6 "Access Rights"): a page is writable or
 * user-mode only if every entry that maps it says so, and execute-disable if any does. */
struct rights {
	bool rw, us, xd;
};

static struct guest_walk walk_ok(const struct guest_walk *w, uint64_t gpa, uint64_t page_size)
{
	struct guest_walk r = *w;
	r.status = GUEST_WALK_OK;
	r.gpa = gpa;
	r.page_size = page_size;
	return r;
}

/* 4.7 "Page-Fault Exceptions": W/R, U/S and I/D describe the access, whatever the
 * cause. I/D is reported only "if CR4.SMEP = 1 or if both CR4.PAE = 1 and
 * IA32_EFER.NXE = 1". */
static uint32_t access_error_bits(const struct guest_paging *p, enum guest_access a)
{
	uint32_t ec = 0;
	if (a == GUEST_ACCESS_WRITE)
		ec |= PF_ERR_W;
	if (p->cpl == 3)
		ec |= PF_ERR_U;
	if (a == GUEST_ACCESS_FETCH &&
	    ((p->cr4 & CR4_SMEP) || ((p->cr4 & CR4_PAE) && (p->efer & EFER_NXE))))
		ec |= PF_ERR_ID;
	return ec;
}

static struct guest_walk walk_fault(const struct guest_paging *p, enum guest_access a, uint32_t cause)
{
	return (struct guest_walk){ .status = GUEST_WALK_PF, .error_code = access_error_bits(p, a) | cause };
}

/* Physical-address bits of an entry or of CR3: bits MAXPHYADDR-1:12. */
static uint64_t frame_mask(const struct guest_paging *p)
{
	unsigned m = p->maxphyaddr > 52 ? 52 : p->maxphyaddr;
	return bits_mask(m - 1, 12);
}

/* 4.6.1 "Determination of Access Rights". */
static bool rights_allow(const struct guest_paging *p, struct rights r, enum guest_access a)
{
	bool user = p->cpl == 3;

	if (a == GUEST_ACCESS_FETCH) {
		if (r.xd)
			return false;
		return user ? r.us : !(r.us && (p->cr4 & CR4_SMEP));
	}
	if (user)
		return r.us && (a == GUEST_ACCESS_READ || r.rw);
	/* Supervisor data accesses to user-mode pages: "If CR4.SMAP = 1 ... explicit
	 * accesses are allowed only if EFLAGS.AC = 1". */
	if (r.us && (p->cr4 & CR4_SMAP) && !p->rflags_ac)
		return false;
	/* "If CR0.WP = 0, data may be written to any supervisor-mode address" (and to
	 * user-mode addresses with a translation that is read-only). */
	return a == GUEST_ACCESS_READ || r.rw || !(p->cr0 & CR0_WP);
}

static struct guest_walk walk_finish(const struct guest_paging *p, const struct guest_walk *w, struct rights r,
				     enum guest_access a, uint64_t gpa, uint64_t page_size)
{
	if (!rights_allow(p, r, a))
		return walk_fault(p, a, PF_ERR_P);
	return walk_ok(w, gpa, page_size);
}

static void gather(struct rights *r, uint64_t e)
{
	r->rw = r->rw && (e & PTE_RW);
	r->us = r->us && (e & PTE_US);
	r->xd = r->xd || (e & PTE_XD);
}

static uint64_t read_entry(const struct guest_paging *p, struct guest_walk *w, uint64_t gpa, unsigned size)
{
	uint64_t v = p->read(p->ctx, gpa, size);
	if (w->entries < GUEST_WALK_MAX_ENTRIES) {
		w->entry_gpa[w->entries] = gpa;
		w->entry_val[w->entries] = v;
		w->entry_size[w->entries++] = (uint8_t)size;
	}
	return v;
}

/* ---- 32-bit paging: 4.3 "32-Bit Paging" ---- */

/* A PDE that maps a 4-MByte page (Table 4-4): bits 20:13 hold physical-address bits
 * 39:32 (those at or above MAXPHYADDR are reserved), bit 21 is reserved. */
static bool pde4m_reserved(const struct guest_paging *p, uint32_t pde)
{
	unsigned m = p->maxphyaddr > 40 ? 40 : p->maxphyaddr;
	uint64_t rsvd = bits_mask(21, 21);
	if (m < 40)
		rsvd |= bits_mask(20, m - 32 + 13);
	return pde & rsvd;
}

static uint64_t pde4m_frame(uint32_t pde)
{
	return (pde & 0xFFC00000ULL) | (bits_get(pde, 20, 13) << 32);
}

static struct guest_walk walk_32bit(const struct guest_paging *p, uint32_t la, enum guest_access a)
{
	struct guest_walk w = { 0 };
	struct rights r = { true, true, false };
	uint32_t pde = (uint32_t)read_entry(p, &w, (p->cr3 & 0xFFFFF000ULL) + bits_get(la, 31, 22) * 4, 4);

	if (!(pde & PTE_P))
		return walk_fault(p, a, 0);
	gather(&r, pde);
	if ((pde & PTE_PS) && (p->cr4 & CR4_PSE)) {
		if (pde4m_reserved(p, pde))
			return walk_fault(p, a, PF_ERR_P | PF_ERR_RSVD);
		return walk_finish(p, &w, r, a, pde4m_frame(pde) | (la & (PAGE_4M - 1)), PAGE_4M);
	}
	uint32_t pte = (uint32_t)read_entry(p, &w, (pde & 0xFFFFF000ULL) + bits_get(la, 21, 12) * 4, 4);
	if (!(pte & PTE_P))
		return walk_fault(p, a, 0);
	gather(&r, pte);
	return walk_finish(p, &w, r, a, (pte & 0xFFFFF000ULL) | (la & (PAGE_4K - 1)), PAGE_4K);
}

/* ---- PAE, 4-level and 5-level paging: 64-bit entries ---- */

/* Reserved bits of a present 64-bit entry at `level` (1 PTE, 2 PDE, 3 PDPTE, 4 PML4E,
 * 5 PML5E), 4.4.2 "Linear-Address Translation with PAE Paging" and 4.5.4
 * "Linear-Address Translation with 4-Level Paging and 5-Level Paging": physical-address
 * bits at or above MAXPHYADDR (PAE: bits 62:MAXPHYADDR, the rest: 51:MAXPHYADDR), XD
 * without IA32_EFER.NXE, PS in a PML5E/PML4E, PS in a PDPTE without 1-GByte pages,
 * the low bits of a large page's address. */
static bool entry_reserved(const struct guest_paging *p, uint64_t e, unsigned level, bool pae)
{
	unsigned m = p->maxphyaddr > 52 ? 52 : p->maxphyaddr;
	uint64_t rsvd = pae ? bits_mask(62, m) : (m < 52 ? bits_mask(51, m) : 0);

	if (!(p->efer & EFER_NXE))
		rsvd |= PTE_XD;
	if (e & rsvd)
		return true;
	if (level == 1 || !(e & PTE_PS))
		return false;
	if (level >= 4)
		return true;
	if (level == 3)
		return !p->page1gb || (e & bits_mask(29, 13));
	return e & bits_mask(20, 13);
}

static unsigned level_shift(unsigned level)
{
	return 12 + 9 * (level - 1);
}

/* Walks from `table` down from `level` to the page: PDE and PTE for PAE paging (level
 * 2), all levels for 4-level (4) and 5-level (5) paging. */
static struct guest_walk walk_levels(const struct guest_paging *p, struct guest_walk *w, struct rights r,
				     uint64_t table, unsigned level, uint64_t la, enum guest_access a, bool pae)
{
	for (;; level--) {
		unsigned shift = level_shift(level);
		uint64_t e = read_entry(p, w, table + bits_get(la, shift + 8, shift) * 8, 8);

		if (!(e & PTE_P))
			return walk_fault(p, a, 0);
		if (entry_reserved(p, e, level, pae))
			return walk_fault(p, a, PF_ERR_P | PF_ERR_RSVD);
		gather(&r, e);
		if (level == 1 || (e & PTE_PS)) {
			uint64_t size = 1ULL << shift;
			return walk_finish(p, w, r, a, (e & frame_mask(p) & ~(size - 1)) | (la & (size - 1)), size);
		}
		table = e & frame_mask(p);
	}
}

/* 4.4 "PAE Paging": the PDPTE comes from the PDPTE registers (GUEST_PDPTR0-3); only its
 * P flag matters here (the reserved bits were checked when it was loaded), and it
 * carries no access rights. */
static struct guest_walk walk_pae(const struct guest_paging *p, uint32_t la, enum guest_access a)
{
	struct guest_walk w = { 0 };
	uint64_t pdpte = p->pdptr[bits_get(la, 31, 30)];

	if (!(pdpte & PTE_P))
		return walk_fault(p, a, 0);
	return walk_levels(p, &w, (struct rights){ true, true, false }, pdpte & frame_mask(p), 2, la, a, true);
}

/* 3.3.7.1 "Canonical Addressing": bits 63:47 (5-level: 63:56) all equal. */
static bool canonical(uint64_t la, bool la57)
{
	unsigned top = la57 ? 56 : 47;
	uint64_t high = la >> top;
	return high == 0 || high == (~0ULL >> top);
}

static struct guest_walk walk_long(const struct guest_paging *p, uint64_t la, enum guest_access a)
{
	struct guest_walk w = { 0 };
	bool la57 = p->cr4 & CR4_LA57;

	if (!canonical(la, la57))
		return (struct guest_walk){ .status = GUEST_WALK_NONCANONICAL };
	return walk_levels(p, &w, (struct rights){ true, true, false }, p->cr3 & frame_mask(p), la57 ? 5 : 4, la,
			   a, false);
}

struct guest_walk guest_walk(const struct guest_paging *p, uint64_t la, enum guest_access access)
{
	if (!(p->cr0 & CR0_PG)) {
		struct guest_walk w = { 0 };
		return walk_ok(&w, la & 0xFFFFFFFFULL, PAGE_4K);
	}
	if (!(p->cr4 & CR4_PAE))
		return walk_32bit(p, (uint32_t)la, access);
	if (!(p->efer & EFER_LMA))
		return walk_pae(p, (uint32_t)la, access);
	return walk_long(p, la, access);
}

bool guest_walk_set_ad(const struct guest_walk *w, bool write, guest_phys_cmpxchg_fn cas, void *ctx)
{
	for (unsigned i = 0; i < w->entries; i++) {
		uint64_t bits = PTE_A | (write && i + 1 == w->entries ? PTE_D : 0);
		uint64_t old = w->entry_val[i];

		if ((old & bits) == bits)
			continue;
		if (!cas(ctx, w->entry_gpa[i], w->entry_size[i], old, old | bits))
			return false;
	}
	return true;
}
