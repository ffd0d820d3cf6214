/* Finishing an exit: RIP advance and event injection (see vmx/exit/inject.h). Hardware
 * edge: VMWRITE. */
#include "vmx/exit/inject.h"

#include "arch/cr.h"
#include "vmx/vmcs/controls.h"
#include "vmx/vmcs/vmcs.h"

#include "vmx/policy/emulate_rules.h"

uint32_t inject_info(unsigned vector, unsigned type, bool has_error_code)
{
	return (vector & 0xFF) | ((type & 7) << 8) | (has_error_code ? INTR_INFO_DELIVER_CODE : 0) |
	       INTR_INFO_VALID;
}

uint64_t vcpu_rip_after_rare(const struct vcpu *v, unsigned len)
{
	bool ia32e = vmcs_read32(VM_ENTRY_CONTROLS) & (uint32_t)VM_ENTRY_IA32E_MODE;
	bool cs_l = (vmcs_read32(GUEST_CS_AR_BYTES) >> 13) & 1;
	return rip_after_instruction(v->at_exit.rip, len, ia32e && cs_l);
}

/* Blocking by STI or MOV SS (bits 0 and 1), RFLAGS.RF or RFLAGS.TF at the exit. */
void vcpu_advance_rip_rare(struct vcpu *v)
{
	uint32_t intr = v->at_exit.intr;
	if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO,
			     vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
	uint64_t rflags = v->at_exit.rflags;
	/* A completed instruction clears RF (SDM Vol. 3A, 18.3.1.1 "Instruction-Breakpoint
	 * Exception Condition"). */
	if (rflags & RFLAGS_RF)
		vmcs_writenw(GUEST_RFLAGS, vmcs_readnw(GUEST_RFLAGS) & ~RFLAGS_RF);
	if ((rflags & RFLAGS_TF) && pending_dbg_single_step(rflags, vmcs_read64(GUEST_IA32_DEBUGCTL)))
		vmcs_writenw(GUEST_PENDING_DBG_EXCEPTIONS,
			     vmcs_readnw(GUEST_PENDING_DBG_EXCEPTIONS) | PENDING_DBG_BS);
}

void vcpu_inject_exception(struct vcpu *v, unsigned vector, uint32_t error_code)
{
	/* No error code for a real-mode guest, or VM entry fails (vmx/policy/emulate_rules.h). */
	bool ec = inject_delivers_error_code(vector, vmcs_readnw(GUEST_CR0));
	v->injected = inject_info(vector, INTR_TYPE_HARD_EXCEPTION, ec);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, v->injected);
	if (ec)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, error_code);
}

void vcpu_inject_ud(struct vcpu *v)
{
	vcpu_inject_exception(v, VECTOR_UD, 0);
}

void vcpu_inject_gp0(struct vcpu *v)
{
	vcpu_inject_exception(v, VECTOR_GP, 0);
}

bool vcpu_event_pending(void)
{
	return vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID;
}

/* Sets and clears bits of the primary processor-based controls. Root mode's NMI handler
 * (vmx_root_nmi) may set NMI-window exiting between this read and write; the caller
 * looks at nmi_pending after the write, so an NMI that arrives meanwhile is not lost. */
static void proc_controls_update(uint32_t set, uint32_t clear)
{
	uint32_t proc = vmcs_read32(CPU_BASED_VM_EXEC_CONTROL);
	uint32_t want = (proc | set) & ~clear;
	if (want != proc)
		vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, want);
}

#define EVENT_WINDOWS ((uint32_t)CPU_BASED_NMI_WINDOW_EXITING | (uint32_t)CPU_BASED_INTR_WINDOW_EXITING)

void vcpu_event_windows_off(void)
{
	proc_controls_update(0, EVENT_WINDOWS);
}

void vcpu_nmi_window_arm(void)
{
	proc_controls_update(CPU_BASED_NMI_WINDOW_EXITING, 0);
}

/* An NMI that arrived in root mode, or exited the guest, goes to the guest as soon as
 * the guest can take one (SDM Vol. 3C, 27.6.1.2 "Blocking by NMI"; 26.7.6
 * "NMI-Window Exiting"; the choice: vmx/policy/emulate_rules.h, nmi_delivery_decide).
 * One held NMI is taken (atomically) only once the windows are off and the injection
 * is decided: an NMI that root mode takes after that adds to nmi_pending and arms the
 * NMI window itself (vmx_root_nmi), so it reaches the guest after the one injected now. */
void vcpu_deliver_pending(struct vcpu *v)
{
	uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	switch (nmi_delivery_decide(intr, vcpu_event_pending())) {
	case NMI_WAIT_NMI_WINDOW:
		proc_controls_update(CPU_BASED_NMI_WINDOW_EXITING, CPU_BASED_INTR_WINDOW_EXITING);
		return;
	case NMI_WAIT_INTR_WINDOW:
		proc_controls_update(CPU_BASED_INTR_WINDOW_EXITING, CPU_BASED_NMI_WINDOW_EXITING);
		return;
	case NMI_INJECT_NOW:
		break;
	}
	vcpu_event_windows_off();
	uint8_t held = __atomic_load_n(&v->nmi_pending, __ATOMIC_ACQUIRE);
	do {
		if (!held)
			return;
	} while (!__atomic_compare_exchange_n(&v->nmi_pending, &held, held - 1, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	v->injected = inject_info(VECTOR_NMI, INTR_TYPE_NMI, false);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, v->injected);
	/* The second NMI held waits for the guest's IRET of this one: virtual-NMI blocking
	 * starts with the injection, and the NMI window opens when it ends. */
	if (__atomic_load_n(&v->nmi_pending, __ATOMIC_ACQUIRE))
		vcpu_nmi_window_arm();
}
