/* The CPUID exit's fast path, inline so the dispatcher (vmx/exit/exit.c) runs it without a
 * call: the leaves vmxray's policy leaves alone (all but 1, 7, 0x4xxxxxxx) pass through
 * as the hardware returns them, with one VMWRITE (RIP). The rest (and 0x14, Intel PT,
 * hidden): vmx/exit/exit_cpuid.c. */
#ifndef VMXRAY_VMX_EXIT_CPUID_H
#define VMXRAY_VMX_EXIT_CPUID_H
#include "arch/cpu.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/inject.h"
#include "vmx/policy/policy.h"

void exit_cpuid_policy(struct vcpu *v, struct vmexit *e, uint32_t leaf, uint32_t subleaf,
		       struct cpuid_result r);

/* CPUID writes EAX..EDX and clears bits 63:32 of RAX, RBX, RCX, RDX. */
static inline void cpuid_finish(struct vcpu *v, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	v->regs.gpr[GPR_RAX] = a;
	v->regs.gpr[GPR_RBX] = b;
	v->regs.gpr[GPR_RCX] = c;
	v->regs.gpr[GPR_RDX] = d;
	vcpu_skip_instruction(v);
}

static inline void exit_cpuid_inline(struct vcpu *v, struct vmexit *e)
{
	uint32_t leaf = (uint32_t)v->regs.gpr[GPR_RAX];
	uint32_t subleaf = (uint32_t)v->regs.gpr[GPR_RCX];
	struct cpuid_regs hw = cpu_cpuid(leaf, subleaf);

	if (__builtin_expect(cpuid_policy_touches(leaf) || e->tracing, 0)) {
		exit_cpuid_policy(v, e, leaf, subleaf, (struct cpuid_result){ hw.eax, hw.ebx, hw.ecx, hw.edx });
		return;
	}
	cpuid_finish(v, hw.eax, hw.ebx, hw.ecx, hw.edx);
}

#endif
