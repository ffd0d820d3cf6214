/* EPT builder and walker. Pure: tables come from the injected allocator, CPU features
 * from struct ept_caps. SDM Vol. 3C, 29.3 "The Extended Page Table Mechanism (EPT)".
 *
 * Memory typing, SDM Vol. 3C, 29.3.7.2 "Memory Type Used for Translated Guest-Physical
 * Addresses": with IPAT = 0 the effective type combines the EPT memory type with the PAT
 * type by the same table that combines MTRR and PAT types on bare metal, the EPT type
 * standing in for the MTRR type; the MTRRs themselves are not consulted. We therefore
 * write the MTRR type of each page into its EPT leaf and keep IPAT clear, so the guest's
 * PAT combines exactly as it would natively. A leaf must not span two MTRR types, which
 * decides the page sizes below. */
#include "ept/ept.h"

#define EPT_PAGE_ORDER 12

struct ept_build {
	struct ept *e;
	const struct ept_caps *caps;
	const struct mtrr_state *mtrr;
	const struct ept_range *owned;
	size_t n_owned;
	struct ept_alloc *alloc;
	uint64_t limit; /* end of the identity map */
};

struct ept_update {
	struct ept *e;
	const struct mtrr_state *mtrr;
	struct ept_alloc *alloc;
	uint64_t start, end;
};

static unsigned ept_index(uint64_t gpa, unsigned level)
{
	unsigned lo = EPT_PAGE_ORDER + 9 * (level - 1);

	return (unsigned)bits_get(gpa, lo + 8, lo);
}

static uint64_t ept_make_leaf(uint64_t hpa, unsigned perms, uint8_t memtype, unsigned level)
{
	uint64_t e = hpa | perms | ((uint64_t)memtype << EPT_MEMTYPE_LO);

	return level > EPT_LEVEL_PT ? e | EPT_PS : e;
}

/* Non-leaf entries grant everything; the leaf decides. Bits 7:3 stay 0 ("Reserved (must
 * be 0)" in the PML4E, PDPTE and PDE formats that reference a table). */
static uint64_t ept_make_table_entry(uint64_t table_pa)
{
	return table_pa | EPT_RWX;
}

static uint64_t ept_set_memtype(uint64_t e, uint8_t memtype)
{
	return (e & ~bits_mask(EPT_MEMTYPE_HI, EPT_MEMTYPE_LO)) | ((uint64_t)memtype << EPT_MEMTYPE_LO);
}

static uint64_t *ept_table_of(const struct ept *e, uint64_t entry, unsigned level)
{
	return e->phys_to_virt(e->p2v_ctx, ept_entry_addr(entry, level));
}

