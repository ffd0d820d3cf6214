/* EPT builder: an identity map of guest-physical memory, typed from the MTRRs, with the
 * hypervisor's own pages left not present. Pure: the page allocator and the CPU's EPT
 * capabilities are arguments, so host tests run it over a heap arena.
 * SDM Vol. 3C, 29.3 "The Extended Page Table Mechanism (EPT)". */
#ifndef VMXRAY_EPT_EPT_H
#define VMXRAY_EPT_EPT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/bits.h"
#include "arch/mtrr.h"

/* EPT paging-structure entries, SDM Vol. 3C, 29.3.2 "EPT Translation Mechanism"
 * (tables "Format of an EPT PML4 Entry (PML4E)" .. "Format of an EPT Page-Table Entry
 * that Maps a 4-KByte Page"):
 *   0      Read access
 *   1      Write access
 *   2      Execute access (for supervisor-mode linear addresses when "mode-based
 *          execute control for EPT" is 1)
 *   5:3    EPT memory type (leaf entries; reserved, must be 0, in non-leaf entries)
 *   6      Ignore PAT memory type (IPAT; leaf entries)
 *   7      Page size: 1 in a PDPTE maps a 1-GByte page, in a PDE a 2-MByte page
 *          ("Must be 1 (otherwise, this entry references an EPT page directory)")
 *   8      Accessed flag, 9 Dirty flag (leaf) when EPTP bit 6 is 1
 *   10     Execute access for user-mode linear addresses (mode-based execute)
 *   N-1:12 physical address (of the next table, or of the page: N-1:21 for 2 MiB,
 *          N-1:30 for 1 GiB), N = MAXPHYADDR; 51:N reserved
 * An entry whose bits 2:0 are all 0 is "not present" (bit 10 also counts when
 * mode-based execute control is on). */
#define EPT_READ         BIT(0)
#define EPT_WRITE        BIT(1)
#define EPT_EXECUTE      BIT(2)
#define EPT_RWX          (EPT_READ | EPT_WRITE | EPT_EXECUTE)
#define EPT_MEMTYPE_HI   5
#define EPT_MEMTYPE_LO   3
#define EPT_IPAT         BIT(6)
#define EPT_PS           BIT(7)
#define EPT_ACCESSED     BIT(8)
#define EPT_DIRTY        BIT(9)
#define EPT_USER_EXECUTE BIT(10)
#define EPT_ADDR_HI      51
#define EPT_ADDR_LO      12

/* Levels as the walk counts them: 4 = PML4, 3 = PDPT (1 GiB leaf), 2 = PD (2 MiB leaf),
 * 1 = PT (4 KiB leaf). */
#define EPT_LEVEL_PT   1
#define EPT_LEVEL_PD   2
#define EPT_LEVEL_PDPT 3
#define EPT_LEVEL_PML4 4
#define EPT_ENTRIES    512
#define EPT_GPA_BITS   48 /* a 4-level walk translates guest-physical bits 47:0 */

/* EPTP, SDM Vol. 3C, 25.6.11 "Extended-Page-Table Pointer (EPTP)":
 *   2:0   EPT paging-structure memory type (0 UC, 6 WB)
 *   5:3   EPT page-walk length minus 1
 *   6     enable accessed and dirty flags for EPT
 *   N-1:12 physical address of the EPT PML4 table */
#define EPTP_MEMTYPE_HI  2
#define EPTP_MEMTYPE_LO  0
#define EPTP_MEMTYPE_UC  0ULL
#define EPTP_MEMTYPE_WB  6ULL
#define EPTP_PWL_SHIFT   3
#define EPTP_PWL_4       (3ULL << EPTP_PWL_SHIFT)
#define EPTP_AD          BIT(6)

/* Errors (negative). */
#define EPT_ENOMEM       (-1) /* the allocator ran out of table pages */
#define EPT_EINVAL       (-2) /* bad argument: unaligned, out of range, bad type/perms */
#define EPT_ENOTPRESENT  (-3) /* ept_translate: no translation (owned or unmapped) */

/* ---- entry decoders ---- */

static inline bool ept_entry_present(uint64_t e)
{
	return (e & (EPT_RWX | EPT_USER_EXECUTE)) != 0;
}

static inline unsigned ept_entry_perms(uint64_t e)
{
	return (unsigned)(e & EPT_RWX);
}

static inline uint8_t ept_entry_memtype(uint64_t e)
{
	return (uint8_t)bits_get(e, EPT_MEMTYPE_HI, EPT_MEMTYPE_LO);
}

static inline bool ept_entry_is_leaf(uint64_t e, unsigned level)
{
	return level == EPT_LEVEL_PT || (e & EPT_PS) != 0;
}

/* Bytes translated by one entry at this level: 4 KiB, 2 MiB, 1 GiB, 512 GiB. */
static inline uint64_t ept_level_size(unsigned level)
{
	return BIT(12 + 9 * (level - 1));
}

