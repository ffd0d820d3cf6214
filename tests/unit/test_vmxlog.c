/* Unit tests: tools/vmxlog (the host log reader). The fixtures in tests/fixtures/ are
 * recorded-style serial logs: OVMF output with escape sequences, CAPS lines and VMCS dumps
 * as vmx/study/caps_matrix.c and vmx/study/vmcs_dump.c print them, EXIT/STATS/RECORDER/CHECK lines as
 * docs/LOGFORMAT.md defines them, guest lines, a vmxray line broken by guest output. The
 * expected numbers were counted in the fixtures by hand (grep/awk), not copied from the
 * tool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/tree_path.h"
#include "tools/vmxlog/cli.h"
#include "tools/vmxlog/report.h"
#include "tools/vmxlog/table.h"
#include "tools/vmxlog/text.h"
#include "tools/vmxlog/vmxlog.h"

/* ---- Helpers ---- */

/* tests/fixtures/NAME from the repository root (where make runs the tests), or from the
 * test binary's place, build/unit/. */
static const char *fixture(const char *name)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "tests/fixtures/%s", name);
	return test_tree_path(rel);
}

static void load_fixture(struct vl_log *log, const char *name)
{
	char why[256];

	vl_init(log);
	if (!vl_load_file(log, fixture(name), why, sizeof(why)))
		fail_msg("%s", why);
}

static void parse_text(struct vl_log *log, const char *text)
{
	vl_init(log);
	vl_parse(log, text, strlen(text));
}

/* Output of a report, captured. */
struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *cap_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	return c->f;
}

static char *cap_close(struct capture *c)
{
	fclose(c->f);
	return c->buf;
}

/* Fails unless text holds a line exactly equal to line. */
static void assert_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *s = text; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL)
		if (strncmp(s, line, n) == 0 && (s[n] == '\n' || s[n] == '\0'))
			return;
	fail_msg("no line\n[%s]\nin\n%s", line, text);
}

static void assert_no_line_with(const char *text, const char *part)
{
	if (strstr(text, part))
		fail_msg("unexpected '%s' in\n%s", part, text);
}

static size_t count_of(const char *text, const char *part)
{
	size_t n = 0;

	for (const char *s = strstr(text, part); s; s = strstr(s + 1, part))
		n++;
	return n;
}

/* ---- Lines and tokens ---- */

static void next_line(struct vl_reader *r, const char *expect, unsigned long line_no, bool cut)
{
	char buf[32];
	bool was_cut = false;

	assert_true(vl_reader_next(r, buf, sizeof(buf), &was_cut));
	assert_string_equal(buf, expect);
	assert_int_equal(r->line_no, line_no);
	assert_int_equal(was_cut, cut);
}

static void test_reader_cleans_lines(void **state)
{
	static const char raw[] =
		"\x1b[2J\x1b[01;01H\x1b[=3hBdsDxe: ok\r\n"      /* CSI sequences, CRLF */
		"\r\n\n"                                         /* empty lines: skipped */
		"\x1b[1m\x1b[33mShell> \x1b[0mfs0:\r\n"
		"a\tb\x01\x7f\xc3\xa9z\n"                        /* tab, controls, UTF-8 */
		"Press ESC in 5\rPress ESC in 4\r\n"             /* a lone CR ends a line */
		"\x1b]0;title\x07osc\n"                          /* OSC up to BEL */
		"guest[vmxray/cpu0] info: x\n"                   /* vmxray line after guest text */
		"0123456789012345678901234567890123456789\n"     /* longer than the buffer */
		"\x1b(Bno newline";                              /* two-byte escape, no final newline */
	struct vl_reader r;
	char buf[32];
	bool cut;

	(void)state;
	vl_reader_init(&r, raw, sizeof(raw) - 1);
	next_line(&r, "BdsDxe: ok", 1, false);
	next_line(&r, "Shell> fs0:", 4, false);
	next_line(&r, "a b??z", 5, false);
	next_line(&r, "Press ESC in 5", 6, false);
	next_line(&r, "Press ESC in 4", 6, false);
	next_line(&r, "osc", 7, false);
	next_line(&r, "[vmxray/cpu0] info: x", 8, false);
	next_line(&r, "0123456789012345678901234567890", 9, true);
	next_line(&r, "no newline", 10, false);
	assert_false(vl_reader_next(&r, buf, sizeof(buf), &cut));
}

/* An escape sequence cut by a stray byte ends there; the byte is ordinary text. */
static void test_reader_broken_escape(void **state)
{
	static const char raw[] = "\x1b[1\x01x\x1b\x1b[31mred\x1b";
	struct vl_reader r;

	(void)state;
	vl_reader_init(&r, raw, sizeof(raw) - 1);
	next_line(&r, "xred", 1, false);
}

static void test_tokens(void **state)
{
	const char *p;
	uint64_t v;
	unsigned digits;
	char buf[16];

	(void)state;
	p = "0x00d810000000002b:";
	assert_true(tx_hex(&p, &v, &digits));
	assert_int_equal(v, 0x00d810000000002bULL);
	assert_int_equal(digits, 16);
	assert_string_equal(p, ":");
	p = "0x10000000000000000"; /* 17 digits */
	assert_false(tx_hex(&p, &v, NULL));
	p = "0x";
	assert_false(tx_hex(&p, &v, NULL));
	p = "9999999999999999999";
	assert_true(tx_dec(&p, &v));
	assert_int_equal(v, 9999999999999999999ULL);
	p = "99999999999999999999"; /* 20 digits */
	assert_false(tx_dec(&p, &v));
	assert_true(tx_kv("0x5: lock=1 state=locked-enabled", "state", buf, sizeof(buf)));
	assert_string_equal(buf, "locked-enabled");
	assert_false(tx_kv("vmx_in_smx=0", "smx", buf, sizeof(buf)));
	p = "VERY_LONG_NAME_OVER_SIXTEEN";
	assert_false(tx_name(&p, buf, sizeof(buf)));
}

static void test_percent(void **state)
{
	static const struct {
		uint64_t part, whole;
		const char *text;
	} cases[] = {
		{ 49, 76, "64.5%" }, { 1, 80, "1.3%" },    { 7, 80, "8.8%" }, { 1, 3, "33.3%" },
		{ 2, 3, "66.7%" },   { 0, 5, "0.0%" },     { 5, 5, "100.0%" }, { 3, 0, "-" },
		{ UINT64_MAX / 2, UINT64_MAX, "50.0%" },
	};
	char buf[16];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tx_percent(buf, sizeof(buf), cases[i].part, cases[i].whole);
		assert_string_equal(buf, cases[i].text);
	}
}

static void test_table(void **state)
{
	static const char *const head[] = { "NAME", "N", "NOTE" };
	struct capture c;
	struct table t;

	(void)state;
	table_init(&t, 3, head, "lrl");
	table_row(&t);
	table_cell(&t, "CPUID");
	table_cell(&t, "%d", 52);
	table_cell_wrapped(&t, "a | bb | ccc", " | ", 7);
	table_row(&t);
	table_cell(&t, "HLT");
	table_cell(&t, "3");
	table_print(&t, cap_open(&c), 1);
	table_free(&t);
	assert_string_equal(cap_close(&c), " NAME    N  NOTE\n"
					   " -----  --  ----\n"
					   " CPUID  52  a |\n"
					   "            bb |\n"
					   "            ccc\n"
					   " HLT     3\n");
	free(c.buf);
}

