/* The VM-entry checker's entry point and failure formatting: runs the checks on the
 * controls, the host state and the guest state in the SDM's order. Pure; see
 * vmx/checker/checker.h. */
#include "vmx/checker/checker.h"

#include <string.h>

#include "arch/bits.h"
#include "arch/cr.h"
#include "arch/exceptions.h"
#include "drivers/fmt.h"
#include "vmx/checker/checker_internal.h"

/* ---- Entry point and formatting ---- */

static void check_init(struct check *c, const struct vmx_caps *caps,
		       const struct vmcs_snapshot *s, struct vmx_check_result *out)
{
	memset(out, 0, sizeof(*out));
	*c = (struct check){ .caps = caps, .s = s, .out = out };
	c->pin = check_get(c, PIN_BASED_VM_EXEC_CONTROL);
	c->proc = check_get(c, CPU_BASED_VM_EXEC_CONTROL);
	c->proc2 = check_get(c, SECONDARY_VM_EXEC_CONTROL);
	c->proc3 = check_get(c, TERTIARY_VM_EXEC_CONTROL);
	c->exit = check_get(c, VM_EXIT_CONTROLS);
	c->entry = check_get(c, VM_ENTRY_CONTROLS);
	c->ia32e = c->entry & VM_ENTRY_IA32E_MODE;
	c->unrestricted = check_secondary(c, SECONDARY_EXEC_UNRESTRICTED_GUEST);
	c->v86 = check_get(c, GUEST_RFLAGS) & RFLAGS_VM;
	c->event = intr_info_decode((uint32_t)check_get(c, VM_ENTRY_INTR_INFO_FIELD));
}

unsigned vmx_check_entry(const struct vmx_caps *caps, const struct vmcs_snapshot *s,
			 struct vmx_check_result *out)
{
	struct check c;

	check_init(&c, caps, s, out);
	check_controls(&c);
	check_host(&c);
	check_guest_cr(&c);
	check_guest_segs(&c);
	check_guest_dt_rip(&c);
	check_guest_state(&c);
	return out->count;
}

/* The control group a control field holds, or VMX_CTRL_GROUP_COUNT. */
static enum vmx_ctrl_group control_field_group(uint32_t field)
{
	switch (field) {
	case PIN_BASED_VM_EXEC_CONTROL:
		return VMX_CTRL_PIN;
	case CPU_BASED_VM_EXEC_CONTROL:
		return VMX_CTRL_PROC;
	case SECONDARY_VM_EXEC_CONTROL:
		return VMX_CTRL_PROC2;
	case TERTIARY_VM_EXEC_CONTROL:
		return VMX_CTRL_PROC3;
	case VM_EXIT_CONTROLS:
		return VMX_CTRL_EXIT;
	case VM_ENTRY_CONTROLS:
		return VMX_CTRL_ENTRY;
	default:
		return VMX_CTRL_GROUP_COUNT;
	}
}

size_t vmx_check_failure_format(const struct vmx_check_failure *f, char *buf, size_t n)
{
	enum vmx_ctrl_group g = control_field_group(f->field);
	char names[256] = "";

	if (f->bits && g != VMX_CTRL_GROUP_COUNT) {
		size_t len = fmt_snprintf(names, sizeof(names), " (");
		len += decode_controls(names + len, sizeof(names) - len, g, f->bits);
		if (len < sizeof(names))
			fmt_snprintf(names + len, sizeof(names) - len, ")");
	}
	if (!f->bits)
		return fmt_snprintf(buf, n, "%s: %s (%s=0x%llx)", f->section, f->rule,
				    vmcs_field_name(f->field), (unsigned long long)f->value);
	return fmt_snprintf(buf, n, "%s: %s (%s=0x%llx bits=0x%llx%s)", f->section, f->rule,
			    vmcs_field_name(f->field), (unsigned long long)f->value,
			    (unsigned long long)f->bits, names);
}
