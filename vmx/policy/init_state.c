/* The INIT column of SDM Vol. 3A, Table "IA-32 and Intel 64 Processor States Following
 * Power-up, Reset, or INIT" (vmx/policy/init_state.h). */
#include "vmx/policy/init_state.h"

#include "arch/cr.h"

const struct init_state init_state_after_init = {
	.cr0 = CR0_ET | CR0_CD | CR0_NW,
	.cr2 = 0,
	.cr3 = 0,
	.cr4 = 0,
	.dr = { 0, 0, 0, 0 },
	.dr6 = 0xFFFF0FF0ULL,
	.dr7 = 0x400,
	.xcr0 = 1,
	.rflags = RFLAGS_FIXED,
	.rip = 0xFFF0,
	.rsp = 0,
	.efer = 0,
	.cs_selector = 0xF000,
	.cs_base = 0xFFFF0000ULL,
	.seg_limit = 0xFFFF,
};

bool init_waits_for_sipi(uint64_t apic_base_msr)
{
	return !(apic_base_msr & (1ULL << 8)); /* IA32_APIC_BASE.BSP */
}
