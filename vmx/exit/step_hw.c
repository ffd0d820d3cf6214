/* Single step, the hardware edge: see vmx/exit/step_hw.h and vmx/policy/step.h. */
#include "vmx/exit/step_hw.h"

#include "arch/cpu.h"
#include "arch/exceptions.h"
#include "arch/paging.h"
#include "vmx/debug/gdb.h"
#include "vmx/decode/decode.h"
#include "vmx/exit/guest_mem.h"
#include "vmx/exit/inject.h"
#include "vmx/hv.h"
#include "vmx/policy/step.h"
#include "vmx/vmcs/controls.h"
#include "vmx/vmcs/vmcs.h"

#define STEP_ALL_EXCEPTIONS 0xFFFFFFFFu

bool step_uses_mtf(void)
{
	struct vmx_ctrl_allowed a;
	return STEP_MTF && vmx_caps_ctrl_allowed(&g_hv.caps, VMX_CTRL_PROC, &a) &&
	       (a.allowed1 & CPU_BASED_MONITOR_TRAP_FLAG);
}

static enum step_insn insn_now(void)
{
	uint8_t b[15];
	bool mode64, db;
	unsigned n = guest_fetch_insn(b, sizeof(b), &mode64, &db);
	return step_insn_classify(b, n, mode64);
}

static void mtf_set(bool on)
{
	uint32_t proc = vmcs_read32(CPU_BASED_VM_EXEC_CONTROL);
	proc = on ? proc | (uint32_t)CPU_BASED_MONITOR_TRAP_FLAG : proc & ~(uint32_t)CPU_BASED_MONITOR_TRAP_FLAG;
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, proc);
}

/* MTF: an external interrupt pending at VM entry would be delivered first and the MTF
 * exit come at the handler's first instruction (SDM Vol. 3C, 26.5.2 "Monitor Trap
 * Flag"); blocking by STI keeps it pending for the stepped instruction. */
static void arm_mtf(struct vcpu_step *s)
{
	uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	mtf_set(true);
	s->sti_added = step_mtf_blocks_irq(vmcs_readnw(GUEST_RFLAGS), intr, vmcs_read32(GUEST_ACTIVITY_STATE));
	if (s->sti_added)
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, intr | STEP_INTR_STI);
}

static void arm_tf(struct vcpu *v, struct vcpu_step *s)
{
	uint64_t rf = vmcs_readnw(GUEST_RFLAGS);
	s->insn = (uint8_t)insn_now();
	s->rflags = rf;
	s->rip = vmcs_readnw(GUEST_RIP);
	s->iopl_ok = vcpu_guest_cpl() <= STEP_RFLAGS_IOPL(rf) || !(vmcs_readnw(GUEST_CR0) & CR0_PE);
	s->bitmap = vmcs_read32(EXCEPTION_BITMAP);
	vmcs_write32(EXCEPTION_BITMAP, STEP_ALL_EXCEPTIONS);
	s->nmi_added = false;
	if (s->insn != STEP_INSN_WAITS) /* an event must be able to end a HLT */
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO,
			     step_intr_arm(vmcs_read32(GUEST_INTERRUPTIBILITY_INFO), &s->nmi_added));
	rf = step_rflags_arm(rf, (enum step_insn)s->insn);
	vmcs_writenw(GUEST_RFLAGS, rf);
	v->at_exit.rflags = rf; /* an emulated instruction then traps as the CPU would */
}

void step_arm(struct vcpu *v, unsigned owner)
{
	struct vcpu_step *s = &v->step;
	if (s->owners) {
		s->owners |= (uint8_t)owner;
		return;
	}
	s->owners = (uint8_t)owner;
	/* Every exit takes the whole path while the step is armed: an event an exit injects
	 * then ends it first (step_event_injected). */
	s->slow_before = v->exit_slow;
	v->exit_slow = true;
	s->tf = !step_uses_mtf();
	if (s->tf)
		arm_tf(v, s);
	else
		arm_mtf(s);
}

/* A stepped PUSHF stored the step's TF and IF: the guest's go into the image (bits 15:8
 * are its second byte), so the guest never sees the step. */
static void pushf_fix(uint64_t before)
{
	struct guest_paging p = guest_paging_now();
	uint64_t rsp = vmcs_readnw(GUEST_RSP) + 1;
	p.cpl = 0;
	p.rflags_ac = true;
	if ((p.efer & EFER_LMA) == 0)
		rsp = (vmcs_readnw(GUEST_SS_BASE) + rsp) & 0xFFFFFFFFULL;
	struct guest_walk w = guest_walk(&p, rsp, GUEST_ACCESS_READ);
	volatile uint8_t *h = w.status == GUEST_WALK_OK && !guest_page_is_owned(w.gpa) ? gpa_host(w.gpa) : NULL;
	if (h)
		*h = step_pushf_image_byte1(*h, before);
}

