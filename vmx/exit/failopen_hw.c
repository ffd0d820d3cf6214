/* Fail-open: the first VM entry of a CPU failed, so vmxray leaves VMX operation and gives
 * the CPU back to the firmware at the launch's resume point (docs/ARCHITECTURE.md, "Fault
 * policy"). Hardware edge: VMXOFF, LGDT/LIDT/LLDT/LTR, segment and MSR loads. */
#include "arch/cpu.h"
#include "arch/cr.h"
#include "arch/msr.h"
#include "drivers/log.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/ulog.h"
#include "vmx/vcpu.h"
#include "vmx/vmcs/vmx_hw.h"

_Noreturn void vmx_firmware_resume(const struct fw_state *fw); /* vmx/exit/entry.asm */

/* The busy flag B, bit 1 of a TSS descriptor's type (SDM Vol. 3A, "TSS Descriptor"). */
#define DESC_TSS_BUSY_BIT 0x02

/* The VM exit that reported the failure loaded vmxray's host state (SDM Vol. 3C, 27.8:
 * "processor state is loaded as would be done on a VM exit"); a VM exit also sets DR7 to
 * 400H, clears IA32_DEBUGCTL and loads the SYSENTER MSRs from the host-state area (28.5.1
 * "Loading Host Control Registers, Debug Registers, MSRs"). CR0, IA32_EFER and IA32_PAT
 * are the firmware's already: vmxray's host values are copies of them. */
static void restore_firmware_tables(const struct fw_state *fw)
{
	struct cpu_dtr gdt = { fw->gdt_limit, fw->gdt_base }, idt = { fw->idt_limit, fw->idt_base };

	cpu_write_cr3(fw->cr3);
	cpu_lgdt(&gdt);
	cpu_lidt(&idt);
	cpu_lldt(fw->ldtr);
	/* LTR faults on a busy TSS descriptor (SDM Vol. 2A, LTR: "#GP(selector) if ... the
	 * segment descriptor is ... for a busy TSS"), and the firmware's has been busy since
	 * its own LTR. A null TR cannot be loaded at all: a firmware without a task register
	 * (OVMF) keeps vmxray's TSS in TR, which 64-bit code at CPL 0 without IST never reads. */
	if (fw->tr) {
		volatile uint8_t *access = (volatile uint8_t *)(uintptr_t)(fw->gdt_base + (fw->tr & ~7u) + 5);
		*access = (uint8_t)(*access & ~DESC_TSS_BUSY_BIT);
		cpu_ltr(fw->tr);
	}
	/* vmxray's code uses no data segment base (64-bit mode) and reads GS only in its
	 * NMI and exception hooks, which the firmware's IDT now replaces. The bases after the
	 * selectors: a selector load in 64-bit mode sets only their low 32 bits. */
	cpu_load_data_segments((uint16_t)fw->ds, (uint16_t)fw->es, (uint16_t)fw->fs, (uint16_t)fw->gs);
	cpu_wrmsr(MSR_IA32_FS_BASE, fw->fs_base);
	cpu_wrmsr(MSR_IA32_GS_BASE, fw->gs_base);
	cpu_write_dr7(fw->dr7);
	cpu_wrmsr(MSR_IA32_DEBUGCTL, fw->debugctl);
	cpu_wrmsr(MSR_IA32_SYSENTER_CS, fw->sysenter_cs);
	cpu_wrmsr(MSR_IA32_SYSENTER_ESP, fw->sysenter_esp);
	cpu_wrmsr(MSR_IA32_SYSENTER_EIP, fw->sysenter_eip);
}

_Noreturn void vmx_cpu_fail_open(struct vcpu *v)
{
	log_error("cpu%u: the first VM entry failed: leaving VMX operation and returning to the firmware "
		  "at 0x%lx with status 0x%lx (the launch failed)", v->apic_id, v->fw.rip, v->fw.rax);
	v->launched = 0;
	ulog_flush_all(); /* the firmware gets its UART back, with nothing queued */
	if (v->fw.launch_count)
		(*v->fw.launch_count)--;
	vmx_leave((uint64_t)(uintptr_t)v->vmcs_region, v->fw.cr4);
	restore_firmware_tables(&v->fw);
	vmx_firmware_resume(&v->fw); /* IRETQ to the resume point */
}
