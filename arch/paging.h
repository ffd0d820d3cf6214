/* vmxray's own host page tables: an identity map of physical memory, so root mode
 * never depends on the firmware's tables (which the OS replaces and reclaims). Pure:
 * pages come from an injected allocator. SDM Vol. 3A, 4.5 "4-Level Paging and 5-Level Paging". */
#ifndef VMXRAY_ARCH_PAGING_H
#define VMXRAY_ARCH_PAGING_H
#include <stdbool.h>
#include <stdint.h>

struct page_alloc {
	void *(*alloc_page)(void *ctx, uint64_t *pa_out); /* zeroed 4 KiB page */
	void *ctx;
};

/* Maps [0, limit) identity, RW, supervisor, with 1 GiB pages when use_1g, else 2 MiB.
 * Returns the PML4's physical address (the host CR3), or 0 when out of pages. */
uint64_t paging_build_identity(struct page_alloc *a, uint64_t limit, bool use_1g);

/* The size of what paging_build_identity maps for a given MAXPHYADDR: all of it with
 * 1 GiB pages (capped at 512 GiB per PML4 entry x 512), 64 GiB with 2 MiB pages. */
uint64_t paging_identity_limit(unsigned maxphyaddr, bool use_1g);

#endif
