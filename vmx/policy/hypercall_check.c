/* Pure check of a hypercall buffer argument (vmx/policy/hypercall.h). */
#include "vmx/policy/hypercall.h"

#include "vmx/policy/hypercall_abi.h"

int64_t hypercall_check_buffer(const struct mem_map *ram, const struct mem_range *owned,
			       unsigned n_owned, uint64_t buf, uint64_t size, uint64_t needed)
{
	if (buf & 7)
		return VMXRAY_HC_EINVAL;
	if (size < needed)
		return VMXRAY_HC_ENOSPC;
	if (!mem_map_contains(ram, buf, needed))
		return VMXRAY_HC_EFAULT;
	for (unsigned i = 0; i < n_owned; i++)
		if (mem_ranges_overlap(buf, needed, owned[i].base, owned[i].size))
			return VMXRAY_HC_EFAULT;
	return VMXRAY_HC_OK;
}
