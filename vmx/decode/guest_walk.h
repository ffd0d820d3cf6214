/* A pure walker of the guest's page tables: linear address to guest-physical address,
 * or the fault the access would take. The paging mode comes from the guest's CR0, CR4
 * and IA32_EFER (SDM Vol. 3A, 4.1.1 "Four Paging Modes"): none (CR0.PG = 0), 32-bit,
 * PAE (the PDPTEs come from the VMCS, GUEST_PDPTR0-3), 4-level and 5-level (CR4.LA57).
 * Paging-structure entries are read through a callback, so tests run it over a fake
 * memory. What it checks (SDM Vol. 3A, 4.6 "Access Rights", 4.7 "Page-Fault
 * Exceptions"): the P flag; R/W (supervisor writes need it only with CR0.WP = 1); U/S
 * for CPL 3; SMAP and SMEP for supervisor accesses to user pages; XD with
 * IA32_EFER.NXE; reserved bits: physical-address bits at or above MAXPHYADDR, PS in a
 * PML5E/PML4E, PS in a PDPTE without 1-GByte pages, the reserved low bits of large
 * pages, XD without IA32_EFER.NXE. Not modelled: protection keys (CR4.PKE/PKS),
 * shadow stacks, HLAT. Accessed and dirty flags are not written by the walk: it
 * reports the entries it used and what they held, and guest_walk_set_ad() sets the
 * flags through a compare-exchange, only in an entry that still holds that value. */
#ifndef VMXRAY_VMX_GUEST_WALK_H
#define VMXRAY_VMX_GUEST_WALK_H
#include <stdbool.h>
#include <stdint.h>

/* Page-fault error code (SDM Vol. 3A, 4.7 "Page-Fault Exceptions"). */
#define PF_ERR_P    (1u << 0) /* 0: non-present page; 1: protection or reserved bit */
#define PF_ERR_W    (1u << 1) /* the access was a write */
#define PF_ERR_U    (1u << 2) /* the access was a user-mode access (CPL 3) */
#define PF_ERR_RSVD (1u << 3) /* a reserved bit was set in a paging-structure entry */
#define PF_ERR_ID   (1u << 4) /* instruction fetch (reported with NXE or SMEP) */

/* Paging-structure entry flags (SDM Vol. 3A, 4.3, 4.4.2, 4.5.4 tables of entry formats). */
#define PTE_P   (1ULL << 0)
#define PTE_RW  (1ULL << 1)
#define PTE_US  (1ULL << 2)
#define PTE_A   (1ULL << 5)
#define PTE_D   (1ULL << 6)
#define PTE_PS  (1ULL << 7)
#define PTE_XD  (1ULL << 63)

enum guest_access {
	GUEST_ACCESS_READ,
	GUEST_ACCESS_WRITE,
	GUEST_ACCESS_FETCH,
};

/* Reads `size` bytes (4 or 8) of guest-physical memory at gpa, little-endian. */
typedef uint64_t (*guest_phys_read_fn)(void *ctx, uint64_t gpa, unsigned size);

struct guest_paging {
	uint64_t cr0, cr3, cr4, efer;
	uint64_t pdptr[4];   /* PAE paging: GUEST_PDPTR0-3 (the CPU's PDPTE registers) */
	unsigned cpl;        /* 3: user-mode accesses; 0-2: supervisor-mode accesses */
	bool rflags_ac;      /* RFLAGS.AC: SMAP lets supervisor data accesses through */
	unsigned maxphyaddr; /* CPUID.80000008H:EAX[7:0] */
	bool page1gb;        /* CPUID.80000001H:EDX.Page1GB[26] */
	guest_phys_read_fn read;
	void *ctx;
};

enum guest_walk_status {
	GUEST_WALK_OK,
	GUEST_WALK_PF,           /* page fault: error_code */
	GUEST_WALK_NONCANONICAL, /* 4-/5-level paging: #GP(0) (#SS(0) through SS) */
	GUEST_WALK_RETRY,        /* an entry changed while the flags were set: no fault, the
				  * guest runs the instruction again (caller's verdict) */
};

#define GUEST_WALK_MAX_ENTRIES 5

struct guest_walk {
	enum guest_walk_status status;
	uint64_t gpa;          /* GUEST_WALK_OK: the guest-physical address */
	uint32_t error_code;   /* GUEST_WALK_PF: the #PF error code */
	uint64_t page_size;    /* GUEST_WALK_OK: 4 KiB, 2 MiB, 4 MiB or 1 GiB (paging off: 4 KiB) */
	/* The paging-structure entries the translation used, root first, the last one
	 * mapping the page (the PDPTE registers of PAE paging are not among them). Their
	 * accessed flags (and the last one's dirty flag on a write) are in the low byte of
	 * each, at these addresses, whether the entry is 4 or 8 bytes. */
	unsigned entries;
	uint64_t entry_gpa[GUEST_WALK_MAX_ENTRIES];
	uint64_t entry_val[GUEST_WALK_MAX_ENTRIES];  /* what the walk read there */
	uint8_t entry_size[GUEST_WALK_MAX_ENTRIES];  /* 4 (32-bit paging) or 8 */
};

/* The translation of linear address la for an access of this kind. */
struct guest_walk guest_walk(const struct guest_paging *p, uint64_t la, enum guest_access access);

/* Writes `desired` at gpa (an entry of `size` bytes) if it still holds `expected`, as
 * one locked compare-exchange; false when it did not (nothing written). */
typedef bool (*guest_phys_cmpxchg_fn)(void *ctx, uint64_t gpa, unsigned size, uint64_t expected,
				      uint64_t desired);

/* After a successful walk: the accessed flag of every entry it used, and the dirty flag
 * of the one that maps the page on a write (SDM Vol. 3A, 4.8 "Accessed and Dirty
 * Flags"), each set only in an entry that still holds what the walk read. Another
 * processor may have changed it since (made it not present, pointed it elsewhere):
 * ORing the flags into its new value would corrupt it, and the translation is stale.
 * Returns false at the first entry that changed: the caller walks again or lets the
 * guest retry. Entries that already have their flags are not written. */
bool guest_walk_set_ad(const struct guest_walk *w, bool write, guest_phys_cmpxchg_fn cas, void *ctx);

#endif
