/* The launch of one CPU: VMXON, the VMCS from the live CPU (vmx/launch/vmcs_setup_hw.c),
 * the software entry checker, VMLAUNCH; on a failure before the guest runs, VMX off again.
 * Hardware edge. SDM Vol. 3C, 24.7 "Enabling and Entering VMX Operation", 27 "VM Entries". */
#include "vmx/launch/launch.h"

#include "arch/cpu.h"
#include "arch/cr.h"
#include "arch/exception.h"
#include "arch/msr.h"
#include "drivers/log.h"
#include "vmx/checker/checker_hw.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/ulog.h"
#include "vmx/launch/vmcs_setup_hw.h"
#include "vmx/debug/gdb.h"
#include "vmx/vmcs/vm_insn_errors.h"
#include "vmx/vmcs/vmcs.h"
#include "vmx/vmcs/vmx_hw.h"

int vmx_launch(struct vcpu *v); /* vmx/exit/entry.asm: load guest GPRs, VMLAUNCH */

static enum hv_status enable_vmx_operation(struct hv *hv, struct vcpu *v)
{
	if (vmx_caps_feature_control_state(&hv->caps) == VMX_FEATURE_CONTROL_UNLOCKED) {
		uint64_t fc = vmx_caps_feature_control_enable_value(&hv->caps);
		if (msr_safe_write(MSR_IA32_FEATURE_CONTROL, fc) != 0) {
			log_error("could not enable VMX in IA32_FEATURE_CONTROL");
			return HV_ERR_NO_VMX;
		}
	}
	uint64_t cr0 = cpu_read_cr0(), cr4 = cpu_read_cr4();
	uint64_t need0 = vmx_caps_cr0_fixed0(&hv->caps), allow0 = vmx_caps_cr0_fixed1(&hv->caps);
	if ((cr0 & need0) != need0 || (cr0 & ~allow0)) {
		log_error("CR0 0x%lx does not meet IA32_VMX_CR0_FIXED0/1 (0x%lx/0x%lx)", cr0, need0, allow0);
		return HV_ERR_NO_VMX;
	}
	cpu_write_cr4(cr4 | CR4_VMXE | vmx_caps_cr4_fixed0(&hv->caps));
	*(uint32_t *)v->vmxon_region = vmx_caps_vmcs_revision(&hv->caps);
	*(uint32_t *)v->vmcs_region = vmx_caps_vmcs_revision(&hv->caps);
	enum vmx_result r = vmx_on((uint64_t)(uintptr_t)v->vmxon_region);
	if (r != VMX_SUCCEED) {
		log_error("VMXON failed (%s)", r == VMX_FAIL_INVALID ? "VMfailInvalid" : "VMfailValid");
		cpu_write_cr4(cr4);
		return HV_ERR_VMX_INSN;
	}
	uint64_t vmcs_pa = (uint64_t)(uintptr_t)v->vmcs_region;
	if (vmx_vmclear(vmcs_pa) != VMX_SUCCEED || vmx_vmptrld(vmcs_pa) != VMX_SUCCEED) {
		log_error("VMCLEAR/VMPTRLD of the VMCS failed");
		vmx_off();
		cpu_write_cr4(cr4);
		return HV_ERR_VMX_INSN;
	}
	return HV_OK;
}

static bool run_entry_checker(struct hv *hv)
{
	unsigned n = vmx_check_current_vmcs(&hv->caps);
	if (n == 0)
		log_debug("CHECK ok");
	return n == 0;
}

static void leave_vmx(struct vcpu *v, uint64_t cr4_before)
{
	vmx_leave((uint64_t)(uintptr_t)v->vmcs_region, cr4_before);
}

/* What vmx_cpu_fail_open needs to give the firmware back its CPU, read before anything
 * of it changes (VMXON, the test hook). */
