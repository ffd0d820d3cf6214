/* Unit tests: vmx/debug/gdb_stub.c, the GDB stub's protocol core, against the fake edge
 * of tests/unit/gdb_fake.c (a scripted wire, two vCPUs, 16 pages of guest memory with
 * vmxray's own pages among them), and the register state conversion of
 * vmx/debug/gdb_regs.c per guest mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "ept/ept.h"
#include "tests/unit/gdb_fake.h"
#include "vmx/decode/exit_reasons.h"
#include "vmx/debug/gdb_stub.h"

/* ---- helpers ---- */

static size_t mkframe(char *out, const void *data, size_t n)
{
	uint8_t sum = 0;
	out[0] = '$';
	memcpy(out + 1, data, n);
	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + ((const uint8_t *)data)[i]);
	return 1 + n + (size_t)sprintf(out + 1 + n, "#%02x", sum);
}

/* One packet through the parser and the core, as the stub would on the wire. Returns
 * whether the guest resumes. */
static bool handle_n(unsigned self, const char *pkt, size_t n)
{
	static char buf[GDB_PACKET_MAX + 1];
	memcpy(buf, pkt, n);
	buf[n] = '\0';
	fake.out_len = 0;
	fake.out[0] = '\0';
	struct gdb_cmd c = gdb_cmd_parse(buf, n);
	return gdb_core_handle(self, &c);
}

static bool handle(const char *pkt)
{
	return handle_n(0, pkt, strlen(pkt));
}

/* The data of the last packet the stub sent (between its last '$' and '#'). */
static const char *last_reply(void)
{
	static char r[sizeof(fake.out)];
	const char *d = strrchr(fake.out, '$');
	assert_non_null(d);
	const char *h = strchr(d, '#');
	assert_non_null(h);
	memcpy(r, d + 1, (size_t)(h - d - 1));
	r[h - d - 1] = '\0';
	return r;
}

static const char *reply(const char *pkt)
{
	handle(pkt);
	return last_reply();
}

/* Every console ("O" + hex) packet the stub sent, decoded and joined. */
static const char *console_text(void)
{
	static char t[sizeof(fake.out)];
	size_t n = 0;
	for (const char *p = fake.out; (p = strstr(p, "$O")) != NULL; p++) {
		const char *h = strchr(p, '#');
		for (const char *q = p + 2; q + 1 < h; q += 2) {
			unsigned b;
			sscanf(q, "%2x", &b);
			t[n++] = (char)b;
		}
	}
	t[n] = '\0';
	return t;
}

static int setup(void **state)
{
	(void)state;
	fake_reset();
	return 0;
}

/* A guest in 64-bit mode as gdb should see it. */
static struct gdb_guest_state long_mode_state(void)
{
	struct gdb_guest_state s = { 0 };
	for (unsigned i = 0; i < 16; i++)
		s.gpr[i] = 0x1111111111111111ULL * (i + 1) + i;
	s.rip = 0xffffffff81000000ULL;
	s.rflags = 0x246;
	s.sel[GDB_SEG_CS] = 0x10;
	s.sel[GDB_SEG_SS] = 0x18;
	s.fs_base = 0x7f0000001000ULL;
	s.gs_base = 0xffff888000000000ULL;
	s.cr0 = 0x80050033;         /* real CR0: NE host-owned and set */
	s.cr0_mask = 0x20;          /* NE */
	s.cr0_shadow = 0;           /* the guest believes NE clear */
	s.cr4 = 0x2020 | 0x6f0;     /* VMXE (host-owned) and the guest's bits */
	s.cr4_mask = 0x2000;
	s.cr4_shadow = 0;
	s.cr2 = 0xdead000;
	s.cr3 = 0x1000;
	s.efer = 0xd01;
	return s;
}

/* ---- registers per guest mode ---- */

