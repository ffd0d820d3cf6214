/* Control bit constants and names, expanded from vmx/vmcs/controls.def. Pure. */
#ifndef VMXRAY_VMX_CONTROLS_H
#define VMXRAY_VMX_CONTROLS_H
#include <stddef.h>
#include <stdint.h>

enum vmx_ctrl_group {
	VMX_CTRL_PIN,
	VMX_CTRL_PROC,
	VMX_CTRL_PROC2,
	VMX_CTRL_PROC3,
	VMX_CTRL_EXIT,
	VMX_CTRL_ENTRY,
	VMX_CTRL_GROUP_COUNT,
};

#define VMX_CTRL(group, bit, name, text) static const uint64_t name = 1ULL << (bit);
#include "vmx/vmcs/controls.def"
#undef VMX_CTRL

struct vmx_ctrl_info {
	enum vmx_ctrl_group group;
	unsigned bit;
	const char *name; /* constant name, e.g. SECONDARY_EXEC_ENABLE_EPT */
	const char *text; /* SDM name, e.g. "Enable EPT" */
};

extern const struct vmx_ctrl_info vmx_ctrl_table[];
extern const size_t vmx_ctrl_count;

/* SDM name of a control bit, or NULL when the bit is reserved. */
const char *vmx_ctrl_text(enum vmx_ctrl_group group, unsigned bit);
const char *vmx_ctrl_name(enum vmx_ctrl_group group, unsigned bit);
const char *vmx_ctrl_group_name(enum vmx_ctrl_group group);

#endif