/* ---- The line prefix ---- */

static void test_prefix(void **state)
{
	struct vl_log log;

	(void)state;
	parse_text(&log, "[vmxray/cpu-] info: vmxray 0.1 (gabc) on GenuineIntel\n"
			 "[vmxray/cpu4294967294] warn: the last CPU number there is\n"
			 "[vmxray/cpu4294967295] info: one too many: not a vmxray line\n"
			 "[vmxray/cpu1] notice: no such level\n"
			 "[vmxray/cpu1]error: no space\n"
			 "[vmxray/cpux] info: no number\n"
			 "[vmxray/cpu3] error: something failed\n"
			 "vmxtest: PASS cpuid.vmx_hidden\n");
	assert_int_equal(log.lines, 8);
	assert_int_equal(log.vmxray_lines, 3);
	assert_int_equal(log.ncpu, 3);
	assert_true(log.has_banner);
	assert_string_equal(log.banner, "vmxray 0.1 (gabc) on GenuineIntel");
	assert_int_equal(log.nmsg, 2);
	assert_int_equal(log.msg[0].level, VL_WARN);
	assert_int_equal(log.msg[0].cpu, 4294967294u);
	assert_string_equal(log.msg[1].text, "something failed");
	assert_int_equal(log.msg[1].line, 7);
	vl_free(&log);
}

/* ---- The shell fixture: what was read ---- */

static void test_shell_model(void **state)
{
	struct vl_log log;

	(void)state;
	load_fixture(&log, "haswell_shell.log");
	assert_int_equal(log.lines, 560);        /* 559 newlines, the last line has none */
	assert_int_equal(log.vmxray_lines, 524); /* grep -c '^\[vmxray/' */
	assert_int_equal(log.skipped, 1);        /* the EXIT line broken by "vmxtest: PASS" */
	assert_int_equal(log.long_lines, 1);     /* 5000 '=' */
	assert_int_equal(log.banner_line, 15);
	assert_int_equal(log.ncpu, 3);           /* cpu-, cpu0, cpu1 */
	assert_int_equal(log.nexit, 54);         /* 55 "EXIT seq=" lines, one broken */
	assert_int_equal(log.dropped, 17);
	assert_int_equal(log.ndump, 2);
	assert_int_equal(log.nstats, 2);
	assert_int_equal(log.nrec, 1);
	assert_int_equal(log.checks_ok, 2);
	assert_int_equal(log.nmsg, 1);
	assert_int_equal(log.msg[0].line, 155);
	assert_string_equal(log.msg[0].text,
			    "IA32_FEATURE_CONTROL unlocked: locking it with VMX outside SMX enabled");

	/* The EXIT line with an empty detail (the format string ends in "%s"). */
	const struct vl_exit *x = &log.exit[19];
	assert_int_equal(x->seq, 21);
	assert_string_equal(vl_strtab_get(&log.reasons, x->reason), "XSETBV");
	assert_int_equal(x->rip, 0x7fe4b0a1);
	assert_int_equal(x->len, 3);
	assert_string_equal(vl_strtab_get(&log.details, x->detail), "");
	x = &log.exit[log.nexit - 1];
	assert_int_equal(x->qual, 0xcf90000);
	assert_string_equal(vl_strtab_get(&log.details, x->detail), "port=0x0cf9 size=1 dir=out value=0x0e");
	vl_free(&log);
}

static void test_shell_caps(void **state)
{
	struct vl_log log;
	char req[512];

	(void)state;
	load_fixture(&log, "haswell_shell.log");
	const struct vl_caps *caps = &log.caps;
	const struct vl_caps_ctl_group *proc2 = &caps->group[VL_PROC2];

	assert_int_equal(caps->blocks, 1);
	assert_true(caps->ended);
	assert_int_equal(caps->line, 17);
	assert_int_equal(caps->cpu, 0);
	assert_string_equal(caps->fact[VL_FACT_EPT],
			    "0x00000f0106334141: x-only 4-level WB UC 2M 1G INVEPT single all A/D");
	assert_true(proc2->header);
	assert_string_equal(proc2->msr, "IA32_VMX_PROCBASED_CTLS2");
	assert_int_equal(proc2->allowed1, 0x00047fff);
	assert_int_equal(proc2->value, 0x000010aa);
	assert_string_equal(proc2->bit[7].name, "Unrestricted guest");
	assert_int_equal(proc2->bit[7].allowed1, 1);
	assert_string_equal(proc2->bit[7].request, "required");
	assert_string_equal(proc2->bit[7].state, "used");
	assert_string_equal(proc2->bit[17].state, "unavailable");
	assert_false(proc2->listed >> 21 & 1); /* reserved, allowed neither way: not listed */
	assert_true(caps->group[VL_PROC3].absent);
	assert_int_equal(caps->group[VL_PROC].listed >> 18 & 1, 0);
	assert_string_equal(caps->group[VL_PROC].bit[1].name, "(reserved)");
	assert_int_equal(caps->group[VL_PROC].bit[1].allowed0, 1);
	caps_request_summary(caps, req, sizeof(req));
	assert_string_equal(req, "14 requested, 12 used, 2 optional unavailable (PROC2 bit 17 Enable PML, "
				 "PROC2 bit 20 Enable XSAVES/XRSTORS); required missing: none");
	vl_free(&log);
}

static void test_caps_report(void **state)
{
	struct vl_log log;
	struct capture c;

	(void)state;
	load_fixture(&log, "haswell_shell.log");
	report_caps(&log, cap_open(&c));
	char *out = cap_close(&c);

	assert_line(out, "Capability matrix: format 1, cpu0, line 17");
	assert_line(out, "  BASIC            0x00d810000000002b  VMCS revision 0x2b, size 4096, memory type WB, TRUE_* MSRs yes,");
	assert_line(out, "  CR0                                  must be 1: PE NE PG; must be 0: none");
	assert_line(out, "  CR4                                  must be 1: VMXE; must be 0: UMIP LA57 KL PKE CET PKS UINTR");
	assert_line(out, "PROC2: IA32_VMX_PROCBASED_CTLS2 raw=0x00047fff00000000");
	assert_line(out, "  allowed0=0x00000000 allowed1=0x00047fff default1=0x00000000 value=0x000010aa");
	assert_line(out, "    7  Unrestricted guest                             0         1  required  used");
	assert_line(out, "   17  Enable PML                                     0         0  optional  unavailable");
	assert_line(out, "PROC3: absent (the CPU has no such controls)");
	assert_line(out, "    9  Host address-space size                 0         1  required  used");
	free(out);
	vl_free(&log);
}

