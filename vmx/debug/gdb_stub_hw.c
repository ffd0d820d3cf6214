/* vmxray's GDB remote stub, the hardware edge: the all-stop over every vCPU, the exit
 * handlers and hooks of vmx/debug/gdb.h, and the gdb_edge_*() functions the protocol
 * core (vmx/debug/gdb_stub.c, pure) calls. Registers, UART, EPT and single-step arming
 * are in gdb_hw.c. */
#include "vmx/debug/gdb.h"
#include "vmx/exit/ulog.h"

#include "arch/bits.h"
#include "arch/cpu.h"
#include "arch/exceptions.h"
#include "drivers/fmt.h"
#include "drivers/log.h"
#include "ept/ept.h"
#include "vmx/debug/gdb_hw.h"
#include "vmx/debug/gdb_stub.h"
#include "vmx/decode/decode.h"
#include "vmx/exit/guest_mem.h"
#include "vmx/exit/step_hw.h"
#include "vmx/policy/setup.h"
#include "vmx/study/vmcs_dump.h"
#include "vmx/vmcs/controls.h"
#include "vmx/vmcs/vmcs.h"
#include "vmx/vmcs/vmcs_hw.h"

_Static_assert(GDB_CPUS_MAX >= HV_MAX_CPUS, "one gdb_cpu per vCPU");

/* Preemption-timer periods in TSC ticks (IA32_VMX_MISC rate 0 in Bochs: one per tick):
 * how long Ctrl-C or a new connection can wait for a guest that takes no exits. */
#define GDB_PERIOD_ATTACHED 200000u
#define GDB_PERIOD_DETACHED 4000000u
#define GDB_PARK_WAIT_TICKS (8ULL * GDB_PERIOD_DETACHED)

bool g_gdb_on;
uint16_t g_gdb_port;

static struct {
	bool wait_at_launch;
	uint32_t wire_lock;        /* the CPU polling the UART while the guest runs */
	int server;                /* index of the vCPU talking to gdb, -1 none (atomic) */
	uint32_t stopping;         /* atomic: all-stop in progress, others park */
	struct vmcs_snapshot snap;
} E = { .server = -1 };

/* ---- the edge the core calls ---- */

void gdb_edge_pause(void)
{
	cpu_pause();
}

static struct vcpu *vcpu_at(unsigned i)
{
	return i < g_hv.cpu_count ? g_hv.vcpu[i] : NULL;
}

unsigned gdb_edge_cpu_count(void)
{
	return g_hv.cpu_count;
}

bool gdb_edge_cpu_alive(unsigned cpu)
{
	struct vcpu *v = vcpu_at(cpu);
	return v && v->launched;
}

volatile uint8_t *gdb_edge_gpa(uint64_t gpa)
{
	return guest_page_is_owned(gpa) ? NULL : gpa_host(gpa);
}

bool gdb_edge_page_unguardable(uint64_t page)
{
	return guest_page_is_owned(page) || (g_hv.apic_intercept && page == g_hv.apic_base);
}

void gdb_edge_detached(void)
{
	log_info("gdb: detached; the guest runs on");
}

static bool snapshot_of(unsigned self, unsigned i)
{
	if (i == self) {
		vmcs_snapshot_read(&E.snap);
		return true;
	}
	__atomic_store_n(&gdb_cpus[i].want_snapshot, 1, __ATOMIC_RELEASE);
	uint64_t start = cpu_rdtsc();
	while (__atomic_load_n(&gdb_cpus[i].want_snapshot, __ATOMIC_ACQUIRE)) {
		if (cpu_rdtsc() - start > GDB_PARK_WAIT_TICKS) {
			__atomic_store_n(&gdb_cpus[i].want_snapshot, 0, __ATOMIC_RELEASE);
			return false;
		}
		cpu_pause();
	}
	return true;
}

static gdb_emit_fn dump_emit; /* vmcs_dump's sink for one monitor command */

static void emit_dump_line(void *ctx, const char *line)
{
	(void)ctx;
	dump_emit(line);
}

void gdb_edge_mon_vmcs(unsigned self, unsigned cpu, gdb_emit_fn emit)
{
	char title[48];
	if (!snapshot_of(self, cpu)) {
		emit("that vCPU is not parked");
		return;
	}
	fmt_snprintf(title, sizeof(title), "gdb monitor vmcs, thread %u", cpu + 1);
	dump_emit = emit;
	vmcs_dump(&E.snap, title, emit_dump_line, NULL);
}