static void disarm_tf(struct vcpu *v, struct vcpu_step *s)
{
	uint64_t rf = vmcs_readnw(GUEST_RFLAGS);
	if (s->insn == STEP_INSN_PUSHF && vmcs_readnw(GUEST_RIP) != s->rip)
		pushf_fix(s->rflags);
	rf = step_rflags_done(rf, s->rflags, (enum step_insn)s->insn, s->iopl_ok);
	vmcs_writenw(GUEST_RFLAGS, rf);
	v->at_exit.rflags = rf;
	vmcs_write32(EXCEPTION_BITMAP, s->bitmap);
	if (s->nmi_added) /* an IRET stepped may have cleared it already */
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & ~STEP_INTR_NMI);
}

/* Off, whoever owned it; the owners that had it. */
static unsigned disarm(struct vcpu *v)
{
	struct vcpu_step *s = &v->step;
	unsigned owners = s->owners;
	if (!owners)
		return 0;
	if (s->tf)
		disarm_tf(v, s);
	else
		mtf_set(false);
	s->owners = 0;
	v->exit_slow = s->slow_before;
	return owners;
}

void step_release(struct vcpu *v, unsigned owner)
{
	if (!(v->step.owners & owner))
		return;
	v->step.owners &= (uint8_t)~owner;
	if (!v->step.owners) {
		v->step.owners = (uint8_t)owner;
		disarm(v);
	}
}

uint64_t step_guest_rflags(const struct vcpu *v, uint64_t rf)
{
	const struct vcpu_step *s = &v->step;
	if (!s->owners || !s->tf)
		return rf;
	uint64_t mine = STEP_RFLAGS_TF | STEP_RFLAGS_IF;
	return (rf & ~mine) | (s->rflags & mine);
}

void step_guest_rflags_write(struct vcpu *v, uint64_t rf)
{
	struct vcpu_step *s = &v->step;
	if (s->owners && s->tf) {
		s->rflags = rf;
		rf = step_rflags_arm(rf, (enum step_insn)s->insn);
	}
	vmcs_writenw(GUEST_RFLAGS, rf);
	v->at_exit.rflags = rf;
}

void step_fault_fixup(void)
{
	uint64_t pending = vmcs_readnw(GUEST_PENDING_DBG_EXCEPTIONS);
	if (pending)
		vmcs_writenw(GUEST_PENDING_DBG_EXCEPTIONS,
			     step_fault_pending_db(pending, vmcs_read32(GUEST_INTERRUPTIBILITY_INFO)));
}

static void owners_done(struct vcpu *v, struct vmexit *e, unsigned owners)
{
	if (owners & STEP_BY_EPT)
		intercept_ept_step_done(v, e);
	if (owners & STEP_BY_GDB)
		gdb_step_done(v);
}

/* A #DB exception exit leaves DR6 as it was (SDM Vol. 3C, 28.1 "Architectural State
 * Before a VM Exit": the exit qualification holds what would have been set). DR6 is the
 * guest's in root mode (no VM exit or entry switches it). */
void step_guest_db(struct vcpu *v, uint64_t bits)
{
	cpu_write_dr6(cpu_read_dr6() | bits);
	vcpu_inject_exception(v, VECTOR_DB, 0);
}

bool step_exception(struct vcpu *v, struct vmexit *e, uint32_t info)
{
	struct intr_info ii = intr_info_decode(info);
	struct vcpu_step *s = &v->step;
	if (!s->owners || !s->tf || !ii.valid)
		return false;
	if (ii.vector == VECTOR_DB) {
		/* The single-step trap (DR6.BS) is the step's, unless the guest had TF set
		 * itself; a breakpoint of the guest's own debug registers is the guest's. */
		uint64_t guest_bits = step_db_guest_bits(e->qual, s->rflags & STEP_RFLAGS_TF);
		owners_done(v, e, disarm(v));
		if (guest_bits)
			step_guest_db(v, guest_bits);
		return true;
	}
	/* The stepped instruction faulted (or trapped: INT3, INTO): the exception reaches the
	 * guest as it came, after the step is off, so the frame it pushes holds the guest's
	 * own RFLAGS. An exception the guest intercepts anyway (intercept=pf, ...) goes on to
	 * that handler. */
	bool mine = !(s->bitmap >> ii.vector & 1);
	unsigned owners = disarm(v);
	if (mine)
		exit_exception_reflect(v, e, info);
	owners_done(v, e, owners);
	return mine;
}

void step_event_injected(struct vcpu *v, struct vmexit *e)
{
	if (!v->step.owners || !v->step.tf || !(vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID))
		return;
	/* The event goes in at this VM entry: its delivery would push the step's TF and IF.
	 * The step ends here; the exit's instruction was emulated or faulted. */
	uint32_t info = vmcs_read32(VM_ENTRY_INTR_INFO_FIELD);
	owners_done(v, e, disarm(v));
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info);
}

/* Reason 37: a step by the monitor trap flag is done. One that no step armed (it was
 * released meanwhile) just goes off. */
void exit_step_mtf(struct vcpu *v, struct vmexit *e)
{
	unsigned owners = v->step.tf ? 0 : disarm(v);
	mtf_set(false);
	owners_done(v, e, owners);
}
