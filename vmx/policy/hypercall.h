/* The pure check of a hypercall's buffer argument (vmx/policy/hypercall_check.c). */
#ifndef VMXRAY_VMX_HYPERCALL_H
#define VMXRAY_VMX_HYPERCALL_H
#include <stdint.h>

#include "arch/memory.h"

/* Test-only function number, answered only with test=root-exception. */
#define VMXRAY_HC_TEST_ROOT_EXCEPTION 0x7E57

/* Pure: may a hypercall write `needed` bytes at guest-physical buf (size given by the
 * guest)? VMXRAY_HC_OK, or the negative status to return (vmx/policy/hypercall_abi.h). */
int64_t hypercall_check_buffer(const struct mem_map *ram, const struct mem_range *owned,
			       unsigned n_owned, uint64_t buf, uint64_t size, uint64_t needed);

#endif
