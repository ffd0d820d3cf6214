/* vmxray's host page tables: an identity map built over an injected page allocator
 * (see arch/paging.h). Pure. */
#include "arch/paging.h"

#include "arch/bits.h"

#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_PS (1ULL << 7)
#define HOST_2M_LIMIT GiB(64)

uint64_t paging_identity_limit(unsigned maxphyaddr, bool use_1g)
{
	uint64_t all = maxphyaddr >= 48 ? (1ULL << 48) : (1ULL << maxphyaddr);
	if (!use_1g && all > HOST_2M_LIMIT)
		return HOST_2M_LIMIT;
	return all;
}

static uint64_t *new_table(struct page_alloc *a, uint64_t *pa)
{
	return a->alloc_page(a->ctx, pa);
}

/* Fills one PDPT covering [base, base + 512 GiB) up to limit. */
static bool fill_pdpt(struct page_alloc *a, uint64_t *pdpt, uint64_t base, uint64_t limit, bool use_1g)
{
	for (unsigned i = 0; i < 512 && base + i * GiB(1) < limit; i++) {
		uint64_t gb = base + i * GiB(1);
		if (use_1g) {
			pdpt[i] = gb | PTE_P | PTE_RW | PTE_PS;
			continue;
		}
		uint64_t pd_pa;
		uint64_t *pd = new_table(a, &pd_pa);
		if (!pd)
			return false;
		for (unsigned j = 0; j < 512; j++)
			pd[j] = (gb + j * MiB(2)) | PTE_P | PTE_RW | PTE_PS;
		pdpt[i] = pd_pa | PTE_P | PTE_RW;
	}
	return true;
}

uint64_t paging_build_identity(struct page_alloc *a, uint64_t limit, bool use_1g)
{
	uint64_t pml4_pa;
	uint64_t *pml4 = new_table(a, &pml4_pa);

	if (!pml4)
		return 0;
	for (unsigned i = 0; i < 512 && i * GiB(512) < limit; i++) {
		uint64_t pdpt_pa;
		uint64_t *pdpt = new_table(a, &pdpt_pa);
		if (!pdpt || !fill_pdpt(a, pdpt, i * GiB(512), limit, use_1g))
			return 0;
		pml4[i] = pdpt_pa | PTE_P | PTE_RW;
	}
	return pml4_pa;
}