static void test_regs_long_mode_layout(void **state)
{
	(void)state;
	struct gdb_guest_state s = long_mode_state();
	gdb_regs_from_guest(&s, false, false, &gdb_cpus[0].regs);
	const char *g = reply("g");
	/* rax first, 8 bytes little-endian; rip at register 16; eflags 4 bytes */
	assert_memory_equal(g, "1111111111111111", 16);
	assert_memory_equal(g + 16 * 16, "00000081ffffffff", 16);
	assert_memory_equal(g + 17 * 16, "46020000", 8);
	assert_memory_equal(g + 17 * 16 + 8, "10000000", 8);              /* cs */
	assert_memory_equal(g + 17 * 16 + 16, "18000000", 8);             /* ss */
	assert_memory_equal(g + 17 * 16 + 8 + 6 * 8, "xxxxxxxxxxxxxxxxxxxx", 20); /* st0: unavailable */
	assert_string_equal(reply("p18"), "xxxxxxxxxxxxxxxxxxxx");
	assert_string_equal(reply("p0"), "1111111111111111");
	assert_string_equal(reply("p3"), "4744444444444444");            /* rdx: gpr[3] */
	/* CR0/CR4 as the guest reads them: host-owned NE and VMXE from the read shadows */
	char cr0[17], cr4[17];
	snprintf(cr0, sizeof(cr0), "%s", reply("p3b"));
	snprintf(cr4, sizeof(cr4), "%s", reply("p3e"));
	assert_string_equal(cr0, "1300058000000000"); /* 0x80050013 */
	assert_string_equal(cr4, "f006000000000000"); /* 0x6f0 */
	assert_string_equal(reply("p3f"), "010d000000000000"); /* efer */
	assert_string_equal(reply("p3a"), "000000008088ffff"); /* gs_base */
	assert_string_equal(reply("p40"), "E01");              /* past the last register */
}

static void test_regs_real_mode(void **state)
{
	(void)state;
	struct gdb_guest_state s = { 0 };
	s.rip = 0xfff0;
	s.rflags = 0x2;
	s.sel[GDB_SEG_CS] = 0xf000;
	s.cr0 = 0x60000010;
	s.gpr[0] = 0x1234; /* AX */
	gdb_regs_from_guest(&s, false, false, &gdb_cpus[0].regs);
	/* one layout in every mode: the upper halves are zero, RIP is the offset in CS */
	assert_string_equal(reply("p10"), "f0ff000000000000");
	assert_string_equal(reply("p12"), "00f00000");
	assert_string_equal(reply("p0"), "3412000000000000");
	assert_string_equal(reply("p3b"), "1000006000000000");
	assert_string_equal(reply("p3f"), "0000000000000000");
}

static void test_regs_protected_mode_and_tf_hidden(void **state)
{
	(void)state;
	struct gdb_guest_state s = { 0 };
	s.rip = 0x7c00;
	s.rflags = 0x302;          /* TF (the stub's step) and IF */
	s.sel[GDB_SEG_CS] = 0x08;
	s.cr0 = 0x11;
	gdb_regs_from_guest(&s, true, false, &gdb_cpus[0].regs);
	assert_string_equal(reply("p11"), "02020000"); /* TF hidden */
	gdb_regs_from_guest(&s, true, true, &gdb_cpus[0].regs);
	assert_string_equal(reply("p11"), "02030000"); /* the guest's own TF shown */
	gdb_regs_from_guest(&s, false, false, &gdb_cpus[0].regs);
	assert_string_equal(reply("p11"), "02030000"); /* not stepping: as it is */
}

