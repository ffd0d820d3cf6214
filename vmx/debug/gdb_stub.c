/* vmxray's GDB remote stub: all-stop over every vCPU, driven from root mode. See
 * vmx/debug/gdb.h for the design, gdb_packet.c for the wire, gdb_hw.c for the VMCS.
 *
 * Breakpoints leave guest memory as it is: an execute breakpoint (Z0 or Z1) takes the
 * execute permission off the page in the EPT, a watchpoint (Z2 write, Z3 read, Z4
 * access) the write or all permissions. A guest access to such a page that is not the
 * breakpoint's exits as an EPT violation; the stub gives the page back its permissions
 * for one single-stepped instruction, then guards it again ("step over"). Cost: every
 * other access to a guarded page takes two exits while a breakpoint is set there; the
 * page is open to every vCPU during that one instruction. */
#include "vmx/debug/gdb.h"

#include "arch/bits.h"
#include "arch/cpu.h"
#include "arch/spinlock.h"
#include "drivers/fmt.h"
#include "drivers/log.h"
#include "ept/ept.h"
#include "vmx/vmcs/controls.h"
#include "vmx/debug/gdb_hw.h"
#include "vmx/debug/gdb_packet.h"
#include "vmx/decode/decode.h"
#include "vmx/exit/guest_mem.h"
#include "vmx/exit/inject.h"
#include "vmx/policy/setup.h"
#include "vmx/vmcs/vmcs.h"
#include "vmx/study/vmcs_dump.h"
#include "vmx/vmcs/vmcs_hw.h"

#include <string.h>

#define GDB_BP_MAX 16
#define GDB_SIGINT 2
#define GDB_SIGTRAP 5
/* Preemption-timer periods in TSC ticks (IA32_VMX_MISC rate 0 in Bochs: one per tick):
 * how long Ctrl-C or a new connection can wait for a guest that takes no exits. */
#define GDB_PERIOD_ATTACHED 200000u
#define GDB_PERIOD_DETACHED 4000000u
#define GDB_PARK_WAIT_TICKS (8ULL * GDB_PERIOD_DETACHED)

bool g_gdb_on;
uint16_t g_gdb_port;

struct gdb_bp {
	bool used;
	unsigned type;  /* Z type: 0/1 execute, 2 write, 3 read, 4 access */
	uint64_t addr, len, gpa;
};

static struct {
	bool attached;
	bool wait_at_launch;
	uint32_t wire_lock;        /* the CPU polling the UART while the guest runs */
	int server;                /* index of the vCPU talking to gdb, -1 none (atomic) */
	uint32_t stopping;         /* atomic: all-stop in progress, others park */
	struct gdb_rx rx;
	struct gdb_out out;
	char frame[2 * GDB_PACKET_MAX + 8];
	size_t frame_len;          /* the last reply, for a '-' */
	unsigned g_cpu, c_cpu;     /* Hg / Hc selection (vCPU index) */
	int step_cpu;              /* vCPU to step at resume, -1 none */
	char stop_reply[96];
	bool mem_phys;             /* m/M addresses are guest-physical */
	struct gdb_bp bp[GDB_BP_MAX];
	struct {
		bool on;
		uint32_t reason;
		bool has_value;
		uint64_t value;
	} catch;
	struct vmcs_snapshot snap;
} G = { .server = -1 };

static struct gdb_cpu cpus[HV_MAX_CPUS];

/* ---- wire ---- */

static void send_packet(const char *data, size_t n)
{
	size_t f = gdb_frame(data, n, G.frame, sizeof(G.frame));
	if (!f) /* cannot happen: replies are bounded by GDB_PACKET_MAX */
		f = gdb_frame("E01", 3, G.frame, sizeof(G.frame));
	G.frame_len = f;
	gdb_hw_write(G.frame, f);
}

static void send_out(void)
{
	if (G.out.overflow)
		send_packet("E01", 3);
	else
		send_packet(G.out.buf, G.out.len);
}

static void send_str(const char *s)
{
	send_packet(s, strlen(s));
}

/* Console output for gdb ("O" + hex), e.g. for monitor commands. */
static void send_console(const char *text)
{
	static struct gdb_out o;
	size_t n = strlen(text);
	for (size_t off = 0; off < n;) {
		size_t chunk = n - off < 400 ? n - off : 400;
		gdb_out_reset(&o);
		gdb_out_str(&o, "O");
		gdb_out_hex(&o, (const uint8_t *)text + off, chunk);
		send_packet(o.buf, o.len);
		off += chunk;
	}
}

