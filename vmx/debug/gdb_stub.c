/* vmxray's GDB remote stub, the protocol core (pure): see vmx/debug/gdb_stub.h. The
 * all-stop over vCPUs and the exit handlers are in gdb_stub_hw.c, the VMCS, UART and
 * EPT in gdb_hw.c; this file reaches them only through gdb_edge_*().
 *
 * Breakpoints leave guest memory as it is: an execute breakpoint (Z0 or Z1) takes the
 * execute permission off the page in the EPT, a watchpoint (Z2 write, Z3 read, Z4
 * access) the write or all permissions. A guest access to such a page that is not the
 * breakpoint's exits as an EPT violation; the stub gives the page back its permissions
 * for one single-stepped instruction, then guards it again ("step over"). Cost: every
 * other access to a guarded page takes two exits while a breakpoint is set there; the
 * page is open to every vCPU during that one instruction. */
#include "vmx/debug/gdb_stub.h"

#include "drivers/fmt.h"
#include "ept/ept.h"
#include "vmx/decode/exit_reasons.h"

#include <string.h>

#define GDB_PAGE 4096ULL

struct gdb_cpu gdb_cpus[GDB_CPUS_MAX];

static struct {
	bool attached;
	bool no_ack;               /* QStartNoAckMode: no '+'/'-' either way */
	struct gdb_rx rx;
	struct gdb_out out;
	char frame[2 * GDB_PACKET_MAX + 8];
	size_t frame_len;          /* the last reply, for a '-' */
	unsigned g_cpu, c_cpu;     /* Hg / Hc selection (vCPU index) */
	int step_cpu;              /* vCPU to step at resume, -1 none */
	char stop_reply[96];
	bool mem_phys;             /* m/M/X addresses are guest-physical */
	struct gdb_bp bp[GDB_BP_MAX];
	struct {
		bool on;
		uint32_t reason;
		bool has_value;
		uint64_t value;
	} catch;
} G;

static uint64_t page_of(uint64_t a)
{
	return a & ~(GDB_PAGE - 1);
}

void gdb_core_reset(void)
{
	memset(&G, 0, sizeof(G));
	memset(gdb_cpus, 0, sizeof(gdb_cpus));
	G.step_cpu = -1;
	gdb_rx_reset(&G.rx);
}

bool gdb_core_attached(void)
{
	return G.attached;
}

int gdb_core_step_cpu(void)
{
	return G.step_cpu;
}

void gdb_core_step_cpu_clear(void)
{
	G.step_cpu = -1;
}

void gdb_core_select(unsigned cpu)
{
	G.g_cpu = G.c_cpu = cpu;
}

/* ---- wire ---- */

