/* RDMSR/WRMSR exits. The MSR bitmap (vmx/policy/setup.c) makes only these exit: the VMX
 * capability MSRs (hidden: #GP), IA32_FEATURE_CONTROL (VMX shown off and locked),
 * writes to the MTRRs (the EPT's memory types follow them), and every MSR outside the
 * bitmap's two ranges (SDM Vol. 3C, 25.6.9 "MSR-Bitmap Address"). An access that
 * faults on the hardware raises #GP in the guest. */
#include "arch/exception.h"
#include "arch/msr.h"
#include "drivers/fmt.h"
#include "drivers/log.h"
#include "vmx/decode/apic.h"
#include "vmx/exit/exit.h"
#include "vmx/hv.h"
#include "vmx/exit/inject.h"
#include "vmx/policy/policy.h"
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

void exit_msr_read(struct vcpu *v, struct vmexit *e)
{
	uint32_t msr = guest_ecx(v);
	uint64_t value = 0;
	bool fault = msr_is_hidden_vmx(msr) || msr_safe_read(msr, &value) != 0;

	if (!fault && msr == MSR_IA32_FEATURE_CONTROL)
		value = feature_control_guest_view(value);
	trace_msr(e, msr, value, fault);
	if (fault) {
		vcpu_inject_gp0(v);
		return;
	}
	v->regs.gpr[GPR_RAX] = (uint32_t)value;
	v->regs.gpr[GPR_RDX] = value >> 32;
	vcpu_skip_instruction(v);
}

/* A guest MTRR write: keep the snapshot and the hardware in step, then retype the EPT
 * (SDM Vol. 3C, 29.3.7 "EPT and Memory Typing": with EPT the MTRRs no longer type
 * guest accesses, so vmxray must carry them into the EPT). */
static bool write_mtrr(uint32_t msr, uint64_t value)
{
	spin_lock(&g_hv.lock);
	uint64_t old;
	/* Rewriting the value it already has (Linux does this for every MTRR on every CPU it
	 * brings up) changes no memory type: skip the retype (measured: 1.09M ticks each). */
	if (mtrr_state_read(&g_hv.mtrr, msr, &old) && old == value) {
		bool same_ok = msr_safe_write(msr, value) == 0;
		spin_unlock(&g_hv.lock);
		return same_ok;
	}
	struct mtrr_state next = g_hv.mtrr;
	bool ok = mtrr_state_write(&next, msr, value) && msr_safe_write(msr, value) == 0;
	if (ok) {
		g_hv.mtrr = next;
		uint64_t top = 1ULL << g_hv.ept.maxphyaddr;
		if (ept_update_memtypes(&g_hv.ept, &g_hv.mtrr, 0, top, &g_hv.ept_alloc) != 0)
			log_error("EPT memory types could not follow an MTRR write (table pool empty)");
		g_hv.ept_generation++;
	}
	spin_unlock(&g_hv.lock);
	if (ok)
		vmx_ept_flush_if_stale(); /* this CPU now; the others at their next exit */
	return ok;
}

void exit_msr_write(struct vcpu *v, struct vmexit *e)
{
	uint32_t msr = guest_ecx(v);
	uint64_t value = (uint32_t)v->regs.gpr[GPR_RAX] | (v->regs.gpr[GPR_RDX] << 32);
	bool fault;

	if (msr == MSR_IA32_FEATURE_CONTROL || msr_is_hidden_vmx(msr))
		fault = true; /* locked, and read-only */
	else if (mtrr_is_mtrr_msr(msr))
		fault = !write_mtrr(msr, value);
	else if (msr == APIC_MSR_ICR && apic_x2apic_icr_write(v, value))
		fault = false; /* INIT or SIPI, delivered in software (vmx/exit/exit_apic.c) */
	else
		fault = msr_safe_write(msr, value) != 0;
	trace_msr(e, msr, value, fault);
	if (fault) {
		vcpu_inject_gp0(v);
		return;
	}
	vcpu_skip_instruction(v);
}
