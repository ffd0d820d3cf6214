/* CPUID exits: run CPUID in root mode, show the guest vmxray's view (vmx/policy/policy.c).
 * This is the hottest exit path: one VMWRITE (RIP) besides CPUID itself for most leaves. */
#include "arch/cpu.h"
#include "drivers/fmt.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/exit_cpuid.h"
#include "vmx/exit/inject.h"
#include "vmx/policy/policy.h"
#include "vmx/vmcs/controls.h"
#include "vmx/vmcs/vmcs.h"

#define VMXRAY_VERSION ((VMXRAY_VERSION_MAJOR << 16) | VMXRAY_VERSION_MINOR)

/* Leaves the policy rewrites, and traced exits: out of the fast path. */
void exit_cpuid_policy(struct vcpu *v, struct vmexit *e, uint32_t leaf,
							 uint32_t subleaf, struct cpuid_result r)
{
	if (cpuid_policy_touches(leaf)) {
		/* Only leaves 1 and 7 mirror guest CR4 bits (OSXSAVE, PKE), and GUEST_CR4 holds
		 * the guest's own value of both: CR4_GUEST_HOST_MASK owns VMXE and the bits the
		 * processor does not allow (vmx/launch/vmcs_setup_hw.c), and the policy mirrors a
		 * bit only where the processor supports the feature, so neither is owned then. */
		uint64_t cr4 = (leaf == 1 || leaf == 7) ? vmcs_readnw(GUEST_CR4) : 0;
		cpuid_policy_apply(leaf, subleaf, &r, VMXRAY_VERSION, cr4);
		cpuid_policy_apply_mode(leaf, &r, (vmcs_read32(VM_ENTRY_CONTROLS) & (uint32_t)VM_ENTRY_IA32E_MODE) &&
							  ((vmcs_read32(GUEST_CS_AR_BYTES) >> 13) & 1));
	}
	cpuid_finish(v, r.eax, r.ebx, r.ecx, r.edx);
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail),
			     "leaf=0x%x subleaf=0x%x eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x", leaf,
			     subleaf, r.eax, r.ebx, r.ecx, r.edx);
}

void exit_cpuid(struct vcpu *v, struct vmexit *e)
{
	exit_cpuid_inline(v, e);
}