/* Waits for the next whole packet; answers '-' for a broken one and resends the last
 * reply when gdb asks. Unbounded by design: the guest is stopped for the debugger. */
static void wait_packet(void)
{
	for (;;) {
		uint8_t c;
		if (!gdb_hw_getc(&c)) {
			cpu_pause();
			continue;
		}
		switch (gdb_rx_feed(&G.rx, c)) {
		case GDB_RX_PACKET:
			gdb_hw_write("+", 1);
			return;
		case GDB_RX_BAD:
			gdb_hw_write("-", 1);
			break;
		case GDB_RX_NAK:
			if (G.frame_len)
				gdb_hw_write(G.frame, G.frame_len);
			break;
		default:
			break; /* acks, and Ctrl-C while already stopped */
		}
	}
}

/* ---- vCPUs ---- */

static struct vcpu *vcpu_at(unsigned i)
{
	return i < g_hv.cpu_count ? g_hv.vcpu[i] : NULL;
}

static bool thread_ok(int t)
{
	struct vcpu *v = t > 0 ? vcpu_at((unsigned)t - 1) : NULL;
	return v && v->launched;
}

static bool any_catch_or_stop(void)
{
	return G.catch.on || __atomic_load_n(&G.stopping, __ATOMIC_ACQUIRE);
}

static void slow_path_update(struct vcpu *v)
{
	v->exit_slow = v->recorder.depth != 0 || g_hv.cfg.exit_slow || any_catch_or_stop();
}

static void timer_rearm(void)
{
	gdb_hw_timer_set(G.attached ? GDB_PERIOD_ATTACHED : GDB_PERIOD_DETACHED);
}

/* A parked vCPU: registers out, wait for the resume (serving VMCS snapshots meanwhile),
 * registers back, its step armed if gdb asked for one. */
static void park(struct vcpu *v)
{
	struct gdb_cpu *c = &cpus[v->index];
	gdb_hw_regs_capture(v, c);
	__atomic_store_n(&c->parked, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&G.stopping, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(&c->want_snapshot, __ATOMIC_ACQUIRE)) {
			vmcs_snapshot_read(&G.snap);
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
		while (!__atomic_load_n(&cpus[i].parked, __ATOMIC_ACQUIRE) &&
		       !__atomic_load_n(&t->wait_sipi, __ATOMIC_ACQUIRE)) {
			if (cpu_rdtsc() - start > GDB_PARK_WAIT_TICKS) {
				log_warn("gdb: cpu%u did not stop; its registers are stale", t->apic_id);
				break;
			}
			cpu_pause();
		}
	}
}

static void stop_reply_set(struct vcpu *v, unsigned sig, const char *extra)
{
	fmt_snprintf(G.stop_reply, sizeof(G.stop_reply), "T%02xthread:%x;%s", sig, v->index + 1, extra);
}

static void serve(struct vcpu *v, bool have_packet);

/* The all-stop: this vCPU stopped for `sig` (stop-reply extras in `extra`, a console
 * line in `note`); it becomes the one that talks to gdb, or parks when another vCPU is
 * already doing so. */
