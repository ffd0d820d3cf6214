/* VM-instruction error descriptions, expanded from vmx/vmcs/vm_insn_errors.def. Pure. */
#include "vmx/vmcs/vm_insn_errors.h"

#include <stddef.h>

#define VM_INSN_ERROR(number, name, text)                                                \
	_Static_assert((number) < VMXERR_MAX,                                            \
		       #name ": vm_insn_errors.def is not in ascending order");
#include "vmx/vmcs/vm_insn_errors.def"
#undef VM_INSN_ERROR

/* Reserved numbers stay NULL. */
static const char *const texts[VMXERR_MAX] = {
#define VM_INSN_ERROR(number, name, text) [number] = text,
#include "vmx/vmcs/vm_insn_errors.def"
#undef VM_INSN_ERROR
};

const char *vm_insn_error_name(uint32_t n)
{
	if (n >= VMXERR_MAX || texts[n] == NULL)
		return "unknown VM-instruction error";
	return texts[n];
}