void gdb_edge_mon_stats(gdb_emit_fn emit)
{
	char line[128];
	for (unsigned i = 0; i < g_hv.cpu_count; i++) {
		struct vcpu *v = vcpu_at(i);
		if (!v)
			continue;
		fmt_snprintf(line, sizeof(line), "thread %u (cpu%u): %lu exits", i + 1, v->apic_id, v->exits_total);
		emit(line);
		for (unsigned r = 0; r < VMX_EXIT_REASON_SLOTS; r++) {
			if (!v->exit_count[r])
				continue;
			fmt_snprintf(line, sizeof(line), "  %-24s %lu", exit_reason_name(r), v->exit_count[r]);
			emit(line);
		}
	}
}

void gdb_edge_mon_ept(uint64_t addr, uint64_t gpa, gdb_emit_fn emit)
{
	uint64_t hpa;
	unsigned perms = 0, level = 0;
	uint8_t type;
	char line[160];
	int rc = ept_translate(&g_hv.ept, gpa, &hpa, &perms, &type, &level);
	if (rc)
		fmt_snprintf(line, sizeof(line), "address 0x%lx gpa 0x%lx: EPT entry not present (level %u)%s", addr, gpa,
			     level, guest_page_is_owned(gpa) ? ", vmxray memory" : "");
	else
		fmt_snprintf(line, sizeof(line), "address 0x%lx gpa 0x%lx -> hpa 0x%lx perms=%c%c%c memtype=%u page=%s",
			     addr, gpa, hpa, perms & EPT_READ ? 'r' : '-', perms & EPT_WRITE ? 'w' : '-',
			     perms & EPT_EXECUTE ? 'x' : '-', type, level == 1 ? "4K" : level == 2 ? "2M" : "1G");
	emit(line);
}

/* ---- the all-stop ---- */

static bool any_catch_or_stop(void)
{
	return gdb_core_catch_armed() || __atomic_load_n(&E.stopping, __ATOMIC_ACQUIRE);
}

static void slow_path_update(struct vcpu *v)
{
	v->exit_slow = v->recorder.depth != 0 || g_hv.cfg.exit_slow || any_catch_or_stop() || v->step.owners;
}

static void timer_rearm(void)
{
	gdb_hw_timer_set(gdb_core_attached() ? GDB_PERIOD_ATTACHED : GDB_PERIOD_DETACHED);
}

/* A parked vCPU: registers out, wait for the resume (serving VMCS snapshots meanwhile),
 * registers back, its step armed if gdb asked for one. */
static void park(struct vcpu *v)
{
	struct gdb_cpu *c = &gdb_cpus[v->index];
	gdb_hw_regs_capture(v, c);
	__atomic_store_n(&c->parked, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&E.stopping, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(&c->want_snapshot, __ATOMIC_ACQUIRE)) {
			vmcs_snapshot_read(&E.snap);
			__atomic_store_n(&c->want_snapshot, 0, __ATOMIC_RELEASE);
		}
		cpu_pause();
	}
	gdb_hw_regs_writeback(v, c);
	if (c->step)
		gdb_hw_step_arm(v, c, true);
	c->step = false;
	__atomic_store_n(&c->parked, 0, __ATOMIC_RELEASE);
}

/* Kicks every other vCPU into root mode and waits (bounded) until each is parked. A
 * vCPU that waits for a SIPI in root mode runs no guest code: it counts as stopped. */
static void stop_others(struct vcpu *self)
{
	for (unsigned i = 0; i < g_hv.cpu_count; i++) {
		struct vcpu *t = vcpu_at(i);
		if (!t || t == self || !t->launched)
			continue;
		t->exit_slow = true;
		vcpu_kick(t);
	}
	uint64_t start = cpu_rdtsc();
	for (unsigned i = 0; i < g_hv.cpu_count; i++) {
		struct vcpu *t = vcpu_at(i);
		if (!t || t == self || !t->launched)
			continue;
		while (!__atomic_load_n(&gdb_cpus[i].parked, __ATOMIC_ACQUIRE) &&
		       !__atomic_load_n(&t->wait_sipi, __ATOMIC_ACQUIRE)) {
			if (cpu_rdtsc() - start > GDB_PARK_WAIT_TICKS) {
				log_warn("gdb: cpu%u did not stop; its registers are stale", t->apic_id);
				break;
			}
			cpu_pause();
		}
	}
}