static void gdb_stop(struct vcpu *v, unsigned sig, const char *extra, const char *note, bool have_packet)
{
	int none = -1;
	if (!__atomic_compare_exchange_n(&G.server, &none, (int)v->index, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		park(v);
		return;
	}
	__atomic_store_n(&G.stopping, 1, __ATOMIC_RELEASE);
	stop_others(v);
	struct gdb_cpu *c = &cpus[v->index];
	gdb_hw_regs_capture(v, c);
	G.g_cpu = G.c_cpu = v->index;
	stop_reply_set(v, sig, extra);
	if (G.attached && note)
		send_console(note);
	if (G.attached && !have_packet)
		send_str(G.stop_reply);
	serve(v, have_packet);
	gdb_hw_regs_writeback(v, c);
	if (G.step_cpu == (int)v->index)
		gdb_hw_step_arm(v, c, true);
	for (unsigned i = 0; i < g_hv.cpu_count; i++)
		cpus[i].step = G.step_cpu == (int)i;
	__atomic_store_n(&G.stopping, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&G.server, -1, __ATOMIC_RELEASE);
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

/* ---- memory ---- */

/* One piece of at most a page: the guest-physical address of addr for vCPU c. */
static bool mem_translate(const struct gdb_cpu *c, uint64_t addr, uint64_t *gpa)
{
	if (G.mem_phys) {
		*gpa = addr;
		return true;
	}
	struct guest_walk w = guest_walk(&c->paging, addr, GUEST_ACCESS_READ);
	*gpa = w.gpa;
	return w.status == GUEST_WALK_OK;
}

/* Copies between gdb and guest memory; vmxray's own pages and addresses beyond the
 * host's identity map are refused. Returns the bytes done (a prefix). */
static size_t mem_copy(const struct gdb_cpu *c, uint64_t addr, uint8_t *buf, size_t n, bool write)
{
	size_t done = 0;
	while (done < n) {
		uint64_t gpa;
		size_t chunk = PAGE_SIZE - ((addr + done) & (PAGE_SIZE - 1));
		if (chunk > n - done)
			chunk = n - done;
		if (!mem_translate(c, addr + done, &gpa))
			break;
		if (chunk > PAGE_SIZE - (gpa & (PAGE_SIZE - 1)))
			chunk = PAGE_SIZE - (gpa & (PAGE_SIZE - 1));
		if (guest_page_is_owned(gpa))
			break;
		volatile uint8_t *h = gpa_host(gpa);
		if (!h)
			break;
		for (size_t i = 0; i < chunk; i++) {
			if (write)
				h[i] = buf[done + i];
			else
				buf[done + i] = h[i];
		}
		done += chunk;
	}
	return done;
}

static void cmd_read_mem(const struct gdb_cmd *cmd)
{
	static uint8_t buf[GDB_MEM_MAX];
	size_t n = mem_copy(&cpus[G.g_cpu], cmd->addr, buf, (size_t)cmd->len, false);
	if (!n && cmd->len) {
		send_str("E14");
		return;
	}
	gdb_out_reset(&G.out);
	gdb_out_hex(&G.out, buf, n);
	send_out();
}

static void cmd_write_mem(const struct gdb_cmd *cmd)
{
	static uint8_t buf[GDB_MEM_MAX];
	if (!gdb_hex_decode(cmd->data, cmd->data_len, buf)) {
		send_str("E01");
		return;
	}
	size_t n = mem_copy(&cpus[G.g_cpu], cmd->addr, buf, (size_t)cmd->len, true);
	send_str(n == cmd->len ? "OK" : "E14");
}

/* ---- breakpoints and watchpoints ---- */

static unsigned page_perms(uint64_t page)
{
	unsigned perms = gdb_hw_ept_normal(page);
	for (unsigned i = 0; i < GDB_BP_MAX; i++) {
		const struct gdb_bp *b = &G.bp[i];
		if (!b->used || align_down(b->gpa, PAGE_SIZE) != page)
			continue;
		if (b->type <= 1)
			perms &= ~(unsigned)EPT_EXECUTE;
		else if (b->type == 2)
			perms &= ~(unsigned)EPT_WRITE;
		else
			perms = 0; /* reads: the page not present (write without read is invalid) */
	}
	return perms;
}

static bool page_guarded(uint64_t page)
{
	for (unsigned i = 0; i < GDB_BP_MAX; i++)
		if (G.bp[i].used && align_down(G.bp[i].gpa, PAGE_SIZE) == page)
			return true;
	return false;
}

static int bp_find(unsigned type, uint64_t addr)
{
	for (unsigned i = 0; i < GDB_BP_MAX; i++)
		if (G.bp[i].used && G.bp[i].type == type && G.bp[i].addr == addr)
			return (int)i;
	return -1;
}

static const char *bp_insert(const struct gdb_cmd *cmd)
{
	uint64_t gpa;
	int slot = -1;
	if (cmd->len == 0 || cmd->len > 8 || (cmd->type >= 2 && ((cmd->addr & (PAGE_SIZE - 1)) + cmd->len > PAGE_SIZE)))
		return "E22";
	if (bp_find(cmd->type, cmd->addr) >= 0)
		return "OK";
	if (!mem_translate(&cpus[G.g_cpu], cmd->addr, &gpa))
		return "E14";
	uint64_t page = align_down(gpa, PAGE_SIZE);
	if (guest_page_is_owned(gpa) || (g_hv.apic_intercept && page == g_hv.apic_base))
		return "E13";
	for (unsigned i = 0; i < GDB_BP_MAX && slot < 0; i++)
		if (!G.bp[i].used)
			slot = (int)i;
	if (slot < 0)
		return "E28"; /* no space: gdb says so */
	G.bp[slot] = (struct gdb_bp){ true, cmd->type, cmd->addr, cmd->len, gpa };
	if (!gdb_hw_ept_set(page, page_perms(page))) {
		G.bp[slot].used = false;
		return "E12";
	}
	return "OK";
}

static const char *bp_remove(const struct gdb_cmd *cmd)
{
	int i = bp_find(cmd->type, cmd->addr);
	if (i < 0)
		return "OK";
	uint64_t page = align_down(G.bp[i].gpa, PAGE_SIZE);
	G.bp[i].used = false;
	gdb_hw_ept_set(page, page_perms(page));
	return "OK";
}

static void bp_remove_all(void)
{
	for (unsigned i = 0; i < GDB_BP_MAX; i++) {
		if (!G.bp[i].used)
			continue;
		G.bp[i].used = false;
		uint64_t page = align_down(G.bp[i].gpa, PAGE_SIZE);
		gdb_hw_ept_set(page, page_perms(page));
	}
}

/* The watchpoint a data access at gpa (up to 8 bytes) hits, -1 none. */
static int watch_hit(uint64_t gpa, bool write, bool read)
{
	for (unsigned i = 0; i < GDB_BP_MAX; i++) {
		const struct gdb_bp *b = &G.bp[i];
		if (!b->used || b->type < 2 || !mem_ranges_overlap(gpa, 8, b->gpa, b->len))
			continue;
		if ((b->type == 2 && write) || (b->type == 3 && read) || (b->type == 4 && (read || write)))
			return (int)i;
	}
	return -1;
}

bool gdb_ept_violation(struct vcpu *v, struct vmexit *e, uint64_t gpa)
{
	uint64_t page = align_down(gpa, PAGE_SIZE);
	if (!g_gdb_on || !page_guarded(page))
		return false;
	struct gdb_cpu *c = &cpus[v->index];
	struct ept_violation_qual q = ept_violation_qual_decode(e->qual);
	if (e->qual & (1u << 12)) /* NMI unblocking due to IRET: as exit_ept_violation does */
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) | (1u << 3));
	int b = q.fetch ? bp_find(0, v->at_exit.rip) : -1;
	if (q.fetch && b < 0)
		b = bp_find(1, v->at_exit.rip);
	if (b >= 0 && !c->step_over) {
		gdb_stop(v, GDB_SIGTRAP, G.bp[b].type ? "hwbreak:;" : "swbreak:;", NULL, false);
		refresh_at_exit(v);
		return true;
	}
	/* Any other access to a guarded page: one instruction with the page open. The same
	 * instruction may touch a second guarded page (MOVS, a page-crossing access): both
	 * stay open for it. */
	int hit = q.fetch ? -1 : watch_hit(gpa, q.write, q.read);
	if (!c->step_over) {
		c->over_pages = 0;
		c->over_hit = -1;
	}
	if (hit >= 0)
		c->over_hit = hit;
	if (c->over_pages < 2)
		c->over_page[c->over_pages++] = page;
	c->step_over = true;
	gdb_hw_ept_set(page, gdb_hw_ept_normal(page));
	gdb_hw_step_arm(v, c, true);
	slow_path_update(v);
	return true;
}

