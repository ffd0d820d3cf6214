/* Page allocations: see efimem.h. */
#include "tools/efilib/efimem.h"

#include <efi.h>
#include <efilib.h>

void *efimem_alloc_pages(size_t pages, uint64_t max_addr)
{
	EFI_PHYSICAL_ADDRESS addr = max_addr;
	EFI_ALLOCATE_TYPE type = max_addr == UINT64_MAX ? AllocateAnyPages : AllocateMaxAddress;

	if (uefi_call_wrapper(BS->AllocatePages, 4, type, EfiBootServicesData, pages, &addr) != EFI_SUCCESS)
		return NULL;
	return (void *)(uintptr_t)addr;
}

void *efimem_alloc_page_at(uint64_t addr)
{
	EFI_PHYSICAL_ADDRESS a = addr;

	if (uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress, EfiBootServicesData, 1, &a) != EFI_SUCCESS)
		return NULL;
	return (void *)(uintptr_t)a;
}

void efimem_free_pages(void *p, size_t pages)
{
	if (p)
		uefi_call_wrapper(BS->FreePages, 2, (EFI_PHYSICAL_ADDRESS)(uintptr_t)p, pages);
}
