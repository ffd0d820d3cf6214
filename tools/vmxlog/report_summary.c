/* vmxlog summary: one screen about a log. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tools/vmxlog/report.h"
#include "tools/vmxlog/text.h"

#define TOP_REASONS 5
#define MSGS_SHOWN 10

static void item(FILE *out, const char *label, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void item(FILE *out, const char *label, const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "  %-12s", label);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

static void summary_lines(const struct vl_log *log, FILE *out)
{
	char parsed[96] = "", cut[64] = "";

	if (log->skipped)
		snprintf(parsed, sizeof(parsed), "; %lu vmxray record line%s did not parse (skipped)",
			 log->skipped, log->skipped == 1 ? "" : "s");
	if (log->long_lines)
		snprintf(cut, sizeof(cut), "; %lu cut at %d characters", log->long_lines, VL_LINE_MAX - 1);
	item(out, "lines", "%lu: %lu from vmxray, %lu other%s%s", log->lines, log->vmxray_lines,
	     log->lines - log->vmxray_lines, parsed, cut);
}

static int by_id(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

static void summary_cpus(const struct vl_log *log, FILE *out)
{
	uint32_t ids[VL_CPU_SLOTS];
	unsigned n = 0;
	bool none = false;
	char list[VL_CPU_SLOTS * 12] = "", name[16];
	size_t len = 0;

	for (unsigned i = 0; i < log->ncpu; i++) {
		if (log->cpu[i].id == VL_CPU_NONE)
			none = true;
		else
			ids[n++] = log->cpu[i].id;
	}
	qsort(ids, n, sizeof(ids[0]), by_id);
	for (unsigned i = 0; i < n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, " %s",
					vl_cpu_name(ids[i], name, sizeof(name)));
	if (!n)
		item(out, "CPUs", "none numbered (only cpu-: lines before the CPU was known)");
	else
		item(out, "CPUs", "%u:%s%s", n, list, none ? " (and cpu-: lines before the CPU was known)" : "");
}

/* The words after "0x...: " of a fact, or the fact ("absent"). */
static const char *fact_words(const struct vl_caps *caps, enum vl_caps_fact f)
{
	const char *colon = strstr(caps->fact[f], ": ");

	if (!caps->has_fact[f])
		return "(no line)";
	return colon ? colon + 2 : caps->fact[f];
}

static void summary_caps(const struct vl_log *log, FILE *out)
{
	const struct vl_caps *caps = &log->caps;
	char vendor[32] = "?", family[16] = "?", model[16] = "?", rev[16] = "?", req[2 * VL_TEXT_MAX];

	if (!vl_caps_seen(caps)) {
		item(out, "caps", "no CAPS lines");
		return;
	}
	tx_kv(caps->fact[VL_FACT_CPU], "vendor", vendor, sizeof(vendor));
	tx_kv(caps->fact[VL_FACT_CPU], "family", family, sizeof(family));
	tx_kv(caps->fact[VL_FACT_CPU], "model", model, sizeof(model));
	tx_kv(caps->fact[VL_FACT_BASIC], "revision", rev, sizeof(rev));
	if (caps->has_fact[VL_FACT_VMX]) {
		item(out, "caps", "%s family %s model %s: no VMX", vendor, family, model);
		return;
	}
	item(out, "caps", "%s family %s model %s, VMCS revision %s", vendor, family, model, rev);
	item(out, "", "EPT: %s", fact_words(caps, VL_FACT_EPT));
	item(out, "", "VPID: %s", fact_words(caps, VL_FACT_VPID));
	caps_request_summary(caps, req, sizeof(req));
	char *missing = strstr(req, "; required missing: ");

	if (missing)
		*missing = '\0';
	item(out, "controls", "%s", req);
	if (missing)
		item(out, "", "%s", missing + 2);
}

