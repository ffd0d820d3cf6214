/* EPT violations and misconfigurations. SDM Vol. 3C, 29.3.3 "EPT-Induced VM Exits".
 * Owned memory is not present in the EPT: the first guest access to each owned page
 * exits here, is counted and logged (rate-limited), and the page is replaced, for the
 * guest, by a zeroed scratch page. The guest reads zeros (never vmxray's data), its
 * writes land in the scratch page (never in vmxray's memory), and it keeps running. */
#include "arch/bits.h"
#include "drivers/log.h"
#include "vmx/debug/gdb.h"
#include "vmx/decode/decode.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/inject.h"
#include "vmx/exit/guest_mem.h"
#include "vmx/hv.h"
#include "vmx/vmcs/vmcs.h"
#include "vmx/vmcs/vmx_hw.h"

#define EPT_LOG_FIRST 8
#define EPT_LOG_EVERY 1024

static void log_violation(const char *what, uint64_t n, uint64_t gpa, uint64_t qual)
{
	if (n > EPT_LOG_FIRST && n % EPT_LOG_EVERY)
		return;
	char q[128];
	ept_violation_qual_format(q, sizeof(q), qual);
	log_warn("EPT violation #%lu (%s) gpa=0x%lx gla=0x%lx rip=0x%lx: %s", n, what, gpa,
		 vmcs_readnw(GUEST_LINEAR_ADDRESS), vmcs_readnw(GUEST_RIP), q);
}

void exit_ept_violation(struct vcpu *v, struct vmexit *e)
{
	uint64_t gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
	uint64_t page = align_down(gpa, PAGE_SIZE);
	uint64_t hpa = page;
	int rc;

	if (page == g_hv.apic_base && exit_apic_write(v, e, gpa))
		return;
	if (g_gdb_on && gdb_ept_violation(v, e, gpa)) /* a breakpoint's or watchpoint's page */
		return;
	if (g_hv.cfg.intercept_ept && intercept_ept_violation(v, e, gpa)) /* intercept=ept: stepped */
		return;
	spin_lock(&g_hv.lock);
	if (guest_page_is_owned(gpa)) {
		log_violation("access to vmxray memory", ++g_hv.owned_violations, gpa, e->qual);
		hpa = (uint64_t)(uintptr_t)g_hv.scratch_page;
		rc = ept_map_4k(&g_hv.ept, page, hpa, EPT_READ | EPT_WRITE | EPT_EXECUTE, MTRR_TYPE_WB,
				&g_hv.ept_alloc);
	} else {
		/* The identity map covers everything else: this is a vmxray bug. Repair the
		 * page so the guest goes on, and say so. */
		log_violation("outside vmxray memory: repaired", ++g_hv.other_violations, gpa, e->qual);
		rc = ept_map_4k(&g_hv.ept, page, page, EPT_READ | EPT_WRITE | EPT_EXECUTE,
				mtrr_type_of(&g_hv.mtrr, page), &g_hv.ept_alloc);
	}
	spin_unlock(&g_hv.lock);
	if (rc != 0)
		vmx_panic(v, "EPT violation could not be resolved (no table memory)");
	vmx_invept_local();
	/* "NMI unblocking due to IRET" (qualification bit 12): the IRET that faulted had
	 * unblocked NMIs; re-establish blocking before re-executing it (SDM Vol. 3C,
	 * 28.2.3 "Information About NMI Unblocking Due to IRET"). */
	if (e->qual & (1u << 12))
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) | (1u << 3));
	vcpu_reinject_idt_vectoring(v);
	if (e->tracing)
		ept_violation_qual_format(e->detail, sizeof(e->detail), e->qual);
}

void exit_ept_misconfig(struct vcpu *v, struct vmexit *e)
{
	(void)e;
	log_error("EPT misconfiguration at gpa 0x%lx", vmcs_read64(GUEST_PHYSICAL_ADDRESS));
	vmx_panic(v, "EPT misconfiguration");
}