/* A step finished (MTF exit, or the stub's #DB). */
static void step_done(struct vcpu *v)
{
	struct gdb_cpu *c = &cpus[v->index];
	gdb_hw_step_arm(v, c, false);
	v->at_exit.rflags = vmcs_readnw(GUEST_RFLAGS);
	bool user_step = c->step_over ? false : true;
	if (c->step_over) {
		c->step_over = false;
		for (unsigned i = 0; i < c->over_pages; i++)
			gdb_hw_ept_set(c->over_page[i], page_perms(c->over_page[i]));
		c->over_pages = 0;
		if (c->over_hit >= 0) {
			const struct gdb_bp *b = &G.bp[c->over_hit];
			char extra[48];
			fmt_snprintf(extra, sizeof(extra), "%s:%lx;", b->type == 2 ? "watch" : b->type == 3 ? "rwatch" : "awatch", b->addr);
			gdb_stop(v, GDB_SIGTRAP, extra, NULL, false);
			refresh_at_exit(v);
			return;
		}
	}
	if (user_step || G.step_cpu == (int)v->index) {
		G.step_cpu = -1;
		gdb_stop(v, GDB_SIGTRAP, "", NULL, false);
		refresh_at_exit(v);
	}
}

bool gdb_exception(struct vcpu *v, unsigned vector, uint64_t qual)
{
	if (!g_gdb_on || vector != VECTOR_DB || !cpus[v->index].stepping)
		return false;
	(void)qual; /* BS (bit 14) is set; an exception exit for #DB while stepping is ours */
	step_done(v);
	return true;
}

