/* The VMX instructions as inline assembly. Hardware edge: only *_hw.c and the launch
 * path include this. Each returns the SDM's outcome: VMsucceed, VMfailInvalid (CF=1)
 * or VMfailValid (ZF=1; the error number is in VM_INSTRUCTION_ERROR).
 * SDM Vol. 3C, 31.2 "Conventions". */
#ifndef VMXRAY_VMX_VMX_HW_H
#define VMXRAY_VMX_VMX_HW_H
#include <stdint.h>

#include "arch/cpu.h"

enum vmx_result { VMX_SUCCEED = 0, VMX_FAIL_INVALID = 1, VMX_FAIL_VALID = 2 };

/* After a VMX instruction: CF=1 -> VMfailInvalid, ZF=1 -> VMfailValid. */
#define VMX_RESULT_ASM "setc %[cf]\n\tsetz %[zf]\n\t"
static inline enum vmx_result vmx_result(uint8_t cf, uint8_t zf)
{
	return cf ? VMX_FAIL_INVALID : zf ? VMX_FAIL_VALID : VMX_SUCCEED;
}

static inline enum vmx_result vmx_on(uint64_t pa)
{
	uint8_t cf, zf;
	__asm__ volatile("vmxon %[pa]\n\t" VMX_RESULT_ASM
			 : [cf] "=qm"(cf), [zf] "=qm"(zf)
			 : [pa] "m"(pa)
			 : "cc", "memory");
	return vmx_result(cf, zf);
}

static inline enum vmx_result vmx_off(void)
{
	uint8_t cf, zf;
	__asm__ volatile("vmxoff\n\t" VMX_RESULT_ASM : [cf] "=qm"(cf), [zf] "=qm"(zf)::"cc", "memory");
	return vmx_result(cf, zf);
}

static inline enum vmx_result vmx_vmclear(uint64_t pa);

/* Leaves VMX operation on this CPU: VMCLEAR of its VMCS (VMXOFF is what matters), VMXOFF,
 * then CR4 as before VMXON (CR4.VMXE off). */
static inline void vmx_leave(uint64_t vmcs_pa, uint64_t cr4_before)
{
	vmx_vmclear(vmcs_pa);
	vmx_off();
	cpu_write_cr4(cr4_before);
}

static inline enum vmx_result vmx_vmclear(uint64_t pa)
{
	uint8_t cf, zf;
	__asm__ volatile("vmclear %[pa]\n\t" VMX_RESULT_ASM
			 : [cf] "=qm"(cf), [zf] "=qm"(zf)
			 : [pa] "m"(pa)
			 : "cc", "memory");
	return vmx_result(cf, zf);
}

static inline enum vmx_result vmx_vmptrld(uint64_t pa)
{
	uint8_t cf, zf;
	__asm__ volatile("vmptrld %[pa]\n\t" VMX_RESULT_ASM
			 : [cf] "=qm"(cf), [zf] "=qm"(zf)
			 : [pa] "m"(pa)
			 : "cc", "memory");
	return vmx_result(cf, zf);
}

static inline enum vmx_result vmx_vmread(uint64_t field, uint64_t *value)
{
	uint8_t cf, zf;
	uint64_t v;
	__asm__ volatile("vmread %[field], %[v]\n\t" VMX_RESULT_ASM
			 : [v] "=rm"(v), [cf] "=qm"(cf), [zf] "=qm"(zf)
			 : [field] "r"(field)
			 : "cc");
	*value = v;
	return vmx_result(cf, zf);
}

static inline enum vmx_result vmx_vmwrite(uint64_t field, uint64_t value)
{
	uint8_t cf, zf;
	__asm__ volatile("vmwrite %[v], %[field]\n\t" VMX_RESULT_ASM
			 : [cf] "=qm"(cf), [zf] "=qm"(zf)
			 : [field] "r"(field), [v] "rm"(value)
			 : "cc");
	return vmx_result(cf, zf);
}

struct vmx_inv_desc {
	uint64_t a, b;
};

static inline enum vmx_result vmx_invept(uint64_t type, uint64_t eptp)
{
	struct vmx_inv_desc d = { eptp, 0 };
	uint8_t cf, zf;
	__asm__ volatile("invept %[d], %[t]\n\t" VMX_RESULT_ASM
			 : [cf] "=qm"(cf), [zf] "=qm"(zf)
			 : [d] "m"(d), [t] "r"(type)
			 : "cc", "memory");
	return vmx_result(cf, zf);
}

static inline enum vmx_result vmx_invvpid(uint64_t type, uint16_t vpid, uint64_t gla)
{
	struct vmx_inv_desc d = { vpid, gla };
	uint8_t cf, zf;
	__asm__ volatile("invvpid %[d], %[t]\n\t" VMX_RESULT_ASM
			 : [cf] "=qm"(cf), [zf] "=qm"(zf)
			 : [d] "m"(d), [t] "r"(type)
			 : "cc", "memory");
	return vmx_result(cf, zf);
}

/* INVEPT/INVVPID types, SDM Vol. 3C, 31.3 "VMX Instructions" (INVEPT, INVVPID). */
#define INVEPT_SINGLE_CONTEXT 1
#define INVEPT_ALL_CONTEXT 2
#define INVVPID_SINGLE_CONTEXT 1
#define INVVPID_ALL_CONTEXT 2

#endif