/* The matrix printed before negotiation, on a CPU without unrestricted guest. */
static void test_caps_refused(void **state)
{
	struct vl_log log;
	char req[512];

	(void)state;
	load_fixture(&log, "lynnfield_refused.log");
	assert_int_equal(log.caps.cpu, VL_CPU_NONE);
	assert_false(log.caps.group[VL_PROC2].value_set);
	caps_request_summary(&log.caps, req, sizeof(req));
	assert_string_equal(req, "14 requested, 10 available (not negotiated), 3 optional unavailable "
				 "(PROC2 bit 12 Enable INVPCID, PROC2 bit 17 Enable PML, PROC2 bit 20 Enable "
				 "XSAVES/XRSTORS); required missing: PROC2 bit 7 Unrestricted guest");
	assert_int_equal(log.nmsg, 2);
	assert_int_equal(log.msg[0].level, VL_ERROR);
	vl_free(&log);
}

/* ---- VMCS dumps ---- */

static const struct vl_field *field(const struct vl_dump *d, const char *name)
{
	long i = vl_dump_find(d, name);

	if (i < 0)
		fail_msg("no field %s", name);
	return &d->field[i];
}

static void test_shell_dumps(void **state)
{
	struct vl_log log;

	(void)state;
	load_fixture(&log, "haswell_shell.log");
	const struct vl_dump *d = &log.dump[0];

	assert_true(d->complete);
	assert_int_equal(d->line, 198);
	assert_string_equal(d->title, "dump=vmcall on cpu0");
	assert_int_equal(d->count, 104); /* grep -c "error: VMCS [A-Z]" in lines 198-331 */
	assert_int_equal(field(d, "GUEST_RIP")->value, 0x7e3b1a2c);
	assert_int_equal(field(d, "GUEST_RIP")->group, VL_G_GUEST);
	assert_int_equal(field(d, "GUEST_CS_SELECTOR")->digits, 4);
	assert_int_equal(field(d, "HOST_RIP")->group, VL_G_HOST);
	assert_int_equal(field(d, "VM_EXIT_REASON")->group, VL_G_EXIT);
	assert_int_equal(field(d, "VM_EXIT_REASON")->enc, 0x4402);
	assert_string_equal(field(d, "VM_EXIT_REASON")->detail, "VMCALL (18)");
	assert_string_equal(field(d, "EXIT_QUALIFICATION")->note, "VMCALL");
	assert_string_equal(field(d, "EXIT_QUALIFICATION")->detail, "0x0");
	assert_string_equal(field(d, "GUEST_LDTR_AR_BYTES")->detail,
			    "type=0x2 S=0 DPL=0 P=1 L=0 D/B=0 G=0 unusable");
	assert_null(field(d, "TSC_OFFSET")->detail);
	assert_int_equal(log.dump[1].count, 104); /* GUEST_IA32_PAT gone, GUEST_SYSENTER_ESP new */
	vl_free(&log);
}

/* A " | " list longer than a line continues with the same label (vmx/study/vmcs_dump.h). Two
 * CPUs' dumps alternate line by line. A begin line lost to guest output. */
static void test_dump_continuation_and_interleaving(void **state)
{
	struct vl_log log;

	(void)state;
	parse_text(&log,
		   "[vmxray/cpu0] error: VMCS dump begin: a\n"
		   "[vmxray/cpu1] error: VMCS dump begin: b\n"
		   "[vmxray/cpu0] error: VMCS group control\n"
		   "[vmxray/cpu1] error: VMCS group guest-state\n"
		   "[vmxray/cpu0] error: VMCS VM_EXIT_CONTROLS                 0x400c = 0x00336ffb\n"
		   "[vmxray/cpu1] error: VMCS GUEST_RIP                        0x681e = 0x000000000e1dc5d7\n"
		   "[vmxray/cpu0] error: VMCS   ~ VM_EXIT_CONTROLS: bit0 | bit1\n"
		   "[vmxray/cpu0] error: VMCS   ~ VM_EXIT_CONTROLS: Save IA32_EFER | Load IA32_EFER\n"
		   "[vmxray/cpu1] error: VMCS   ~ GUEST_RSP: a detail for the wrong field\n"
		   "[vmxray/cpu1] error: VMCS dump end\n"
		   "[vmxray/cpu0] error: VMCS dump end\n"
		   "[vmxray/cpu0] error: VMCS dump bvmxtest: PASS x\n"
		   "[vmxray/cpu0] error: VMCS group exit-information\n"
		   "[vmxray/cpu0] error: VMCS VM_EXIT_REASON                   0x4402 = 0x0000001c\n"
		   "[vmxray/cpu0] error: VMCS   ~ VM_EXIT_REASON: CR_ACCESS (28)\n"
		   "[vmxray/cpu0] error: VMCS EXIT_QUALIFICATION               0x6400 = 0x0000000000000004\n"
		   "[vmxray/cpu0] error: VMCS   ~ EXIT_QUALIFICATION (CR_ACCESS): mov to cr4 from rax\n");
	assert_int_equal(log.ndump, 3);
	assert_string_equal(log.dump[0].title, "a");
	assert_string_equal(log.dump[0].field[0].detail,
			    "bit0 | bit1 | Save IA32_EFER | Load IA32_EFER");
	assert_true(log.dump[1].complete);
	assert_int_equal(log.dump[1].field[0].value, 0xe1dc5d7);
	assert_null(log.dump[1].field[0].detail);
	assert_string_equal(log.dump[2].title, "(begin line lost)");
	assert_false(log.dump[2].complete);
	assert_int_equal(log.dump[2].count, 2);
	assert_string_equal(log.dump[2].field[1].note, "CR_ACCESS");
	assert_string_equal(log.dump[2].field[1].detail, "mov to cr4 from rax");
	assert_int_equal(log.skipped, 2); /* the wrong detail, the broken begin */
	vl_free(&log);
}

static void test_dump_report(void **state)
{
	struct vl_log log;
	struct capture c;

	(void)state;
	load_fixture(&log, "haswell_shell.log");
	report_dump(&log, cap_open(&c), 2);
	char *out = cap_close(&c);

	assert_line(out, "VMCS dump 2 of 2 (cpu0, line 387): dump=vmcall on cpu0");
	assert_line(out, "  TSC_OFFSET                   0x2010    0xffffffffff000000");
	assert_line(out, "  VM_ENTRY_CONTROLS            0x4012    0x000093fb          bit0 | bit1 | bit3 | bit4 | bit5 | bit6 | bit7 | bit8 |");
	assert_line(out, "                                                             IA-32e mode guest | bit12 | Load IA32_EFER");
	assert_line(out, "  GUEST_INTERRUPTIBILITY_INFO   0x4824    0x00000001          Blocking by STI");
	assert_line(out, "  EXIT_QUALIFICATION        0x6400    0x0000000000000000  (VMCALL) 0x0");
	assert_int_equal(count_of(out, "VMCS dump "), 1);
	assert_int_equal(count_of(out, "\nguest-state\n"), 1);
	free(out);
	vl_free(&log);
}

