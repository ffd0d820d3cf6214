/* The VMCS of one CPU written from that CPU's live state: controls (from the negotiated
 * values), host state (vmxray's tables and stack), guest state (the firmware as it runs
 * now). Hardware edge: VMWRITE, reads of CRs, MSRs, segments and descriptor tables. SDM
 * Vol. 3C, 25 "Virtual Machine Control Structures". */
#include "vmx/launch/vmcs_setup_hw.h"

#include "arch/cpu.h"
#include "arch/cr.h"
#include "arch/desc.h"
#include "arch/exception.h"
#include "arch/msr.h"
#include "arch/seg_ar.h"
#include "drivers/log.h"
#include "vmx/vmcs/controls.h"
#include "vmx/vmcs/vmcs.h"
#include "vmx/vmcs/vmcs_segments.h"

extern const char vmx_exit_entry[]; /* vmx/exit/entry.asm: HOST_RIP */

void vmcs_setup_controls(struct hv *hv, struct vcpu *v, bool long_mode)
{
	vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, hv->ctls.pin);
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, hv->ctls.proc);
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, hv->ctls.proc2);
	vmcs_write32(VM_EXIT_CONTROLS, hv->ctls.exit);
	uint32_t entry = hv->ctls.entry & ~(uint32_t)VM_ENTRY_IA32E_MODE;
	vmcs_write32(VM_ENTRY_CONTROLS, entry | (long_mode ? (uint32_t)VM_ENTRY_IA32E_MODE : 0));
	/* intercept=pf,gp,...: those vectors exit (vmx/exit/exit_intercept_exception.c). A
	 * #PF exits for every error code: mask and match 0 (SDM Vol. 3C, 25.6.3 "Exception
	 * Bitmap"). */
	vmcs_write32(EXCEPTION_BITMAP, hv->cfg.intercept_exceptions);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write64(MSR_BITMAP, (uint64_t)(uintptr_t)hv->msr_bitmap);
	vmcs_write64(IO_BITMAP_A, (uint64_t)(uintptr_t)hv->io_bitmap_a);
	vmcs_write64(IO_BITMAP_B, (uint64_t)(uintptr_t)hv->io_bitmap_b);
	vmcs_write64(EPT_POINTER, hv->eptp);
	if (hv->vpid)
		vmcs_write16(VIRTUAL_PROCESSOR_ID, (uint16_t)(v->index + 1));
	vmcs_write64(VMCS_LINK_POINTER, ~0ULL);
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	/* The guest owns CR0/CR4 except the bits VMX operation fixes; under unrestricted
	 * guest PE and PG are free (SDM Vol. 3C, 24.8 "Restrictions on VMX Operation"). */
	uint64_t cr0_fixed = vmx_caps_cr0_fixed0(&hv->caps) & ~(CR0_PE | CR0_PG);
	/* What a CR0/CR4 write exit needs of the capabilities, once (vmx/exit/exit_cr.c). */
	v->cr_fixed.cr0_fixed0 = cr0_fixed;
	v->cr_fixed.cr0_fixed1 = vmx_caps_cr0_fixed1(&hv->caps);
	v->cr_fixed.cr4_fixed0 = vmx_caps_cr4_fixed0(&hv->caps);
	v->cr_fixed.cr4_fixed1 = vmx_caps_cr4_fixed1(&hv->caps);
	struct cpuid_regs xsave = cpu_cpuid(0xD, 0);
	v->xcr0_supported = xsave.eax | ((uint64_t)xsave.edx << 32);
	vmcs_writenw(CR0_GUEST_HOST_MASK, cr0_fixed | ~vmx_caps_cr0_fixed1(&hv->caps));
	vmcs_writenw(CR4_GUEST_HOST_MASK, CR4_VMXE | vmx_caps_cr4_fixed0(&hv->caps) |
						  (~vmx_caps_cr4_fixed1(&hv->caps) & 0xFFFFFFFFULL));
}

