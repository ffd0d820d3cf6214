/* CPUID exits: run CPUID in root mode, show the guest vmxray's view (vmx/policy.c).
 * This is the hottest exit path: two VMREADs and one VMWRITE besides CPUID itself. */
#include "arch/cpu.h"
#include "drivers/fmt.h"
#include "vmx/exit.h"
#include "vmx/inject.h"
#include "vmx/policy.h"
#include "vmx/vmcs.h"

#define VMXRAY_VERSION ((VMXRAY_VERSION_MAJOR << 16) | VMXRAY_VERSION_MINOR)

void exit_cpuid(struct vcpu *v, struct vmexit *e)
{
	uint32_t leaf = (uint32_t)v->regs.gpr[GPR_RAX];
	uint32_t subleaf = (uint32_t)v->regs.gpr[GPR_RCX];
	struct cpuid_regs hw = cpu_cpuid(leaf, subleaf);
	struct cpuid_result r = { hw.eax, hw.ebx, hw.ecx, hw.edx };

	uint64_t cr4 = 0;
	if (leaf == 1 || leaf == 7) /* only these leaves mirror guest CR4 bits: keep the path short */
		cr4 = (vmcs_readnw(GUEST_CR4) & ~vmcs_readnw(CR4_GUEST_HOST_MASK)) |
		      (vmcs_readnw(CR4_READ_SHADOW) & vmcs_readnw(CR4_GUEST_HOST_MASK));
	cpuid_policy_apply(leaf, subleaf, &r, VMXRAY_VERSION, cr4);
	/* CPUID writes EAX..EDX and clears bits 63:32 of RAX, RBX, RCX, RDX. */
	v->regs.gpr[GPR_RAX] = r.eax;
	v->regs.gpr[GPR_RBX] = r.ebx;
	v->regs.gpr[GPR_RCX] = r.ecx;
	v->regs.gpr[GPR_RDX] = r.edx;
	vcpu_skip_instruction(v);
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail),
			     "leaf=0x%x subleaf=0x%x eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x", leaf,
			     subleaf, r.eax, r.ebx, r.ecx, r.edx);
}