static void test_diff_report(void **state)
{
	struct vl_log log;
	struct capture c;

	(void)state;
	load_fixture(&log, "haswell_shell.log");
	size_t n = report_diff(&log.dump[0], "A", &log.dump[1], "B", cap_open(&c));
	char *out = cap_close(&c);

	assert_int_equal(n, 7);
	assert_string_equal(out,
		"VMCS diff\n"
		"  A: A\n"
		"  B: B\n"
		"\n"
		"  GROUP        FIELD                        ENCODING  A                   B\n"
		"  -----------  ---------------------------  --------  ------------------  ------------------\n"
		"  control      TSC_OFFSET                   0x2010    0x0000000000000000  0xffffffffff000000\n"
		"  guest-state  GUEST_IA32_PAT               0x2804    0x0007040600070406  (absent)\n"
		"  guest-state  GUEST_INTERRUPTIBILITY_INFO  0x4824    0x00000000          0x00000001\n"
		"  guest-state  GUEST_CR3                    0x6802    0x000000007f801000  0x000000007f802000\n"
		"  guest-state  GUEST_RSP                    0x681c    0x000000007fe8e7a8  0x000000007fe8e6f0\n"
		"  guest-state  GUEST_RFLAGS                 0x6820    0x0000000000000246  0x0000000000000202\n"
		"  guest-state  GUEST_SYSENTER_ESP           0x6824    (absent)            0x0000000000000000\n"
		"\n"
		"Decoded, where the values differ:\n"
		"  GUEST_INTERRUPTIBILITY_INFO\n"
		"    A: none\n"
		"    B: Blocking by STI\n"
		"\n"
		"5 differ, 1 only in A, 1 only in B; 103 fields in both\n");
	free(out);
	n = report_diff(&log.dump[1], "B", &log.dump[1], "B", cap_open(&c));
	out = cap_close(&c);
	assert_int_equal(n, 0);
	assert_line(out, "0 differ, 0 only in A, 0 only in B; 104 fields in both");
	free(out);
	vl_free(&log);
}

/* ---- STATS ---- */

static void test_stats_report(void **state)
{
	struct vl_log log;
	struct capture c;

	(void)state;
	load_fixture(&log, "haswell_shell.log");
	report_stats(&log, cap_open(&c), false);
	char *out = cap_close(&c);

	/* 49/76 = 64.47%, 7/80 = 8.75% (half up), 1/80 = 1.25% */
	assert_string_equal(out,
		"STATS block 2 of 2 (cpu0, line 537): reason=power-off cpus=2 exits=80\n"
		"\n"
		"cpu0: 76 exits\n"
		"  REASON              COUNT  SHARE\n"
		"  ------------------  -----  -----\n"
		"  CPUID                  49  64.5%\n"
		"  EXTERNAL_INTERRUPT      8  10.5%\n"
		"  MSR_READ                6   7.9%\n"
		"  VMCALL                  4   5.3%\n"
		"  CR_ACCESS               2   2.6%\n"
		"  EPT_VIOLATION           2   2.6%\n"
		"  MSR_WRITE               2   2.6%\n"
		"  XSETBV                  2   2.6%\n"
		"  IO_INSTRUCTION          1   1.3%\n"
		"\n"
		"cpu1: 4 exits\n"
		"  REASON    COUNT  SHARE\n"
		"  --------  -----  -----\n"
		"  CPUID         3  75.0%\n"
		"  MSR_READ      1  25.0%\n"
		"\n"
		"total: 80 exits\n"
		"  REASON              COUNT  SHARE\n"
		"  ------------------  -----  -----\n"
		"  CPUID                  52  65.0%\n"
		"  EXTERNAL_INTERRUPT      8  10.0%\n"
		"  MSR_READ                7   8.8%\n"
		"  VMCALL                  4   5.0%\n"
		"  CR_ACCESS               2   2.5%\n"
		"  EPT_VIOLATION           2   2.5%\n"
		"  MSR_WRITE               2   2.5%\n"
		"  XSETBV                  2   2.5%\n"
		"  IO_INSTRUCTION          1   1.3%\n");
	free(out);
	report_stats(&log, cap_open(&c), true);
	out = cap_close(&c);
	assert_line(out, "STATS block 1 of 2 (cpu0, line 365): reason=hypercall cpus=2 exits=77");
	assert_line(out, "  CPUID                  52  67.5%");
	assert_int_equal(count_of(out, "STATS block"), 2);
	free(out);
	vl_free(&log);
}

/* One CPU: vmxray writes total rows only (no per-CPU counts after them); they are that
 * CPU's too, and no note says lines are missing. The begin line's tsc= is kept. */
static void test_stats_one_cpu_total_rows(void **state)
{
	struct vl_log log;
	struct capture c;

	(void)state;
	parse_text(&log, "[vmxray/cpu0] info: STATS begin reason=power-off cpus=1 tsc=6315612453\n"
			 "[vmxray/cpu0] info: STATS total CPUID 6\n"
			 "[vmxray/cpu0] info: STATS total IO_INSTRUCTION 2\n"
			 "[vmxray/cpu0] info: STATS end exits=8\n");
	assert_int_equal(log.nstats, 1);
	assert_true(log.stats[0].complete);
	assert_int_equal(log.stats[0].tsc, 6315612453ull);
	assert_int_equal(log.skipped, 0);
	assert_int_equal(log.stats[0].count, 4); /* two totals, and cpu0's rows made from them */
	report_stats(&log, cap_open(&c), false);
	char *out = cap_close(&c);

	assert_line(out, "cpu0: 8 exits");
	assert_line(out, "total: 8 exits");
	assert_line(out, "  CPUID               6  75.0%");
	assert_int_equal(count_of(out, "  IO_INSTRUCTION      2  25.0%"), 2); /* cpu0 and total */
	assert_int_equal(count_of(out, "no total lines"), 0);
	assert_int_equal(count_of(out, "note:"), 0);
	free(out);
	vl_free(&log);
}

/* Two CPUs: each total row carries the per-CPU counts ("cpu<N>=<count>", CPUs with none
 * left out); they become the per-CPU tables. A row whose counts do not parse is skipped. */
static void test_stats_total_rows_with_per_cpu_counts(void **state)
{
	struct vl_log log;
	struct capture c;

	(void)state;
	parse_text(&log, "[vmxray/cpu0] info: STATS begin reason=power-off cpus=2 tsc=1\n"
			 "[vmxray/cpu0] info: STATS total CPUID 7 cpu0=5 cpu1=2\n"
			 "[vmxray/cpu0] info: STATS total HLT 4 cpu1=4\n"
			 "[vmxray/cpu0] info: STATS total XSETBV 3 cpu0=\n"
			 "[vmxray/cpu0] info: STATS end exits=11\n");
	assert_int_equal(log.nstats, 1);
	assert_int_equal(log.skipped, 1);
	assert_int_equal(log.stats[0].count, 5); /* 2 totals, 3 per-CPU rows */
	report_stats(&log, cap_open(&c), false);
	char *out = cap_close(&c);

	assert_line(out, "cpu0: 5 exits");
	assert_line(out, "cpu1: 6 exits");
	assert_line(out, "total: 11 exits");
	assert_int_equal(count_of(out, "note:"), 0);
	free(out);
	vl_free(&log);
}

