/* Pure rules for finishing an exit: see vmx/policy/emulate_rules.h. */
#include "vmx/policy/emulate_rules.h"

#include "arch/cr.h"
#include "arch/exceptions.h"

bool inject_delivers_error_code(unsigned vector, uint64_t guest_cr0)
{
	return (guest_cr0 & CR0_PE) && exception_has_error_code(vector);
}

uint64_t rip_after_instruction(uint64_t rip, unsigned len, bool mode64)
{
	uint64_t next = rip + len;
	return mode64 ? next : (uint32_t)next;
}

bool pending_dbg_single_step(uint64_t rflags, uint64_t debugctl)
{
	return (rflags & RFLAGS_TF) && !(debugctl & DEBUGCTL_BTF);
}

uint64_t mov_cr_operand(uint64_t gpr, bool mode64)
{
	return mode64 ? gpr : (uint32_t)gpr;
}

uint32_t idt_vectoring_reinject_info(uint32_t info)
{
	if (!(info & (1u << 31))) /* valid */
		return 0;
	return info & ((1u << 31) | 0xFFFu); /* valid, deliver-error-code (11), type (10:8), vector (7:0) */
}

bool intr_type_needs_insn_len(uint32_t info)
{
	unsigned type = (info >> 8) & 7; /* bits 10:8 */
	return type >= 4 && type <= 6;
}

enum nmi_delivery nmi_delivery_decide(uint32_t intr, bool event_pending)
{
	if (event_pending || (intr & (INTERRUPTIBILITY_NMI | INTERRUPTIBILITY_MOV_SS)))
		return NMI_WAIT_NMI_WINDOW;
	if (intr & INTERRUPTIBILITY_STI)
		return NMI_WAIT_INTR_WINDOW;
	return NMI_INJECT_NOW;
}
