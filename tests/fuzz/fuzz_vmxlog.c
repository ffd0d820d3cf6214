/* Fuzz target: tools/vmxlog, the host tool that reads vmxray's serial logs. A log is
 * whatever came down the serial line: firmware escape sequences, guest output, cut and
 * interleaved lines, binary noise. vl_parse() must take any bytes, and every report must
 * work on whatever it produced (under the same conditions as the command line: a report
 * runs when the log holds its records).
 *
 * Input: the log's bytes, all of them (the seeds are the fixture logs).
 * Checks: no memory error and no leak; the counters agree with the arrays (a record per
 * line at most); every dump index, both diff directions, every trace grouping and both
 * timeline forms run; vl_free() releases everything.
 */
// fuzz-srcs: tools/vmxlog/*.c !tools/vmxlog/main.c vmx/study/trace_record.c drivers/fmt.c
// fuzz-seeds: tests/fixtures/*.log

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tools/vmxlog/report.h"
#include "tools/vmxlog/vmxlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_counts(const struct vl_log *log)
{
	unsigned long lines = log->lines;

	if (log->vmxray_lines > lines || log->skipped > lines || log->ndump > lines ||
	    log->nexit > lines || log->nstats > lines || log->nrec > lines || log->nmsg > lines ||
	    log->ntrace > lines || log->ntend > lines ||
	    log->ncpu > VL_CPU_SLOTS)
		abort();
	for (size_t i = 0; i < log->nexit; i++)
		if (!vl_strtab_get(&log->reasons, log->exit[i].reason))
			abort();
}

static void run_reports(const struct vl_log *log, FILE *out)
{
	static const struct timeline_opts svg = { false, false, "fuzz" }, html = { true, true, "<&>" };
	char buf[2 * VL_TEXT_MAX];

	if (log->vmxray_lines)
		report_summary(log, out, "fuzz.log");
	if (vl_caps_seen(&log->caps))
		report_caps(log, out);
	if (log->ndump) {
		report_dump(log, out, 0);
		report_dump(log, out, log->ndump);
		dump_describe(log, log->ndump - 1, buf, sizeof(buf));
		report_diff(&log->dump[0], "a", &log->dump[log->ndump - 1], "b", out);
		report_diff(&log->dump[log->ndump - 1], buf, &log->dump[0], "a", out);
	}
	if (log->nstats) {
		report_stats(log, out, false);
		report_stats(log, out, true);
	}
	if (log->nexit) {
		report_trace(log, out, TRACE_BY_BOTH, 20);
		report_trace(log, out, TRACE_BY_REASON, 1);
		report_trace(log, out, TRACE_BY_RIP, 1000000000);
		report_timeline(log, out, &svg);
		report_timeline(log, out, &html);
	}
	if (log->nrec)
		report_recorder(log, out);
	if (log->ntrace) {
		struct records_opts o = { NULL, 3, 50e6, "fuzz" };
		report_records(log, out, &o);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *out;
	struct vl_log log;

	if (!out && !(out = fopen("/dev/null", "w")))
		abort();
	vl_init(&log);
	vl_parse(&log, (const char *)data, size);
	check_counts(&log);
	run_reports(&log, out);
	vl_free(&log);
	return 0;
}