static void test_regs_write_back(void **state)
{
	(void)state;
	struct gdb_guest_state s = long_mode_state();
	struct gdb_cpu *c = &gdb_cpus[0];
	bool guest_tf = false;
	gdb_regs_from_guest(&s, true, false, &c->regs);
	assert_string_equal(reply("P0=0700000000000000"), "OK");
	assert_string_equal(reply("P3b=1300008000000000"), "OK");  /* CR0 = 0x80000013, NE clear */
	assert_string_equal(reply("P11=00030000"), "OK");          /* RFLAGS with TF, no bit 1 */
	assert_string_equal(reply("P0=07"), "E01");                /* short value */
	assert_true(c->regs.dirty & (1ULL << GDB_REG_rax));
	assert_true(c->regs.dirty & (1ULL << GDB_REG_cr0));
	assert_false(c->regs.dirty & (1ULL << GDB_REG_rbx));
	gdb_regs_to_guest(&c->regs, &s, true, &guest_tf);
	assert_int_equal(s.gpr[0], 7);
	assert_int_equal(s.gpr[1], 0x2222222222222223ULL);  /* untouched */
	assert_int_equal(s.cr0_shadow, 0x80000013);         /* the guest's value, whole */
	assert_int_equal(s.cr0, 0x80000033);                /* host-owned NE kept set */
	assert_int_equal(s.rflags, 0x302);                  /* bit 1 forced, TF stays the stub's */
	assert_true(guest_tf);                              /* gdb's TF became the guest's */
}

static void test_regs_G_packet(void **state)
{
	(void)state;
	struct gdb_guest_state s = long_mode_state();
	gdb_regs_from_guest(&s, false, false, &gdb_cpus[0].regs);
	char g[GDB_PACKET_MAX + 2] = "G";
	strcat(g, reply("g"));
	memcpy(g + 1, "0500000000000000", 16); /* rax = 5, everything else as read */
	assert_string_equal(reply(g), "OK");
	assert_int_equal(gdb_cpus[0].regs.dirty, 1ULL << GDB_REG_rax);
	g[strlen(g) - 1] = '\0';
	assert_string_equal(reply(g), "E01"); /* one digit short */
}

/* ---- memory ---- */

/* 4-level tables at 0x1000 (PML4), 0x2000 (PDPT), 0x3000 (PD), 0x4000 (PT): virtual
 * 0x400000 -> 0x5000, 0x401000 -> 0x6000 (vmxray's), 0x402000 not present. */
static void map_pages(void)
{
	uint64_t e;
	e = 0x2003; memcpy(fake.mem + 0x1000, &e, 8);
	e = 0x3003; memcpy(fake.mem + 0x2000, &e, 8);
	e = 0x4003; memcpy(fake.mem + 0x3000 + 2 * 8, &e, 8); /* PD[2]: 0x400000 */
	e = 0x5003; memcpy(fake.mem + 0x4000, &e, 8);
	e = 0x6003; memcpy(fake.mem + 0x4000 + 8, &e, 8);
	fake_paging(0, true, 0x1000);
	fake.owned[6] = true;
	memcpy(fake.mem + 0x5000, "\x55\x48\x89\xe5", 4);
	memcpy(fake.mem + 0x6000, "SECRET", 6);
}

static void test_mem_virtual_read(void **state)
{
	(void)state;
	map_pages();
	assert_string_equal(reply("m400000,4"), "554889e5");
	assert_string_equal(reply("m402000,4"), "E14");  /* not present */
	assert_string_equal(reply("m401000,6"), "E14");  /* vmxray's page */
	/* a read running into vmxray's page: the prefix before it */
	memcpy(fake.mem + 0x5ffe, "\xaa\xbb", 2);
	assert_string_equal(reply("m400ffe,8"), "aabb");
	assert_string_equal(reply("m400000,0"), "");
	assert_string_equal(reply("m0,fffffff"), "E01"); /* longer than a packet carries */
}

static void test_mem_physical_view(void **state)
{
	(void)state;
	map_pages();
	assert_string_equal(reply("m5000,2"), "E14"); /* 0x5000 is no mapped virtual address */
	reply("qRcmd,7068797320 6f6e"); /* malformed hex: E01 */
	assert_string_equal(last_reply(), "E01");
	handle("qRcmd,70687973206f6e"); /* "phys on" */
	assert_string_equal(last_reply(), "OK");
	assert_non_null(strstr(console_text(), "guest-physical"));
	assert_string_equal(reply("m5000,2"), "5548");
	assert_string_equal(reply("m6000,6"), "E14");   /* vmxray's, physically too */
	assert_string_equal(reply("m100000,1"), "E14"); /* beyond memory */
	handle("qRcmd,6d656d2076697274"); /* "mem virt" */
	assert_string_equal(reply("m400000,2"), "5548");
}

