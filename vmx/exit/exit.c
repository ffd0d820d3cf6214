/* The VM-exit dispatcher: look up the basic exit reason in one table, run its handler,
 * count it, trace or dump it when asked, deliver pending events, resume.
 * Model: ACRN hypervisor/arch/x86/guest/vmexit.c. */
#include "vmx/exit/exit.h"

#include "arch/cpu.h"
#include "arch/cr.h"
#include "drivers/fmt.h"
#include "drivers/log.h"
#include "vmx/decode/decode.h"
#include "vmx/exit/exit_cpuid.h"
#include "vmx/debug/gdb.h"
#include "vmx/hv.h"
#include "vmx/policy/hypercall.h"
#include "vmx/exit/inject.h"
#include "vmx/exit/step_hw.h"
#include "vmx/exit/trace.h"
#include "vmx/exit/ulog.h"
#include "vmx/checker/checker_hw.h"
#include "vmx/study/dump_hw.h"
#include "vmx/study/recorder.h"
#include "vmx/vmcs/vm_insn_errors.h"
#include "vmx/vmcs/vmcs.h"
#include "vmx/study/vmcs_dump.h"
#include "vmx/vmcs/vmcs_hw.h"

_Static_assert(EXIT_REASON_MAX <= VMX_EXIT_REASON_SLOTS, "exit counters too small");

/* The dispatch table, from the HANDLER column of vmx/decode/exit_reasons.def: reasons the
 * controls vmxray sets never cause name exit_unexpected, which applies the policy for them
 * (docs/ARCHITECTURE.md, "Fault policy"); gaps in the numbering stay NULL. */
static const exit_handler_fn exit_handlers[EXIT_REASON_MAX] = {
#define EXIT_REASON(number, name, short_name, facts, handler) [number] = handler,
#include "vmx/decode/exit_reasons.def"
#undef EXIT_REASON
};

static bool mask_has(const uint64_t mask[2], uint32_t basic)
{
	return basic < 128 && (mask[basic / 64] >> (basic % 64)) & 1;
}

/* Trace lines are rate-limited so that a guest never stalls on the serial port; per
 * exit reason, so that a flood of one kind does not hide the others. */
#define TRACE_LINES_PER_WINDOW 200
#define TRACE_WINDOW_TICKS 1000000000ULL

static bool trace_allowed(struct vcpu *v, uint32_t basic)
{
	uint64_t now = cpu_rdtsc();
	if (now - v->trace_window_tsc > TRACE_WINDOW_TICKS) {
		if (v->trace_dropped)
			log_info("EXIT dropped=%lu", v->trace_dropped);
		v->trace_window_tsc = now;
		for (unsigned r = 0; r < VMX_EXIT_REASON_SLOTS; r++)
			v->trace_budget[r] = TRACE_LINES_PER_WINDOW;
		v->trace_dropped = 0;
	}
	unsigned slot = basic < VMX_EXIT_REASON_SLOTS ? basic : VMX_EXIT_REASON_SLOTS - 1;
	if (!v->trace_budget[slot]) {
		v->trace_dropped++;
		return false;
	}
	v->trace_budget[slot]--;
	return true;
}

static void trace_exit(struct vcpu *v, struct vmexit *e, uint64_t rip, uint32_t len)
{
	if (!trace_allowed(v, e->basic))
		return;
	log_info("EXIT seq=%lu reason=%s rip=0x%016lx len=%u qual=0x%lx %s", v->exits_total,
		 exit_reason_name(e->basic), rip, len, e->qual, e->detail);
}

static void dump_if_asked(struct vcpu *v, struct vmexit *e)
{
	if (!g_hv.cfg.dump_count[e->basic])
		return;
	g_hv.cfg.dump_count[e->basic]--;
	char title[64];
	fmt_snprintf(title, sizeof(title), "dump=%s on cpu%u", exit_reason_short(e->basic), v->apic_id);
	vmx_dump_current(v, title);
}

/* The flight recorder's entry for this exit, taken before the handler changes anything
 * (vmx/study/recorder.h): what the dispatcher read already, four more VMREADs, the GPRs from
 * memory. */