void exit_monitor_trap(struct vcpu *v, struct vmexit *e)
{
	(void)e;
	if (cpus[v->index].stepping)
		step_done(v);
	else
		gdb_hw_step_arm(v, &cpus[v->index], false);
}

/* ---- monitor commands ---- */

static void emit_console(void *ctx, const char *line)
{
	(void)ctx;
	char buf[VMCS_DUMP_LINE_MAX + 2];
	fmt_snprintf(buf, sizeof(buf), "%s\n", line);
	send_console(buf);
}

static bool snapshot_of(struct vcpu *self, unsigned i)
{
	if (i == self->index) {
		vmcs_snapshot_read(&G.snap);
		return true;
	}
	__atomic_store_n(&cpus[i].want_snapshot, 1, __ATOMIC_RELEASE);
	uint64_t start = cpu_rdtsc();
	while (__atomic_load_n(&cpus[i].want_snapshot, __ATOMIC_ACQUIRE)) {
		if (cpu_rdtsc() - start > GDB_PARK_WAIT_TICKS) {
			__atomic_store_n(&cpus[i].want_snapshot, 0, __ATOMIC_RELEASE);
			return false;
		}
		cpu_pause();
	}
	return true;
}

static void mon_vmcs(struct vcpu *self)
{
	char title[48];
	if (!snapshot_of(self, G.g_cpu)) {
		send_console("that vCPU is not parked\n");
		return;
	}
	fmt_snprintf(title, sizeof(title), "gdb monitor vmcs, thread %u", G.g_cpu + 1);
	vmcs_dump(&G.snap, title, emit_console, NULL);
}

static void mon_stats(void)
{
	char line[128];
	for (unsigned i = 0; i < g_hv.cpu_count; i++) {
		struct vcpu *v = vcpu_at(i);
		if (!v)
			continue;
		fmt_snprintf(line, sizeof(line), "thread %u (cpu%u): %lu exits\n", i + 1, v->apic_id, v->exits_total);
		send_console(line);
		for (unsigned r = 0; r < VMX_EXIT_REASON_SLOTS; r++) {
			if (!v->exit_count[r])
				continue;
			fmt_snprintf(line, sizeof(line), "  %-24s %lu\n", exit_reason_name(r), v->exit_count[r]);
			send_console(line);
		}
	}
}

static void mon_ept(const char *arg)
{
	uint64_t addr, gpa, hpa;
	unsigned perms = 0, level = 0;
	uint8_t type;
	const char *e;
	char line[160];
	if (arg[0] == '0' && arg[1] == 'x')
		arg += 2;
	if (!gdb_parse_hex(arg, &e, &addr) || *e) {
		send_console("usage: monitor ept ADDRESS (hex; guest-virtual, or guest-physical after 'monitor mem phys')\n");
		return;
	}
	if (!mem_translate(&cpus[G.g_cpu], addr, &gpa)) {
		send_console("the address does not translate in this vCPU's page tables\n");
		return;
	}
	int rc = ept_translate(&g_hv.ept, gpa, &hpa, &perms, &type, &level);
	if (rc)
		fmt_snprintf(line, sizeof(line), "address 0x%lx gpa 0x%lx: EPT entry not present (level %u)%s\n", addr, gpa,
			     level, guest_page_is_owned(gpa) ? ", vmxray memory" : "");
	else
		fmt_snprintf(line, sizeof(line), "address 0x%lx gpa 0x%lx -> hpa 0x%lx perms=%c%c%c memtype=%u page=%s\n",
			     addr, gpa, hpa, perms & EPT_READ ? 'r' : '-', perms & EPT_WRITE ? 'w' : '-',
			     perms & EPT_EXECUTE ? 'x' : '-', type, level == 1 ? "4K" : level == 2 ? "2M" : "1G");
	send_console(line);
}