/* The all-stop: this vCPU stopped for `sig` (stop-reply extras in `extra`, a console
 * line in `note`); it becomes the one that talks to gdb, or parks when another vCPU is
 * already doing so. */
static void gdb_stop(struct vcpu *v, unsigned sig, const char *extra, const char *note, bool have_packet)
{
	int none = -1;
	if (!__atomic_compare_exchange_n(&E.server, &none, (int)v->index, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		park(v);
		return;
	}
	__atomic_store_n(&E.stopping, 1, __ATOMIC_RELEASE);
	stop_others(v);
	/* No guest code runs until gdb resumes it, so nothing is stalled by writing the serial
	 * queue out now; left queued, the lines that say why it stopped ("gdb_wait=on: the guest
	 * waits for a debugger") would wait for an exit that comes only after gdb resumes. */
	ulog_flush_all();
	struct gdb_cpu *c = &gdb_cpus[v->index];
	gdb_hw_regs_capture(v, c);
	gdb_core_select(v->index);
	gdb_core_stop_reply_set(v->index, sig, extra);
	if (gdb_core_attached() && note)
		gdb_core_send_console(note);
	if (gdb_core_attached() && !have_packet)
		gdb_core_send_stop_reply();
	gdb_core_serve(v->index, have_packet);
	gdb_hw_regs_writeback(v, c);
	int step = gdb_core_step_cpu();
	if (step == (int)v->index)
		gdb_hw_step_arm(v, c, true);
	for (unsigned i = 0; i < g_hv.cpu_count; i++)
		gdb_cpus[i].step = step == (int)i;
	__atomic_store_n(&E.stopping, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&E.server, -1, __ATOMIC_RELEASE);
}

/* After a stop inside an exit: the handler that runs next starts from the state gdb
 * may have changed. */
static void refresh_at_exit(struct vcpu *v)
{
	v->at_exit.rip = vmcs_readnw(GUEST_RIP);
	v->at_exit.rflags = vmcs_readnw(GUEST_RFLAGS);
	v->at_exit.intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	slow_path_update(v);
	timer_rearm();
	vmx_ept_flush_if_stale();
}

/* ---- exits ---- */

bool gdb_ept_violation(struct vcpu *v, struct vmexit *e, uint64_t gpa)
{
	const char *extra = "";
	if (!g_gdb_on || !gdb_core_page_guarded(align_down(gpa, PAGE_SIZE)))
		return false;
	struct ept_violation_qual q = ept_violation_qual_decode(e->qual);
	if (e->qual & (1u << 12)) /* NMI unblocking due to IRET: as exit_ept_violation does */
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) | (1u << 3));
	step_fault_fixup();
	switch (gdb_core_ept_access(v->index, q.fetch, q.read, q.write, v->at_exit.rip, gpa, &extra)) {
	case GDB_EPT_STOP:
		gdb_stop(v, GDB_SIGTRAP, extra, NULL, false);
		refresh_at_exit(v);
		return true;
	case GDB_EPT_STEP_OVER:
		gdb_hw_step_arm(v, &gdb_cpus[v->index], true);
		slow_path_update(v);
		return true;
	default:
		return false;
	}
}

/* The stub's step finished (vmx/exit/step_hw.c: the step's #DB or MTF exit, or the
 * stepped instruction faulted); the step is off already. */
void gdb_step_done(struct vcpu *v)
{
	char extra[48];
	if (!g_gdb_on || !gdb_cpus[v->index].stepping)
		return;
	gdb_hw_step_arm(v, &gdb_cpus[v->index], false);
	if (gdb_core_step_finished(v->index, extra, sizeof(extra))) {
		gdb_stop(v, GDB_SIGTRAP, extra, NULL, false);
		refresh_at_exit(v);
	}
}

void gdb_exit_before(struct vcpu *v, struct vmexit *e)
{
	uint64_t val;
	if (!g_gdb_on)
		return;
	if (__atomic_load_n(&E.stopping, __ATOMIC_ACQUIRE)) {
		park(v);
		refresh_at_exit(v);
		return;
	}
	struct gdb_exit_info x = { e->basic, e->qual, v->regs.gpr[GPR_RAX], v->regs.gpr[GPR_RCX] };
	if (gdb_core_catch_armed() && gdb_core_catch_take(&x, &val)) {
		char note[160];
		fmt_snprintf(note, sizeof(note), "vmxray: caught VM exit %s (%u) on thread %u: value=0x%lx qual=0x%lx rip=0x%lx\n",
			     exit_reason_name(e->basic), e->basic, v->index + 1, val, e->qual, v->at_exit.rip);
		gdb_stop(v, GDB_SIGTRAP, "", note, false);
		refresh_at_exit(v);
	}
}

