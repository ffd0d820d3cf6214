/* The VM-entry checker's hardware edge: snapshot the current VMCS (VMREAD), run the pure
 * checker (vmx/checker/checker.c) on it and log one "CHECK fail" line per broken rule.
 * Used before VMLAUNCH (vmx/launch/launch_hw.c) and, with check=on, before every VMRESUME
 * (vmx/exit/exit.c). */
#include "vmx/checker/checker_hw.h"

#include "arch/spinlock.h"
#include "drivers/log.h"
#include "vmx/checker/checker.h"
#include "vmx/vmcs/vmcs_hw.h"

unsigned vmx_check_current_vmcs(const struct vmx_caps *caps)
{
	static struct vmcs_snapshot snap; /* 3 KiB each: not on the host stack */
	static struct vmx_check_result res;
	static struct spinlock check_lock; /* check=on runs it on every CPU */

	spin_lock(&check_lock);
	vmcs_snapshot_read(&snap);
	unsigned n = vmx_check_entry(caps, &snap, &res);
	for (unsigned i = 0; i < n && i < VMX_CHECK_MAX; i++) {
		char text[256];
		vmx_check_failure_format(&res.item[i], text, sizeof(text));
		log_error("CHECK fail %s", text);
	}
	spin_unlock(&check_lock);
	return n;
}