/* "catch cpuid|msr|io|cr|REASON [value]" and "catch off": the next exit of that reason
 * (with that CPUID leaf, MSR, port or control register) stops the guest. */
static void mon_catch(const char *arg)
{
	static const struct { const char *alias; uint32_t reason; } ALIASES[] = {
		{ "cpuid", EXIT_REASON_CPUID }, { "msr", EXIT_REASON_MSR_READ }, { "io", EXIT_REASON_IO_INSTRUCTION },
		{ "cr", EXIT_REASON_CR_ACCESS },
	};
	size_t n = 0;
	uint32_t r = EXIT_REASON_MAX;
	while (arg[n] && arg[n] != ' ')
		n++;
	if (n == 3 && !memcmp(arg, "off", 3)) {
		G.catch.on = false;
		send_console("catchpoint off\n");
		return;
	}
	for (unsigned i = 0; i < sizeof(ALIASES) / sizeof(ALIASES[0]); i++)
		if (strlen(ALIASES[i].alias) == n && !memcmp(arg, ALIASES[i].alias, n))
			r = ALIASES[i].reason;
	if (r == EXIT_REASON_MAX && !exit_reason_from_short(arg, n, &r)) {
		send_console("usage: monitor catch cpuid|msr|io|cr|REASON [value] | off\n");
		return;
	}
	const char *v = arg + n;
	while (*v == ' ')
		v++;
	if (v[0] == '0' && v[1] == 'x')
		v += 2;
	const char *e;
	G.catch.has_value = gdb_parse_hex(v, &e, &G.catch.value) && *e == '\0';
	G.catch.reason = r;
	G.catch.on = true;
	char line[96];
	fmt_snprintf(line, sizeof(line), "catchpoint: next %s exit%s\n", exit_reason_name(r), G.catch.has_value ? " with that value" : "");
	send_console(line);
}

static void cmd_monitor(struct vcpu *self, const char *text)
{
	if (!strcmp(text, "vmcs"))
		mon_vmcs(self);
	else if (!strcmp(text, "stats"))
		mon_stats();
	else if (!strncmp(text, "ept ", 4))
		mon_ept(text + 4);
	else if (!strncmp(text, "catch ", 6))
		mon_catch(text + 6);
	else if (!strcmp(text, "mem phys") || !strcmp(text, "mem virt")) {
		G.mem_phys = text[4] == 'p';
		send_console(G.mem_phys ? "m/M addresses are guest-physical\n" : "m/M addresses are guest-virtual\n");
	} else
		send_console("vmxray monitor commands: vmcs, stats, ept ADDR, catch cpuid|msr|io|cr|REASON [value], catch off, mem phys|virt\n");
	send_str("OK");
}

/* The value a caught exit is filtered on: CPUID leaf, MSR, I/O port, control register. */
static bool catch_matches(const struct vcpu *v, const struct vmexit *e, uint64_t *val)
{
	uint32_t want = G.catch.reason;
	bool msr = want == EXIT_REASON_MSR_READ && (e->basic == EXIT_REASON_MSR_READ || e->basic == EXIT_REASON_MSR_WRITE);
	if (e->basic != want && !msr)
		return false;
	switch (e->basic) {
	case EXIT_REASON_CPUID: *val = (uint32_t)v->regs.gpr[GPR_RAX]; break;
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE: *val = (uint32_t)v->regs.gpr[GPR_RCX]; break;
	case EXIT_REASON_IO_INSTRUCTION: *val = (e->qual >> 16) & 0xFFFF; break;
	case EXIT_REASON_CR_ACCESS: *val = e->qual & 0xF; break;
	default: *val = 0; break;
	}
	return !G.catch.has_value || *val == G.catch.value;
}

