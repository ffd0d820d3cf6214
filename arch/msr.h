/* MSR numbers, expanded from arch/msrs.def (SDM Vol. 4, "Model-Specific Registers
 * (MSRs)"), and the bits of the few vmxray decodes. Pure, header-only. */
#ifndef VMXRAY_ARCH_MSR_H
#define VMXRAY_ARCH_MSR_H
#include <stddef.h>
#include <stdint.h>

/* MSR_IA32_TSC = 0x10, ... (an enum: usable in case labels and constant expressions). */
enum msr_index {
#define MSR(name, number) MSR_##name = (number),
#include "arch/msrs.def"
#undef MSR
};

/* "IA32_TSC", ...; NULL for an MSR arch/msrs.def does not list. */
static inline const char *msr_name(uint32_t msr)
{
	switch (msr) {
#define MSR(name, number) \
	case number: return #name;
#include "arch/msrs.def"
#undef MSR
	default: return NULL;
	}
}

#define MSR_IA32_VMX_FIRST              MSR_IA32_VMX_BASIC
#define MSR_IA32_VMX_LAST               MSR_IA32_VMX_PROCBASED_CTLS3

/* IA32_FEATURE_CONTROL bits (SDM Vol. 3C, 24.7 "Enabling and Entering VMX Operation"). */
#define FEATURE_CONTROL_LOCK            (1ULL << 0)
#define FEATURE_CONTROL_VMX_IN_SMX      (1ULL << 1)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ULL << 2)

/* IA32_EFER bits. */
#define EFER_SCE (1ULL << 0)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)

#endif