static uint64_t ept_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t ept_max(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* A zeroed table page. Its physical address must fit the address fields (bits N-1:12). */
static int ept_new_table(struct ept *e, struct ept_alloc *alloc, uint64_t **table, uint64_t *pa)
{
	uint64_t *t = alloc->alloc_page(alloc->ctx, pa);

	if (!t)
		return EPT_ENOMEM;
	if (!is_aligned(*pa, PAGE_SIZE) || (*pa >> e->maxphyaddr) != 0)
		return EPT_EINVAL;
	for (unsigned i = 0; i < EPT_ENTRIES; i++)
		t[i] = 0;
	e->pages_used++;
	*table = t;
	return 0;
}

/* Replace a 1 GiB or 2 MiB leaf by a table of 512 smaller leaves with the same
 * translation and attributes (permissions, type, IPAT, A/D), filled before the entry is
 * switched over so a concurrent hardware walk sees either the old or the new mapping. */
static int ept_split(struct ept *e, uint64_t *entry, unsigned level, struct ept_alloc *alloc)
{
	uint64_t *child, child_pa;
	uint64_t base = ept_entry_addr(*entry, level);
	uint64_t attrs = *entry & ~bits_mask(EPT_ADDR_HI, EPT_ADDR_LO) & ~EPT_PS;
	uint64_t step = ept_level_size(level - 1);
	int rc = ept_new_table(e, alloc, &child, &child_pa);

	if (rc)
		return rc;
	for (unsigned i = 0; i < EPT_ENTRIES; i++)
		child[i] = attrs | (base + i * step) | (level - 1 > EPT_LEVEL_PT ? EPT_PS : 0);
	*entry = ept_make_table_entry(child_pa);
	return 0;
}

/* ---- identity build ---- */

static bool ept_owned_overlaps(const struct ept_build *b, uint64_t base, uint64_t size)
{
	for (size_t i = 0; i < b->n_owned; i++) {
		const struct ept_range *r = &b->owned[i];

		if (r->size && base < r->base + r->size && r->base < base + size)
			return true;
	}
	return false;
}

static bool ept_level_has_large_pages(const struct ept_caps *caps, unsigned level)
{
	if (level == EPT_LEVEL_PDPT)
		return caps->page_1g;
	return level == EPT_LEVEL_PD && caps->page_2m;
}

/* A large leaf at addr: the CPU offers the size, no owned byte lies inside, and the
 * whole page has one MTRR type. */
static bool ept_can_map_large(const struct ept_build *b, unsigned level, uint64_t addr,
			      uint8_t *type)
{
	uint64_t size = ept_level_size(level);

	if (!ept_level_has_large_pages(b->caps, level) || addr + size > b->limit)
		return false;
	return !ept_owned_overlaps(b, addr, size) && mtrr_range_is_uniform(b->mtrr, addr, size, type);
}

static int ept_build_table(struct ept_build *b, uint64_t *table, unsigned level, uint64_t base);

static int ept_build_entry(struct ept_build *b, uint64_t *entry, unsigned level, uint64_t addr)
{
	uint64_t *child, child_pa;
	uint8_t type;
	int rc;

	if (level == EPT_LEVEL_PT) {
		bool owned = ept_owned_overlaps(b, addr, PAGE_SIZE);

		*entry = owned ? 0 : ept_make_leaf(addr, EPT_RWX, mtrr_type_of(b->mtrr, addr), level);
		return 0;
	}
	if (ept_can_map_large(b, level, addr, &type)) {
		*entry = ept_make_leaf(addr, EPT_RWX, type, level);
		return 0;
	}
	rc = ept_new_table(b->e, b->alloc, &child, &child_pa);
	if (rc)
		return rc;
	*entry = ept_make_table_entry(child_pa);
	return ept_build_table(b, child, level - 1, addr);
}

static int ept_build_table(struct ept_build *b, uint64_t *table, unsigned level, uint64_t base)
{
	uint64_t size = ept_level_size(level);

	for (unsigned i = 0; i < EPT_ENTRIES && base + i * size < b->limit; i++) {
		int rc = ept_build_entry(b, &table[i], level, base + i * size);

		if (rc)
			return rc;
	}
	return 0;
}

static bool ept_ranges_valid(const struct ept_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!is_aligned(r[i].base, PAGE_SIZE) || !is_aligned(r[i].size, PAGE_SIZE))
			return false;
		if (r[i].base + r[i].size < r[i].base)
			return false;
	}
	return true;
}

/* Address width of the map: MAXPHYADDR, but no more than a 4-level walk translates. */
static unsigned ept_map_width(unsigned maxphyaddr)
{
	return maxphyaddr < EPT_GPA_BITS ? maxphyaddr : EPT_GPA_BITS;
}

int ept_build_identity(struct ept *e, const struct ept_caps *caps, const struct mtrr_state *mtrr,
		       const struct ept_range *owned, size_t n_owned, struct ept_alloc *alloc)
{
	struct ept_build b = { e, caps, mtrr, owned, n_owned, alloc, 0 };
	int rc;

	if (caps->maxphyaddr < 32 || caps->maxphyaddr > 52 || !ept_ranges_valid(owned, n_owned))
		return EPT_EINVAL;
	*e = (struct ept){
		.maxphyaddr = caps->maxphyaddr,
		.phys_to_virt = alloc->phys_to_virt,
		.p2v_ctx = alloc->ctx,
	};
	b.limit = BIT(ept_map_width(caps->maxphyaddr));
	rc = ept_new_table(e, alloc, &e->pml4, &e->pml4_pa);
	if (rc)
		return rc;
	return ept_build_table(&b, e->pml4, EPT_LEVEL_PML4, 0);
}

/* SDM Vol. 3C, 29.3.7.1 "Memory Type Used for Accessing EPT Paging Structures": the type
 * comes from EPTP bits 2:0; WB needs IA32_VMX_EPT_VPID_CAP bit 14 (the caller checks). */