void gdb_exit_before(struct vcpu *v, struct vmexit *e)
{
	uint64_t val;
	if (!g_gdb_on)
		return;
	if (__atomic_load_n(&G.stopping, __ATOMIC_ACQUIRE)) {
		park(v);
		refresh_at_exit(v);
		return;
	}
	if (G.catch.on && catch_matches(v, e, &val)) {
		char note[160];
		G.catch.on = false;
		fmt_snprintf(note, sizeof(note), "vmxray: caught VM exit %s (%u) on thread %u: value=0x%lx qual=0x%lx rip=0x%lx\n",
			     exit_reason_name(e->basic), e->basic, v->index + 1, val, e->qual, v->at_exit.rip);
		gdb_stop(v, GDB_SIGTRAP, "", note, false);
		refresh_at_exit(v);
	}
}

/* ---- the command loop ---- */

static void cmd_supported(void)
{
	fmt_snprintf(G.out.buf, sizeof(G.out.buf), "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+",
		     GDB_PACKET_MAX - 32);
	send_str(G.out.buf);
}

static void cmd_threads(void)
{
	gdb_out_reset(&G.out);
	gdb_out_str(&G.out, "m");
	bool first = true;
	for (unsigned i = 0; i < g_hv.cpu_count; i++) {
		if (!thread_ok((int)i + 1))
			continue;
		if (!first)
			gdb_out_str(&G.out, ",");
		gdb_out_num(&G.out, i + 1);
		first = false;
	}
	send_out();
}

static void cmd_set_thread(struct vcpu *self, const struct gdb_cmd *cmd)
{
	unsigned cpu = self->index;
	if (cmd->thread > 0 && !thread_ok(cmd->thread)) {
		send_str("E02");
		return;
	}
	if (cmd->thread > 0)
		cpu = (unsigned)cmd->thread - 1;
	if (cmd->op == 'g')
		G.g_cpu = cpu;
	else
		G.c_cpu = cmd->thread > 0 ? cpu : self->index;
	send_str("OK");
}

static void cmd_regs(const struct gdb_cmd *cmd)
{
	struct gdb_cpu *c = &cpus[G.g_cpu];
	gdb_out_reset(&G.out);
	switch (cmd->kind) {
	case GDB_CMD_READ_REGS:
		gdb_regs_pack(&c->regs, &G.out);
		send_out();
		break;
	case GDB_CMD_WRITE_REGS:
		send_str(gdb_regs_unpack(&c->regs, cmd->data, cmd->data_len) ? "OK" : "E01");
		break;
	case GDB_CMD_READ_REG:
		if (gdb_reg_read(&c->regs, cmd->regno, &G.out))
			send_out();
		else
			send_str("E01");
		break;
	default:
		send_str(gdb_reg_write(&c->regs, cmd->regno, cmd->data, cmd->data_len) ? "OK" : "E01");
		break;
	}
}

static void detach_all(void)
{
	bp_remove_all();
	G.catch.on = false;
	G.step_cpu = -1;
	G.attached = false;
	G.mem_phys = false;
}

/* Resume: c/s (with an optional address for the Hc thread) and vCont. */
static void resume_set(struct vcpu *self, const struct gdb_cmd *cmd)
{
	unsigned cpu = G.c_cpu < g_hv.cpu_count ? G.c_cpu : self->index;
	G.step_cpu = -1;
	if (cmd->has_addr) {
		cpus[cpu].regs.val[GDB_REG_rip] = cmd->addr;
		cpus[cpu].regs.dirty |= 1ULL << GDB_REG_rip;
	}
	if (cmd->kind == GDB_CMD_STEP)
		G.step_cpu = (int)cpu;
	if (cmd->kind == GDB_CMD_VCONT && cmd->step_thread)
		G.step_cpu = cmd->step_thread > 0 && thread_ok(cmd->step_thread) ? cmd->step_thread - 1 : (int)self->index;
}

