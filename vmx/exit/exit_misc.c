/* Small exits: XSETBV, INVD, triple fault, failed VM entries, NMIs. */
#include "arch/cpu.h"
#include "arch/exception.h"
#include "drivers/fmt.h"
#include "drivers/log.h"
#include "vmx/debug/gdb.h"
#include "vmx/decode/decode.h"
#include "vmx/exit/exit.h"
#include "vmx/hv.h"
#include "vmx/exit/inject.h"
#include "vmx/exit/step_hw.h"
#include "vmx/study/dump_hw.h"
#include "vmx/policy/policy.h"
#include "vmx/vmcs/vmcs.h"

/* XSETBV always exits in VMX non-root operation (SDM Vol. 3C, 26.1.2 "Instructions That
 * Cause VM Exits Unconditionally"). XCR0 is not switched by VM entry/exit, so the
 * validated value is simply loaded in root mode. */
EXIT_FAST_FN void exit_xsetbv(struct vcpu *v, struct vmexit *e)
{
	uint32_t index = (uint32_t)v->regs.gpr[GPR_RCX];
	uint64_t value = (uint32_t)v->regs.gpr[GPR_RAX] | (v->regs.gpr[GPR_RDX] << 32);
	bool fault = xsetbv_faults(index, value, v->xcr0_supported, vcpu_guest_cpl()) ||
		     xsetbv_safe(index, value) != 0;

	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "xcr=%u value=0x%lx%s", index, value,
			     fault ? " fault=#GP" : "");
	if (fault) {
		vcpu_inject_gp0(v);
		return;
	}
	vcpu_skip_instruction(v);
}

/* INVD would throw away dirty cache lines, including vmxray's own: do WBINVD instead,
 * which is what the guest may observe of INVD anyway (SDM Vol. 2A, INVD: "data cached
 * internally ... is not written back"; the difference is invisible to the guest's
 * correctness, only to its timing). */
void exit_invd(struct vcpu *v, struct vmexit *e)
{
	(void)e;
	__asm__ volatile("wbinvd" ::: "memory");
	vcpu_skip_instruction(v);
}

/* A triple fault in the guest: on bare metal the machine would shut down and the
 * chipset reset it. vmxray logs why, then resets the machine. */
void exit_triple_fault(struct vcpu *v, struct vmexit *e)
{
	(void)e;
	log_error("guest triple fault at rip 0x%lx", vmcs_readnw(GUEST_RIP));
	vmx_panic(v, "guest triple fault");
}

/* VM-entry failures that are reported as VM exits (SDM Vol. 3C, 27.8 "VM-Entry Failures
 * During or After Loading Guest State"): reason 33, 34 or 41 with bit 31 set. When it is
 * the vCPU's very first entry, no guest instruction has run and the firmware's state is
 * still known: vmxray fails open (the launch fails, the firmware goes on without it).
 * A later one is a broken invariant. */
void exit_entry_failure(struct vcpu *v, struct vmexit *e)
{
	log_error("VM entry failed: exit reason %u (%s), qualification 0x%lx", e->basic,
		  exit_reason_name(e->basic), e->qual);
	uint64_t exits = 0; /* this one included; fast-path exits count only in exit_count */
	for (unsigned r = 0; r < VMX_EXIT_REASON_SLOTS; r++)
		exits += v->exit_count[r];
	if (exits == 1 && exit_reason_decode(e->reason).failed_vmentry) {
		vmx_dump_current(v, "first VM entry failed");
		vmx_cpu_fail_open(v);
	}
	vmx_panic(v, "VM entry failed");
}

/* With NMI exiting, an NMI in the guest exits with reason 0 and type NMI (SDM Vol. 3C,
 * 25.6.1 "Pin-Based VM-Execution Controls"); vmxray hands it back to the guest. */
void exit_nmi(struct vcpu *v, struct vmexit *e)
{
	uint32_t info = vmcs_read32(VM_EXIT_INTR_INFO);
	struct intr_info ii = intr_info_decode(info);
	if (ii.valid && ii.type == INTR_TYPE_NMI) {
		(void)vcpu_take_nmi(v); /* vmxray's own NMI only makes this CPU exit */
		cpu_unblock_nmi(); /* or this CPU never takes another NMI */
		/* An NMI that arrived while the guest took an interrupt or exception: that
		 * event goes in again (the pending NMI then waits for an NMI window). */
		vcpu_reinject_idt_vectoring(v);
		return;
	}
	if (step_exception(v, e, info)) /* a single step's #DB, or what the stepped instruction raised */
		return;
	if (exit_intercept_exception(v, e, info)) /* intercept=pf,gp,...: reflected */
		return;
	log_error("unexpected exception exit: %s (vector %u)", exception_name(ii.vector), ii.vector);
	vmx_dump_current(v, "unexpected exception exit");
	/* Give the exception back to the guest unchanged. */
	vcpu_inject_exception(v, ii.vector, vmcs_read32(VM_EXIT_INTR_ERROR_CODE));
	(void)e;
}

/* The NMI or interrupt window vmxray asked for is open: both go off, and
 * vcpu_deliver_pending() injects the NMI held (or asks again, if it is blocked still).
 * A window with no NMI held (one taken meanwhile, or an INIT dropped it) just goes off:
 * left on, it would exit before every guest instruction. */
void exit_nmi_window(struct vcpu *v, struct vmexit *e)
{
	(void)v;
	(void)e;
	vcpu_event_windows_off();
}

void exit_interrupt_window(struct vcpu *v, struct vmexit *e)
{
	exit_nmi_window(v, e);
}

/* NMI taken in root mode (host IDT vector 2): remember it for the guest, unless it was
 * vmxray's own kick (vmx/policy/nmi_source.h; a processor waiting for SIPI takes none). */
void vmx_root_nmi(const struct exception_frame *f)
{
	(void)f;
	struct vcpu *v = vcpu_current();
	if (!vcpu_take_nmi(v))
		return;
	/* The exit path may have looked at nmi_pending for the last time already: with
	 * NMI-window exiting on, the guest exits again as soon as it can take the NMI
	 * (SDM Vol. 3C, 26.7.6 "NMI-Window Exiting") instead of at whatever exit comes
	 * next, which may be never. The VMCS is this CPU's current one while launched. */
	if (v->launched)
		vcpu_nmi_window_arm();
}