/* No total lines: the CPUs are summed; an end line that disagrees is pointed out; a row
 * outside a block and a block cut short. */
static void test_stats_odd_blocks(void **state)
{
	struct vl_log log;
	struct capture c;

	(void)state;
	parse_text(&log, "[vmxray/cpu0] info: STATS cpu0 CPUID 5\n"
			 "[vmxray/cpu0] info: STATS begin reason=reset cpus=2\n"
			 "[vmxray/cpu0] info: STATS cpu0 CPUID 3\n"
			 "[vmxray/cpu0] info: STATS cpu1 CPUID 1\n"
			 "[vmxray/cpu0] info: STATS cpu1 HLT 4\n"
			 "[vmxray/cpu0] info: STATS canaries intact=3 of 2\n"
			 "[vmxray/cpu0] info: STATS canaries intact=1 of 2\n"
			 "[vmxray/cpu0] info: STATS end exits=9\n"
			 "[vmxray/cpu1] info: STATS begin reason=request cpus=1\n"
			 "[vmxray/cpu1] info: STATS total HLT 2\n");
	assert_int_equal(log.skipped, 2); /* the row outside a block, and 3 intact of 2 */
	assert_int_equal(log.nstats, 2);
	assert_true(log.stats[0].have_canaries);
	assert_int_equal(log.stats[0].canaries_intact, 1);
	assert_int_equal(log.stats[0].canaries, 2);
	assert_false(log.stats[1].have_canaries);
	assert_false(log.stats[1].complete);
	report_stats(&log, cap_open(&c), false); /* the last complete block */
	char *out = cap_close(&c);

	assert_line(out, "total: 8 exits (no total lines: summed over the CPUs)");
	assert_line(out, "  HLT         4  50.0%");
	assert_line(out, "  CPUID       4  50.0%");
	assert_line(out, "  note: the end line says exits=9");
	free(out);
	report_stats(&log, cap_open(&c), true);
	out = cap_close(&c);
	assert_line(out, "STATS block 2 of 2 (cpu1, line 9): reason=request cpus=1 (incomplete: no end line)");
	free(out);
	vl_free(&log);
}

/* ---- EXIT trace ---- */

static void test_trace_report(void **state)
{
	struct vl_log log;
	struct capture c;

	(void)state;
	load_fixture(&log, "haswell_shell.log");
	report_trace(&log, cap_open(&c), TRACE_BY_REASON, 20);
	char *out = cap_close(&c);

	assert_string_equal(out,
		"EXIT trace: 54 traced exits (cpu0 50, cpu1 4); 17 more exits not traced (EXIT dropped lines)\n"
		"\n"
		"By exit reason\n"
		"  REASON          COUNT  SHARE  RIPS\n"
		"  --------------  -----  -----  ----\n"
		"  CPUID              35  64.8%     3\n"
		"  MSR_READ            7  13.0%     1\n"
		"  VMCALL              4   7.4%     2\n"
		"  CR_ACCESS           2   3.7%     1\n"
		"  EPT_VIOLATION       2   3.7%     2\n"
		"  MSR_WRITE           2   3.7%     1\n"
		"  IO_INSTRUCTION      1   1.9%     1\n"
		"  XSETBV              1   1.9%     1\n");
	free(out);
	report_trace(&log, cap_open(&c), TRACE_BY_RIP, 3);
	out = cap_close(&c);
	assert_line(out, "By guest RIP (top 3 of 12)");
	assert_line(out, "  0x000000007fe4a1c3     29  53.7%  CPUID     leaf=0x1 subleaf=0x0 eax=0x000306c3 "
			 "ebx=0x00100800 ecx=0xfffa3203 edx=0x178bfbff (24 of 29)");
	assert_line(out, "  0x000000007fe4a208      7  13.0%  MSR_READ  msr=0x3a value=0x0000000000000005 (1 of 7)");
	assert_line(out, "  ... 9 more RIPs");
	assert_no_line_with(out, "By exit reason");
	free(out);
	vl_free(&log);
}

/* What the EXIT parser refuses: guest text glued to a value, a short RIP, a detail
 * without '='; what it takes: any reason name of the right shape, "EXIT dropped". */
static void test_exit_lines(void **state)
{
	struct vl_log log;

	(void)state;
	parse_text(&log,
		   "[vmxray/cpu0] info: EXIT seq=1 reason=CPUID rip=0x000000007fe4a1c3 len=2 qual=0x0 leaf=0x0Hello\n"
		   "[vmxray/cpu0] info: EXIT seq=2 reason=CPUID rip=0x7fe4a1c3 len=2 qual=0x0\n"
		   "[vmxray/cpu0] info: EXIT seq=3 reason=CPUID rip=0x000000007fe4a1c3 len=2 qual=0x0 leaf\n"
		   "[vmxray/cpu0] info: EXIT seq=4 reason=Cpuid rip=0x000000007fe4a1c3 len=2 qual=0x0\n"
		   "[vmxray/cpu0] info: EXIT seq=5 reason=HLT rip=0x000000007fe4a1c3 len=1 qual=0x0 inject=#GP fault=#GP\n"
		   "[vmxray/cpu1] info: EXIT seq=6 reason=NEW_REASON_99 rip=0xffffffff81000000 len=0 qual=0xffffffffffffffff\n"
		   "[vmxray/cpu1] info: EXIT dropped=40\n"
		   "[vmxray/cpu1] info: EXIT dropped=2 x\n");
	assert_int_equal(log.nexit, 2);
	assert_int_equal(log.skipped, 5);
	assert_string_equal(vl_strtab_get(&log.details, log.exit[0].detail), "inject=#GP fault=#GP");
	assert_string_equal(vl_strtab_get(&log.reasons, log.exit[1].reason), "NEW_REASON_99");
	assert_int_equal(log.exit[1].qual, UINT64_MAX);
	assert_int_equal(log.dropped, 40);
	vl_free(&log);
}

/* ---- RECORDER ---- */

static void test_recorder_report(void **state)
{
	struct vl_log log;
	struct capture c;

	(void)state;
	load_fixture(&log, "haswell_entry_failure.log");
	report_recorder(&log, cap_open(&c));
	char *out = cap_close(&c);

	assert_string_equal(out,
		"Flight recorder 1 of 1 (cpu0, line 167): cpu0, why=VM-entry failure, 3 entries\n"
		"  #  SEQ  REASON               GUEST RIP           QUAL   CHANGED SINCE THE ENTRY BEFORE\n"
		"  -  ---  -------------------  ------------------  -----  ----------------------------------------\n"
		"  0    1  CPUID                0x000000007fe4a1c3  0x0\n"
		"  1    2  CR_ACCESS            0x000000007fe4d120  0x300  GUEST_RIP 0x000000007fe4a1c3 -> 0x000000007fe4d120\n"
		"                                                          GUEST_CR0 0x0000000080010033 -> 0x0000000080000010\n"
		"  2    3  INVALID_GUEST_STATE  0x000000007fe4d123  0x0    GUEST_RIP 0x000000007fe4d120 -> 0x000000007fe4d123\n");
	free(out);
	vl_free(&log);
}

