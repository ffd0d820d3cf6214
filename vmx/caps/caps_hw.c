/* The hardware edge of vmx/caps/caps.c: CPUID and RDMSR on this CPU. vmx_caps_collect()
 * decides which MSRs exist, so no RDMSR here can fault. */
#include "arch/cpu.h"
#include "vmx/caps/caps.h"

static struct vmx_cpuid_regs hw_cpuid(void *ctx, uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r = cpu_cpuid(leaf, subleaf);

	(void)ctx;
	return (struct vmx_cpuid_regs){ r.eax, r.ebx, r.ecx, r.edx };
}

static uint64_t hw_rdmsr(void *ctx, uint32_t msr)
{
	(void)ctx;
	return cpu_rdmsr(msr);
}

void vmx_caps_read(struct vmx_caps *c)
{
	const struct vmx_caps_source src = { hw_cpuid, hw_rdmsr, NULL };

	vmx_caps_collect(c, &src);
}
