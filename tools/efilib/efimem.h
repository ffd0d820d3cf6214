/* Page allocations from UEFI boot services for in-guest test programs. Needs gnu-efi's
 * InitializeLib() to have run (uses its BS). */
#ifndef VMXRAY_TOOLS_EFILIB_EFIMEM_H
#define VMXRAY_TOOLS_EFILIB_EFIMEM_H
#include <stddef.h>
#include <stdint.h>

/* EfiBootServicesData pages at or below max_addr (UINT64_MAX: anywhere), or NULL. */
void *efimem_alloc_pages(size_t pages, uint64_t max_addr);
/* The page at exactly addr, or NULL when UEFI does not have it free. */
void *efimem_alloc_page_at(uint64_t addr);
void efimem_free_pages(void *p, size_t pages);

#endif