static void test_recorder_odd_lines(void **state)
{
	struct vl_log log;

	(void)state;
	parse_text(&log, "[vmxray/cpu0] info: RECORDER #0 seq=1 reason=CPUID rip=0x0000000000001000 qual=0x0\n"
			 "[vmxray/cpu0] info: RECORDER begin cpu0 why=triple fault entries=2\n"
			 "[vmxray/cpu0] info: RECORDER #0   GUEST_RIP 0x0 -> 0x1\n"
			 "[vmxray/cpu0] info: RECORDER #0 seq=7 reason=TRIPLE_FAULT rip=0x0000000000001000 qual=0x0\n"
			 "[vmxray/cpu0] info: RECORDER #1   GUEST_RIP 0x0 -> 0x1\n"
			 "[vmxray/cpu0] info: RECORDER #0   GUEST_CR3 0x1000 -> 0x2000\n");
	assert_int_equal(log.skipped, 3); /* before begin; change before entry; wrong #k */
	assert_int_equal(log.nrec, 1);
	assert_string_equal(log.rec[0].why, "triple fault");
	assert_int_equal(log.rec[0].entries, 2);
	assert_false(log.rec[0].complete);
	assert_int_equal(log.rec[0].count, 1);
	assert_int_equal(log.rec[0].entry[0].count, 1);
	assert_int_equal(log.rec[0].entry[0].chg[0].new_, 0x2000);
	vl_free(&log);
}

/* ---- summary ---- */

static void test_summary_shell(void **state)
{
	struct vl_log log;
	struct capture c;

	(void)state;
	load_fixture(&log, "haswell_shell.log");
	report_summary(&log, cap_open(&c), "shell.log");
	char *out = cap_close(&c);

	assert_string_equal(out,
		"vmxlog summary of shell.log\n"
		"  vmxray      vmxray 0.1 (g5e0c4b1) on GenuineIntel family 0x6 model 0x3c, 2 CPUs (line 15)\n"
		"  lines       560: 524 from vmxray, 36 other; 1 vmxray record line did not parse (skipped); 1 cut at 1023 characters\n"
		"  CPUs        2: cpu0 cpu1 (and cpu-: lines before the CPU was known)\n"
		"  caps        GenuineIntel family 0x6 model 0x3c, VMCS revision 0x2b\n"
		"              EPT: x-only 4-level WB UC 2M 1G INVEPT single all A/D\n"
		"              VPID: INVVPID individual single all single-globals\n"
		"  controls    14 requested, 12 used, 2 optional unavailable (PROC2 bit 17 Enable PML, PROC2 bit 20 Enable XSAVES/XRSTORS)\n"
		"              required missing: none\n"
		"  exits       80 (STATS block 2 of 2, reason=power-off, line 537); 54 traced, 17 not traced\n"
		"  top reasons CPUID 52 (65.0%), EXTERNAL_INTERRUPT 8 (10.0%), MSR_READ 7 (8.8%), VMCALL 4 (5.0%), CR_ACCESS 2 (2.5%)\n"
		"  records     2 VMCS dumps, 2 STATS blocks, 1 flight recorder, CHECK: 2 ok, 0 fail\n"
		"  warnings    1\n"
		"    line 155 cpu0: IA32_FEATURE_CONTROL unlocked: locking it with VMX outside SMX enabled\n"
		"  failures    none\n");
	free(out);
	vl_free(&log);
}

static void test_summary_failure(void **state)
{
	struct vl_log log;
	struct capture c;

	(void)state;
	load_fixture(&log, "haswell_entry_failure.log");
	assert_int_equal(log.ndump, 1);
	assert_false(log.dump[0].complete);
	assert_int_equal(log.dump[0].count, 28); /* cut in the middle of GUEST_GS_SELECTOR */
	report_summary(&log, cap_open(&c), "fail.log");
	char *out = cap_close(&c);

	assert_line(out, "  exits       no STATS block; 6 traced, 0 not traced (top reasons: traced only)");
	assert_line(out, "  top reasons CPUID 5 (83.3%), CR_ACCESS 1 (16.7%)");
	assert_line(out, "  records     1 VMCS dump (1 without an end line), 0 STATS blocks, 1 flight recorder, CHECK: 2 ok, 2 fail");
	assert_line(out, "  failures    4");
	assert_line(out, "    line 164 cpu0: CHECK fail 27.3.1.1 Checks on Guest Control Registers, Debug Registers, "
			 "and MSRs: CR0.PG = 1 requires CR0.PE = 1 (GUEST_CR0=0x80000010)");
	assert_line(out, "    line 175 cpu0: panic: VM-entry failure on cpu0: dumping the VMCS, then resetting");
	assert_no_line_with(out, "VMCS group"); /* dump lines at error level are no failures */
	free(out);
	vl_free(&log);
}

/* ---- timeline ---- */

static void test_timeline(void **state)
{
	struct vl_log log;
	struct capture c;
	struct timeline_opts o = { false, false, "t <&> \"q\"" };

	(void)state;
	load_fixture(&log, "haswell_shell.log");
	report_timeline(&log, cap_open(&c), &o);
	char *out = cap_close(&c);

	assert_int_equal(strncmp(out, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39), 0);
	assert_true(strstr(out, "</svg>\n") == out + strlen(out) - 7);
	assert_int_equal(count_of(out, "http"), 1); /* the namespace; nothing fetched */
	assert_int_equal(count_of(out, "href"), 0);
	assert_int_equal(count_of(out, "<script"), 0);
	assert_line(out, "<text x=\"80\" y=\"24\" font-size=\"16\">t &lt;&amp;&gt; &quot;q&quot;</text>");
	assert_int_equal(count_of(out, "<rect class=\"lane\""), 2);
	assert_line(out, "<text x=\"8\" y=\"82\">cpu0</text>");
	/* 8 reasons: 8 legend boxes, 8 rows per lane; 54 exits, none sharing a pixel */
	assert_int_equal(count_of(out, "width=\"12\" height=\"12\""), 8);
	assert_line(out, "<text x=\"98\" y=\"239\">CPUID 35</text>"); /* 40 + 2 lanes * 76 + 36 + 11 */
	assert_int_equal(count_of(out, "width=\"8\" height=\"6\""), 54); /* seq 1..76: 13 pixels each */
	free(out);
	o.html = true;
	o.by_order = true;
	report_timeline(&log, cap_open(&c), &o);
	out = cap_close(&c);
	assert_int_equal(strncmp(out, "<!DOCTYPE html>", 15), 0);
	assert_line(out, "</body></html>");
	assert_true(strstr(out, "exit, in the order of the log") != NULL);
	free(out);
	vl_free(&log);
}

