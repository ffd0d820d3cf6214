/* CPUID feature-bit numbers, expanded from arch/cpuid_bits.def. Pure, header-only: the
 * hypervisor, the in-guest library and programs, and the tools include it alike. */
#ifndef VMXRAY_ARCH_CPUID_BITS_H
#define VMXRAY_ARCH_CPUID_BITS_H

/* CPUID1_ECX_VMX_BIT = 5, ...: bit numbers, for bit_test() and (1u << NAME_BIT). */
enum cpuid_feature_bit {
#define CPUID_BIT(name, leaf, subleaf, reg, bit) name##_BIT = (bit),
#include "arch/cpuid_bits.def"
#undef CPUID_BIT
};

#define CPUID_BIT(name, leaf, subleaf, reg, bit) \
	_Static_assert((bit) < 32, #name ": a CPUID register has 32 bits");
#include "arch/cpuid_bits.def"
#undef CPUID_BIT

#endif