static void test_mem_write_M_and_X(void **state)
{
	(void)state;
	map_pages();
	assert_string_equal(reply("M400010,3:010203"), "OK");
	assert_memory_equal(fake.mem + 0x5010, "\x01\x02\x03", 3);
	assert_string_equal(reply("M400010,3:0102"), "E01");  /* length and data disagree */
	assert_string_equal(reply("M400010,1:zz"), "E01");
	/* X: binary, '}' escapes the next byte (xor 0x20); a NUL is data */
	static const char x[] = "X400020,5:a}\x03}]\x00z";
	assert_true(handle_n(0, x, sizeof(x) - 1) == false);
	assert_string_equal(last_reply(), "OK");
	assert_memory_equal(fake.mem + 0x5020, "a#}\0z", 5);
	assert_string_equal(reply("X400020,0:"), "OK");        /* gdb's probe for X */
	assert_string_equal(reply("X400020,2:a"), "E01");      /* fewer bytes than it says */
	static const char dangling[] = "X400020,1:}";
	handle_n(0, dangling, sizeof(dangling) - 1);
	assert_string_equal(last_reply(), "E01");
	/* vmxray's page takes no write, by either packet, virtually or physically */
	assert_string_equal(reply("X401000,2:hi"), "E14");
	assert_string_equal(reply("M401000,2:6869"), "E14");
	handle("qRcmd,70687973206f6e");
	assert_string_equal(reply("X6000,2:hi"), "E14");
	assert_memory_equal(fake.mem + 0x6000, "SECRET", 6);
}

/* ---- breakpoints and watchpoints ---- */

static void test_breakpoints_ept_bookkeeping(void **state)
{
	(void)state;
	map_pages();
	assert_string_equal(reply("Z0,400004,1"), "OK");
	assert_int_equal(fake.ept[5], EPT_READ | EPT_WRITE);          /* execute off */
	assert_string_equal(reply("Z2,400100,8"), "OK");
	assert_int_equal(fake.ept[5], EPT_READ);                      /* and write off */
	assert_string_equal(reply("Z0,400004,1"), "OK");              /* twice: one entry */
	assert_string_equal(reply("z0,400004,1"), "OK");
	assert_int_equal(fake.ept[5], EPT_READ | EPT_EXECUTE);        /* the watchpoint stays */
	assert_string_equal(reply("Z3,400200,4"), "OK");
	assert_int_equal(fake.ept[5], 0);                             /* reads: not present */
	assert_string_equal(reply("z2,400100,8"), "OK");
	assert_string_equal(reply("z3,400200,4"), "OK");
	assert_int_equal(fake.ept[5], EPT_RWX);
	assert_false(gdb_core_page_guarded(0x5000));
	assert_string_equal(reply("z0,400004,1"), "OK"); /* not set: fine */
}

static void test_breakpoints_refused(void **state)
{
	(void)state;
	map_pages();
	assert_string_equal(reply("Z0,401000,1"), "E13");  /* vmxray's page */
	assert_string_equal(reply("Z0,402000,1"), "E14");  /* not mapped */
	assert_string_equal(reply("Z2,400000,0"), "E22");  /* no length */
	assert_string_equal(reply("Z2,400ffc,8"), "E22");  /* across a page */
	assert_string_equal(reply("Z9,400000,1"), "E01");
	assert_string_equal(reply("Z0,400000,1;X1,ab"), ""); /* conditions: not supported */
	handle("qRcmd,70687973206f6e");
	assert_string_equal(reply("Z0,f000,1"), "E13");    /* the intercepted APIC page */
	char z[32];
	for (unsigned i = 0; i < GDB_BP_MAX; i++) {
		snprintf(z, sizeof(z), "Z1,%x,1", 0x5000 + i);
		assert_string_equal(reply(z), "OK");
	}
	assert_string_equal(reply("Z1,5100,1"), "E28");    /* full */
	assert_true(handle("D"));
	assert_string_equal(last_reply(), "OK");
	assert_int_equal(fake.ept[5], EPT_RWX);            /* detach removes them all */
	assert_false(gdb_core_attached());
}