/* Extreme seq values, more reasons than colors, more CPUs than lanes. */
static void test_timeline_extremes(void **state)
{
	static const char *const reasons[] = { "A", "B", "C", "D", "E", "F", "G",
					       "H", "I", "J", "K", "L", "M" };
	struct vl_log log;
	struct capture c;
	struct timeline_opts o = { false, false, NULL };
	char text[128];
	size_t len = 0, cap = 0;
	char *buf = NULL;

	(void)state;
	for (unsigned i = 0; i < 100; i++) {
		snprintf(text, sizeof(text),
			 "[vmxray/cpu%u] info: EXIT seq=%s reason=%s rip=0x0000000000001000 len=1 qual=0x0\n",
			 i, i % 2 ? "9999999999999999999" : "0", reasons[i % 13]);
		buf = vl_grow(buf, &cap, len + strlen(text) + 1, 1);
		memcpy(buf + len, text, strlen(text) + 1);
		len += strlen(text);
	}
	vl_init(&log);
	vl_parse(&log, buf, len);
	free(buf);
	assert_int_equal(log.nexit, 100);
	report_timeline(&log, cap_open(&c), &o);
	char *out = cap_close(&c);

	assert_int_equal(count_of(out, "<rect class=\"lane\""), 64);
	assert_true(strstr(out, ">cpu62</text>") && strstr(out, ">cpu63+</text>"));
	/* 64 lanes of 12 rows (11 colors and "other"): 40 + 64 * (12 * 8 + 12) + 18 */
	assert_line(out, "<text x=\"1079\" y=\"6970\" text-anchor=\"middle\">9999999999999999999</text>");
	/* 100 exits over 13 reasons: A-I 8 each, J-M 7 each; L and M share gray */
	assert_line(out, "<text x=\"698\" y=\"7053\">other 14</text>"); /* the 12th legend entry */
	free(out);
	vl_free(&log);
}

/* ---- The command line ---- */

static int run(char **argv, char **out, char **err)
{
	struct capture co, ce;
	int argc = 0;

	while (argv[argc])
		argc++;
	int rc = vmxlog_main(argc, argv, cap_open(&co), cap_open(&ce));

	*out = cap_close(&co);
	*err = cap_close(&ce);
	return rc;
}

static void expect(int status, const char *out_part, const char *err_part, char **argv)
{
	char *out, *err;
	int rc = run(argv, &out, &err);

	if (rc != status)
		fail_msg("status %d, expected %d; stderr: %s", rc, status, err);
	if (out_part && !strstr(out, out_part))
		fail_msg("stdout lacks '%s':\n%s", out_part, out);
	if (err_part && !strstr(err, err_part))
		fail_msg("stderr lacks '%s':\n%s", err_part, err);
	free(out);
	free(err);
}

#define ARGV(...) ((char *[]){ "vmxlog", __VA_ARGS__, NULL })

static void test_cli(void **state)
{
	char shell[512], fail[512], lynn[512];

	(void)state;
	snprintf(shell, sizeof(shell), "%s", fixture("haswell_shell.log"));
	snprintf(fail, sizeof(fail), "%s", fixture("haswell_entry_failure.log"));
	snprintf(lynn, sizeof(lynn), "%s", fixture("lynnfield_refused.log"));
	expect(VMXLOG_USAGE, NULL, "usage: vmxlog", (char *[]){ "vmxlog", NULL });
	expect(VMXLOG_OK, "usage: vmxlog", NULL, ARGV("--help"));
	expect(VMXLOG_OK, "usage: vmxlog", NULL, ARGV("trace", "-h"));
	expect(VMXLOG_USAGE, NULL, "'frobnicate' is neither a command nor a readable file", ARGV("frobnicate"));
	expect(VMXLOG_USAGE, NULL, "cannot open /nonexistent/x.log", ARGV("caps", "/nonexistent/x.log"));
	expect(VMXLOG_USAGE, NULL, "unknown option '--all' for this command", ARGV("caps", shell, "--all"));
	expect(VMXLOG_USAGE, NULL, "--by takes reason or rip", ARGV("trace", shell, "--by", "cpu"));
	expect(VMXLOG_USAGE, NULL, "--top takes a count", ARGV("trace", shell, "--top", "0"));
	expect(VMXLOG_USAGE, NULL, "--index needs a value", ARGV("dump", shell, "--index"));
	expect(VMXLOG_USAGE, NULL, "timeline needs -o", ARGV("timeline", shell));
	expect(VMXLOG_USAGE, NULL, "too many arguments", ARGV("stats", shell, shell));
	expect(VMXLOG_OK, "vmxlog summary of", NULL, ARGV(shell));
	expect(VMXLOG_OK, "  failures    4", NULL, ARGV("summary", fail));
	expect(VMXLOG_OK, "PROC2 bit 7 Unrestricted guest", NULL, ARGV("caps", lynn));
	expect(VMXLOG_NO_RECORDS, NULL, "no STATS blocks", ARGV("stats", lynn));
	expect(VMXLOG_NO_RECORDS, NULL, "no VMCS dumps", ARGV("dump", lynn));
	expect(VMXLOG_NO_RECORDS, NULL, "no EXIT trace lines", ARGV("trace", lynn));
	expect(VMXLOG_NO_RECORDS, NULL, "no RECORDER blocks", ARGV("recorder", lynn));
	expect(VMXLOG_NO_RECORDS, NULL, "no VMCS dump 3: the log holds 2", ARGV("dump", shell, "--index", "3"));
	expect(VMXLOG_NO_RECORDS, NULL, "no VMCS dump 2: the log holds 1", ARGV("diff", fail));
	expect(VMXLOG_USAGE, NULL, "diff LOG A B takes two dump numbers", ARGV("diff", shell, "1"));
	expect(VMXLOG_USAGE, NULL, "(got 'x')", ARGV("diff", shell, "1", "x"));
	expect(VMXLOG_OK, "VMCS dump 1 of 2", NULL, ARGV("dump", shell, "--index", "1"));
	expect(VMXLOG_OK, "5 differ, 1 only in A, 1 only in B", NULL, ARGV("diff", shell, "1", "2"));
	expect(VMXLOG_OK, "  guest-state  GUEST_IA32_PAT               0x2804    (absent)            0x0007040600070406",
	       NULL, ARGV("diff", shell, "2", "1"));
	expect(VMXLOG_OK, "0 differ, 76 only in A, 0 only in B; 28 fields in both", NULL,
	       ARGV("diff", shell, fail));
	expect(VMXLOG_OK, "STATS block 1 of 2", NULL, ARGV("stats", shell, "--all"));
	expect(VMXLOG_OK, "By guest RIP (top 2 of 12)", NULL, ARGV("trace", shell, "--by", "rip", "--top", "2"));
	expect(VMXLOG_OK, "<svg", NULL, ARGV("timeline", shell, "-o", "-"));
	expect(VMXLOG_OK, "why=VM-entry failure", NULL, ARGV("recorder", fail));
}

static void test_cli_empty_and_dir(void **state)
{
	char path[] = "/tmp/vmxlog_test_XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	expect(VMXLOG_NO_RECORDS, NULL, "no vmxray lines", ARGV(path));
	expect(VMXLOG_NO_RECORDS, NULL, "no CAPS lines", ARGV("caps", path));
	expect(VMXLOG_NO_RECORDS, NULL, "no EXIT trace lines to draw", ARGV("timeline", path, "-o", "-"));
	expect(VMXLOG_USAGE, NULL, "cannot read /tmp", ARGV("summary", "/tmp"));
	unlink(path);
}