static void send_packet(const char *data, size_t n)
{
	size_t f = gdb_frame(data, n, G.frame, sizeof(G.frame));
	if (!f) /* cannot happen: replies are bounded by GDB_PACKET_MAX */
		f = gdb_frame("E01", 3, G.frame, sizeof(G.frame));
	G.frame_len = f;
	gdb_edge_write(G.frame, f);
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

static void ack(char c)
{
	if (!G.no_ack)
		gdb_edge_write(&c, 1);
}

/* Console output for gdb ("O" + hex), e.g. for monitor commands. */
void gdb_core_send_console(const char *text)
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

void gdb_core_stop_reply_set(unsigned cpu, unsigned sig, const char *extra)
{
	fmt_snprintf(G.stop_reply, sizeof(G.stop_reply), "T%02xthread:%x;%s", sig, cpu + 1, extra);
}

void gdb_core_send_stop_reply(void)
{
	send_str(G.stop_reply);
}

/* Waits for the next whole packet; answers '-' for a broken one and resends the last
 * reply when gdb asks. Unbounded by design: the guest is stopped for the debugger. */
static void wait_packet(void)
{
	for (;;) {
		uint8_t c;
		if (!gdb_edge_getc(&c)) {
			gdb_edge_pause();
			continue;
		}
		switch (gdb_rx_feed(&G.rx, c)) {
		case GDB_RX_PACKET:
			ack('+');
			return;
		case GDB_RX_BAD:
			ack('-');
			break;
		case GDB_RX_NAK:
			if (G.frame_len && !G.no_ack)
				gdb_edge_write(G.frame, G.frame_len);
			break;
		default:
			break; /* acks, and Ctrl-C while already stopped */
		}
	}
}

enum gdb_poll gdb_core_poll(void)
{
	uint8_t c;
	for (unsigned n = 0; n < 64 && gdb_edge_getc(&c); n++) {
		switch (gdb_rx_feed(&G.rx, c)) {
		case GDB_RX_INTR: return GDB_POLL_INTR;
		case GDB_RX_PACKET: ack('+'); return GDB_POLL_PACKET;
		case GDB_RX_BAD: ack('-'); break;
		default: break;
		}
	}
	return GDB_POLL_NONE;
}

/* ---- threads ---- */

static bool thread_ok(int t)
{
	return t > 0 && (unsigned)t <= gdb_edge_cpu_count() && gdb_edge_cpu_alive((unsigned)t - 1);
}

/* ---- memory ---- */

/* The guest-physical address of addr for vCPU c: identity with "monitor mem phys",
 * else the vCPU's page tables (the walker reads them through the edge). */
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

size_t gdb_core_mem_copy(unsigned cpu, uint64_t addr, uint8_t *buf, size_t n, bool write)
{
	const struct gdb_cpu *c = &gdb_cpus[cpu];
	size_t done = 0;
	while (done < n) {
		uint64_t gpa;
		size_t chunk = GDB_PAGE - ((addr + done) & (GDB_PAGE - 1));
		if (chunk > n - done)
			chunk = n - done;
		if (!mem_translate(c, addr + done, &gpa))
			break;
		if (chunk > GDB_PAGE - (gpa & (GDB_PAGE - 1)))
			chunk = GDB_PAGE - (gpa & (GDB_PAGE - 1));
		volatile uint8_t *h = gdb_edge_gpa(gpa);
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
	size_t n = gdb_core_mem_copy(G.g_cpu, cmd->addr, buf, (size_t)cmd->len, false);
	if (!n && cmd->len) {
		send_str("E14");
		return;
	}
	gdb_out_reset(&G.out);
	gdb_out_hex(&G.out, buf, n);
	send_out();
}

/* M (hex) and X (binary, escaped): the whole write or an error; "X addr,0:" is gdb's
 * probe for X support. */
static void cmd_write_mem(const struct gdb_cmd *cmd)
{
	static uint8_t buf[GDB_MEM_MAX];
	if (cmd->kind == GDB_CMD_WRITE_MEM_BIN) {
		if (gdb_unescape_binary(cmd->data, cmd->data_len, buf, sizeof(buf)) != (long)cmd->len) {
			send_str("E01");
			return;
		}
	} else if (!gdb_hex_decode(cmd->data, cmd->data_len, buf)) {
		send_str("E01");
		return;
	}
	size_t n = gdb_core_mem_copy(G.g_cpu, cmd->addr, buf, (size_t)cmd->len, true);
	send_str(n == cmd->len ? "OK" : "E14");
}

/* ---- breakpoints and watchpoints ---- */

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

unsigned gdb_core_page_perms(uint64_t page)
{
	unsigned perms = gdb_edge_ept_normal(page);
	for (unsigned i = 0; i < GDB_BP_MAX; i++) {
		const struct gdb_bp *b = &G.bp[i];
		if (!b->used || page_of(b->gpa) != page)
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

bool gdb_core_page_guarded(uint64_t page)
{
	for (unsigned i = 0; i < GDB_BP_MAX; i++)
		if (G.bp[i].used && page_of(G.bp[i].gpa) == page)
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
	if (cmd->len == 0 || cmd->len > 8 || (cmd->type >= 2 && ((cmd->addr & (GDB_PAGE - 1)) + cmd->len > GDB_PAGE)))
		return "E22";
	if (bp_find(cmd->type, cmd->addr) >= 0)
		return "OK";
	if (!mem_translate(&gdb_cpus[G.g_cpu], cmd->addr, &gpa))
		return "E14";
	uint64_t page = page_of(gpa);
	if (gdb_edge_page_unguardable(page))
		return "E13";
	for (unsigned i = 0; i < GDB_BP_MAX && slot < 0; i++)
		if (!G.bp[i].used)
			slot = (int)i;
	if (slot < 0)
		return "E28"; /* no space: gdb says so */
	G.bp[slot] = (struct gdb_bp){ true, cmd->type, cmd->addr, cmd->len, gpa };
	if (!gdb_edge_ept_set(page, gdb_core_page_perms(page))) {
		G.bp[slot].used = false;
		return "E12";
	}
	return "OK";
}

static void bp_drop(unsigned i)
{
	uint64_t page = page_of(G.bp[i].gpa);
	G.bp[i].used = false;
	gdb_edge_ept_set(page, gdb_core_page_perms(page));
}

static const char *bp_remove(const struct gdb_cmd *cmd)
{
	int i = bp_find(cmd->type, cmd->addr);
	if (i >= 0)
		bp_drop((unsigned)i);
	return "OK";
}

static void bp_remove_all(void)
{
	for (unsigned i = 0; i < GDB_BP_MAX; i++)
		if (G.bp[i].used)
			bp_drop(i);
}

/* The watchpoint a data access at gpa (up to 8 bytes) hits, -1 none. */
static int watch_hit(uint64_t gpa, bool write, bool read)
{
	for (unsigned i = 0; i < GDB_BP_MAX; i++) {
		const struct gdb_bp *b = &G.bp[i];
		if (!b->used || b->type < 2 || !ranges_overlap(gpa, 8, b->gpa, b->len))
			continue;
		if ((b->type == 2 && write) || (b->type == 3 && read) || (b->type == 4 && (read || write)))
			return (int)i;
	}
	return -1;
}

enum gdb_ept_verdict gdb_core_ept_access(unsigned cpu, bool fetch, bool read, bool write, uint64_t rip,
					 uint64_t gpa, const char **extra)
{
	uint64_t page = page_of(gpa);
	struct gdb_cpu *c = &gdb_cpus[cpu];
	if (!gdb_core_page_guarded(page))
		return GDB_EPT_NOT_OURS;
	int b = fetch ? bp_find(0, rip) : -1;
	if (fetch && b < 0)
		b = bp_find(1, rip);
	if (b >= 0 && !c->step_over) {
		*extra = G.bp[b].type ? "hwbreak:;" : "swbreak:;";
		return GDB_EPT_STOP;
	}
	/* Any other access to a guarded page: one instruction with the page open. The same
	 * instruction may touch a second guarded page (MOVS, a page-crossing access): both
	 * stay open for it. */
	int hit = fetch ? -1 : watch_hit(gpa, write, read);
	if (!c->step_over) {
		c->over_pages = 0;
		c->over_hit = -1;
	}
	if (hit >= 0)
		c->over_hit = hit;
	if (c->over_pages < 2)
		c->over_page[c->over_pages++] = page;
	c->step_over = true;
	gdb_edge_ept_set(page, gdb_edge_ept_normal(page));
	return GDB_EPT_STEP_OVER;
}

bool gdb_core_step_finished(unsigned cpu, char *extra, size_t cap)
{
	struct gdb_cpu *c = &gdb_cpus[cpu];
	bool user_step = !c->step_over;
	extra[0] = '\0';
	if (c->step_over) {
		c->step_over = false;
		for (unsigned i = 0; i < c->over_pages; i++)
			gdb_edge_ept_set(c->over_page[i], gdb_core_page_perms(c->over_page[i]));
		c->over_pages = 0;
		if (c->over_hit >= 0) {
			const struct gdb_bp *b = &G.bp[c->over_hit];
			c->over_hit = -1;
			fmt_snprintf(extra, cap, "%s:%lx;", b->type == 2 ? "watch" : b->type == 3 ? "rwatch" : "awatch",
				     b->addr);
			return true;
		}
	}
	if (user_step || G.step_cpu == (int)cpu) {
		G.step_cpu = -1;
		return true;
	}
	return false;
}

/* ---- monitor commands ---- */

static void emit_console(const char *line)
{
	char buf[256];
	fmt_snprintf(buf, sizeof(buf), "%s\n", line);
	gdb_core_send_console(buf);
}

static void mon_ept(const char *arg)
{
	uint64_t addr, gpa;
	const char *e;
	if (arg[0] == '0' && arg[1] == 'x')
		arg += 2;
	if (!gdb_parse_hex(arg, &e, &addr) || *e) {
		gdb_core_send_console("usage: monitor ept ADDRESS (hex; guest-virtual, or guest-physical after 'monitor mem phys')\n");
		return;
	}
	if (!mem_translate(&gdb_cpus[G.g_cpu], addr, &gpa)) {
		gdb_core_send_console("the address does not translate in this vCPU's page tables\n");
		return;
	}
	gdb_edge_mon_ept(addr, gpa, emit_console);
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
		gdb_core_send_console("catchpoint off\n");
		return;
	}
	for (unsigned i = 0; i < sizeof(ALIASES) / sizeof(ALIASES[0]); i++)
		if (strlen(ALIASES[i].alias) == n && !memcmp(arg, ALIASES[i].alias, n))
			r = ALIASES[i].reason;
	if (r == EXIT_REASON_MAX && !exit_reason_from_short(arg, n, &r)) {
		gdb_core_send_console("usage: monitor catch cpuid|msr|io|cr|REASON [value] | off\n");
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
	fmt_snprintf(line, sizeof(line), "catchpoint: next %s exit%s\n", exit_reason_name(r),
		     G.catch.has_value ? " with that value" : "");
	gdb_core_send_console(line);
}

static void mon_mem(bool phys)
{
	G.mem_phys = phys;
	gdb_core_send_console(phys ? "m/M/X addresses are guest-physical\n" : "m/M/X addresses are guest-virtual\n");
}

static void cmd_monitor(unsigned self, const char *text)
{
	if (!strcmp(text, "vmcs"))
		gdb_edge_mon_vmcs(self, G.g_cpu, emit_console);
	else if (!strcmp(text, "stats"))
		gdb_edge_mon_stats(emit_console);
	else if (!strncmp(text, "ept ", 4))
		mon_ept(text + 4);
	else if (!strncmp(text, "catch ", 6))
		mon_catch(text + 6);
	else if (!strcmp(text, "mem phys") || !strcmp(text, "phys on"))
		mon_mem(true);
	else if (!strcmp(text, "mem virt") || !strcmp(text, "phys off"))
		mon_mem(false);
	else
		gdb_core_send_console("vmxray monitor commands: vmcs, stats, ept ADDR, catch cpuid|msr|io|cr|REASON "
				      "[value], catch off, mem phys|virt (or phys on|off)\n");
	send_str("OK");
}

/* ---- catchpoints ---- */

bool gdb_core_catch_armed(void)
{
	return G.catch.on;
}

/* The value a caught exit is filtered on: CPUID leaf, MSR, I/O port, control register
 * (SDM Vol. 3C, 28.2.1 "Basic VM-Exit Information": the I/O port in bits 31:16 of the
 * qualification, the control register number in bits 3:0). */
bool gdb_core_catch_take(const struct gdb_exit_info *e, uint64_t *val)
{
	uint32_t want = G.catch.reason;
	bool msr = want == EXIT_REASON_MSR_READ && (e->basic == EXIT_REASON_MSR_READ || e->basic == EXIT_REASON_MSR_WRITE);
	if (!G.catch.on || (e->basic != want && !msr))
		return false;
	switch (e->basic) {
	case EXIT_REASON_CPUID: *val = (uint32_t)e->rax; break;
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE: *val = (uint32_t)e->rcx; break;
	case EXIT_REASON_IO_INSTRUCTION: *val = (e->qual >> 16) & 0xFFFF; break;
	case EXIT_REASON_CR_ACCESS: *val = e->qual & 0xF; break;
	default: *val = 0; break;
	}
	if (G.catch.has_value && *val != G.catch.value)
		return false;
	G.catch.on = false;
	return true;
}

/* ---- the command loop ---- */

static void cmd_supported(void)
{
	fmt_snprintf(G.out.buf, sizeof(G.out.buf),
		     "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;QStartNoAckMode+",
		     GDB_PACKET_MAX - 32);
	send_str(G.out.buf);
}

static void cmd_threads(void)
{
	gdb_out_reset(&G.out);
	gdb_out_str(&G.out, "m");
	bool first = true;
	for (unsigned i = 0; i < gdb_edge_cpu_count(); i++) {
		if (!thread_ok((int)i + 1))
			continue;
		if (!first)
			gdb_out_str(&G.out, ",");
		gdb_out_num(&G.out, i + 1);
		first = false;
	}
	send_out();
}

static void cmd_set_thread(unsigned self, const struct gdb_cmd *cmd)
{
	unsigned cpu = self;
	if (cmd->thread > 0 && !thread_ok(cmd->thread)) {
		send_str("E02");
		return;
	}
	if (cmd->thread > 0)
		cpu = (unsigned)cmd->thread - 1;
	if (cmd->op == 'g')
		G.g_cpu = cpu;
	else
		G.c_cpu = cpu;
	send_str("OK");
}

static void cmd_regs(const struct gdb_cmd *cmd)
{
	struct gdb_cpu *c = &gdb_cpus[G.g_cpu];
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
	G.no_ack = false; /* the next gdb starts with acknowledgements */
}

/* Resume: c/s (with an optional address for the Hc thread) and vCont. */
static void resume_set(unsigned self, const struct gdb_cmd *cmd)
{
	unsigned cpu = thread_ok((int)G.c_cpu + 1) ? G.c_cpu : self;
	G.step_cpu = -1;
	if (cmd->has_addr) {
		gdb_cpus[cpu].regs.val[GDB_REG_rip] = cmd->addr;
		gdb_cpus[cpu].regs.dirty |= 1ULL << GDB_REG_rip;
	}
	if (cmd->kind == GDB_CMD_STEP)
		G.step_cpu = (int)cpu;
	if (cmd->kind == GDB_CMD_VCONT && cmd->step_thread)
		G.step_cpu = cmd->step_thread > 0 && thread_ok(cmd->step_thread) ? cmd->step_thread - 1 : (int)self;
}

static void cmd_xfer(const struct gdb_cmd *cmd)
{
	gdb_out_reset(&G.out);
	if (gdb_target_xml_slice(cmd->data, cmd->addr, cmd->len, &G.out))
		send_out();
	else
		send_str("E00");
}

static void cmd_current_thread(unsigned self)
{
	fmt_snprintf(G.out.buf, sizeof(G.out.buf), "QC%x", self + 1);
	send_str(G.out.buf);
}

/* Packets that resume or end the session; true when the guest resumes. */
static bool handle_resume(unsigned self, const struct gdb_cmd *cmd)
{
	switch (cmd->kind) {
	case GDB_CMD_DETACH:
		send_str("OK");
		detach_all();
		return true;
	case GDB_CMD_KILL: /* a machine is not a process: kill detaches, the guest runs on */
		detach_all();
		return true;
	default:
		resume_set(self, cmd);
		return true;
	}
}

bool gdb_core_handle(unsigned self, struct gdb_cmd *cmd)
{
	G.attached = true;
	switch (cmd->kind) {
	case GDB_CMD_HALT_REASON: send_str(G.stop_reply); break;
	case GDB_CMD_SUPPORTED: cmd_supported(); break;
	case GDB_CMD_NO_ACK:
		send_str("OK"); /* acknowledged as usual; no acks after it (GDB manual, "Packet Acknowledgment") */
		G.no_ack = true;
		break;
	case GDB_CMD_XFER_FEATURES: cmd_xfer(cmd); break;
	case GDB_CMD_THREAD_FIRST: cmd_threads(); break;
	case GDB_CMD_THREAD_NEXT: send_str("l"); break;
	case GDB_CMD_CURRENT_THREAD: cmd_current_thread(self); break;
	case GDB_CMD_ATTACHED: send_str("1"); break;
	case GDB_CMD_SET_THREAD: cmd_set_thread(self, cmd); break;
	case GDB_CMD_THREAD_ALIVE: send_str(thread_ok(cmd->thread) ? "OK" : "E01"); break;
	case GDB_CMD_READ_REGS: case GDB_CMD_WRITE_REGS: case GDB_CMD_READ_REG: case GDB_CMD_WRITE_REG:
		cmd_regs(cmd);
		break;
	case GDB_CMD_READ_MEM: cmd_read_mem(cmd); break;
	case GDB_CMD_WRITE_MEM: case GDB_CMD_WRITE_MEM_BIN: cmd_write_mem(cmd); break;
	case GDB_CMD_INSERT_BP: send_str(bp_insert(cmd)); break;
	case GDB_CMD_REMOVE_BP: send_str(bp_remove(cmd)); break;
	case GDB_CMD_MONITOR: cmd_monitor(self, cmd->data); break;
	case GDB_CMD_VCONT_QUERY: send_str("vCont;c;C;s;S"); break;
	case GDB_CMD_CONTINUE: case GDB_CMD_STEP: case GDB_CMD_VCONT: case GDB_CMD_DETACH: case GDB_CMD_KILL:
		return handle_resume(self, cmd);
	case GDB_CMD_INVALID: send_str("E01"); break;
	default: send_str(""); break;
	}
	return false;
}

bool gdb_core_handle_received(unsigned self)
{
	struct gdb_cmd cmd = gdb_cmd_parse(G.rx.buf, G.rx.len);
	return gdb_core_handle(self, &cmd);
}

void gdb_core_serve(unsigned self, bool have_packet)
{
	for (;;) {
		if (!have_packet)
			wait_packet();
		have_packet = false;
		if (gdb_core_handle_received(self))
			break;
	}
	if (!G.attached)
		gdb_edge_detached();
}