/* ---- polling while the guest runs ---- */

static void poll_wire(struct vcpu *v)
{
	uint32_t zero = 0;
	if (!__atomic_compare_exchange_n(&E.wire_lock, &zero, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	enum gdb_poll p = gdb_core_poll();
	__atomic_store_n(&E.wire_lock, 0, __ATOMIC_RELEASE);
	if (p == GDB_POLL_PACKET) {
		if (!gdb_core_attached())
			log_info("gdb: debugger attached on cpu%u", v->apic_id);
		gdb_core_stop_reply_set(v->index, GDB_SIGTRAP, "");
		gdb_stop(v, GDB_SIGTRAP, "", NULL, true);
	} else if (p == GDB_POLL_INTR) {
		gdb_stop(v, GDB_SIGINT, "", NULL, false);
	}
}

void exit_preemption_timer(struct vcpu *v, struct vmexit *e)
{
	(void)e;
	ulog_timer_exit(v); /* the serial log's drain (vmx/exit/ulog.h) */
	if (!g_gdb_on)
		return;
	if (E.wait_at_launch && v->index == 0) {
		E.wait_at_launch = false;
		log_info("gdb: gdb_wait=on: the guest waits for a debugger on port 0x%x", g_hv.cfg.gdb_port);
		gdb_stop(v, GDB_SIGTRAP, "", NULL, false);
	} else {
		poll_wire(v);
	}
	refresh_at_exit(v);
}

/* ---- setup ---- */

void gdb_prepare(struct hv *hv)
{
	struct vmx_ctrl_allowed pin, ex;
	if (!hv->cfg.gdb_port)
		return;
	if (hv->cfg.gdb_port == hv->cfg.log_port) {
		log_error("gdb=0x%x is the log's serial port: the stub stays off", hv->cfg.gdb_port);
		return;
	}
	if (!vmx_caps_ctrl_allowed(&hv->caps, VMX_CTRL_PIN, &pin) || !(pin.allowed1 & PIN_BASED_VMX_PREEMPTION_TIMER) ||
	    !vmx_caps_ctrl_allowed(&hv->caps, VMX_CTRL_EXIT, &ex) || !(ex.allowed1 & VM_EXIT_SAVE_VMX_PREEMPTION_TIMER)) {
		log_error("gdb: this CPU has no VMX-preemption timer (or cannot save it): the stub stays off");
		return;
	}
	if (!gdb_hw_uart_init(hv->cfg.gdb_port)) {
		log_error("gdb: no 16550 UART answers at port 0x%x: the stub stays off", hv->cfg.gdb_port);
		return;
	}
	for (unsigned p = 0; p < 8; p++)
		io_bitmap_intercept(hv->io_bitmap_a, hv->io_bitmap_b, (uint16_t)(hv->cfg.gdb_port + p));
	hv->ctls.pin |= (uint32_t)PIN_BASED_VMX_PREEMPTION_TIMER;
	hv->ctls.exit |= (uint32_t)VM_EXIT_SAVE_VMX_PREEMPTION_TIMER;
	gdb_core_reset();
	E.wait_at_launch = hv->cfg.gdb_wait;
	g_gdb_port = hv->cfg.gdb_port;
	g_gdb_on = true;
	log_info("gdb: remote stub on port 0x%x%s; single step by %s, Ctrl-C by the VMX-preemption timer", hv->cfg.gdb_port,
		 E.wait_at_launch ? ", the guest waits for gdb at launch" : "",
		 step_uses_mtf() ? "the monitor trap flag" : "RFLAGS.TF and an intercepted #DB");
}

/* LSR: THRE and TEMT (16550 datasheet, line status register); every other register 0. */
uint32_t gdb_port_read(uint16_t port, unsigned bytes)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < bytes && i < 4; i++)
		if ((uint16_t)(port + i - g_hv.cfg.gdb_port) == 5)
			v |= 0x60u << (8 * i);
	return v;
}

void gdb_vcpu_launch(struct vcpu *v)
{
	if (!g_gdb_on)
		return;
	gdb_hw_timer_set(E.wait_at_launch && v->index == 0 ? 0 : GDB_PERIOD_DETACHED);
}
