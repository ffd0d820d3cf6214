/* Unit tests: tools/vmxlog on TRACE records (vmx/study/trace_record.h, docs/LOGFORMAT.md):
 * the lines vmxray's dump writes, built here with the hypervisor's own encoder, then read
 * back by vmxlog: the rings' accounting against STATS, per-reason cost percentiles and rate,
 * the top RIPs, System.map lookups, HLT time per CPU, and the jsonl/csv forms. The expected numbers are
 * worked out by hand from the records written below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/vmxlog/cli.h"
#include "tools/vmxlog/report.h"
#include "tools/vmxlog/symmap.h"
#include "tools/vmxlog/table.h"
#include "tools/vmxlog/vmxlog.h"
#include "vmx/decode/exit_reasons.h"

static char logbuf[65536];
static size_t loglen;

static void add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void add(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	loglen += (size_t)vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen, fmt, ap);
	va_end(ap);
	assert_true(loglen < sizeof(logbuf));
}

static void add_record(unsigned logcpu, struct trace_record r)
{
	char text[TRACE_TEXT_MAX + 1];

	assert_true(trace_record_encode(&r, text, sizeof(text)) > 0);
	add("[vmxray/cpu%u] info: TRACE %s\n", logcpu, text);
}

/* cpu0: CPUID x10 at two RIPs (cycles 100..1000), RDMSR x2; cpu1 (APIC ID 2): CPUID x1.
 * TSC of cpu0 from 1,000,000 to 51,000,000: one second at 50 MHz. */
static void build_log(void)
{
	loglen = 0;
	add("\x1b[1mFS0:\\> \x1b[0mvmxray.efi trace=cpuid,msr_read\r\n");
	add("[vmxray/cpu0] info: vmxray 0.1 (abc) starting\n");
	add("[vmxray/cpu0] info: options: serial=auto log=info trace=cpuid,msr_read trace_out=memory dump=none\n");
	add("[    0.000000] tsc: Detected 50.000 MHz processor\n");
	add("[vmxray/cpu0] info: STATS begin reason=power-off cpus=2\n");
	add("[vmxray/cpu0] info: STATS cpu0 CPUID 14\n");
	add("[vmxray/cpu0] info: STATS cpu0 MSR_READ 2\n");
	add("[vmxray/cpu0] info: STATS cpu0 IO_INSTRUCTION 900\n");
	add("[vmxray/cpu0] info: STATS cpu2 CPUID 1\n");
	add("[vmxray/cpu0] info: STATS total CPUID 15\n");
	add("[vmxray/cpu0] info: STATS end exits=917\n");
	add("[vmxray/cpu0] info: TRACE begin cpu=0 apic=0 record_bytes=64\n");
	for (unsigned i = 0; i < 10; i++) {
		struct trace_record r = { .seq = 4 + i, .reason = EXIT_REASON_CPUID, .cpu = 0, .cycles = 100 * (i + 1),
					  .rip = i < 7 ? 0xffffffff81001010ULL : 0xffffffff81002004ULL,
					  .tsc = 1000000 + i * 5000000ULL };
		r.detail.cpuid.leaf = i < 7 ? 1 : 7;
		add_record(0, r);
	}
	for (unsigned i = 0; i < 2; i++) {
		struct trace_record r = { .seq = 14 + i, .reason = EXIT_REASON_MSR_READ, .cpu = 0, .cycles = 5000,
					  .rip = 0xdfaf000, .tsc = 51000000ULL - 1 + i };
		r.detail.msr.msr = 0x1b;
		r.detail.msr.value = 0xfee00900;
		add_record(0, r);
	}
	/* written 16 = dumped 12 + lost 4; + filtered 0 + open 0 = STATS CPUID 14 + MSR_READ 2 */
	add("[vmxray/cpu0] info: TRACE end cpu=0 records=12 next=16 lost=4 read=0 filtered=0 open=0\n");
	add("[vmxray/cpu0] info: TRACE begin cpu=1 apic=2 record_bytes=64\n");
	add_record(0, (struct trace_record){ .seq = 0, .reason = EXIT_REASON_CPUID, .cpu = 1, .cycles = 300,
					     .rip = 0xf204b75, .tsc = 2000000 });
	add("[vmxray/cpu0] info: TRACE end cpu=1 records=1 next=1 lost=0 read=0 filtered=0 open=0\n");
	add("[vmxray/cpu0] info: TRACE dump records=13 ticks=3900000\n");
	add("[vmxray/cpu0] info: TRACE !!notbase64\n");
}