/* One packet; true when the guest resumes. */
static bool handle(struct vcpu *self, struct gdb_cmd *cmd)
{
	G.attached = true;
	switch (cmd->kind) {
	case GDB_CMD_HALT_REASON: send_str(G.stop_reply); break;
	case GDB_CMD_SUPPORTED: cmd_supported(); break;
	case GDB_CMD_XFER_FEATURES:
		gdb_out_reset(&G.out);
		if (gdb_target_xml_slice(cmd->data, cmd->addr, cmd->len, &G.out))
			send_out();
		else
			send_str("E00");
		break;
	case GDB_CMD_THREAD_FIRST: cmd_threads(); break;
	case GDB_CMD_THREAD_NEXT: send_str("l"); break;
	case GDB_CMD_CURRENT_THREAD:
		fmt_snprintf(G.out.buf, sizeof(G.out.buf), "QC%x", self->index + 1);
		send_str(G.out.buf);
		break;
	case GDB_CMD_ATTACHED: send_str("1"); break;
	case GDB_CMD_SET_THREAD: cmd_set_thread(self, cmd); break;
	case GDB_CMD_THREAD_ALIVE: send_str(thread_ok(cmd->thread) ? "OK" : "E01"); break;
	case GDB_CMD_READ_REGS: case GDB_CMD_WRITE_REGS: case GDB_CMD_READ_REG: case GDB_CMD_WRITE_REG:
		cmd_regs(cmd);
		break;
	case GDB_CMD_READ_MEM: cmd_read_mem(cmd); break;
	case GDB_CMD_WRITE_MEM: cmd_write_mem(cmd); break;
	case GDB_CMD_INSERT_BP: send_str(bp_insert(cmd)); break;
	case GDB_CMD_REMOVE_BP: send_str(bp_remove(cmd)); break;
	case GDB_CMD_MONITOR: cmd_monitor(self, cmd->data); break;
	case GDB_CMD_VCONT_QUERY: send_str("vCont;c;C;s;S"); break;
	case GDB_CMD_CONTINUE: case GDB_CMD_STEP: case GDB_CMD_VCONT:
		resume_set(self, cmd);
		return true;
	case GDB_CMD_DETACH:
		detach_all();
		send_str("OK");
		return true;
	case GDB_CMD_KILL: /* a machine is not a process: kill detaches, the guest runs on */
		detach_all();
		return true;
	case GDB_CMD_INVALID: send_str("E01"); break;
	default: send_str(""); break;
	}
	return false;
}

static void serve(struct vcpu *v, bool have_packet)
{
	for (;;) {
		if (!have_packet)
			wait_packet();
		have_packet = false;
		struct gdb_cmd cmd = gdb_cmd_parse(G.rx.buf, G.rx.len);
		if (handle(v, &cmd))
			break;
	}
	if (!G.attached)
		log_info("gdb: detached; the guest runs on");
}

/* ---- polling while the guest runs ---- */

static void poll_wire(struct vcpu *v)
{
	uint32_t zero = 0;
	bool intr = false, packet = false;
	if (!__atomic_compare_exchange_n(&G.wire_lock, &zero, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	uint8_t c;
	for (unsigned n = 0; n < 64 && !intr && !packet && gdb_hw_getc(&c); n++) {
		switch (gdb_rx_feed(&G.rx, c)) {
		case GDB_RX_INTR: intr = true; break;
		case GDB_RX_PACKET: packet = true; break;
		case GDB_RX_BAD: gdb_hw_write("-", 1); break;
		default: break;
		}
	}
	__atomic_store_n(&G.wire_lock, 0, __ATOMIC_RELEASE);
	if (packet) {
		gdb_hw_write("+", 1);
		if (!G.attached)
			log_info("gdb: debugger attached on cpu%u", v->apic_id);
		stop_reply_set(v, GDB_SIGTRAP, "");
		gdb_stop(v, GDB_SIGTRAP, "", NULL, true);
	} else if (intr) {
		gdb_stop(v, GDB_SIGINT, "", NULL, false);
	}
}

void exit_preemption_timer(struct vcpu *v, struct vmexit *e)
{
	(void)e;
	if (G.wait_at_launch && v->index == 0) {
		G.wait_at_launch = false;
		log_info("gdb: gdb_wait=on: the guest waits for a debugger on port 0x%x", g_hv.cfg.gdb_port);
		stop_reply_set(v, GDB_SIGTRAP, "");
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
	G.wait_at_launch = hv->cfg.gdb_wait;
	G.step_cpu = -1;
	gdb_rx_reset(&G.rx);
	g_gdb_port = hv->cfg.gdb_port;
	g_gdb_on = true;
	log_info("gdb: remote stub on port 0x%x%s; single step by %s, Ctrl-C by the VMX-preemption timer", hv->cfg.gdb_port,
		 G.wait_at_launch ? ", the guest waits for gdb at launch" : "",
		 gdb_hw_mtf_allowed() ? "the monitor trap flag" : "RFLAGS.TF and an intercepted #DB");
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
	gdb_hw_timer_set(G.wait_at_launch && v->index == 0 ? 0 : GDB_PERIOD_DETACHED);
}