/* Physical address in an entry: the next table, or the page a leaf maps. */
static inline uint64_t ept_entry_addr(uint64_t e, unsigned level)
{
	unsigned lo = ept_entry_is_leaf(e, level) ? 12 + 9 * (level - 1) : EPT_ADDR_LO;

	return e & bits_mask(EPT_ADDR_HI, lo);
}

/* ---- builder ---- */

/* Table pages come from here. alloc_page returns the page's virtual address (NULL when out
 * of memory) and its physical address in *pa_out; the builder zeroes it. phys_to_virt maps
 * a table's physical address back (identity in the hypervisor; a heap arena in tests). */
struct ept_alloc {
	void *(*alloc_page)(void *ctx, uint64_t *pa_out);
	void *(*phys_to_virt)(void *ctx, uint64_t pa);
	void *ctx;
	/* Pages alloc_page can still give (NULL: unknown). With it, ept_update_memtypes is
	 * all-or-nothing: it counts first and changes nothing when the pages are short. */
	size_t (*pages_free)(void *ctx);
};

/* What the CPU offers, from IA32_VMX_EPT_VPID_CAP (bit 16: 2-MByte pages, bit 17:
 * 1-GByte pages, bit 21: accessed and dirty flags) and CPUID.80000008H:EAX[7:0]. */
struct ept_caps {
	bool page_1g;
	bool page_2m;
	bool ad;
	unsigned maxphyaddr;
};

/* A guest-physical range, 4 KiB aligned. */
struct ept_range {
	uint64_t base;
	uint64_t size;
};

struct ept {
	uint64_t *pml4;
	uint64_t pml4_pa;
	unsigned maxphyaddr;       /* address fields; the map covers [0, 2^min(this, 48)) */
	size_t pages_used;         /* table pages taken from the allocator, PML4 included */
	void *(*phys_to_virt)(void *ctx, uint64_t pa); /* kept for walks without an allocator */
	void *p2v_ctx;
};

/* Identity map of [0, 2^min(maxphyaddr, 48)) with read/write/execute, each page typed by
 * the MTRRs (EPT memory type = MTRR type, IPAT = 0 so the guest PAT still combines), in
 * 1 GiB pages where caps allow and the GiB has one type and no owned byte, else 2 MiB,
 * else 4 KiB. Owned ranges are left not present (entry 0) at 4 KiB granularity.
 * Returns 0, EPT_ENOMEM or EPT_EINVAL. */
int ept_build_identity(struct ept *e, const struct ept_caps *caps, const struct mtrr_state *mtrr,
		       const struct ept_range *owned, size_t n_owned, struct ept_alloc *alloc);

/* EPTP for VMWRITE: WB paging structures, 4-level walk, A/D flags if ad. */
uint64_t ept_pointer(const struct ept *e, bool ad);

/* Map one 4 KiB page gpa -> hpa with perms (EPT_READ|EPT_WRITE|EPT_EXECUTE; 0 makes the
 * page not present) and memtype (an MTRR_TYPE_*), splitting a 1 GiB or 2 MiB page on
 * the way (the other 511 entries keep their translation, permissions and type).
 * Write without read is an EPT misconfiguration and is refused (EPT_EINVAL).
 * The caller runs INVEPT afterwards when the EPT is live. */
int ept_map_4k(struct ept *e, uint64_t gpa, uint64_t hpa, unsigned perms, uint8_t memtype,
	       struct ept_alloc *alloc);

/* Software walk: 0 with the translation, the permissions (ANDed over the walk), the leaf
 * memory type and level (1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB); EPT_ENOTPRESENT with *level the
 * level of the not-present entry; EPT_EINVAL for gpa >= 2^48. Any out pointer may be NULL. */
int ept_translate(const struct ept *e, uint64_t gpa, uint64_t *hpa, unsigned *perms,
		  uint8_t *memtype, unsigned *level);

/* After a guest MTRR write: re-type every present page overlapping [base, base + size)
 * from the MTRRs, splitting a large page whose bytes in the range no longer share its
 * type. Not-present (owned) entries are left alone; split pages are not merged back.
 * The table pages the splits need are counted first (ept_memtypes_pages_needed): when
 * the allocator says it has fewer (alloc->pages_free), nothing changes and the result
 * is EPT_ENOMEM. A guest can ask for a lot: one PHYSMASK with holes (a discontinuous
 * mask) types every other 4 KiB page differently, which splits every large page.
 * The caller runs INVEPT afterwards. Returns 0, EPT_ENOMEM or EPT_EINVAL. */
int ept_update_memtypes(struct ept *e, const struct mtrr_state *mtrr, uint64_t base,
			uint64_t size, struct ept_alloc *alloc);

/* The table pages ept_update_memtypes(e, mtrr, base, size) would allocate, counted up
 * to `cap` (the count stops there: more than cap means "too many"). */
size_t ept_memtypes_pages_needed(const struct ept *e, const struct mtrr_state *mtrr, uint64_t base,
				 uint64_t size, size_t cap);

#endif