static void test_watchpoint_step_over(void **state)
{
	(void)state;
	const char *extra = NULL;
	char stop[48];
	map_pages();
	assert_string_equal(reply("Z2,400100,8"), "OK");
	assert_string_equal(reply("Z0,400004,1"), "OK");
	/* a read of the watched page (the write watchpoint does not fire) */
	assert_int_equal(gdb_core_ept_access(0, false, true, false, 0x400000, 0x5200, &extra), GDB_EPT_STEP_OVER);
	assert_int_equal(fake.ept[5], EPT_RWX);       /* open for the one instruction */
	assert_false(gdb_core_step_finished(0, stop, sizeof(stop)));
	assert_int_equal(fake.ept[5], EPT_READ);      /* guarded again, no stop */
	/* a write to the watched bytes: the guest stops after the instruction */
	assert_int_equal(gdb_core_ept_access(0, false, false, true, 0x400000, 0x5104, &extra), GDB_EPT_STEP_OVER);
	assert_true(gdb_core_step_finished(0, stop, sizeof(stop)));
	assert_string_equal(stop, "watch:400100;");
	assert_int_equal(fake.ept[5], EPT_READ);
	/* fetching the breakpoint's instruction stops; another fetch on the page steps over */
	assert_int_equal(gdb_core_ept_access(0, true, false, false, 0x400004, 0x5004, &extra), GDB_EPT_STOP);
	assert_string_equal(extra, "swbreak:;");
	assert_int_equal(gdb_core_ept_access(0, true, false, false, 0x400008, 0x5008, &extra), GDB_EPT_STEP_OVER);
	assert_false(gdb_core_step_finished(0, stop, sizeof(stop)));
	assert_int_equal(gdb_core_ept_access(0, false, false, false, 0, 0x9000, &extra), GDB_EPT_NOT_OURS);
}

static void test_user_step_stops(void **state)
{
	(void)state;
	char stop[48];
	assert_true(handle("vCont;s:2;c"));
	assert_int_equal(gdb_core_step_cpu(), 1);
	assert_true(gdb_core_step_finished(1, stop, sizeof(stop)));
	assert_string_equal(stop, "");
	assert_int_equal(gdb_core_step_cpu(), -1);
	assert_true(handle("Hc2") == false);
	assert_true(handle("s"));
	assert_int_equal(gdb_core_step_cpu(), 1);
	assert_true(handle("c"));
	assert_int_equal(gdb_core_step_cpu(), -1);
	assert_true(handle("c400000"));                 /* continue at an address */
	assert_int_equal(gdb_cpus[1].regs.val[GDB_REG_rip], 0x400000);
	assert_true(gdb_cpus[1].regs.dirty & (1ULL << GDB_REG_rip));
}

/* ---- threads, queries, malformed packets ---- */

static void test_threads(void **state)
{
	(void)state;
	fake.cpus = 3;
	fake.alive[2] = true;
	fake.alive[1] = false; /* not launched yet (waits for SIPI) */
	assert_string_equal(reply("qfThreadInfo"), "m1,3");
	assert_string_equal(reply("qsThreadInfo"), "l");
	assert_string_equal(reply("Hg2"), "E02");
	assert_string_equal(reply("T2"), "E01");
	assert_string_equal(reply("T3"), "OK");
	gdb_cpus[2].regs.val[GDB_REG_rax] = 0x42;
	assert_string_equal(reply("Hg3"), "OK");
	assert_string_equal(reply("p0"), "4200000000000000");
	assert_string_equal(reply("Hg0"), "OK"); /* any: the one that stopped */
	assert_string_equal(reply("p0"), "0000000000000000");
	assert_string_equal(reply("qC"), "QC1");
	assert_string_equal(reply("qAttached"), "1");
	assert_string_equal(reply("Hx1"), "E01");
}

