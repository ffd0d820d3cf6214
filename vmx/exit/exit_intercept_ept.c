/* intercept=ept:FIRST-LAST:w|x: writes (w) or instruction fetches (x) in a guest-physical
 * range exit. At launch every 4 KiB page of the range loses that permission in the EPT
 * (the others stay: R-X or RW-, never write-only, which is a misconfiguration). An access
 * that exits gets the permission back for its page, and the instruction runs again, one
 * step, under the monitor trap flag: the VM exit after it (reason 37, SDM Vol. 3C, 26.5.2
 * "Monitor Trap Flag") takes the permission away again. The processor itself does the
 * access, so whatever the instruction is, it behaves as on bare hardware; an event the
 * access interrupted is delivered again first (the MTF exit then comes after its delivery,
 * before the handler's first instruction: the permission returns, and the access, when
 * retried, exits again). The monitor trap flag is why: a CPU without it (Bochs's Haswell)
 * is refused at launch (intercept_refusal). The EPT is shared: while one CPU steps, the
 * page is open to every CPU (their accesses then do not exit). Measured in Bochs 2.7's
 * Tiger Lake model, the only test bed with MTF: the MTF exit never comes (the GDB stub
 * found the same, GDB_STEP_MTF in vmx/debug/gdb_hw.c), so there the page stays open after
 * its first access; a step with RFLAGS.TF instead is not done. */
#include "arch/bits.h"
#include "drivers/fmt.h"
#include "drivers/log.h"
#include "vmx/debug/gdb.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/guest_mem.h"
#include "vmx/policy/intercept.h" /* before inject.h: decode.h names the interruption types first */
#include "vmx/exit/inject.h"
#include "vmx/hv.h"
#include "vmx/vmcs/controls.h"
#include "vmx/vmcs/vmcs.h"

#define EPT_RANGE_MAX_PAGES 16384u /* 64 MiB: at most 32 page-table pages of the pool */
#define EPT_QUAL_WRITE (1u << 1)   /* Table 28-7 "Exit Qualification for EPT Violations" */
#define EPT_QUAL_FETCH (1u << 2)

static unsigned range_perms(void)
{
	return g_hv.cfg.intercept_ept == INTERCEPT_EPT_WRITE ? EPT_READ | EPT_EXECUTE : EPT_READ | EPT_WRITE;
}

static bool in_range(uint64_t page)
{
	return g_hv.cfg.intercept_ept && page + PAGE_SIZE > g_hv.cfg.intercept_ept_first &&
	       page <= g_hv.cfg.intercept_ept_last;
}

/* Pages vmxray owns are not present already; the APIC page keeps its own permissions. */
static bool page_kept(const struct hv *hv, uint64_t page)
{
	return guest_page_is_owned(page) || (hv->apic_intercept && page == hv->apic_base);
}

static int map_page(struct hv *hv, uint64_t page, unsigned perms)
{
	return ept_map_4k(&hv->ept, page, page, perms, mtrr_type_of(&hv->mtrr, page), &hv->ept_alloc);
}

/* Before launch (vmx/launch/prepare_hw.c). 0, or -1 with the reason logged. */
int intercept_ept_protect(struct hv *hv)
{
	uint64_t first = align_down(hv->cfg.intercept_ept_first, PAGE_SIZE);
	uint64_t last = align_down(hv->cfg.intercept_ept_last, PAGE_SIZE);
	if (!hv->cfg.intercept_ept)
		return 0;
	if ((last - first) / PAGE_SIZE >= EPT_RANGE_MAX_PAGES) {
		log_error("intercept=ept: the range is more than %u pages (64 MiB)", EPT_RANGE_MAX_PAGES);
		return -1;
	}
	for (uint64_t page = first; page <= last; page += PAGE_SIZE) {
		if (page_kept(hv, page))
			continue;
		if (map_page(hv, page, range_perms()) != 0) {
			log_error("intercept=ept: out of memory for the EPT tables of the range");
			return -1;
		}
	}
	return 0;
}

/* From exit_ept_violation: true when the violation is the range's. */
bool intercept_ept_violation(struct vcpu *v, struct vmexit *e, uint64_t gpa)
{
	uint64_t page = align_down(gpa, PAGE_SIZE);
	uint64_t wanted = g_hv.cfg.intercept_ept == INTERCEPT_EPT_WRITE ? EPT_QUAL_WRITE : EPT_QUAL_FETCH;
	if (!in_range(page) || !(e->qual & wanted) || page_kept(&g_hv, page) || v->ept_step_page)
		return false;
	spin_lock(&g_hv.lock);
	int rc = map_page(&g_hv, page, EPT_RWX);
	spin_unlock(&g_hv.lock);
	if (rc != 0)
		vmx_panic(v, "intercept=ept: could not open the page (no table memory)");
	vmx_invept_local();
	v->ept_step_page = page | 1; /* bit 0: a step is on (page 0 is a page too) */
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vmcs_read32(CPU_BASED_VM_EXEC_CONTROL) | (uint32_t)CPU_BASED_MONITOR_TRAP_FLAG);
	if (e->qual & (1u << 12)) /* NMI unblocking due to IRET, as exit_ept_violation */
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) | (1u << 3));
	vcpu_reinject_idt_vectoring(v);
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "intercept=ept gpa=0x%lx %s", gpa,
			     wanted == EPT_QUAL_WRITE ? "write" : "fetch");
	return true;
}

/* Reason 37: the step of intercept=ept is done (else the GDB stub's single step). The
 * other CPUs drop the open translation at their next exit (hv.ept_generation). */
void exit_intercept_mtf(struct vcpu *v, struct vmexit *e)
{
	if (!v->ept_step_page) {
		exit_monitor_trap(v, e);
		return;
	}
	uint64_t page = v->ept_step_page & ~1ULL;
	spin_lock(&g_hv.lock);
	int rc = map_page(&g_hv, page, range_perms());
	__atomic_add_fetch(&g_hv.ept_generation, 1, __ATOMIC_RELEASE);
	spin_unlock(&g_hv.lock);
	if (rc != 0)
		vmx_panic(v, "intercept=ept: could not close the page (no table memory)");
	vmx_invept_local();
	v->ept_generation = __atomic_load_n(&g_hv.ept_generation, __ATOMIC_ACQUIRE);
	v->ept_step_page = 0;
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vmcs_read32(CPU_BASED_VM_EXEC_CONTROL) & ~(uint32_t)CPU_BASED_MONITOR_TRAP_FLAG);
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "intercept=ept step done gpa=0x%lx", page);
}