static void save_firmware_state(struct vcpu *v, const struct guest_entry *e)
{
	struct fw_state *fw = &v->fw;
	struct cpu_dtr gdt = cpu_sgdt(), idt = cpu_sidt();

	*fw = (struct fw_state){
		.rip = e->rip, .rsp = e->rsp, .rflags = e->rflags, .rax = e->fail_rax,
		.cs = cpu_read_cs(), .ss = cpu_read_ss(), .ds = cpu_read_ds(), .es = cpu_read_es(),
		.fs = cpu_read_fs(), .gs = cpu_read_gs(),
		.fs_base = cpu_rdmsr(MSR_IA32_FS_BASE), .gs_base = cpu_rdmsr(MSR_IA32_GS_BASE),
		.cr3 = cpu_read_cr3(), .cr4 = cpu_read_cr4(), .dr7 = cpu_read_dr7(),
		.debugctl = cpu_rdmsr(MSR_IA32_DEBUGCTL),
		.sysenter_cs = cpu_rdmsr(MSR_IA32_SYSENTER_CS),
		.sysenter_esp = cpu_rdmsr(MSR_IA32_SYSENTER_ESP),
		.sysenter_eip = cpu_rdmsr(MSR_IA32_SYSENTER_EIP),
		.gdt_base = gdt.base, .idt_base = idt.base, .gdt_limit = gdt.limit, .idt_limit = idt.limit,
		.ldtr = cpu_sldt(), .tr = cpu_str(), .launch_count = e->launch_count,
	};
}

/* Bytes one exit may log (drivers/log.h, "The per-exit budget"): about 90 ms of a
 * 115200-baud UART, a dozen ordinary lines. */
#define LOG_EXIT_BUDGET_BYTES 1024

/* The calling CPU's log budget, by APIC ID: only a CPU that has launched and taken an
 * exit has one (before that, GS does not point at a vcpu and nothing is the guest's
 * doing). */
static struct log_budget *vcpu_log_budget(uint64_t *epoch)
{
	uint32_t id = cpu_apic_id();
	for (unsigned c = 0; c < g_hv.cpu_count; c++) {
		struct vcpu *v = g_hv.vcpu[c];
		if (v && v->apic_id == id) {
			if (!v->launched || !v->exits_total)
				return NULL;
			*epoch = v->exits_total;
			return &v->log_budget;
		}
	}
	return NULL;
}

enum hv_status vmx_cpu_launch(struct hv *hv, struct vcpu *v, const struct guest_entry *e)
{
	log_set_budget(vcpu_log_budget, LOG_EXIT_BUDGET_BYTES);
	uint64_t cr4_before = cpu_read_cr4();
	save_firmware_state(v, e);
	enum hv_status st = enable_vmx_operation(hv, v);
	if (st != HV_OK)
		return st;
	bool long_mode = cpu_rdmsr(MSR_IA32_EFER) & EFER_LMA;
	vmcs_setup_controls(hv, v, long_mode);
	gdb_vcpu_launch(v);
	ulog_vcpu_launch(v);
	vmcs_setup_host_state(hv, v);
	vmcs_setup_guest_state(e, cr4_before);
	if (!run_entry_checker(hv)) {
		leave_vmx(v, cr4_before);
		return HV_ERR_CHECK;
	}
	if (hv->cfg.test_flags & HV_TEST_BAD_GUEST_STATE) {
		/* test=bad-guest-state: CR0.PG without CR0.PE is never valid: VM entry fails
		 * with reason 33 and vmxray must return to the firmware cleanly. */
		log_info("test=bad-guest-state: breaking GUEST_CR0 after the checker");
		vmcs_writenw(GUEST_CR0, (vmcs_readnw(GUEST_CR0) | CR0_PG) & ~CR0_PE);
	}
	v->regs.gpr[GPR_RAX] = e->rax;
	v->launched = 1;
	int how = vmx_launch(v);
	v->launched = 0;
	uint32_t err = how == 2 ? vmcs_read32(VM_INSTRUCTION_ERROR) : 0;
	if (how == 2)
		log_error("VMLAUNCH failed: VM-instruction error %u (%s)", err, vm_insn_error_name(err));
	else
		log_error("VMLAUNCH failed: VMfailInvalid");
	if (how == 2)
		vmx_dump_current(v, "VMLAUNCH failed");
	leave_vmx(v, cr4_before);
	return HV_ERR_VMX_INSN;
}