static struct vl_log parsed(void)
{
	struct vl_log log;

	build_log();
	vl_init(&log);
	vl_parse(&log, logbuf, loglen);
	return log;
}

static void test_parse_records_and_counts(void **state)
{
	(void)state;
	struct vl_log log = parsed();

	assert_int_equal(log.ntrace, 13);
	assert_int_equal(log.skipped, 1); /* the bad TRACE line */
	assert_int_equal(log.ntend, 2);
	assert_int_equal(log.tend[0].next, 16);
	assert_int_equal(log.tend[0].lost, 4);
	assert_int_equal(log.tend[1].apic, 2);
	assert_int_equal(log.dump_records, 13);
	assert_int_equal(log.dump_ticks, 3900000);
	assert_true(log.tsc_mhz > 49.999 && log.tsc_mhz < 50.001);
	assert_string_equal(log.trace_opt, "cpuid,msr_read");
	assert_int_equal(log.trace[12].r.cpu, 1);
	assert_int_equal(log.trace[10].r.detail.msr.value, 0xfee00900);
	/* records are exits too: seq, the cpu of the record (not of the line), the details */
	assert_int_equal(log.nexit, 13);
	assert_int_equal(log.exit[12].cpu, 1);
	assert_true(log.exit[0].timed);
	assert_int_equal(log.exit[3].tsc, 16000000);
	assert_string_equal(vl_strtab_get(&log.reasons, log.exit[0].reason), "CPUID");
	assert_string_equal(vl_strtab_get(&log.details, log.exit[10].detail), "msr=0x1b value=0x00000000fee00900");
	assert_true(vl_trace_reason_traced("cpuid,msr_read", EXIT_REASON_MSR_READ));
	assert_false(vl_trace_reason_traced("cpuid,msr_read", EXIT_REASON_MSR_WRITE));
	assert_true(vl_trace_reason_traced("all", EXIT_REASON_HLT));
	vl_free(&log);
}

static char *run_cli(const char *const *argv, int argc, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len), *err = fopen("/dev/null", "w");

	assert_non_null(out);
	*rc = vmxlog_main(argc, (char **)argv, out, err);
	fclose(out);
	fclose(err);
	return buf;
}

static const char *log_file(void)
{
	static char path[] = "/tmp/vmxlog_trace_XXXXXX";
	static bool done;

	if (!done) {
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		FILE *f = fdopen(fd, "w");
		build_log();
		fwrite(logbuf, 1, loglen, f);
		fclose(f);
		done = true;
	}
	return path;
}

static void test_report_text(void **state)
{
	(void)state;
	const char *argv[] = { "vmxlog", "records", log_file() };
	int rc;
	char *out = run_cli(argv, 3, &rc);

	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "TRACE records: 13 from 2 ring dump(s); the dump wrote 13 records in 3900000 ticks (300000 per record)"));
	/* cpu0: written 16 = 12 + 4 + 0, STATS 14 + 2; cpu1 by its APIC ID 2 */
	assert_non_null(strstr(out, "    0     0       16      12     4     0         0     0     16  yes"));
	assert_non_null(strstr(out, "    1     2        1       1     0     0         0     0      1  yes"));
	/* CPUID: 11 records, cycles 100..1000 and 300: mean 5800/11 = 527, p50 = the 6th of
	 * 11 sorted (100 200 300 300 400 500 ...) = 500, p99 = the 10th = 900, max 1000; one
	 * second of guest time (cpu0's span) */
	assert_non_null(strstr(out, "over 1.000 s (50000000 TSC ticks at 50.000 MHz, Linux's \"tsc: Detected\" line)"));
	assert_non_null(strstr(out, "  CPUID          11    84.6         11.0          527   500   900  1000"));
	assert_non_null(strstr(out, "  MSR_READ        2    15.4          2.0         5000  5000  5000  5000"));
	assert_non_null(strstr(out, "  CPUID     0xffffffff81001010      7    63.6          400\n"));
	assert_null(strstr(out, "HLT time per CPU")); /* trace= leaves HLT out, no HLT record */
	free(out);
}