void vmcs_setup_host_state(struct hv *hv, struct vcpu *v)
{
	const struct host_tables *t = v->host_gdt;
	vmcs_writenw(HOST_CR0, cpu_read_cr0());
	vmcs_writenw(HOST_CR3, hv->host_cr3);
	/* Root mode executes XSETBV for the guest (vmx/exit/exit_misc.c): that needs CR4.OSXSAVE
	 * whatever the firmware had (SDM Vol. 2C, XSETBV: #UD if CR4.OSXSAVE = 0). */
	uint64_t host_cr4 = cpu_read_cr4();
	if (hv->caps.cpu.xsave)
		host_cr4 |= CR4_OSXSAVE;
	vmcs_writenw(HOST_CR4, host_cr4);
	vmcs_write16(HOST_CS_SELECTOR, HOST_SEL_CODE);
	vmcs_write16(HOST_SS_SELECTOR, HOST_SEL_DATA);
	vmcs_write16(HOST_DS_SELECTOR, HOST_SEL_DATA);
	vmcs_write16(HOST_ES_SELECTOR, HOST_SEL_DATA);
	vmcs_write16(HOST_FS_SELECTOR, HOST_SEL_DATA);
	vmcs_write16(HOST_GS_SELECTOR, HOST_SEL_DATA);
	vmcs_write16(HOST_TR_SELECTOR, HOST_SEL_TSS);
	vmcs_writenw(HOST_FS_BASE, 0);
	vmcs_writenw(HOST_GS_BASE, (uint64_t)(uintptr_t)v); /* GS:[0] = vcpu */
	vmcs_writenw(HOST_TR_BASE, (uint64_t)(uintptr_t)&t->tss);
	vmcs_writenw(HOST_GDTR_BASE, (uint64_t)(uintptr_t)t->gdt);
	vmcs_writenw(HOST_IDTR_BASE, (uint64_t)(uintptr_t)t->idt);
	vmcs_write32(HOST_IA32_SYSENTER_CS, 0);
	vmcs_writenw(HOST_IA32_SYSENTER_ESP, 0);
	vmcs_writenw(HOST_IA32_SYSENTER_EIP, 0);
	vmcs_write64(HOST_IA32_EFER, cpu_rdmsr(MSR_IA32_EFER));
	vmcs_write64(HOST_IA32_PAT, cpu_rdmsr(MSR_IA32_PAT));
	/* IA32_PERF_GLOBAL_CTRL switched (vmx/policy/msr_policy.def): every counter off in root
	 * mode, the guest's value (the firmware's to start with) loaded at entry. */
	if (hv->ctls.entry & (uint32_t)VM_ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL) {
		uint64_t perf = 0;
		if (msr_safe_read(MSR_IA32_PERF_GLOBAL_CTRL, &perf) != 0)
			perf = 0;
		vmcs_write64(GUEST_IA32_PERF_GLOBAL_CTRL, perf);
	}
	if (hv->ctls.exit & (uint32_t)VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL)
		vmcs_write64(HOST_IA32_PERF_GLOBAL_CTRL, 0);
	vmcs_writenw(HOST_RSP, (uint64_t)(uintptr_t)(v->host_stack + VCPU_HOST_STACK_SIZE - HOST_STACK_VCPU_SLOT_OFFSET));
	vmcs_writenw(HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_entry);
}

static void write_guest_segment(const struct cpu_dtr *gdt, uint16_t sel, enum vmcs_segment seg)
{
	struct seg_state s;
	desc_decode_segment((const uint8_t *)(uintptr_t)gdt->base, gdt->limit, sel, &s);
	s.selector = sel;
	vmcs_write_guest_segment(seg, &s);
}

