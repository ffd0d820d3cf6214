/* The decoded VMCS dump of the current VMCS and the flight recorder of the same CPU, on
 * the serial log at error level. Hardware edge: VMREAD of every field (vmx/vmcs/vmcs_hw.c). */
#include "vmx/study/dump_hw.h"

#include "arch/spinlock.h"
#include "drivers/log.h"
#include "vmx/study/recorder.h"
#include "vmx/study/vmcs_dump.h"
#include "vmx/vmcs/vmcs_hw.h"

static void recorder_emit_log(void *ctx, const char *line)
{
	(void)ctx;
	log_error("%s", line);
}

/* The VMCS, then the flight recorder of the same CPU: the state that broke and the exits
 * that led to it, in one block (lines of other CPUs' dumps wait for the lock). */
void vmcs_dump_current(const struct recorder *rec, uint32_t apic_id, const char *title)
{
	log_budget_lift(); /* a dump is asked for whole; its callers are rate-limited or end the run */
	static struct vmcs_snapshot snap; /* 3 KiB: not on the host stack */
	static struct spinlock dump_lock;
	enum log_level level = LOG_ERROR;

	spin_lock(&dump_lock);
	vmcs_snapshot_read(&snap);
	vmcs_dump(&snap, title, vmcs_dump_emit_log, &level);
	if (rec)
		recorder_format(rec, apic_id, title, recorder_emit_log, NULL);
	spin_unlock(&dump_lock);
}
