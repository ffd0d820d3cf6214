/* The opt-in event intercepts (intercept=, vmx/policy/intercepts.def): exceptions through
 * the exception bitmap (intercept=pf,gp,...) and external interrupts (intercept=extint,
 * with "acknowledge interrupt on exit"). Each event goes to the guest as the processor
 * would have delivered it: the same vector, type, error code and instruction length,
 * with what a VM exit leaves undone for #PF (CR2) and #DB (DR6, DR7.GD), NMI blocking
 * after an IRET that faulted, and the combination with an event whose delivery the
 * exception interrupted. SDM Vol. 3C, 28.2.2 "Information for VM Exits Due to Vectored
 * Events"; 28.2.4 "Information for VM Exits That Occur During Event Delivery"; 29.2
 * "Handling of VM Exits Due to Vectored Events" (the VMM's side). */
#include "arch/cpu.h"
#include "arch/exceptions.h"
#include "drivers/fmt.h"
#include "drivers/log.h"
#include "vmx/decode/decode.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/inject.h"
#include "vmx/hv.h"
#include "vmx/policy/emulate_rules.h"
#include "vmx/policy/intercept_rules.h"
#include "vmx/vmcs/controls.h"
#include "vmx/vmcs/vmcs.h"

#define INTERRUPTIBILITY_STI (1u << 0)
#define INTERRUPTIBILITY_MOV_SS (1u << 1)
#define INTERRUPTIBILITY_NMI (1u << 3)

static void set_interrupt_window(bool on)
{
	uint32_t proc = vmcs_read32(CPU_BASED_VM_EXEC_CONTROL);
	uint32_t want = on ? proc | (uint32_t)CPU_BASED_INTR_WINDOW_EXITING
			   : proc & ~(uint32_t)CPU_BASED_INTR_WINDOW_EXITING;
	if (want != proc)
		vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, want);
}

static bool extint_any(const struct vcpu *v)
{
	return v->extint_pending[0] | v->extint_pending[1] | v->extint_pending[2] | v->extint_pending[3];
}

/* An external interrupt acknowledged at a VM exit waits in v->extint_pending until the
 * guest can take it: RFLAGS.IF set, no blocking by STI or MOV SS, no other event going in
 * at this entry (SDM Vol. 3C, 27.6.1 "Vectored-Event Injection" and 26.7.5
 * "Interrupt-Window Exiting"). The highest vector first, as the local APIC would present
 * them (SDM Vol. 3A, 11.8.3 "Interrupt, Task, and Processor Priority"). */
static void extint_deliver(struct vcpu *v)
{
	if (!extint_any(v))
		return;
	uint64_t rflags = vmcs_readnw(GUEST_RFLAGS);
	uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	if (!(rflags & RFLAGS_IF) || (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)) || vcpu_event_pending()) {
		set_interrupt_window(true);
		return;
	}
	unsigned w = 3;
	while (!v->extint_pending[w])
		w--;
	unsigned vector = w * 64 + 63 - (unsigned)__builtin_clzll(v->extint_pending[w]);
	v->extint_pending[w] &= ~(1ULL << (vector % 64));
	v->injected = inject_info(vector, INTR_TYPE_EXT_INTR, false);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, v->injected);
	set_interrupt_window(extint_any(v));
}

static void extint_hold(struct vcpu *v, unsigned vector)
{
	v->extint_pending[(vector & 0xFF) / 64] |= 1ULL << (vector % 64);
}

/* intercept=extint: the interrupt was acknowledged at the exit (VM_EXIT_INTR_INFO holds
 * its vector). An event whose delivery it interrupted goes in first. */
void exit_intercept_extint(struct vcpu *v, struct vmexit *e)
{
	struct intr_info ii = intr_info_decode(vmcs_read32(VM_EXIT_INTR_INFO));
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "vector=0x%x", ii.vector);
	vcpu_reinject_idt_vectoring(v);
	if (ii.valid)
		extint_hold(v, ii.vector);
	extint_deliver(v);
}

/* Reason 7: the window vmxray's NMI delivery asked for (exit_interrupt_window, both
 * windows off; vcpu_deliver_pending then decides), and the one a held interrupt asked
 * for: delivered now, or the window asked again. The NMI path may turn the windows off
 * while a vector is held: it then goes in at the next external-interrupt exit. */
void exit_intercept_intr_window(struct vcpu *v, struct vmexit *e)
{
	exit_interrupt_window(v, e);
	extint_deliver(v);
}