static void write_guest_segments(void)
{
	struct cpu_dtr gdt = cpu_sgdt(), idt = cpu_sidt();
	write_guest_segment(&gdt, cpu_read_cs(), VMCS_SEG_CS);
	write_guest_segment(&gdt, cpu_read_ss(), VMCS_SEG_SS);
	write_guest_segment(&gdt, cpu_read_ds(), VMCS_SEG_DS);
	write_guest_segment(&gdt, cpu_read_es(), VMCS_SEG_ES);
	write_guest_segment(&gdt, cpu_read_fs(), VMCS_SEG_FS);
	write_guest_segment(&gdt, cpu_read_gs(), VMCS_SEG_GS);
	write_guest_segment(&gdt, cpu_sldt(), VMCS_SEG_LDTR);
	uint16_t tr = cpu_str();
	struct seg_state trs;
	desc_decode_segment((const uint8_t *)(uintptr_t)gdt.base, gdt.limit, tr, &trs);
	if (tr && !(trs.ar & SEG_AR_UNUSABLE) && (trs.ar & SEG_AR_TYPE_S_MASK) == seg_ar_type_s(SEG_AR_TSS_BUSY)) {
		write_guest_segment(&gdt, tr, VMCS_SEG_TR);
	} else {
		if (tr)
			log_warn("TR 0x%x does not name a TSS in the current GDT; the guest gets an empty busy TSS", tr);
		/* OVMF runs without a task register; VM entry still wants a busy 64-bit TSS
		 * (SDM Vol. 3C, 27.3.1.2 "Checks on Guest Segment Registers", TR). A TR that
		 * names something else is what a failed launch leaves (vmx_cpu_fail_open: a
		 * null TR cannot be reloaded). */
		struct seg_state empty_tss = { .selector = 0, .base = 0, .limit = 0xFFFF, .ar = SEG_AR_TSS_BUSY };
		vmcs_write_guest_segment(VMCS_SEG_TR, &empty_tss);
	}
	/* FS/GS bases in 64-bit mode live in MSRs, not in the descriptors. */
	vmcs_writenw(GUEST_FS_BASE, cpu_rdmsr(MSR_IA32_FS_BASE));
	vmcs_writenw(GUEST_GS_BASE, cpu_rdmsr(MSR_IA32_GS_BASE));
	vmcs_writenw(GUEST_GDTR_BASE, gdt.base);
	vmcs_write32(GUEST_GDTR_LIMIT, gdt.limit);
	vmcs_writenw(GUEST_IDTR_BASE, idt.base);
	vmcs_write32(GUEST_IDTR_LIMIT, idt.limit);
}

void vmcs_setup_guest_state(const struct guest_entry *e, uint64_t cr4_before)
{
	vmcs_writenw(GUEST_CR0, cpu_read_cr0());
	vmcs_writenw(CR0_READ_SHADOW, cpu_read_cr0());
	vmcs_writenw(GUEST_CR3, cpu_read_cr3());
	vmcs_writenw(GUEST_CR4, cpu_read_cr4());
	vmcs_writenw(CR4_READ_SHADOW, cr4_before & ~CR4_VMXE);
	vmcs_writenw(GUEST_DR7, cpu_read_dr7());
	write_guest_segments();
	vmcs_write64(GUEST_IA32_DEBUGCTL, cpu_rdmsr(MSR_IA32_DEBUGCTL));
	vmcs_write64(GUEST_IA32_PAT, cpu_rdmsr(MSR_IA32_PAT));
	vmcs_write64(GUEST_IA32_EFER, cpu_rdmsr(MSR_IA32_EFER));
	vmcs_write32(GUEST_SYSENTER_CS, (uint32_t)cpu_rdmsr(MSR_IA32_SYSENTER_CS));
	vmcs_writenw(GUEST_SYSENTER_ESP, cpu_rdmsr(MSR_IA32_SYSENTER_ESP));
	vmcs_writenw(GUEST_SYSENTER_EIP, cpu_rdmsr(MSR_IA32_SYSENTER_EIP));
	vmcs_writenw(GUEST_RSP, e->rsp);
	vmcs_writenw(GUEST_RIP, e->rip);
	vmcs_writenw(GUEST_RFLAGS, e->rflags);
	vmcs_write32(GUEST_ACTIVITY_STATE, 0);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_writenw(GUEST_PENDING_DBG_EXCEPTIONS, 0);
}