uint64_t ept_pointer(const struct ept *e, bool ad)
{
	return e->pml4_pa | EPTP_PWL_4 | EPTP_MEMTYPE_WB | (ad ? EPTP_AD : 0);
}

/* ---- walks ---- */

int ept_translate(const struct ept *e, uint64_t gpa, uint64_t *hpa, unsigned *perms,
		  uint8_t *memtype, unsigned *level)
{
	const uint64_t *table = e->pml4;
	unsigned allowed = EPT_RWX;

	if (gpa >> EPT_GPA_BITS)
		return EPT_EINVAL;
	for (unsigned l = EPT_LEVEL_PML4;; l--) {
		uint64_t entry = table[ept_index(gpa, l)];

		if (level)
			*level = l;
		if (!ept_entry_present(entry))
			return EPT_ENOTPRESENT;
		allowed &= ept_entry_perms(entry);
		if (ept_entry_is_leaf(entry, l)) {
			if (hpa)
				*hpa = ept_entry_addr(entry, l) | (gpa & (ept_level_size(l) - 1));
			if (perms)
				*perms = allowed;
			if (memtype)
				*memtype = ept_entry_memtype(entry);
			return 0;
		}
		table = ept_table_of(e, entry, l);
	}
}

/* Make *entry (at level > 1) reference a table: allocate one for a not-present entry,
 * split a large leaf. */
static int ept_ensure_table(struct ept *e, uint64_t *entry, unsigned level, struct ept_alloc *alloc)
{
	uint64_t *child, child_pa;
	int rc;

	if (ept_entry_present(*entry))
		return ept_entry_is_leaf(*entry, level) ? ept_split(e, entry, level, alloc) : 0;
	rc = ept_new_table(e, alloc, &child, &child_pa);
	if (rc)
		return rc;
	*entry = ept_make_table_entry(child_pa);
	return 0;
}

static bool ept_map_args_valid(const struct ept *e, uint64_t gpa, uint64_t hpa, unsigned perms,
			       uint8_t memtype)
{
	if (!is_aligned(gpa | hpa, PAGE_SIZE) || (gpa >> EPT_GPA_BITS) || (hpa >> e->maxphyaddr))
		return false;
	if (perms & ~EPT_RWX)
		return false;
	/* SDM Vol. 3C, 29.3.3.1 "EPT Misconfigurations": "Bit 0 of the entry is clear
	 * (indicating that data reads are not allowed) and bit 1 is set", or a memory type
	 * of 2, 3 or 7. */
	if ((perms & EPT_WRITE) && !(perms & EPT_READ))
		return false;
	return perms == 0 || mtrr_type_valid(memtype);
}

int ept_map_4k(struct ept *e, uint64_t gpa, uint64_t hpa, unsigned perms, uint8_t memtype,
	       struct ept_alloc *alloc)
{
	uint64_t *table = e->pml4;

	if (!ept_map_args_valid(e, gpa, hpa, perms, memtype))
		return EPT_EINVAL;
	for (unsigned l = EPT_LEVEL_PML4; l > EPT_LEVEL_PT; l--) {
		uint64_t *entry = &table[ept_index(gpa, l)];
		int rc = ept_ensure_table(e, entry, l, alloc);

		if (rc)
			return rc;
		table = ept_table_of(e, *entry, l);
	}
	table[ept_index(gpa, EPT_LEVEL_PT)] =
		perms ? ept_make_leaf(hpa, perms, memtype, EPT_LEVEL_PT) : 0;
	return 0;
}

/* ---- re-typing after a guest MTRR write ---- */

static int ept_update_table(struct ept_update *u, uint64_t *table, unsigned level, uint64_t base);

/* A large leaf keeps being one leaf when the MTRR types of its bytes inside the range
 * agree, and either the leaf lies wholly in the range (take the new type) or the
 * common type is already its type (the part outside the range did not change). */
static bool ept_large_stays(const struct ept_update *u, uint64_t entry, uint64_t addr,
			    uint64_t size, uint8_t *type)
{
	uint64_t lo = ept_max(addr, u->start), hi = ept_min(addr + size, u->end);

	if (!mtrr_range_is_uniform(u->mtrr, lo, hi - lo, type))
		return false;
	return (lo == addr && hi == addr + size) || *type == ept_entry_memtype(entry);
}