static void test_queries_and_malformed(void **state)
{
	(void)state;
	const char *s = reply("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;xmlRegisters=i386");
	assert_non_null(strstr(s, "QStartNoAckMode+"));
	assert_non_null(strstr(s, "qXfer:features:read+"));
	assert_non_null(strstr(s, "PacketSize=7e0"));
	assert_string_equal(reply("vMustReplyEmpty"), "");
	assert_string_equal(reply("qTStatus"), "");
	assert_string_equal(reply("qOffsets"), "");
	assert_string_equal(reply("vCont?"), "vCont;c;C;s;S");
	assert_string_equal(reply("m"), "E01");
	assert_string_equal(reply("mzz,1"), "E01");
	assert_string_equal(reply("P4b"), "E01");
	assert_string_equal(reply("Hg"), "E01");
	assert_string_equal(reply("?x"), "E01");
	assert_string_equal(reply("vCont;s:zz"), "E01");
	assert_string_equal(reply("qXfer:features:read:target.xml"), "E01");
	assert_string_equal(reply("qXfer:features:read:other.xml:0,10"), "E00");
	const char *x = reply("qXfer:features:read:target.xml:0,7ff");
	assert_int_equal(x[0], 'm');
	assert_non_null(strstr(x, "<architecture>i386:x86-64</architecture>"));
	gdb_core_stop_reply_set(1, GDB_SIGINT, "");
	assert_string_equal(reply("?"), "T02thread:2;");
}

/* ---- the wire: acknowledgements and QStartNoAckMode ---- */

static void test_wire_acks_then_noack(void **state)
{
	(void)state;
	static uint8_t in[256];
	size_t n = 0;
	n += mkframe((char *)in + n, "qC", 2);
	n += mkframe((char *)in + n, "QStartNoAckMode", 15);
	in[n++] = '+';                      /* gdb acks the OK */
	n += mkframe((char *)in + n, "qC", 2);
	memcpy(in + n, "$qC#00", 6);        /* bad checksum: no '-' now */
	n += 6;
	n += mkframe((char *)in + n, "c", 1);
	fake_input(in, n);
	gdb_core_serve(0, false);
	assert_string_equal(fake.out, "+$QC1#c5+$OK#9a$QC1#c5");
	/* detach resets it: the next gdb starts with acknowledgements */
	n = mkframe((char *)in, "D", 1);
	fake_input(in, n);
	fake.out_len = 0;
	gdb_core_serve(0, false);
	assert_string_equal(fake.out, "$OK#9a");
	assert_int_equal(fake.detached, 1);
	n = mkframe((char *)in, "k", 1);
	memcpy(in + n, "$qC#00", 6);
	n += 6;
	fake_input(in, n);
	fake.out_len = 0;
	assert_int_equal(gdb_core_poll(), GDB_POLL_PACKET);
	assert_string_equal(fake.out, "+");
}

static void test_wire_nak_resends_and_interrupt(void **state)
{
	(void)state;
	static uint8_t in[64];
	size_t n = mkframe((char *)in, "qC", 2);
	in[n++] = '-';                      /* gdb lost the reply */
	n += mkframe((char *)in + n, "c", 1);
	fake_input(in, n);
	gdb_core_serve(0, false);
	assert_string_equal(fake.out, "+$QC1#c5$QC1#c5+");
	in[0] = 'x';
	in[1] = GDB_INTERRUPT;
	fake_input(in, 2);
	assert_int_equal(gdb_core_poll(), GDB_POLL_INTR);
	fake_input(in, 1);
	assert_int_equal(gdb_core_poll(), GDB_POLL_NONE);
}

/* ---- monitor commands and catchpoints ---- */

static bool rcmd(const char *text)
{
	char pkt[256] = "qRcmd,";
	for (size_t i = 0; text[i]; i++)
		snprintf(pkt + 6 + 2 * i, 3, "%02x", (unsigned char)text[i]);
	return handle(pkt);
}

