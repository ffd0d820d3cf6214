/* Re-injection of an event whose delivery a VM exit interrupted: see vmx/exit/inject.h,
 * vcpu_reinject_idt_vectoring. The rule is pure (vmx/policy/emulate_rules.c). */
#include "vmx/exit/inject.h"

#include "vmx/policy/emulate_rules.h"
#include "vmx/vmcs/vmcs.h"

void vcpu_reinject_idt_vectoring(struct vcpu *v)
{
	uint32_t info = idt_vectoring_reinject_info(vmcs_read32(IDT_VECTORING_INFO_FIELD));

	if (!info || v->injected)
		return;
	v->injected = info;
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info);
	if (info & INTR_INFO_DELIVER_CODE)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, vmcs_read32(IDT_VECTORING_ERROR_CODE));
	if (intr_type_needs_insn_len(info))
		vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
}