static int ept_update_entry(struct ept_update *u, uint64_t *entry, unsigned level, uint64_t addr)
{
	uint8_t type;
	int rc;

	if (!ept_entry_present(*entry))
		return 0; /* owned by the hypervisor, or never mapped */
	if (level == EPT_LEVEL_PT) {
		*entry = ept_set_memtype(*entry, mtrr_type_of(u->mtrr, addr));
		return 0;
	}
	if (ept_entry_is_leaf(*entry, level)) {
		if (ept_large_stays(u, *entry, addr, ept_level_size(level), &type)) {
			*entry = ept_set_memtype(*entry, type);
			return 0;
		}
		rc = ept_split(u->e, entry, level, u->alloc);
		if (rc)
			return rc;
	}
	return ept_update_table(u, ept_table_of(u->e, *entry, level), level - 1, addr);
}

static int ept_update_table(struct ept_update *u, uint64_t *table, unsigned level, uint64_t base)
{
	uint64_t size = ept_level_size(level);

	for (unsigned i = 0; i < EPT_ENTRIES; i++) {
		uint64_t addr = base + i * size;
		int rc;

		if (addr >= u->end || addr + size <= u->start)
			continue;
		rc = ept_update_entry(u, &table[i], level, addr);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- counting first: the pages a retype needs ---- */

struct ept_count {
	const struct ept_update *u;
	size_t n, cap;
};

/* A large leaf with this type at addr (real, or one a split would create): 0 when it
 * stays, else the table its split takes plus what its children need in turn. */
static void ept_count_leaf(struct ept_count *c, uint8_t type, unsigned level, uint64_t addr)
{
	uint64_t size = ept_level_size(level), child = ept_level_size(level - 1);
	uint8_t t;

	if (level == EPT_LEVEL_PT || c->n > c->cap ||
	    ept_large_stays(c->u, ept_make_leaf(addr, EPT_RWX, type, level), addr, size, &t))
		return;
	c->n++;
	for (unsigned i = 0; i < EPT_ENTRIES && c->n <= c->cap; i++) {
		uint64_t a = addr + i * child;
		if (a < c->u->end && a + child > c->u->start)
			ept_count_leaf(c, type, level - 1, a);
	}
}

static void ept_count_table(struct ept_count *c, const uint64_t *table, unsigned level, uint64_t base)
{
	uint64_t size = ept_level_size(level);

	for (unsigned i = 0; i < EPT_ENTRIES && c->n <= c->cap; i++) {
		uint64_t addr = base + i * size, e = table[i];

		if (addr >= c->u->end || addr + size <= c->u->start || !ept_entry_present(e) || level == EPT_LEVEL_PT)
			continue;
		if (ept_entry_is_leaf(e, level))
			ept_count_leaf(c, ept_entry_memtype(e), level, addr);
		else
			ept_count_table(c, ept_table_of(c->u->e, e, level), level - 1, addr);
	}
}

static bool ept_update_range(struct ept_update *u, uint64_t base, uint64_t size)
{
	uint64_t end = base + size;

	if (end < base || base >= BIT(EPT_GPA_BITS))
		return false;
	u->start = align_down(base, PAGE_SIZE);
	u->end = align_up(ept_min(end, BIT(EPT_GPA_BITS)), PAGE_SIZE);
	return true;
}

size_t ept_memtypes_pages_needed(const struct ept *e, const struct mtrr_state *mtrr, uint64_t base,
				 uint64_t size, size_t cap)
{
	struct ept_update u = { (struct ept *)e, mtrr, NULL, 0, 0 };
	struct ept_count c = { &u, 0, cap };

	if (size == 0 || !ept_update_range(&u, base, size))
		return 0;
	ept_count_table(&c, e->pml4, EPT_LEVEL_PML4, 0);
	return c.n;
}

int ept_update_memtypes(struct ept *e, const struct mtrr_state *mtrr, uint64_t base,
			uint64_t size, struct ept_alloc *alloc)
{
	struct ept_update u = { e, mtrr, alloc, 0, 0 };

	if (size == 0)
		return 0;
	if (!ept_update_range(&u, base, size))
		return EPT_EINVAL;
	if (alloc->pages_free) {
		size_t free = alloc->pages_free(alloc->ctx);
		if (ept_memtypes_pages_needed(e, mtrr, base, size, free) > free)
			return EPT_ENOMEM; /* nothing changed */
	}
	return ept_update_table(&u, e->pml4, EPT_LEVEL_PML4, 0);
}