static void test_monitor_catch(void **state)
{
	(void)state;
	uint64_t val = 0;
	struct gdb_exit_info cpuid = { EXIT_REASON_CPUID, 0, 0x6db7a6e7, 0 };
	struct gdb_exit_info other = { EXIT_REASON_CPUID, 0, 0, 0 };
	struct gdb_exit_info wrmsr = { EXIT_REASON_MSR_WRITE, 0, 0, 0x1b };
	struct gdb_exit_info io = { EXIT_REASON_IO_INSTRUCTION, 0x00640008, 0, 0 };
	assert_false(gdb_core_catch_take(&cpuid, &val));
	rcmd("catch cpuid 0x6db7a6e7");
	assert_string_equal(console_text(), "catchpoint: next CPUID exit with that value\n");
	assert_true(gdb_core_catch_armed());
	assert_false(gdb_core_catch_take(&other, &val));
	assert_false(gdb_core_catch_take(&wrmsr, &val));
	assert_true(gdb_core_catch_take(&cpuid, &val));
	assert_int_equal(val, 0x6db7a6e7);
	assert_false(gdb_core_catch_armed()); /* one shot */
	rcmd("catch msr");
	assert_true(gdb_core_catch_take(&wrmsr, &val)); /* msr: reads and writes */
	assert_int_equal(val, 0x1b);
	rcmd("catch io 64");
	assert_true(gdb_core_catch_take(&io, &val));
	assert_int_equal(val, 0x64);
	rcmd("catch hlt");
	assert_string_equal(console_text(), "catchpoint: next HLT exit\n");
	rcmd("catch off");
	assert_false(gdb_core_catch_armed());
	rcmd("catch nosuchexit");
	assert_non_null(strstr(console_text(), "usage: monitor catch"));
	assert_string_equal(last_reply(), "OK");
}

static void test_monitor_edge_commands(void **state)
{
	(void)state;
	map_pages();
	assert_string_equal(reply("Hg2"), "OK");
	rcmd("vmcs");
	assert_string_equal(fake.mon, "vmcs self=0 cpu=1");
	assert_string_equal(console_text(), "vmcs self=0 cpu=1\n");
	assert_string_equal(reply("Hg1"), "OK");
	rcmd("ept 0x400010");
	assert_string_equal(fake.mon, "ept addr=0x400010 gpa=0x5010"); /* walked first */
	rcmd("ept 402000");
	assert_non_null(strstr(console_text(), "does not translate"));
	rcmd("ept nothex");
	assert_non_null(strstr(console_text(), "usage: monitor ept"));
	rcmd("stats");
	assert_string_equal(fake.mon, "stats");
	rcmd("help");
	assert_non_null(strstr(console_text(), "vmxray monitor commands"));
	assert_string_equal(last_reply(), "OK");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_regs_long_mode_layout, setup),
		cmocka_unit_test_setup(test_regs_real_mode, setup),
		cmocka_unit_test_setup(test_regs_protected_mode_and_tf_hidden, setup),
		cmocka_unit_test_setup(test_regs_write_back, setup),
		cmocka_unit_test_setup(test_regs_G_packet, setup),
		cmocka_unit_test_setup(test_mem_virtual_read, setup),
		cmocka_unit_test_setup(test_mem_physical_view, setup),
		cmocka_unit_test_setup(test_mem_write_M_and_X, setup),
		cmocka_unit_test_setup(test_breakpoints_ept_bookkeeping, setup),
		cmocka_unit_test_setup(test_breakpoints_refused, setup),
		cmocka_unit_test_setup(test_watchpoint_step_over, setup),
		cmocka_unit_test_setup(test_user_step_stops, setup),
		cmocka_unit_test_setup(test_threads, setup),
		cmocka_unit_test_setup(test_queries_and_malformed, setup),
		cmocka_unit_test_setup(test_wire_acks_then_noack, setup),
		cmocka_unit_test_setup(test_wire_nak_resends_and_interrupt, setup),
		cmocka_unit_test_setup(test_monitor_catch, setup),
		cmocka_unit_test_setup(test_monitor_edge_commands, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