/* #PF: CR2 is the exit qualification; a VM exit leaves CR2 alone (SDM Vol. 3C, 28.1
 * "Architectural State Before a VM Exit"), and root mode never faults, so the register
 * holds the guest's value until the next VM entry. #DB: DR6 and DR7.GD as delivery would
 * have left them (vmx/policy/intercept_rules.h); an INT1 (type 5) reports nothing. */
static void exception_side_effects(struct vcpu *v, const struct intr_info *ii, uint64_t qual)
{
	(void)v;
	if (ii->vector == VECTOR_PF)
		cpu_write_cr2(qual);
	if (ii->vector == VECTOR_DB && ii->type == INTR_TYPE_HARD_EXCEPTION) {
		cpu_write_dr6(intercept_dr6_after_db(cpu_read_dr6(), qual));
		vmcs_writenw(GUEST_DR7, intercept_dr7_after_db(vmcs_readnw(GUEST_DR7)));
	}
}

/* The exception happened while an event was being delivered (IDT-vectoring information
 * valid): what the processor would deliver instead (Table 6-5). An NMI whose delivery
 * faulted is delivered after (it stays pending, as vmx_root_nmi's); an external
 * interrupt too; a software interrupt or exception is re-executed from its RIP. Returns
 * false when nothing is left to deliver (the guest shut down: triple fault). */
static bool exception_combine(struct vcpu *v, uint32_t *info, uint32_t *ec)
{
	struct intr_info first = intr_info_decode(vmcs_read32(IDT_VECTORING_INFO_FIELD));
	if (!first.valid)
		return true;
	if (first.type == INTR_TYPE_NMI_INTR)
		nmi_hold(v, 1); /* adds to the NMIs already held (a count now), never lowers it */
	else if (first.type == INTR_TYPE_EXT_INTR)
		extint_hold(v, first.vector);
	switch (intercept_exception_combine(first.type, first.vector, *info & 0xFF)) {
	case COMBINE_DOUBLE_FAULT:
		*info = inject_info(VECTOR_DF, INTR_TYPE_HARD_EXCEPTION, inject_delivers_error_code(VECTOR_DF, vmcs_readnw(GUEST_CR0)));
		*ec = 0;
		return true;
	case COMBINE_TRIPLE_FAULT:
		return false;
	default:
		return true;
	}
}

bool exit_intercept_exception(struct vcpu *v, struct vmexit *e, uint32_t exit_info)
{
	struct intr_info ii = intr_info_decode(exit_info);
	if (!ii.valid || ii.vector >= 32 || !(g_hv.cfg.intercept_exceptions >> ii.vector & 1))
		return false;
	exit_exception_reflect(v, e, exit_info);
	return true;
}

void exit_exception_reflect(struct vcpu *v, struct vmexit *e, uint32_t exit_info)
{
	struct intr_info ii = intr_info_decode(exit_info);
	uint32_t info = idt_vectoring_reinject_info(exit_info); /* without bit 12 */
	/* No error code in real mode, or VM entry fails (27.2.1.3); Bochs 2.7 reports bit 11
	 * set for a real-mode #GP exit, which the SDM says is always 0 there (28.2.2). */
	if (!inject_delivers_error_code(ii.vector, vmcs_readnw(GUEST_CR0)))
		info &= ~INTR_INFO_DELIVER_CODE;
	uint32_t ec = ii.error_code_valid ? vmcs_read32(VM_EXIT_INTR_ERROR_CODE) : 0;
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "reflect=%s ec=0x%x qual=0x%lx", exception_name(ii.vector), ec,
			     e->qual);
	/* An IRET that faulted had unblocked NMIs: blocking comes back with the fault
	 * (SDM Vol. 3C, 28.2.3 "Information About NMI Unblocking Due to IRET"). */
	if (ii.nmi_unblocking && ii.vector != VECTOR_DF)
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) | INTERRUPTIBILITY_NMI);
	if (!exception_combine(v, &info, &ec)) {
		log_error("guest triple fault (an exception while delivering #DF) at rip 0x%lx", vmcs_readnw(GUEST_RIP));
		vmx_panic(v, "guest triple fault");
	}
	if ((info & 0xFF) == ii.vector)
		exception_side_effects(v, &ii, e->qual);
	v->injected = info;
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info);
	if (info & INTR_INFO_DELIVER_CODE)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, ec);
	if (intr_type_needs_insn_len(info))
		vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, v->at_exit.len);
}

/* At the end of every exit while intercept=extint holds vectors (vmx/exit/exit.c). */
void exit_intercept_deliver(struct vcpu *v)
{
	if (extint_any(v) && !vcpu_event_pending())
		extint_deliver(v);
}