static inline struct recorder_entry *record_exit(struct vcpu *v, const struct vmexit *e)
{
	struct recorder_entry *r = recorder_push(&v->recorder, v->exits_total, e->reason, e->qual);
	if (!r)
		return NULL;
	r->field[REC_GUEST_RIP] = v->at_exit.rip;
	r->field[REC_GUEST_RSP] = vmcs_readnw(GUEST_RSP);
	r->field[REC_GUEST_RFLAGS] = v->at_exit.rflags;
	r->field[REC_GUEST_CR0] = vmcs_readnw(GUEST_CR0);
	r->field[REC_GUEST_CR3] = vmcs_readnw(GUEST_CR3);
	r->field[REC_GUEST_CR4] = vmcs_readnw(GUEST_CR4);
	r->field[REC_GUEST_INTERRUPTIBILITY] = v->at_exit.intr;
	r->field[REC_RAX] = v->regs.gpr[GPR_RAX];
	r->field[REC_RCX] = v->regs.gpr[GPR_RCX];
	r->field[REC_RDX] = v->regs.gpr[GPR_RDX];
	r->field[REC_RBX] = v->regs.gpr[GPR_RBX];
	return r;
}

/* check=on: the software VM-entry checker before every VMRESUME. A state it refuses is a
 * vmxray bug caught before the processor reports it as an entry failure. */
static void check_before_resume(struct vcpu *v)
{
	if (vmx_check_current_vmcs(&g_hv.caps) != 0)
		vmx_panic(v, "the VM-entry checker refused the state for VMRESUME");
}

/* test=bad-resume-state: after the guest's VMCALL 0x7E57, CR0.PG without CR0.PE, which
 * VM entry never accepts (SDM Vol. 3C, 27.3.1.1 "Checks on Guest Control Registers, Debug
 * Registers, and MSRs"): the VMRESUME that follows fails, or check=on refuses it. */
static bool test_breaks_state(const struct vcpu *v, const struct vmexit *e)
{
	return (g_hv.cfg.test_flags & HV_TEST_BAD_RESUME_STATE) && e->basic == EXIT_REASON_VMCALL &&
	       v->regs.gpr[GPR_RAX] == VMXRAY_HC_TEST_ROOT_EXCEPTION;
}

static void test_break_state(void)
{
	log_info("test=bad-resume-state: breaking GUEST_CR0 before VMRESUME");
	vmcs_writenw(GUEST_CR0, (vmcs_readnw(GUEST_CR0) | CR0_PG) & ~CR0_PE);
}

/* Everything an exit may need besides its handler, off the fast path: another CPU's
 * EPT change, the flight recorder, and what trace=, dump=, test= and check=on add. */
static void exit_before_slow(struct vcpu *v, struct vmexit *e)
{
	uint64_t t0 = cpu_rdtsc(); /* a traced exit's root-mode cycles count from here */
	if (__atomic_load_n(&v->ept_stale, __ATOMIC_ACQUIRE)) /* another CPU changed the EPT */
		vmx_ept_flush_if_stale();
	v->rec_cur = v->recorder.depth ? record_exit(v, e) : NULL;
	e->detail[0] = '\0';
	if (g_hv.cfg.exit_slow) {
		/* traced: a record (trace_out=memory, both, stream), an EXIT line (serial, both) */
		e->tracing = mask_has(g_hv.cfg.trace_mask, e->basic) && trace_begin(v, e, t0) &&
			     g_hv.cfg.trace_lines;
		if (e->basic < EXIT_REASON_MAX && g_hv.cfg.dump_count[e->basic])
			dump_if_asked(v, e);
		v->break_state = test_breaks_state(v, e);
	}
	if (g_gdb_on) /* a gdb all-stop or catchpoint (vmx/debug/gdb.h) */
		gdb_exit_before(v, e);
}

