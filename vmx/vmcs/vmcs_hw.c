/* VMREAD/VMWRITE of the current VMCS, and snapshots of it. Hardware edge. */
#include "vmx/vmcs/vmcs.h"

#include "drivers/log.h"
#include "vmx/vmcs/vm_insn_errors.h"
#include "vmx/vmcs/vmcs_hw.h"
#include "vmx/vmcs/vmx_hw.h"

__attribute__((cold)) uint64_t vmcs_read_failed(uint32_t field)
{
	log_error("VMREAD of %s (0x%x) failed", vmcs_field_name(field), field);
	return 0;
}

__attribute__((cold)) void vmcs_write_failed(uint32_t field, uint64_t value)
{
	uint64_t err = 0;
	enum vmx_result r = vmx_vmread(VM_INSTRUCTION_ERROR, &err) == VMX_SUCCEED ? VMX_FAIL_VALID : VMX_FAIL_INVALID;
	log_error("VMWRITE of %s (0x%x) = 0x%lx failed: error %lu (%s)", vmcs_field_name(field), field,
		  value, err, r == VMX_FAIL_VALID ? vm_insn_error_name((uint32_t)err) : "no current VMCS");
}

/* Reads every field the CPU has: a field whose VMREAD fails (not supported by this
 * processor) stays not valid in the snapshot. */
void vmcs_snapshot_read(struct vmcs_snapshot *s)
{
	vmcs_snapshot_init(s);
	for (int i = 0; i < VMCS_FIELD_COUNT; i++) {
		uint64_t v;
		if (vmx_vmread(vmcs_field_table[i].encoding, &v) == VMX_SUCCEED)
			vmcs_snapshot_set(s, vmcs_field_table[i].encoding, v);
	}
}