static void top_reasons(const struct vl_log *log, const struct reason_count *rc, size_t n,
			uint64_t total, FILE *out)
{
	char line[1024], pct[16];
	size_t len = 0;

	line[0] = '\0';
	for (size_t i = 0; i < n && i < TOP_REASONS && len < sizeof(line); i++) {
		tx_percent(pct, sizeof(pct), rc[i].count, total);
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s %llu (%s)", i ? ", " : "",
					vl_strtab_get(&log->reasons, rc[i].reason),
					(unsigned long long)rc[i].count, pct);
	}
	item(out, "top reasons", "%s", n ? line : "-");
}

static void summary_exits(const struct vl_log *log, FILE *out)
{
	struct reason_count *rc = NULL;
	uint64_t total = 0;
	size_t n;

	if (log->nstats) {
		size_t b = stats_last_block(log);

		n = stats_totals(log, b, &rc);
		for (size_t i = 0; i < n; i++)
			total += rc[i].count;
		item(out, "exits", "%llu (STATS block %zu of %zu, reason=%s, line %lu); %zu traced, %llu not traced",
		     (unsigned long long)total, b + 1, log->nstats, log->stats[b].why, log->stats[b].line,
		     log->nexit, (unsigned long long)log->dropped);
	} else {
		n = trace_counts(log, &rc);
		total = log->nexit;
		item(out, "exits", "no STATS block; %zu traced, %llu not traced (top reasons: traced only)",
		     log->nexit, (unsigned long long)log->dropped);
	}
	top_reasons(log, rc, n, total, out);
	free(rc);
}

static void summary_records(const struct vl_log *log, FILE *out)
{
	size_t check_fail = 0, cut = 0;
	char incomplete[48] = "";

	for (size_t i = 0; i < log->nmsg; i++)
		check_fail += log->msg[i].check;
	for (size_t i = 0; i < log->ndump; i++)
		cut += !log->dump[i].complete;
	if (cut)
		snprintf(incomplete, sizeof(incomplete), " (%zu without an end line)", cut);
	item(out, "records", "%zu VMCS dump%s%s, %zu STATS block%s, %zu flight recorder%s, CHECK: %lu ok, %zu fail",
	     log->ndump, log->ndump == 1 ? "" : "s", incomplete, log->nstats, log->nstats == 1 ? "" : "s",
	     log->nrec, log->nrec == 1 ? "" : "s", log->checks_ok, check_fail);
}

static bool is_failure(const struct vl_msg *m)
{
	return m->check || m->level == VL_ERROR;
}

/* The messages of one kind (failures, or warnings), the first MSGS_SHOWN of them. */
static void summary_msgs(const struct vl_log *log, FILE *out, bool failures)
{
	size_t count = 0;
	char cpu[16];

	for (size_t i = 0; i < log->nmsg; i++)
		count += is_failure(&log->msg[i]) == failures;
	if (count)
		item(out, failures ? "failures" : "warnings", "%zu", count);
	else
		item(out, failures ? "failures" : "warnings", "none");
	for (size_t i = 0, shown = 0; i < log->nmsg && shown < MSGS_SHOWN; i++) {
		const struct vl_msg *m = &log->msg[i];

		if (is_failure(m) != failures)
			continue;
		fprintf(out, "    line %lu %s: %s\n", m->line, vl_cpu_name(m->cpu, cpu, sizeof(cpu)), m->text);
		shown++;
	}
	if (count > MSGS_SHOWN)
		fprintf(out, "    ... %zu more\n", count - MSGS_SHOWN);
}

void report_summary(const struct vl_log *log, FILE *out, const char *name)
{
	fprintf(out, "vmxlog summary of %s\n", name);
	if (log->has_banner)
		item(out, "vmxray", "%s (line %lu)", log->banner, log->banner_line);
	else
		item(out, "vmxray", "no banner line");
	summary_lines(log, out);
	summary_cpus(log, out);
	summary_caps(log, out);
	summary_exits(log, out);
	summary_records(log, out);
	summary_msgs(log, out, false);
	summary_msgs(log, out, true);
}