/* ---- Garbage ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Every report the command line would run on this log. */
static void all_reports(const struct vl_log *log)
{
	FILE *out = fopen("/dev/null", "w");
	struct timeline_opts o = { true, false, "fuzz" };

	assert_non_null(out);
	report_summary(log, out, "fuzz");
	if (vl_caps_seen(&log->caps))
		report_caps(log, out);
	if (log->ndump) {
		report_dump(log, out, 0);
		report_diff(&log->dump[0], "a", &log->dump[log->ndump - 1], "b", out);
	}
	if (log->nstats)
		report_stats(log, out, true);
	if (log->nexit) {
		report_trace(log, out, TRACE_BY_BOTH, 5);
		report_timeline(log, out, &o);
		o.by_order = true;
		report_timeline(log, out, &o);
	}
	if (log->nrec)
		report_recorder(log, out);
	fclose(out);
}

static void parse_and_report(const char *data, size_t len)
{
	struct vl_log log;

	vl_init(&log);
	vl_parse(&log, data, len);
	all_reports(&log);
	vl_free(&log);
}

/* Pieces of the grammar, so that random input reaches past the first token. */
static const char *const pieces[] = {
	"[vmxray/cpu0] info: ", "[vmxray/cpu1] error: ", "[vmxray/cpu-] warn: ", "\r\n", "\n", "\r",
	"\x1b[", "\x1b]", "\x07", "CAPS ", "BEGIN format=1", "END", "PROC2 ", "PIN   ", "PROC3 ",
	"bit ", "31 ", "63 ", "64 ", "Enable EPT ", " allowed0=", " allowed1=", "1", "0",
	" required used", " - unused", "msr=IA32_X raw=", "0x", "00000000", "ffffffff", " = ",
	"VMCS ", "dump begin: ", "dump end", "group ", "control", "guest-state", "   ~ ", ": ",
	"GUEST_RIP ", "EXIT_QUALIFICATION (CR_ACCESS)", "EXIT ", "seq=", " reason=", "CPUID",
	" rip=0x000000007fe4a1c3", " len=", " qual=", " leaf=", "dropped=", "STATS ",
	"begin reason=x cpus=2", "cpu0 ", "total ", "end exits=", "RECORDER ",
	"begin cpu0 why=a b entries=", "#0 ", "#1   ", " -> ", "CHECK ", "fail 27.1 x: y",
	"ok 3 checks", "vmxray 0.1", " ", "|", "\t", "\xff", "\0",
};

static size_t random_log(char *buf, size_t cap)
{
	size_t len = 0;

	while (len < cap) {
		uint64_t r = rng();
		const char *p = pieces[r % (sizeof(pieces) / sizeof(pieces[0]))];
		size_t n = (r >> 32) % 4 == 0 ? 1 : strlen(p) + (*p == '\0');

		if ((r >> 40) % 8 == 0) { /* a random byte */
			buf[len++] = (char)(r >> 48);
			continue;
		}
		if (len + n > cap)
			break;
		memcpy(buf + len, p, n);
		len += n;
	}
	return len;
}

static void test_garbage_random(void **state)
{
	static char buf[16384];

	(void)state;
	for (int i = 0; i < 400; i++) {
		size_t cap = (size_t)(rng() % sizeof(buf)) + 1;
		size_t len = random_log(buf, cap);

		parse_and_report(buf, len);
	}
	for (int i = 0; i < 50; i++) { /* plain random bytes */
		for (size_t j = 0; j < sizeof(buf); j++)
			buf[j] = (char)rng();
		parse_and_report(buf, (size_t)(rng() % sizeof(buf)));
	}
	parse_and_report(NULL, 0);
	parse_and_report("", 0);
	parse_and_report("[vmxray/cpu0] info: VMCS", 24);
}

static char *read_fixture(const char *name, size_t *len)
{
	FILE *f = fopen(fixture(name), "rb");
	char *data = malloc(1 << 17);

	assert_non_null(f);
	assert_non_null(data);
	*len = fread(data, 1, 1 << 17, f);
	fclose(f);
	return data;
}

/* The fixtures cut at random places and with random bytes changed. */
static void test_garbage_mutated_fixtures(void **state)
{
	static const char *const names[] = { "haswell_shell.log", "haswell_entry_failure.log",
					     "lynnfield_refused.log" };

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		size_t len;
		char *data = read_fixture(names[k], &len);

		for (int i = 0; i < 40; i++) /* truncated */
			parse_and_report(data, (size_t)(rng() % (len + 1)));
		for (int i = 0; i < 40; i++) { /* mutated */
			char *copy = malloc(len);

			assert_non_null(copy);
			memcpy(copy, data, len);
			for (int m = 0; m < 20; m++)
				copy[rng() % len] = (char)rng();
			parse_and_report(copy, len);
			free(copy);
		}
		free(data);
	}
}

/* A line far longer than any buffer, with a vmxray line at its end. */
static void test_garbage_endless_line(void **state)
{
	static const char tail[] = "[vmxray/cpu0] info: CHECK ok 5 checks";
	size_t n = 300000;
	char *buf = malloc(n + sizeof(tail));
	struct vl_log log;

	(void)state;
	assert_non_null(buf);
	memset(buf, 'x', n);
	memcpy(buf + n, tail, sizeof(tail));
	vl_init(&log);
	vl_parse(&log, buf, n + sizeof(tail) - 1);
	assert_int_equal(log.lines, 1);
	assert_int_equal(log.checks_ok, 1); /* the guest text before it was dropped */
	assert_int_equal(log.long_lines, 0);
	vl_free(&log);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_cleans_lines),
		cmocka_unit_test(test_reader_broken_escape),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_shell_model),
		cmocka_unit_test(test_shell_caps),
		cmocka_unit_test(test_caps_report),
		cmocka_unit_test(test_caps_refused),
		cmocka_unit_test(test_shell_dumps),
		cmocka_unit_test(test_dump_continuation_and_interleaving),
		cmocka_unit_test(test_dump_report),
		cmocka_unit_test(test_diff_report),
		cmocka_unit_test(test_stats_report),
		cmocka_unit_test(test_stats_one_cpu_total_rows),
		cmocka_unit_test(test_stats_total_rows_with_per_cpu_counts),
		cmocka_unit_test(test_stats_odd_blocks),
		cmocka_unit_test(test_trace_report),
		cmocka_unit_test(test_exit_lines),
		cmocka_unit_test(test_recorder_report),
		cmocka_unit_test(test_recorder_odd_lines),
		cmocka_unit_test(test_summary_shell),
		cmocka_unit_test(test_summary_failure),
		cmocka_unit_test(test_timeline),
		cmocka_unit_test(test_timeline_extremes),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_cli_empty_and_dir),
		cmocka_unit_test(test_garbage_random),
		cmocka_unit_test(test_garbage_mutated_fixtures),
		cmocka_unit_test(test_garbage_endless_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
