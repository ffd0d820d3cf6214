/* Hardware edge of arch/mtrr.c: snapshot the host MTRRs with RDMSR.
 * SDM Vol. 3A, 12.11.1 "MTRR Feature Identification": read VCNT variable pairs, and the
 * fixed-range MSRs only when MTRRCAP.FIX says they exist (RDMSR of an absent MSR #GPs). */
#include "arch/cpu.h"
#include "arch/mtrr.h"

static const uint32_t mtrr_fixed_msrs[MTRR_NUM_FIXED] = {
	MSR_IA32_MTRR_FIX64K_00000, MSR_IA32_MTRR_FIX16K_80000, MSR_IA32_MTRR_FIX16K_A0000,
	MSR_IA32_MTRR_FIX4K_C0000,  MSR_IA32_MTRR_FIX4K_C8000,  MSR_IA32_MTRR_FIX4K_D0000,
	MSR_IA32_MTRR_FIX4K_D8000,  MSR_IA32_MTRR_FIX4K_E0000,  MSR_IA32_MTRR_FIX4K_E8000,
	MSR_IA32_MTRR_FIX4K_F0000,  MSR_IA32_MTRR_FIX4K_F8000,
};

void mtrr_read_state(struct mtrr_state *s, unsigned maxphyaddr)
{
	*s = (struct mtrr_state){ .maxphyaddr = maxphyaddr };
	s->cap = cpu_rdmsr(MSR_IA32_MTRRCAP);
	s->def_type = cpu_rdmsr(MSR_IA32_MTRR_DEF_TYPE);
	if (s->cap & MTRRCAP_FIX)
		for (unsigned i = 0; i < MTRR_NUM_FIXED; i++)
			s->fixed[i] = cpu_rdmsr(mtrr_fixed_msrs[i]);
	for (unsigned n = 0; n < mtrr_vcnt(s); n++) {
		s->var[n].base = cpu_rdmsr(MSR_IA32_MTRR_PHYSBASE0 + 2 * n);
		s->var[n].mask = cpu_rdmsr(MSR_IA32_MTRR_PHYSMASK0 + 2 * n);
	}
}
