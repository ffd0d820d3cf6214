/* intercept=ept:FIRST-LAST:w|x: writes (w) or instruction fetches (x) in a guest-physical
 * range exit, every one. At launch every 4 KiB page of the range loses that permission in
 * the EPT (the others stay: R-X or RW-, never write-only, which is a misconfiguration). An
 * access that exits gets the permission back for its page, and the instruction runs again,
 * one step (vmx/exit/step_hw.c: RFLAGS.TF and an intercepted #DB, every event held off
 * for the step, the guest's own TF, IF and debug state kept; vmx/policy/step.h says why
 * not the monitor trap flag, which Bochs 2.7 allows and never delivers); when the step is
 * done the permission goes again. The processor itself does the access, so whatever the
 * instruction is, it behaves as on bare hardware. A REP string instruction traps after
 * each iteration (SDM Vol. 3A, 18.3.1.4 "Single-Step Exception Condition"), so each
 * iteration that touches the range exits. An instruction that faults in the step gets its
 * exception (the step is done; it exits again when the guest retries it).
 * Not stepped, the page left open until this CPU's next step of the range: an access made
 * by event delivery (IDT vectoring: the event is injected again, and its delivery would
 * push the step's TF), INT n, SYSCALL, SYSENTER (they store RFLAGS where the step
 * cannot put the guest's back), and HLT, MWAIT (only an event ends them, and its frame
 * would get the step's TF). The EPT is shared: while one CPU steps, the page is open
 * to every CPU (their accesses then do not exit). */
#include "arch/bits.h"
#include "drivers/fmt.h"
#include "drivers/log.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/guest_mem.h"
#include "vmx/policy/intercept.h" /* before inject.h: decode.h names the interruption types first */
#include "vmx/exit/inject.h"
#include "vmx/exit/step_hw.h"
#include "vmx/policy/step.h"
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

static void close_pages(struct vcpu *v)
{
	int rc = 0;
	spin_lock(&g_hv.lock);
	for (unsigned i = 0; i < v->ept_open_count; i++)
		rc |= map_page(&g_hv, v->ept_open[i], range_perms());
	__atomic_add_fetch(&g_hv.ept_generation, 1, __ATOMIC_RELEASE);
	spin_unlock(&g_hv.lock);
	if (rc != 0)
		vmx_panic(v, "intercept=ept: could not close the page (no table memory)");
	vmx_invept_local();
	v->ept_generation = __atomic_load_n(&g_hv.ept_generation, __ATOMIC_ACQUIRE);
	v->ept_open_count = 0;
}

static bool page_open(const struct vcpu *v, uint64_t page)
{
	for (unsigned i = 0; i < v->ept_open_count; i++)
		if (v->ept_open[i] == page)
			return true;
	return false;
}

/* Whether the instruction at RIP can be stepped with the guest none the wiser. */
static bool insn_steppable(void)
{
	uint8_t b[15];
	bool mode64, db;
	unsigned n = guest_fetch_insn(b, sizeof(b), &mode64, &db);
	enum step_insn k = step_insn_classify(b, n, mode64);
	return k != STEP_INSN_SAVES_FLAGS && k != STEP_INSN_WAITS;
}

/* From exit_ept_violation: true when the violation is the range's. */
bool intercept_ept_violation(struct vcpu *v, struct vmexit *e, uint64_t gpa)
{
	uint64_t page = align_down(gpa, PAGE_SIZE);
	uint64_t wanted = g_hv.cfg.intercept_ept == INTERCEPT_EPT_WRITE ? EPT_QUAL_WRITE : EPT_QUAL_FETCH;
	if (!in_range(page) || !(e->qual & wanted) || page_kept(&g_hv, page) || page_open(v, page))
		return false;
	bool stepping = step_armed_by(v, STEP_BY_EPT);
	if (!stepping && v->ept_open_count) /* left open by an access not stepped */
		close_pages(v);
	if (v->ept_open_count == sizeof(v->ept_open) / sizeof(v->ept_open[0]))
		vmx_panic(v, "intercept=ept: one instruction touched three pages of the range");
	spin_lock(&g_hv.lock);
	int rc = map_page(&g_hv, page, EPT_RWX);
	spin_unlock(&g_hv.lock);
	if (rc != 0)
		vmx_panic(v, "intercept=ept: could not open the page (no table memory)");
	vmx_invept_local();
	v->ept_open[v->ept_open_count++] = page;
	v->ept_range_exits++;
	if (e->qual & (1u << 12)) /* NMI unblocking due to IRET, as exit_ept_violation */
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) | (1u << 3));
	step_fault_fixup();
	vcpu_reinject_idt_vectoring(v);
	bool vectoring = (vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID) != 0;
	if (!stepping && !vectoring && insn_steppable())
		step_arm(v, STEP_BY_EPT);
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "intercept=ept gpa=0x%lx %s%s", gpa,
			     wanted == EPT_QUAL_WRITE ? "write" : "fetch",
			     step_armed_by(v, STEP_BY_EPT) ? "" : " (not stepped)");
	return true;
}

/* The step is done (vmx/exit/step_hw.c): the pages close. The other CPUs drop the open
 * translation at their next exit (hv.ept_generation). */
void intercept_ept_step_done(struct vcpu *v, struct vmexit *e)
{
	if (!v->ept_open_count)
		return;
	uint64_t page = v->ept_open[0];
	close_pages(v);
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "intercept=ept step done gpa=0x%lx", page);
}