static void exit_after_slow(struct vcpu *v, struct vmexit *e)
{
	if (__atomic_load_n(&v->init_pending, __ATOMIC_ACQUIRE)) /* another CPU sent INIT */
		vcpu_soft_init(v);
	if (v->nmi_pending)
		vcpu_deliver_pending(v);
	if (__atomic_load_n(&v->log_backlog, __ATOMIC_ACQUIRE)) /* this exit queued log bytes */
		ulog_exit(v);
	if (v->rec_cur)
		v->rec_cur->field[REC_ENTRY_INTR_INFO] = v->injected;
	if (g_hv.cfg.exit_slow) {
		if (v->break_state)
			test_break_state();
		if (e->tracing)
			trace_exit(v, e, v->at_exit.rip, v->at_exit.len);
		if (g_hv.cfg.check_every_entry)
			check_before_resume(v);
		if (v->trace_open)
			trace_end(v); /* last: the record's cycles end here */
	}
}

/* I/O exits by port (first port of the access, SDM Vol. 3C, Table 28-5 "Exit Qualification
 * for I/O Instructions": bits 31:16) and direction (bit 3, 1 = IN). Few ports are
 * intercepted, so a short table; a port past its end counts as "other". The slot of the
 * last exit is tried first: a guest's I/O comes in runs on one port. */
static void count_io_port(struct vcpu *v, uint64_t qual)
{
	uint32_t port = (uint32_t)(qual >> 16) & 0xFFFF;
	bool in = (qual >> 3) & 1;
	unsigned i = v->io_port_last;

	if (v->io_port[i].port != port) {
		i = 0;
		while (i < VCPU_IO_PORT_SLOTS - 1 && v->io_port[i].port != port && (v->io_port[i].in | v->io_port[i].out))
			i++;
		if (i == VCPU_IO_PORT_SLOTS - 1 && v->io_port[i].port != port)
			port = VCPU_IO_PORT_OTHER;
		v->io_port[i].port = port;
		v->io_port_last = (uint8_t)i;
	}
	if (in)
		v->io_port[i].in++;
	else
		v->io_port[i].out++;
}

/* IN and OUT (not INS/OUTS) of 1, 2 or 4 bytes, on the fast path: the qualification says
 * it all (Table 28-5: size bits 2:0, 0/1/3 = 1/2/4 bytes; direction bit 3, 1 = IN; string
 * bit 4; port bits 31:16). The port is accessed as asked; a 4-byte IN zeroes bits 63:32 of
 * RAX, a smaller one keeps the rest of RAX; an OUT goes past before_out (vmx/exit/exit_io.c:
 * the statistics before a reset or power-off) first. String I/O and an undefined size go to
 * exit_io. */
#define IO_QUAL_IN (1u << 3)
#define IO_QUAL_STRING (1u << 4)
static bool fast_port_io(struct vcpu *v, uint64_t qual)
{
	uint16_t port = (uint16_t)(qual >> 16);
	uint64_t rax = v->regs.gpr[GPR_RAX];

	switch (qual & (IO_QUAL_STRING | IO_QUAL_IN | 7)) {
	case IO_QUAL_IN | 0: rax = (rax & ~0xFFULL) | cpu_inb(port); break;
	case IO_QUAL_IN | 1: rax = (rax & ~0xFFFFULL) | cpu_inw(port); break;
	case IO_QUAL_IN | 3: rax = cpu_inl(port); break;
	case 0:
		before_out(port, 1, (uint8_t)rax);
		cpu_outb(port, (uint8_t)rax);
		break;
	case 1:
		before_out(port, 2, (uint16_t)rax);
		cpu_outw(port, (uint16_t)rax);
		break;
	case 3:
		before_out(port, 4, (uint32_t)rax);
		cpu_outl(port, (uint32_t)rax);
		break;
	default:
		return false;
	}
	v->regs.gpr[GPR_RAX] = rax;
	vcpu_skip_instruction(v);
	return true;
}

/* After fast_port_io: the next exit of this very access (port, size, direction) is done in
 * vmx/exit/entry.asm when no value of it needs a decision (io_fast_allowed). */
static void io_fast_mark(struct vcpu *v, uint64_t qual)
{
	unsigned in = (qual & IO_QUAL_IN) != 0;
	unsigned bytes = (qual & 7) + 1;
	struct vcpu_io_port *slot = &v->io_port[v->io_port_last];

	if (!io_fast_allowed((uint16_t)(qual >> 16), bytes, in))
		return;
	v->io_fast_qual[in] = (uint32_t)qual & IO_QUAL_FAST_MASK;
	v->io_fast_count[in] = (uint32_t)((uintptr_t)(in ? &slot->in : &slot->out) - (uintptr_t)v);
}