static void test_report_formats(void **state)
{
	(void)state;
	const char *jl[] = { "vmxlog", "records", log_file(), "--format", "jsonl", "--top", "1" };
	const char *csv[] = { "vmxlog", "records", log_file(), "--format", "csv" };
	const char *bad[] = { "vmxlog", "records", log_file(), "--format", "xml" };
	int rc;
	char *out = run_cli(jl, 7, &rc);

	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "{\"table\":\"accounting\",\"cpu\":0,\"apic\":0,\"written\":16,\"dumped\":12,\"lost\":4,"
				    "\"read\":0,\"filtered\":0,\"open\":0,\"stats\":16,\"agree\":\"yes\"}\n"));
	assert_non_null(strstr(out, "{\"table\":\"reasons\",\"reason\":\"CPUID\",\"records\":11,\"share_pct\":84.6,"
				    "\"per_guest_s\":11.0,\"cycles_mean\":527,\"p50\":500,\"p99\":900,\"max\":1000}\n"));
	assert_non_null(strstr(out, "{\"table\":\"top_rips\",\"reason\":\"MSR_READ\",\"rip\":\"0x000000000dfaf000\",\"count\":2,"));
	assert_null(strstr(out, "TRACE records:")); /* no prose */
	assert_null(strstr(out, "0xffffffff81002004")); /* --top 1 */
	free(out);
	out = run_cli(csv, 5, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "table,cpu,apic,written,dumped,lost,read,filtered,open,stats,agree\naccounting,0,0,16,12,4,0,0,0,16,yes\n"));
	assert_non_null(strstr(out, "table,reason,records,share_pct,per_guest_s,cycles_mean,p50,p99,max\n"));
	free(out);
	out = run_cli(bad, 5, &rc);
	assert_int_equal(rc, 2);
	free(out);
}

static const char MAP[] = "ffffffff81000000 T _text\n"
			  "ffffffff81001000 T native_cpuid\n"
			  "ffffffff81001000 A an_absolute\n"
			  "ffffffff81002000 t early_init_intel\n"
			  "ffffffff81003000 D some_data\n"
			  "garbage line\n"
			  "ffffffff81004000 T _etext\n";

static void test_system_map(void **state)
{
	(void)state;
	struct symmap m;
	uint64_t off;

	symmap_parse(&m, MAP, strlen(MAP));
	assert_int_equal(m.count, 4); /* text symbols only */
	assert_int_equal(m.skipped, 1);
	assert_string_equal(symmap_lookup(&m, 0xffffffff81001010ULL, &off), "native_cpuid");
	assert_int_equal(off, 0x10);
	assert_string_equal(symmap_lookup(&m, 0xffffffff81003fffULL, &off), "early_init_intel");
	assert_null(symmap_lookup(&m, 0xffffffff81004000ULL, &off)); /* _etext ends the text */
	assert_null(symmap_lookup(&m, 0xdfaf000, &off));
	symmap_free(&m);

	char path[] = "/tmp/vmxlog_map_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, MAP, strlen(MAP)), (ssize_t)strlen(MAP));
	close(fd);
	const char *argv[] = { "vmxlog", "records", log_file(), "--system-map", path };
	int rc;
	char *out = run_cli(argv, 5, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "  CPUID     native_cpuid                                   7    63.6          400"));
	assert_non_null(strstr(out, "  CPUID     early_init_intel                               3    27.3          900"));
	assert_non_null(strstr(out, "  CPUID     (not kernel text: firmware or user space)      1     9.1          300"));
	assert_non_null(strstr(out, "0xffffffff81002004  early_init_intel+0x4      3"));
	free(out);
	unlink(path);
	const char *missing[] = { "vmxlog", "records", log_file(), "--system-map", "/nonexistent/System.map" };
	free(run_cli(missing, 5, &rc));
	assert_int_equal(rc, 2);
}

/* trace=hlt,cpuid. cpu0: CPUID (tsc 1,000,000), HLT (2,000,000, 500 root-mode ticks),
 * CPUID (12,000,000), HLT (20,000,000, 1,000 ticks), CPUID (30,000,000), HLT (51,000,000:
 * the CPU's last record, open). cpu1: HLT (10,500,000, 500 ticks), CPUID (15,000,500), its
 * records dumped out of TSC order. */
