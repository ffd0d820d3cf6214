/* Control-bit names, expanded from vmx/vmcs/controls.def. Pure. */
#include "vmx/vmcs/controls.h"

const struct vmx_ctrl_info vmx_ctrl_table[] = {
#define VMX_CTRL(group, bit, name, text) { VMX_CTRL_##group, bit, #name, text },
#include "vmx/vmcs/controls.def"
#undef VMX_CTRL
};

const size_t vmx_ctrl_count = sizeof(vmx_ctrl_table) / sizeof(vmx_ctrl_table[0]);

static const struct vmx_ctrl_info *find(enum vmx_ctrl_group group, unsigned bit)
{
	for (size_t i = 0; i < vmx_ctrl_count; i++)
		if (vmx_ctrl_table[i].group == group && vmx_ctrl_table[i].bit == bit)
			return &vmx_ctrl_table[i];
	return NULL;
}

const char *vmx_ctrl_text(enum vmx_ctrl_group group, unsigned bit)
{
	const struct vmx_ctrl_info *c = find(group, bit);
	return c ? c->text : NULL;
}

const char *vmx_ctrl_name(enum vmx_ctrl_group group, unsigned bit)
{
	const struct vmx_ctrl_info *c = find(group, bit);
	return c ? c->name : NULL;
}

const char *vmx_ctrl_group_name(enum vmx_ctrl_group group)
{
	static const char *const names[] = {
		[VMX_CTRL_PIN] = "pin-based VM-execution controls",
		[VMX_CTRL_PROC] = "primary processor-based VM-execution controls",
		[VMX_CTRL_PROC2] = "secondary processor-based VM-execution controls",
		[VMX_CTRL_PROC3] = "tertiary processor-based VM-execution controls",
		[VMX_CTRL_EXIT] = "VM-exit controls",
		[VMX_CTRL_ENTRY] = "VM-entry controls",
	};
	return (unsigned)group < VMX_CTRL_GROUP_COUNT ? names[group] : "?";
}
