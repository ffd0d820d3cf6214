/* RDMSR/WRMSR exits. What exits, and what vmxray does with it, is one table:
 * vmx/policy/msr_policy.def (the MSR bitmap is built from it, vmx/policy/setup.c), plus every MSR outside
 * the bitmap's two ranges (SDM Vol. 3C, 25.6.9 "MSR-Bitmap Address"), done on the hardware.
 * An access that faults on the hardware raises #GP in the guest. */
#include "arch/exception.h"
#include "arch/msr.h"
#include "drivers/fmt.h"
#include "drivers/log.h"
#include "vmx/decode/apic.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/inject.h"
#include "vmx/hv.h"
#include "vmx/policy/intercept_rules.h"
#include "vmx/policy/policy.h"
#include "vmx/vmcs/controls.h"
#include "vmx/vmcs/vmcs.h"
#include "vmx/vmcs/vmx_hw.h"

static uint32_t guest_ecx(const struct vcpu *v)
{
	return (uint32_t)v->regs.gpr[GPR_RCX];
}

static void trace_msr(struct vmexit *e, uint32_t msr, uint64_t value, bool fault)
{
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "msr=0x%x value=0x%016lx%s", msr, value,
			     fault ? " fault=#GP" : "");
}

static bool emulate_read(uint32_t msr, uint64_t *value)
{
	if (msr == MSR_IA32_FEATURE_CONTROL || msr == MSR_IA32_MISC_ENABLE) {
		if (msr_safe_read(msr, value) != 0)
			return false;
		*value = msr == MSR_IA32_FEATURE_CONTROL ? feature_control_guest_view(*value)
							 : misc_enable_guest_view(*value);
		return true;
	}
	if (mtrr_is_mtrr_msr(msr))
		return mtrr_guest_read(msr, value); /* the guest's copy, vmx/exit/exit_mtrr.c */
	return msr_safe_read(msr, value) == 0;
}

EXIT_FAST_FN void exit_msr_read(struct vcpu *v, struct vmexit *e)
{
	uint32_t msr = guest_ecx(v);
	uint64_t value = 0;
	bool fault;

	switch (msr_policy_action(msr, false)) {
	case MSR_ACTION_GP:
		fault = true;
		break;
	case MSR_ACTION_EMULATE:
		fault = !emulate_read(msr, &value);
		break;
	default: /* a guest-state field under intercept=msr (vmx/exit/exit_intercept_msr.c) */
		fault = !intercept_msr_guest_read(msr, &value) && msr_safe_read(msr, &value) != 0;
		if (!fault) /* intercept=extint: the interrupts it holds, as not yet acknowledged */
			value = intercept_x2apic_held_view(msr, value, v->extint_pending);
		break;
	}
	trace_msr(e, msr, value, fault);
	if (fault) {
		vcpu_inject_gp0(v);
		return;
	}
	v->regs.gpr[GPR_RAX] = (uint32_t)value;
	v->regs.gpr[GPR_RDX] = value >> 32;
	vcpu_skip_instruction(v);
}

/* The writes vmx/policy/msr_policy.def emulates: IA32_APIC_BASE and the MTRRs. */
static bool emulate_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
	if (msr == MSR_IA32_APIC_BASE)
		return apic_base_write(v, value); /* never a base on vmxray's memory */
	return mtrr_guest_write(msr, value); /* vmx/exit/exit_mtrr.c; #GP for any other MSR */
}

/* An MSR that VM entry loads from the guest-state area and VM exit resets for the host
 * (SDM Vol. 3C, 27.3.2.1 "Loading Guest Control Registers, Debug Registers, and MSRs"; 28.3
 * "Loading Host State": IA32_DEBUGCTL is cleared, IA32_PERF_GLOBAL_CTRL loaded when the exit
 * control asks). The guest's value goes to the VMCS field; the processor checks it first
 * (a reserved bit faults here, not at VM entry), then root mode gets its own value back. */
static bool switch_value_valid(uint32_t msr, uint64_t value)
{
	if (msr_safe_write(msr, value) != 0)
		return false;
	(void)msr_safe_write(msr, 0); /* root mode's value after a VM exit */
	return true;
}

static bool switch_write(uint32_t msr, uint64_t value)
{
	if (msr == MSR_IA32_DEBUGCTL) {
		if ((value & DEBUGCTL_DS_BITS) || !switch_value_valid(msr, value))
			return false;
		vmcs_write64(GUEST_IA32_DEBUGCTL, value);
		return true;
	}
	/* VM entry loads the field whenever its control is on (the exit control, which zeroes
	 * the counters for root mode, is asked for together with it: vmx/setup.c). */
	bool loaded = g_hv.ctls.entry & (uint32_t)VM_ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL;
	if (msr != MSR_IA32_PERF_GLOBAL_CTRL || !loaded)
		return msr_safe_write(msr, value) == 0; /* the controls are missing: as before */
	if (!switch_value_valid(msr, value))
		return false;
	vmcs_write64(GUEST_IA32_PERF_GLOBAL_CTRL, value);
	return true;
}

EXIT_FAST_FN void exit_msr_write(struct vcpu *v, struct vmexit *e)
{
	uint32_t msr = guest_ecx(v);
	uint64_t value = (uint32_t)v->regs.gpr[GPR_RAX] | (v->regs.gpr[GPR_RDX] << 32);
	bool fault;

	switch (msr_policy_action(msr, true)) {
	case MSR_ACTION_GP:
		fault = true;
		break;
	case MSR_ACTION_EMULATE:
		fault = !emulate_write(v, msr, value);
		break;
	case MSR_ACTION_SWITCH:
		fault = !switch_write(msr, value);
		break;
	case MSR_ACTION_SOFTIPI: /* INIT or SIPI delivered in software (vmx/exit/exit_apic.c) */
		fault = !apic_x2apic_icr_write(v, value) && msr_safe_write(msr, value) != 0;
		break;
	default:
		if (!intercept_msr_guest_write(msr, value, &fault))
			fault = msr_safe_write(msr, value) != 0;
		break;
	}
	trace_msr(e, msr, value, fault);
	if (fault) {
		vcpu_inject_gp0(v);
		return;
	}
	vcpu_skip_instruction(v);
}