static const char *halt_log_file(void)
{
	static char path[] = "/tmp/vmxlog_halt_XXXXXX";
	static const struct { unsigned cpu; uint16_t reason; uint64_t tsc; uint32_t cycles; } rec[] = {
		{ 0, EXIT_REASON_CPUID, 1000000, 100 },	 { 0, EXIT_REASON_HLT, 2000000, 500 },
		{ 0, EXIT_REASON_CPUID, 12000000, 100 }, { 0, EXIT_REASON_HLT, 20000000, 1000 },
		{ 0, EXIT_REASON_CPUID, 30000000, 100 }, { 0, EXIT_REASON_HLT, 51000000, 700 },
		{ 1, EXIT_REASON_CPUID, 15000500, 100 }, { 1, EXIT_REASON_HLT, 10500000, 500 },
	};
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	loglen = 0;
	add("[vmxray/cpu0] info: options: serial=auto log=info trace=hlt,cpuid trace_out=memory dump=none\n");
	for (unsigned i = 0; i < sizeof(rec) / sizeof(rec[0]); i++)
		add_record(0, (struct trace_record){ .seq = i, .reason = rec[i].reason, .cpu = (uint8_t)rec[i].cpu,
						     .cycles = rec[i].cycles, .rip = 0xffffffff81001000ULL, .tsc = rec[i].tsc });
	assert_int_equal(write(fd, logbuf, loglen), (ssize_t)loglen);
	close(fd);
	return path;
}

static void test_halts(void **state)
{
	(void)state;
	const char *path = halt_log_file();
	const char *text[] = { "vmxlog", "records", path, "--tsc-hz", "50000000" };
	const char *jl[] = { "vmxlog", "records", path, "--tsc-hz", "50000000", "--format", "jsonl" };
	const char *csv[] = { "vmxlog", "records", path, "--tsc-hz", "50000000", "--format", "csv" };
	int rc;
	char *out = run_cli(text, 5, &rc);

	assert_int_equal(rc, 0);
	/* cpu0: (12,000,000 - 2,000,500) + (30,000,000 - 20,001,000) = 9,999,500 + 9,999,000 =
	 * 19,998,500 ticks over 2 ended halts (mean 9,999,250), 0.400 s at 50 MHz, of a span of
	 * 50,000,000 (1,000,000 to 51,000,000): 40.0%; the last HLT open. cpu1: 15,000,500 -
	 * 10,500,500 = 4,500,000 of 4,500,500: 100.0% */
	assert_non_null(strstr(out, "HLT time per CPU"));
	assert_non_null(strstr(out, "    0            3      2     1      19998500     0.400     9999250      50000000    40.0\n"));
	assert_non_null(strstr(out, "    1            1      1     0       4500000     0.090     4500000       4500500   100.0\n"));
	free(out);
	out = run_cli(jl, 7, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "{\"table\":\"halts\",\"cpu\":0,\"hlt_records\":3,\"ended\":2,\"open\":1,"
				    "\"halted_ticks\":19998500,\"halted_s\":0.400,\"mean_ticks\":9999250,"
				    "\"traced_ticks\":50000000,\"share_pct\":40.0}\n"));
	free(out);
	out = run_cli(csv, 7, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "table,cpu,hlt_records,ended,open,halted_ticks,halted_s,mean_ticks,traced_ticks,share_pct\n"
				    "halts,0,3,2,1,19998500,0.400,9999250,50000000,40.0\n"
				    "halts,1,1,1,0,4500000,0.090,4500000,4500500,100.0\n"));
	free(out);
	unlink(path);
}

static void test_timeline_on_guest_tsc(void **state)
{
	(void)state;
	struct vl_log log = parsed();
	struct timeline_opts o = { false, false, "t" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	report_timeline(&log, f, &o);
	fclose(f);
	assert_non_null(strstr(buf, "guest TSC at the exit"));
	assert_non_null(strstr(buf, ">1000000</text>"));  /* the first record's TSC at the left end */
	assert_non_null(strstr(buf, ">51000000</text>")); /* the last one's at the right */
	free(buf);
	vl_free(&log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_records_and_counts),
		cmocka_unit_test(test_report_text),
		cmocka_unit_test(test_report_formats),
		cmocka_unit_test(test_system_map),
		cmocka_unit_test(test_halts),
		cmocka_unit_test(test_timeline_on_guest_tsc),
	};
	int rc = cmocka_run_group_tests_name("vmxlog_trace", tests, NULL, NULL);
	unlink(log_file());
	return rc;
}