/* The whole path: every exit while v->fast_off says so (vmx/exit/entry.asm), and every
 * reason vmx_exit_fast leaves alone. The exit's reason and the guest state every
 * instruction exit needs (v->at_exit), the counters, the handler from the table. */
__attribute__((optimize("omit-frame-pointer"))) void vmx_exit_handler(struct vcpu *v)
{
	struct vmexit e;
	e.reason = vmcs_read32(VM_EXIT_REASON); /* checked: proves the VMCS is current */
	e.basic = e.reason & 0xFFFF;
	e.qual = vmcs_readnw_nocheck(EXIT_QUALIFICATION);
	e.tracing = false;
	v->at_exit.rip = vmcs_readnw_nocheck(GUEST_RIP);
	v->at_exit.len = vmcs_read32_nocheck(VM_EXIT_INSTRUCTION_LEN);
	v->at_exit.rflags = vmcs_readnw_nocheck(GUEST_RFLAGS);
	v->at_exit.intr = vmcs_read32_nocheck(GUEST_INTERRUPTIBILITY_INFO);
	v->injected = 0; /* VM exits clear the valid bit of VM_ENTRY_INTR_INFO_FIELD */
	v->exits_total++;
	/* Nothing optional on, nothing pending, the EPT view current: the common case, in
	 * which neither of the two steps has anything to do (v->exit_slow covers the recorder
	 * and every cfg option they read; fast_off, read after the handler, the NMI or INIT it
	 * may leave pending). */
	bool slow = v->exit_slow || __atomic_load_n(&v->ept_stale, __ATOMIC_ACQUIRE);
	if (__builtin_expect(slow, 0))
		exit_before_slow(v, &e);

	exit_handler_fn h = exit_unexpected;
	if (__builtin_expect(e.basic < EXIT_REASON_MAX, 1)) {
		v->exit_count[e.basic]++;
		if (exit_handlers[e.basic])
			h = exit_handlers[e.basic];
	}
	if (e.basic == EXIT_REASON_IO_INSTRUCTION)
		count_io_port(v, e.qual);
	h(v, &e);
	if (__builtin_expect(v->step.owners != 0, 0)) /* vmx/exit/step_hw.c */
		step_event_injected(v, &e);
	if (__builtin_expect(slow || v->fast_off, 0))
		exit_after_slow(v, &e);
}

/* The four fields vcpu_skip_instruction starts from: what every exit of the fast path
 * reads before its handler (the whole path reads them again: no harm in reading them for
 * an exit that goes there). */
static inline void fast_at_exit(struct vcpu *v)
{
	v->at_exit.rip = vmcs_readnw_nocheck(GUEST_RIP);
	v->at_exit.len = vmcs_read32_nocheck(VM_EXIT_INSTRUCTION_LEN);
	v->at_exit.rflags = vmcs_readnw_nocheck(GUEST_RFLAGS);
	v->at_exit.intr = vmcs_read32_nocheck(GUEST_INTERRUPTIBILITY_INFO);
	v->injected = 0;
}

/* fast_at_exit, and the counter. */
static inline void fast_begin(struct vcpu *v, uint32_t reason)
{
	fast_at_exit(v);
	v->exit_count[reason]++;
}

/* Out of line, so that its registers do not make vmx_exit_fast save more for every exit. */
static __attribute__((noinline)) void fast_io(struct vcpu *v, struct vmexit *e)
{
	e->qual = vmcs_readnw_nocheck(EXIT_QUALIFICATION);
	fast_begin(v, EXIT_REASON_IO_INSTRUCTION);
	count_io_port(v, e->qual);
	if (!ulog_port_touched((uint16_t)(e->qual >> 16), (e->qual & 7) + 1) && fast_port_io(v, e->qual))
		io_fast_mark(v, e->qual); /* the serial log's UART goes to exit_io (vmx/exit/ulog.h) */
	else
		exit_io(v, e);
}

