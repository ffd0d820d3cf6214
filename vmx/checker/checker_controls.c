/* VM-entry checks on the VMX controls (SDM Vol. 3C, 27.2.1 "Checks on VMX Controls").
 * Pure; see vmx/checker/checker.h. */
#include "vmx/checker/checker.h"

#include <string.h>

#include "arch/bits.h"
#include "arch/cr.h"
#include "arch/exceptions.h"
#include "drivers/fmt.h"
#include "vmx/checker/checker_internal.h"

/* ---- 27.2.1.1 VM-Execution Control Fields ---- */

#define SEC VMX_CHECK_SEC_EXEC
static void ctrl_reserved(struct check *c, enum vmx_ctrl_group g, uint64_t value, uint32_t field,
			  const char *section, const char *rule)
{
	check_no_bits(c, vmx_caps_ctrl_bad_bits(c->caps, g, value), section, rule, field);
}

/* "Reserved bits in the pin-based VM-execution controls must be set properly. Software
 * may consult the VMX capability MSRs to determine the proper settings"; likewise for the
 * other control fields. A named control the CPU lacks fails the same way. */
static void exec_reserved(struct check *c)
{
	ctrl_reserved(c, VMX_CTRL_PIN, c->pin, PIN_BASED_VM_EXEC_CONTROL, SEC,
		      "pin-based VM-execution controls must be set as the capability MSR allows");
	ctrl_reserved(c, VMX_CTRL_PROC, c->proc, CPU_BASED_VM_EXEC_CONTROL, SEC,
		      "primary processor-based VM-execution controls must be set as the capability MSR allows");
	if (c->proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
		ctrl_reserved(c, VMX_CTRL_PROC2, c->proc2, SECONDARY_VM_EXEC_CONTROL, SEC,
			      "secondary processor-based VM-execution controls must be set as IA32_VMX_PROCBASED_CTLS2 allows");
	if (c->proc & CPU_BASED_ACTIVATE_TERTIARY_CONTROLS)
		ctrl_reserved(c, VMX_CTRL_PROC3, c->proc3, TERTIARY_VM_EXEC_CONTROL, SEC,
			      "tertiary processor-based VM-execution controls must be set as IA32_VMX_PROCBASED_CTLS3 allows");
	check_expect(c, check_get(c, CR3_TARGET_COUNT) <= vmx_caps_cr3_target_count(c->caps), SEC,
		     "the CR3-target count must not be greater than IA32_VMX_MISC[24:16]",
		     CR3_TARGET_COUNT);
}

static void exec_bitmaps(struct check *c)
{
	if (c->proc & CPU_BASED_USE_IO_BITMAPS) {
		check_expect(c, check_page_address(c, check_get(c, IO_BITMAP_A)), SEC,
			     "with \"use I/O bitmaps\" = 1, the I/O-bitmap addresses must be 4-KByte aligned and within the physical-address width",
			     IO_BITMAP_A);
		check_expect(c, check_page_address(c, check_get(c, IO_BITMAP_B)), SEC,
			     "with \"use I/O bitmaps\" = 1, the I/O-bitmap addresses must be 4-KByte aligned and within the physical-address width",
			     IO_BITMAP_B);
	}
	if (c->proc & CPU_BASED_USE_MSR_BITMAPS)
		check_expect(c, check_page_address(c, check_get(c, MSR_BITMAP)), SEC,
			     "with \"use MSR bitmaps\" = 1, the MSR-bitmap address must be 4-KByte aligned and within the physical-address width",
			     MSR_BITMAP);
}

static void exec_nmi(struct check *c)
{
	check_expect(c, (c->pin & PIN_BASED_NMI_EXITING) || !(c->pin & PIN_BASED_VIRTUAL_NMIS), SEC,
		     "with \"NMI exiting\" = 0, \"virtual NMIs\" must be 0", PIN_BASED_VM_EXEC_CONTROL);
	check_expect(c, (c->pin & PIN_BASED_VIRTUAL_NMIS) || !(c->proc & CPU_BASED_NMI_WINDOW_EXITING),
		     SEC, "with \"virtual NMIs\" = 0, \"NMI-window exiting\" must be 0",
		     CPU_BASED_VM_EXEC_CONTROL);
}

static void exec_tpr_shadow(struct check *c)
{
	const uint64_t needs_tpr = SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE |
				   SECONDARY_EXEC_APIC_REGISTER_VIRT | SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY;

	if (!(c->proc & CPU_BASED_TPR_SHADOW)) {
		check_expect(c, !check_secondary(c, needs_tpr), SEC,
			     "with \"use TPR shadow\" = 0, \"virtualize x2APIC mode\", \"APIC-register virtualization\" and \"virtual-interrupt delivery\" must be 0",
			     SECONDARY_VM_EXEC_CONTROL);
		return;
	}
	check_expect(c, check_page_address(c, check_get(c, VIRTUAL_APIC_PAGE_ADDR)), SEC,
		     "with \"use TPR shadow\" = 1, the virtual-APIC address must be 4-KByte aligned and within the physical-address width",
		     VIRTUAL_APIC_PAGE_ADDR);
	if (!check_secondary(c, SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY))
		check_no_bits(c, check_get(c, TPR_THRESHOLD) & bits_mask(31, 4), SEC,
			      "with \"use TPR shadow\" = 1 and \"virtual-interrupt delivery\" = 0, bits 31:4 of the TPR threshold must be 0",
			      TPR_THRESHOLD);
}

static void exec_apic(struct check *c)
{
	if (check_secondary(c, SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES))
		check_expect(c, check_page_address(c, check_get(c, APIC_ACCESS_ADDR)), SEC,
			     "with \"virtualize APIC accesses\" = 1, the APIC-access address must be 4-KByte aligned and within the physical-address width",
			     APIC_ACCESS_ADDR);
	check_expect(c, !check_secondary(c, SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE) ||
				!check_secondary(c, SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES),
		     SEC, "with \"virtualize x2APIC mode\" = 1, \"virtualize APIC accesses\" must be 0",
		     SECONDARY_VM_EXEC_CONTROL);
	check_expect(c, !check_secondary(c, SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY) ||
				(c->pin & PIN_BASED_EXT_INTR_EXITING),
		     SEC, "with \"virtual-interrupt delivery\" = 1, \"external-interrupt exiting\" must be 1",
		     PIN_BASED_VM_EXEC_CONTROL);
}

static void exec_posted(struct check *c)
{
	if (!(c->pin & PIN_BASED_POSTED_INTR))
		return;
	check_expect(c, check_secondary(c, SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY), SEC,
		     "with \"process posted interrupts\" = 1, \"virtual-interrupt delivery\" must be 1",
		     SECONDARY_VM_EXEC_CONTROL);
	check_expect(c, c->exit & VM_EXIT_ACK_INTR_ON_EXIT, SEC,
		     "with \"process posted interrupts\" = 1, \"acknowledge interrupt on exit\" must be 1",
		     VM_EXIT_CONTROLS);
	check_no_bits(c, check_get(c, POSTED_INTR_NV) & bits_mask(15, 8), SEC,
		      "with \"process posted interrupts\" = 1, bits 15:8 of the posted-interrupt notification vector must be 0",
		      POSTED_INTR_NV);
	check_expect(c, is_aligned(check_get(c, POSTED_INTR_DESC_ADDR), 64) &&
				check_phys_ok(c, check_get(c, POSTED_INTR_DESC_ADDR)),
		     SEC, "with \"process posted interrupts\" = 1, the posted-interrupt descriptor address must be 64-byte aligned and within the physical-address width",
		     POSTED_INTR_DESC_ADDR);
}

static bool eptp_memtype_ok(const struct check *c, unsigned t)
{
	return (t == VMX_MEMTYPE_UC && vmx_caps_ept_uc(c->caps)) ||
	       (t == VMX_MEMTYPE_WB && vmx_caps_ept_wb(c->caps));
}

static bool eptp_levels_ok(const struct check *c, unsigned levels)
{
	return (levels == 4 && vmx_caps_ept_4level(c->caps)) ||
	       (levels == 5 && vmx_caps_ept_5level(c->caps));
}

/* 25.6.11 "Extended-Page-Table Pointer (EPTP)" and its checks in 27.2.1.1. */
static void exec_eptp(struct check *c)
{
	uint64_t v = check_get(c, EPT_POINTER);
	struct eptp e = eptp_decode(v);
	bool sss = vmx_caps_msr(c->caps, MSR_IA32_VMX_EPT_VPID_CAP) & VMX_EPT_SUPER_SHSTK;

	check_expect(c, eptp_memtype_ok(c, e.memtype), SEC,
		     "EPTP bits 2:0 (memory type) must be UC (0) or WB (6) as IA32_VMX_EPT_VPID_CAP bits 8 and 14 allow",
		     EPT_POINTER);
	check_expect(c, eptp_levels_ok(c, e.levels), SEC,
		     "EPTP bits 5:3 must be 3 (4-level EPT), or 4 where IA32_VMX_EPT_VPID_CAP[7] allows 5 levels",
		     EPT_POINTER);
	check_expect(c, !e.ad || vmx_caps_ept_ad(c->caps), SEC,
		     "EPTP bit 6 (accessed and dirty flags) must be 0 when IA32_VMX_EPT_VPID_CAP[21] = 0",
		     EPT_POINTER);
	check_expect(c, !e.sss || sss, SEC,
		     "EPTP bit 7 must be 0 when IA32_VMX_EPT_VPID_CAP[23] = 0", EPT_POINTER);
	check_no_bits(c, v & (bits_mask(11, 8) | check_phys_reserved(c)), SEC,
		      "EPTP bits 11:8 and bits 63:MAXPHYADDR are reserved and must be 0", EPT_POINTER);
}

/* Controls that "enable EPT" must accompany. */
static void exec_ept_users(struct check *c)
{
	check_expect(c, !check_secondary(c, SECONDARY_EXEC_UNRESTRICTED_GUEST), SEC,
		     "with \"unrestricted guest\" = 1, \"enable EPT\" must be 1", SECONDARY_VM_EXEC_CONTROL);
	check_expect(c, !check_secondary(c, SECONDARY_EXEC_ENABLE_PML), SEC,
		     "with \"enable PML\" = 1, \"enable EPT\" must be 1", SECONDARY_VM_EXEC_CONTROL);
	check_expect(c, !check_secondary(c, SECONDARY_EXEC_MODE_BASED_EPT_EXEC), SEC,
		     "with \"mode-based execute control for EPT\" = 1, \"enable EPT\" must be 1",
		     SECONDARY_VM_EXEC_CONTROL);
	check_expect(c, !check_secondary(c, SECONDARY_EXEC_EPT_SUBPAGE_WRITE), SEC,
		     "with \"sub-page write permissions for EPT\" = 1, \"enable EPT\" must be 1",
		     SECONDARY_VM_EXEC_CONTROL);
}

static void exec_ept(struct check *c)
{
	if (!check_secondary(c, SECONDARY_EXEC_ENABLE_EPT)) {
		exec_ept_users(c);
		return;
	}
	exec_eptp(c);
	if (check_secondary(c, SECONDARY_EXEC_ENABLE_PML))
		check_expect(c, check_page_address(c, check_get(c, PML_ADDRESS)), SEC,
			     "with \"enable PML\" = 1, the PML address must be 4-KByte aligned and within the physical-address width",
			     PML_ADDRESS);
}

static void exec_vpid_vmfunc(struct check *c)
{
	uint64_t funcs = check_get(c, VM_FUNCTION_CONTROL);

	if (check_secondary(c, SECONDARY_EXEC_ENABLE_VPID))
		check_expect(c, check_get(c, VIRTUAL_PROCESSOR_ID) != 0, SEC,
			     "with \"enable VPID\" = 1, the VPID must not be 0000H", VIRTUAL_PROCESSOR_ID);
	if (!check_secondary(c, SECONDARY_EXEC_ENABLE_VMFUNC))
		return;
	check_no_bits(c, funcs & ~vmx_caps_msr(c->caps, MSR_IA32_VMX_VMFUNC), SEC,
		      "with \"enable VM functions\" = 1, the VM-function controls may set only bits IA32_VMX_VMFUNC allows",
		      VM_FUNCTION_CONTROL);
	if (!(funcs & VMX_VMFUNC_EPTP_SWITCHING))
		return;
	check_expect(c, check_secondary(c, SECONDARY_EXEC_ENABLE_EPT), SEC,
		     "with EPTP switching enabled, \"enable EPT\" must be 1", SECONDARY_VM_EXEC_CONTROL);
	check_expect(c, check_page_address(c, check_get(c, EPTP_LIST_ADDRESS)), SEC,
		     "with EPTP switching enabled, the EPTP-list address must be 4-KByte aligned and within the physical-address width",
		     EPTP_LIST_ADDRESS);
}

static void exec_shadow_ve(struct check *c)
{
	if (check_secondary(c, SECONDARY_EXEC_SHADOW_VMCS)) {
		check_expect(c, check_page_address(c, check_get(c, VMREAD_BITMAP)), SEC,
			     "with \"VMCS shadowing\" = 1, the VMREAD- and VMWRITE-bitmap addresses must be 4-KByte aligned and within the physical-address width",
			     VMREAD_BITMAP);
		check_expect(c, check_page_address(c, check_get(c, VMWRITE_BITMAP)), SEC,
			     "with \"VMCS shadowing\" = 1, the VMREAD- and VMWRITE-bitmap addresses must be 4-KByte aligned and within the physical-address width",
			     VMWRITE_BITMAP);
	}
	if (check_secondary(c, SECONDARY_EXEC_EPT_VIOLATION_VE))
		check_expect(c, check_page_address(c, check_get(c, VE_INFORMATION_ADDRESS)), SEC,
			     "with \"EPT-violation #VE\" = 1, the virtualization-exception information address must be 4-KByte aligned and within the physical-address width",
			     VE_INFORMATION_ADDRESS);
}

#undef SEC

/* ---- 27.2.1.2 VM-Exit Control Fields and 27.2.1.3 VM-Entry Control Fields ---- */

/* "bits 3:0 of the VM-exit MSR-store address must be 0. The address should not set any
 * bits beyond the processor's physical-address width", nor should the last byte of the
 * area; only when the count is not 0. */
static void msr_area(struct check *c, uint32_t count_field, uint32_t addr_field,
		     const char *section, const char *rule)
{
	uint64_t count = check_get(c, count_field);
	uint64_t addr = check_get(c, addr_field);

	if (count == 0)
		return;
	check_expect(c, is_aligned(addr, 16) && check_phys_ok(c, addr + count * 16 - 1), section,
		     rule, addr_field);
}

static void exit_controls(struct check *c)
{
	const char *sec = VMX_CHECK_SEC_EXIT;

	ctrl_reserved(c, VMX_CTRL_EXIT, c->exit, VM_EXIT_CONTROLS, sec,
		      "VM-exit controls must be set as the capability MSR allows");
	check_expect(c, (c->pin & PIN_BASED_VMX_PREEMPTION_TIMER) ||
				!(c->exit & VM_EXIT_SAVE_VMX_PREEMPTION_TIMER),
		     sec, "with \"activate VMX-preemption timer\" = 0, \"save VMX-preemption timer value\" must be 0",
		     VM_EXIT_CONTROLS);
	msr_area(c, VM_EXIT_MSR_STORE_COUNT, VM_EXIT_MSR_STORE_ADDR, sec,
		 "the VM-exit MSR-store area must be 16-byte aligned and within the physical-address width");
	msr_area(c, VM_EXIT_MSR_LOAD_COUNT, VM_EXIT_MSR_LOAD_ADDR, sec,
		 "the VM-exit MSR-load area must be 16-byte aligned and within the physical-address width");
}

static void entry_controls(struct check *c)
{
	const char *sec = VMX_CHECK_SEC_ENTRY;

	ctrl_reserved(c, VMX_CTRL_ENTRY, c->entry, VM_ENTRY_CONTROLS, sec,
		      "VM-entry controls must be set as the capability MSR allows");
	msr_area(c, VM_ENTRY_MSR_LOAD_COUNT, VM_ENTRY_MSR_LOAD_ADDR, sec,
		 "the VM-entry MSR-load area must be 16-byte aligned and within the physical-address width");
	check_expect(c, !(c->entry & VM_ENTRY_SMM), sec,
		     "outside SMM, \"entry to SMM\" must be 0", VM_ENTRY_CONTROLS);
	check_expect(c, !(c->entry & VM_ENTRY_DEACT_DUAL_MONITOR), sec,
		     "outside SMM, \"deactivate dual-monitor treatment\" must be 0", VM_ENTRY_CONTROLS);
}

/* Event injection, 27.2.1.3: the VM-entry interruption-information field. The vectors
 * that may deliver an error code are those of arch/exceptions.def (#DF, #TS, #NP, #SS,
 * #GP, #PF, #AC, #CP). */

static void event_error_code(struct check *c)
{
	const char *sec = VMX_CHECK_SEC_ENTRY;
	const struct intr_info *e = &c->event;
	bool pe = check_get(c, GUEST_CR0) & CR0_PE;
	bool any_vector = vmx_caps_msr(c->caps, MSR_IA32_VMX_BASIC) & VMX_BASIC_NO_HW_ERRCODE_CHECK;
	bool may = e->type == INTR_TYPE_HARD_EXCEPTION && pe;
	bool must = may && !any_vector && exception_has_error_code(e->vector);

	if (e->error_code_valid) {
		check_expect(c, may && (any_vector || exception_has_error_code(e->vector)), sec,
			     "deliver-error-code = 1 requires a hardware exception, guest CR0.PE = 1 and (unless IA32_VMX_BASIC[56] = 1) vector 8, 10-14, 17 or 21",
			     VM_ENTRY_INTR_INFO_FIELD);
		check_no_bits(c, check_get(c, VM_ENTRY_EXCEPTION_ERROR_CODE) & bits_mask(31, 16), sec,
			      "with deliver-error-code = 1, bits 31:16 of the VM-entry exception error code must be 0",
			      VM_ENTRY_EXCEPTION_ERROR_CODE);
	} else {
		check_expect(c, !must, sec,
			     "a hardware exception with vector 8, 10-14, 17 or 21 injected with guest CR0.PE = 1 requires deliver-error-code = 1",
			     VM_ENTRY_INTR_INFO_FIELD);
	}
}

static void event_instruction_length(struct check *c)
{
	uint64_t len = check_get(c, VM_ENTRY_INSTRUCTION_LEN);
	bool len0 = vmx_caps_msr(c->caps, MSR_IA32_VMX_MISC) & VMX_MISC_INJECT_LEN0;
	unsigned t = c->event.type;

	if (t != INTR_TYPE_SOFT_INTR && t != INTR_TYPE_PRIV_SW_EXCEPTION && t != INTR_TYPE_SOFT_EXCEPTION)
		return;
	check_expect(c, len <= 15 && (len > 0 || len0), VMX_CHECK_SEC_ENTRY,
		     "injecting a software interrupt or exception requires a VM-entry instruction length of 1-15 (0 only when IA32_VMX_MISC[30] = 1)",
		     VM_ENTRY_INSTRUCTION_LEN);
}

static void event_type_vector(struct check *c)
{
	const char *sec = VMX_CHECK_SEC_ENTRY;
	const struct intr_info *e = &c->event;
	struct vmx_ctrl_allowed proc;
	bool mtf = vmx_caps_ctrl_allowed(c->caps, VMX_CTRL_PROC, &proc) &&
		   (proc.allowed1 & CPU_BASED_MONITOR_TRAP_FLAG);

	check_expect(c, e->type != INTR_TYPE_RESERVED, sec,
		     "interruption type 1 is reserved", VM_ENTRY_INTR_INFO_FIELD);
	check_expect(c, e->type != INTR_TYPE_OTHER_EVENT || mtf, sec,
		     "interruption type 7 (other event) requires the 1-setting of \"monitor trap flag\"",
		     VM_ENTRY_INTR_INFO_FIELD);
	check_expect(c, e->type != INTR_TYPE_NMI_INTR || e->vector == 2, sec,
		     "an injected NMI must have vector 2", VM_ENTRY_INTR_INFO_FIELD);
	check_expect(c, e->type != INTR_TYPE_HARD_EXCEPTION || e->vector <= 31, sec,
		     "an injected hardware exception must have a vector of at most 31",
		     VM_ENTRY_INTR_INFO_FIELD);
	check_expect(c, e->type != INTR_TYPE_OTHER_EVENT || e->vector == 0, sec,
		     "interruption type 7 (other event) must have vector 0", VM_ENTRY_INTR_INFO_FIELD);
}

static void entry_event(struct check *c)
{
	if (!c->event.valid)
		return;
	event_type_vector(c);
	event_error_code(c);
	event_instruction_length(c);
	check_no_bits(c, check_get(c, VM_ENTRY_INTR_INFO_FIELD) & bits_mask(30, 12),
		      VMX_CHECK_SEC_ENTRY,
		      "bits 30:12 of the VM-entry interruption-information field are reserved and must be 0",
		      VM_ENTRY_INTR_INFO_FIELD);
}

void check_controls(struct check *c)
{
	exec_reserved(c);
	exec_bitmaps(c);
	exec_nmi(c);
	exec_tpr_shadow(c);
	exec_apic(c);
	exec_posted(c);
	exec_vpid_vmfunc(c);
	exec_ept(c);
	exec_shadow_ve(c);
	exit_controls(c);
	entry_controls(c);
	entry_event(c);
}
