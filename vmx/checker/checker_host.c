/* VM-entry checks on the host-state area: SDM Vol. 3C, 27.2.2 "Checks on Host Control
 * Registers, MSRs, and SSP", 27.2.3 "Checks on Host Segment and Descriptor-Table
 * Registers", 27.2.4 "Checks Related to Address-Space Size". Pure. */
#include "arch/bits.h"
#include "arch/cr.h"
#include "arch/msr.h"
#include "vmx/checker/checker_internal.h"

/* IA32_EFER bits an Intel 64 processor defines: SCE, LME, LMA, NXE. */
#define EFER_DEFINED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

static void host_efer(struct check *c)
{
	const char *sec = VMX_CHECK_SEC_HOST_CR;
	uint64_t efer = check_get(c, HOST_IA32_EFER);
	bool host64 = c->exit & VM_EXIT_HOST_ADDR_SPACE_SIZE;

	check_no_bits(c, efer & ~EFER_DEFINED, sec,
		      "with \"load IA32_EFER\" = 1, reserved bits of the host IA32_EFER must be 0",
		      HOST_IA32_EFER);
	check_expect(c, (bool)(efer & EFER_LMA) == host64, sec,
		     "with \"load IA32_EFER\" = 1, host IA32_EFER.LMA must equal \"host address-space size\"",
		     HOST_IA32_EFER);
	check_expect(c, (bool)(efer & EFER_LME) == host64, sec,
		     "with \"load IA32_EFER\" = 1, host IA32_EFER.LME must equal \"host address-space size\"",
		     HOST_IA32_EFER);
}

static void host_control_registers(struct check *c)
{
	const char *sec = VMX_CHECK_SEC_HOST_CR;
	const struct vmx_caps *k = c->caps;
	uint64_t cr0 = check_get(c, HOST_CR0), cr4 = check_get(c, HOST_CR4);

	check_no_bits(c, check_fixed_bits(cr0, vmx_caps_cr0_fixed0(k), vmx_caps_cr0_fixed1(k)), sec,
		      "host CR0 must set every bit IA32_VMX_CR0_FIXED0 sets and no bit IA32_VMX_CR0_FIXED1 clears",
		      HOST_CR0);
	check_no_bits(c, check_fixed_bits(cr4, vmx_caps_cr4_fixed0(k), vmx_caps_cr4_fixed1(k)), sec,
		      "host CR4 must set every bit IA32_VMX_CR4_FIXED0 sets and no bit IA32_VMX_CR4_FIXED1 clears",
		      HOST_CR4);
	check_expect(c, !(cr4 & CHECK_CR4_CET) || (cr0 & CR0_WP), sec,
		     "host CR4.CET = 1 requires host CR0.WP = 1", HOST_CR0);
	check_no_bits(c, check_get(c, HOST_CR3) & check_phys_reserved(c), sec,
		      "host CR3 bits 63:MAXPHYADDR must be 0", HOST_CR3);
}

static void host_msrs(struct check *c)
{
	const char *sec = VMX_CHECK_SEC_HOST_CR;

	check_expect(c, check_canonical(c, check_get(c, HOST_IA32_SYSENTER_ESP)), sec,
		     "the host IA32_SYSENTER_ESP must be canonical", HOST_IA32_SYSENTER_ESP);
	check_expect(c, check_canonical(c, check_get(c, HOST_IA32_SYSENTER_EIP)), sec,
		     "the host IA32_SYSENTER_EIP must be canonical", HOST_IA32_SYSENTER_EIP);
	if (c->exit & VM_EXIT_LOAD_IA32_PAT)
		check_expect(c, check_pat_valid(check_get(c, HOST_IA32_PAT)), sec,
			     "with \"load IA32_PAT\" = 1, every byte of the host IA32_PAT must be 0, 1, 4, 5, 6 or 7",
			     HOST_IA32_PAT);
	if (c->exit & VM_EXIT_LOAD_IA32_EFER)
		host_efer(c);
}

static const uint32_t host_selectors[] = {
	HOST_ES_SELECTOR, HOST_CS_SELECTOR, HOST_SS_SELECTOR, HOST_DS_SELECTOR,
	HOST_FS_SELECTOR, HOST_GS_SELECTOR, HOST_TR_SELECTOR,
};

static const uint32_t host_bases[] = {
	HOST_FS_BASE, HOST_GS_BASE, HOST_GDTR_BASE, HOST_IDTR_BASE, HOST_TR_BASE,
};

static void host_segments(struct check *c)
{
	const char *sec = VMX_CHECK_SEC_HOST_SEG;

	for (size_t i = 0; i < ARRAY_SIZE(host_selectors); i++)
		check_no_bits(c, check_get(c, host_selectors[i]) & 7, sec,
			      "host selectors must have RPL (bits 1:0) = 0 and TI (bit 2) = 0",
			      host_selectors[i]);
	check_expect(c, check_get(c, HOST_CS_SELECTOR) != 0, sec,
		     "the host CS selector must not be 0000H", HOST_CS_SELECTOR);
	check_expect(c, check_get(c, HOST_TR_SELECTOR) != 0, sec,
		     "the host TR selector must not be 0000H", HOST_TR_SELECTOR);
	check_expect(c, (c->exit & VM_EXIT_HOST_ADDR_SPACE_SIZE) || check_get(c, HOST_SS_SELECTOR) != 0,
		     sec, "with \"host address-space size\" = 0, the host SS selector must not be 0000H",
		     HOST_SS_SELECTOR);
	for (size_t i = 0; i < ARRAY_SIZE(host_bases); i++)
		check_expect(c, check_canonical(c, check_get(c, host_bases[i])), sec,
			     "the host FS, GS, GDTR, IDTR and TR base addresses must be canonical",
			     host_bases[i]);
}

/* vmxray enters VMX operation from 64-bit mode, so IA32_EFER.LMA = 1 at VM entry: "If
 * the logical processor is in IA-32e mode ... the 'host address-space size' VM-exit
 * control must be 1." */
static void host_address_space(struct check *c)
{
	const char *sec = VMX_CHECK_SEC_ADDR_SIZE;
	uint64_t rip = check_get(c, HOST_RIP);

	if (!(c->exit & VM_EXIT_HOST_ADDR_SPACE_SIZE)) {
		check_fail(c, sec,
			   "VM entry from IA-32e mode (IA32_EFER.LMA = 1) requires \"host address-space size\" = 1",
			   VM_EXIT_CONTROLS, 0);
		check_expect(c, !c->ia32e, sec,
			     "with \"host address-space size\" = 0, \"IA-32e mode guest\" must be 0",
			     VM_ENTRY_CONTROLS);
		check_expect(c, !(check_get(c, HOST_CR4) & CR4_PCIDE), sec,
			     "with \"host address-space size\" = 0, host CR4.PCIDE must be 0", HOST_CR4);
		check_no_bits(c, rip & bits_mask(63, 32), sec,
			      "with \"host address-space size\" = 0, host RIP bits 63:32 must be 0", HOST_RIP);
		return;
	}
	check_expect(c, check_get(c, HOST_CR4) & CR4_PAE, sec,
		     "with \"host address-space size\" = 1, host CR4.PAE must be 1", HOST_CR4);
	check_expect(c, check_canonical(c, rip), sec,
		     "with \"host address-space size\" = 1, the host RIP must be canonical", HOST_RIP);
}

void check_host(struct check *c)
{
	host_control_registers(c);
	host_msrs(c);
	host_segments(c);
	host_address_space(c);
}