/* The fast path of the common exits (vmx/exit/entry.asm, path 2): the reason was read and
 * v->fast_off was 0 (nothing optional, nothing pending, the EPT view current). Only the
 * VMREADs the exit uses: the qualification where the exit defines one and the handler
 * reads it (vmx/decode/exit_reasons.def), and the four fields vcpu_skip_instruction
 * starts from. Each reason calls its handler directly (no table, no indirect call), and
 * only the struct vmexit fields a handler reads off the trace path are set. Returns 1
 * before doing anything for an exit it leaves to vmx_exit_handler; 0 when done; 2 when
 * done and the handler left an event pending on this CPU (an NMI, an INIT), which
 * vmx_exit_after delivers with all registers saved. */
EXIT_FAST_FN int vmx_exit_fast(struct vcpu *v, uint32_t reason)
{
	struct vmexit e;

	e.tracing = false; /* reason, basic, detail: read by no handler of this path untraced */
	switch (reason) {
	case EXIT_REASON_MSR_READ:
		fast_begin(v, reason);
		exit_msr_read(v, &e);
		break;
	case EXIT_REASON_MSR_WRITE:
		fast_begin(v, reason);
		exit_msr_write(v, &e);
		break;
	case EXIT_REASON_IO_INSTRUCTION:
		fast_io(v, &e);
		break;
	case EXIT_REASON_VMCALL:
		fast_begin(v, reason);
		exit_vmcall(v, &e);
		break;
	case EXIT_REASON_CR_ACCESS:
		e.qual = vmcs_readnw_nocheck(EXIT_QUALIFICATION);
		if ((EXIT_FAST_GPRS_NOT_SAVED >> cr_access_qual_decode(e.qual).gpr) & 1)
			return 1;
		if (exit_cr0_write_fast(v, e.qual)) /* the common MOV to CR0, on its own */
			break;
		fast_begin(v, reason);
		exit_cr_access(v, &e);
		break;
	case EXIT_REASON_XSETBV:
		fast_begin(v, reason);
		exit_xsetbv(v, &e);
		break;
	case EXIT_REASON_EPT_VIOLATION: /* a write to the APIC page that repeats the last one */
		fast_at_exit(v);
		if (!exit_apic_write_fast(v, &e))
			return 1;
		v->exit_count[reason]++;
		break;
	case EXIT_REASON_CPUID: /* the leaves and states entry.asm leaves to C */
		fast_begin(v, reason);
		exit_cpuid(v, &e);
		break;
	default:
		return 1;
	}
	return v->fast_off ? 2 : 0;
}

/* After a fast-path exit that left an NMI or INIT pending on this CPU: the whole path's
 * last step, with every guest register in v->regs. */
void vmx_exit_after(struct vcpu *v)
{
	struct vmexit e;
	e.tracing = false;
	exit_after_slow(v, &e);
}

/* Policy for an exit vmxray never asked for: it is a bug in vmxray, not in the guest.
 * Dump the VMCS; for an instruction-caused exit (EXIT_INSN in vmx/decode/exit_reasons.def),
 * give the guest #UD as a CPU without the feature would, and go on; otherwise reset the
 * machine. VM_EXIT_INSTRUCTION_LEN is not read: for an exit that no instruction caused the
 * SDM leaves it undefined. */
void exit_unexpected(struct vcpu *v, struct vmexit *e)
{
	log_error("unexpected VM exit %u (%s), qualification 0x%lx", e->basic,
		  exit_reason_name(e->basic), e->qual);
	vmx_dump_current(v, "unexpected VM exit");
	if (exit_reason_is_instruction(e->basic)) {
		vcpu_inject_ud(v);
		return;
	}
	vmx_panic(v, "unexpected VM exit without an instruction to fault");
}

void exit_inject_ud(struct vcpu *v, struct vmexit *e)
{
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "inject=#UD");
	vcpu_inject_ud(v);
}

_Noreturn void vmx_resume_failed(struct vcpu *v, int how)
{
	uint32_t err = vmcs_read32(VM_INSTRUCTION_ERROR);
	if (how == 1)
		log_error("VMRESUME failed: VMfailInvalid (no current VMCS)");
	else
		log_error("VMRESUME failed: VM-instruction error %u (%s)", err, vm_insn_error_name(err));
	vmx_panic(v, "VMRESUME failed");
}
