/* A struct vmx_caps filled from fuzzer input the way the hardware edge fills it: through
 * vmx_caps_collect() (vmx/caps/caps.c), with CPUID leaves and MSR values taken from the input
 * in the order vmx_caps_collect() asks for them. Header-only, for tests/fuzz/. */
#ifndef VMXRAY_TESTS_FUZZ_CAPS_SOURCE_H
#define VMXRAY_TESTS_FUZZ_CAPS_SOURCE_H
#include "tests/fuzz/fuzz_input.h"
#include "vmx/caps/caps.h"

static inline struct vmx_cpuid_regs fz_cpuid(void *ctx, uint32_t leaf, uint32_t subleaf)
{
	struct fz *f = ctx;
	struct vmx_cpuid_regs r;

	(void)leaf;
	(void)subleaf;
	r.eax = fz_u32(f);
	r.ebx = fz_u32(f);
	r.ecx = fz_u32(f);
	r.edx = fz_u32(f);
	return r;
}

static inline uint64_t fz_rdmsr(void *ctx, uint32_t msr)
{
	(void)msr;
	return fz_u64(ctx);
}

static inline void fz_caps(struct fz *f, struct vmx_caps *caps)
{
	const struct vmx_caps_source src = { fz_cpuid, fz_rdmsr, f };

	vmx_caps_collect(caps, &src);
}

#endif
