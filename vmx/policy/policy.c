/* What CPUID shows the guest and which CR/XCR0/MSR values vmxray accepts (see
 * vmx/policy/policy.h). Pure. */
#include "vmx/policy/policy.h"

#include "arch/bits.h"
#include "arch/cpuid_bits.h"
#include "arch/cr.h"
#include "arch/msr.h"
#include "vmx/policy/hypercall_abi.h"

#define CPUID1_ECX_OSXSAVE (1u << CPUID1_ECX_OSXSAVE_BIT)
#define CPUID7_ECX_OSPKE (1u << CPUID7_ECX_OSPKE_BIT)

static uint32_t sig_word(unsigned i)
{
	const char *s = VMXRAY_CPUID_SIGNATURE;
	return (uint32_t)(uint8_t)s[i] | (uint32_t)(uint8_t)s[i + 1] << 8 |
	       (uint32_t)(uint8_t)s[i + 2] << 16 | (uint32_t)(uint8_t)s[i + 3] << 24;
}

static uint32_t mirror(uint32_t reg, uint32_t bit, bool on)
{
	return on ? reg | bit : reg & ~bit;
}

void cpuid_policy_apply(uint32_t leaf, uint32_t subleaf, struct cpuid_result *r, uint32_t version,
			uint64_t guest_cr4)
{
	if (!cpuid_policy_touches(leaf) || leaf == 0x80000001u) /* 0x80000001: cpuid_policy_apply_mode */
		return;
	if (leaf == 1) {
		r->ecx = (r->ecx & ~CPUID1_ECX_HIDDEN) | CPUID1_ECX_SHOWN;
		r->edx &= ~CPUID1_EDX_HIDDEN;
		if (r->ecx & (1u << CPUID1_ECX_XSAVE_BIT)) /* XSAVE supported: OSXSAVE follows the guest's CR4 */
			r->ecx = mirror(r->ecx, CPUID1_ECX_OSXSAVE, guest_cr4 & CR4_OSXSAVE);
		return;
	}
	if (leaf == CPUID_LEAF_INTEL_PT) {
		*r = (struct cpuid_result){ 0 };
		return;
	}
	if (leaf == 7 && subleaf == 0) {
		r->ebx &= ~CPUID7_EBX_HIDDEN;
		if (r->ecx & (1u << CPUID7_ECX_PKU_BIT)) /* PKU supported */
			r->ecx = mirror(r->ecx, CPUID7_ECX_OSPKE, guest_cr4 & CR4_PKE);
		return;
	}
	if (leaf == 7)
		return; /* another subleaf: as the hardware says */
	*r = (struct cpuid_result){ 0 }; /* 0x4xxxxxxx: vmxray's leaves, zeros above them */
	if (leaf == VMXRAY_CPUID_LEAF_BASE) {
		r->eax = VMXRAY_CPUID_MAX_LEAF;
		r->ebx = sig_word(0);
		r->ecx = sig_word(4);
		r->edx = sig_word(8);
	} else if (leaf == VMXRAY_CPUID_LEAF_VERSION) {
		r->eax = version;
	}
}

void cpuid_policy_apply_mode(uint32_t leaf, struct cpuid_result *r, bool mode64)
{
	if (leaf == 0x80000001u && !mode64)
		r->edx &= ~(1u << CPUID80000001_EDX_SYSCALL_BIT);
}

const struct msr_policy_entry msr_policy_table[] = {
#define MSR_POLICY(first, last, read, write, reason) \
	{ first, last, MSR_ACTION_##read, MSR_ACTION_##write, reason },
#include "vmx/policy/msr_policy.def"
#undef MSR_POLICY
};
const unsigned msr_policy_count = sizeof(msr_policy_table) / sizeof(msr_policy_table[0]);

bool msr_is_hidden_vmx(uint32_t msr)
{
	return msr >= MSR_IA32_VMX_FIRST && msr <= MSR_IA32_VMX_LAST;
}

bool cr4_write_faults(const struct cr_context *c, uint64_t v)
{
	uint64_t supported = c->cr4_supported & ~CR4_VMXE;
	bool long_mode = c->efer & EFER_LMA;

	if (v & ~supported)
		return true;
	if (long_mode && !(v & CR4_PAE))
		return true;
	if (long_mode && ((v ^ c->cr4) & CR4_LA57))
		return true;
	if ((v & CR4_CET) && !(c->cr0 & CR0_WP)) /* the other half of the CET/WP rule */
		return true;
	bool setting_pcide = (v & CR4_PCIDE) && !(c->cr4 & CR4_PCIDE);
	if (setting_pcide && (!long_mode || (c->cr3 & 0xFFF)))
		return true;
	return false;
}

