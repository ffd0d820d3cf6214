/* VM-instruction error numbers, expanded from vmx/vmcs/vm_insn_errors.def. Pure.
 * SDM Vol. 3C, 31.4 "VM Instruction Error Numbers". */
#ifndef VMXRAY_VMX_VM_INSN_ERRORS_H
#define VMXRAY_VMX_VM_INSN_ERRORS_H
#include <stdint.h>

/* VMXERR_ENTRY_INVALID_CONTROL_FIELD = 7, ... */
enum vm_insn_error {
#define VM_INSN_ERROR(number, name, text) VMXERR_##name = number,
#include "vmx/vmcs/vm_insn_errors.def"
#undef VM_INSN_ERROR
	VMXERR_MAX /* one more than the highest number */
};

/* The SDM's description, e.g. "VM entry with invalid control field(s)" for 7;
 * "unknown VM-instruction error" for 0, reserved numbers and out of range. */
const char *vm_insn_error_name(uint32_t n);

#endif
