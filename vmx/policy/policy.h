/* Pure policy decisions behind the exit handlers: what CPUID shows the guest, which
 * CR0/CR4/XCR0 values the architecture accepts, which MSRs vmxray hides. Unit-tested. */
#ifndef VMXRAY_VMX_POLICY_H
#define VMXRAY_VMX_POLICY_H
#include <stdbool.h>
#include <stdint.h>

struct cpuid_result {
	uint32_t eax, ebx, ecx, edx;
};

/* Rewrites the hardware's CPUID result as the guest must see it: hypervisor present
 * (CPUID.1:ECX[31]), VMX hidden (CPUID.1:ECX[5]), vmxray's leaves 0x40000000-1, and
 * the bits that mirror the guest's CR4 rather than root mode's (CPUID.1:ECX[27]
 * OSXSAVE, CPUID.(7,0):ECX[4] OSPKE), since CPUID itself runs in root mode. */
void cpuid_policy_apply(uint32_t leaf, uint32_t subleaf, struct cpuid_result *r, uint32_t version,
			uint64_t guest_cr4);
/* The leaves cpuid_policy_apply may change (1, 7, 0x4xxxxxxx): every other leaf passes
 * through as the hardware returns it. For the exit path, which skips the call. */
static inline bool cpuid_policy_touches(uint32_t leaf)
{
	return leaf == 1 || leaf == 7 || (leaf & 0xF0000000u) == 0x40000000u;
}

/* MSRs that read as absent because VMX is hidden (IA32_VMX_*: #GP as on a CPU without VMX). */
bool msr_is_hidden_vmx(uint32_t msr);
/* IA32_FEATURE_CONTROL as the guest sees it: locked, VMX enable bits clear. */
uint64_t feature_control_guest_view(uint64_t hw);

/* Guest CR state needed to judge a write. */
struct cr_context {
	uint64_t cr0, cr3, cr4, efer;
	bool cs_l;                 /* executing 64-bit code */
	uint64_t cr4_supported;    /* CR4 bits this CPU implements (from IA32_VMX_CR4_FIXED1) */
};

/* True when MOV to CR0 with value v must raise #GP (SDM Vol. 3A, 2.5 "Control Registers"
 * and MOV to/from Control Registers in Vol. 2B). */
bool cr0_write_faults(const struct cr_context *c, uint64_t v);
/* True when MOV to CR4 with value v must raise #GP; VMXE counts as unsupported
 * because VMX is hidden from the guest. */
bool cr4_write_faults(const struct cr_context *c, uint64_t v);

/* True when XSETBV(index, value) must raise #GP (SDM Vol. 2C, XSETBV; Vol. 1, 13.3
 * "Enabling the XSAVE Feature Set and XSAVE-Enabled Features"). supported = the XCR0 bits
 * of CPUID.(EAX=0DH,ECX=0):EDX:EAX. */
bool xsetbv_faults(uint32_t index, uint64_t value, uint64_t supported, unsigned cpl);

#endif
