/* vmxlog stats: STATS blocks as tables, per CPU and in total, by count. */
#include <stdlib.h>
#include <string.h>

#include "tools/vmxlog/report.h"
#include "tools/vmxlog/table.h"
#include "tools/vmxlog/text.h"

/* qsort has no context argument; vmxlog is single-threaded. */
static const struct vl_strtab *sort_names;

static int by_count_then_name(const void *x, const void *y)
{
	const struct reason_count *a = x, *b = y;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(vl_strtab_get(sort_names, a->reason), vl_strtab_get(sort_names, b->reason));
}

void reason_counts_sort(struct reason_count *rc, size_t n, const struct vl_strtab *names)
{
	sort_names = names;
	if (n)
		qsort(rc, n, sizeof(*rc), by_count_then_name);
}

static int by_reason(const void *x, const void *y)
{
	const struct reason_count *a = x, *b = y;

	return a->reason < b->reason ? -1 : a->reason > b->reason;
}

enum rows { ROWS_TOTAL, ROWS_CPU, ROWS_ALL_CPUS };

static bool row_wanted(const struct vl_stat_row *row, enum rows which, uint32_t cpu)
{
	if (which == ROWS_TOTAL)
		return row->total;
	return !row->total && (which == ROWS_ALL_CPUS || row->cpu == cpu);
}

/* The rows wanted as counts per reason, duplicates summed, sorted by count. Returns how
 * many; *rc is malloc'd (or NULL). */
static size_t collect(const struct vl_stats *s, enum rows which, uint32_t cpu,
		      const struct vl_strtab *names, struct reason_count **rc)
{
	size_t n = 0, cap = 0, m = 0;
	struct reason_count *r = NULL;

	for (size_t i = 0; i < s->count; i++) {
		const struct vl_stat_row *row = &s->row[i];

		if (!row_wanted(row, which, cpu))
			continue;
		r = vl_grow(r, &cap, n + 1, sizeof(*r));
		r[n++] = (struct reason_count){ row->reason, row->count };
	}
	if (n)
		qsort(r, n, sizeof(*r), by_reason);
	for (size_t i = 0; i < n; i++) {
		if (m && r[m - 1].reason == r[i].reason)
			r[m - 1].count += r[i].count;
		else
			r[m++] = r[i];
	}
	reason_counts_sort(r, m, names);
	*rc = r;
	return m;
}

static uint64_t sum(const struct reason_count *rc, size_t n)
{
	uint64_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += rc[i].count;
	return s;
}

static void print_counts(const struct reason_count *rc, size_t n, const struct vl_strtab *names,
			 FILE *out)
{
	static const char *const head[] = { "REASON", "COUNT", "SHARE" };
	uint64_t total = sum(rc, n);
	struct table t;
	char pct[16];

	table_init(&t, 3, head, "lrr");
	for (size_t i = 0; i < n; i++) {
		tx_percent(pct, sizeof(pct), rc[i].count, total);
		table_row(&t);
		table_cell(&t, "%s", vl_strtab_get(names, rc[i].reason));
		table_cell(&t, "%llu", (unsigned long long)rc[i].count);
		table_cell(&t, "%s", pct);
	}
	table_print(&t, out, 2);
	table_free(&t);
}

static int by_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

/* The CPU numbers of a block's rows, ascending, each once. */
static size_t block_cpus(const struct vl_stats *s, uint32_t **cpus)
{
	size_t n = 0, cap = 0, m = 0;
	uint32_t *c = NULL;

	for (size_t i = 0; i < s->count; i++) {
		if (s->row[i].total)
			continue;
		c = vl_grow(c, &cap, n + 1, sizeof(*c));
		c[n++] = s->row[i].cpu;
	}
	if (n)
		qsort(c, n, sizeof(*c), by_u32);
	for (size_t i = 0; i < n; i++)
		if (!m || c[m - 1] != c[i])
			c[m++] = c[i];
	*cpus = c;
	return m;
}

static void print_cpus(const struct vl_log *log, const struct vl_stats *s, FILE *out)
{
	uint32_t *cpus;
	size_t ncpu = block_cpus(s, &cpus);

	for (size_t i = 0; i < ncpu; i++) {
		struct reason_count *rc;
		size_t n = collect(s, ROWS_CPU, cpus[i], &log->reasons, &rc);

		fprintf(out, "\ncpu%u: %llu exits\n", (unsigned)cpus[i], (unsigned long long)sum(rc, n));
		print_counts(rc, n, &log->reasons, out);
		free(rc);
	}
	free(cpus);
}

static bool has_total_rows(const struct vl_stats *s)
{
	for (size_t i = 0; i < s->count; i++)
		if (s->row[i].total)
			return true;
	return false;
}

size_t stats_totals(const struct vl_log *log, size_t block, struct reason_count **rc)
{
	const struct vl_stats *s = &log->stats[block];

	return collect(s, has_total_rows(s) ? ROWS_TOTAL : ROWS_ALL_CPUS, 0, &log->reasons, rc);
}

/* The total rows, or the CPU rows summed when there are none. */
static void print_total(const struct vl_log *log, const struct vl_stats *s, FILE *out)
{
	struct reason_count *rc;
	size_t n = stats_totals(log, (size_t)(s - log->stats), &rc);
	const char *how = has_total_rows(s) ? "" : " (no total lines: summed over the CPUs)";
	uint64_t total = sum(rc, n);

	fprintf(out, "\ntotal: %llu exits%s\n", (unsigned long long)total, how);
	print_counts(rc, n, &log->reasons, out);
	if (s->complete && s->end_exits != total)
		fprintf(out, "  note: the end line says exits=%llu\n", (unsigned long long)s->end_exits);
	free(rc);
}

static void print_block(const struct vl_log *log, size_t i, FILE *out)
{
	const struct vl_stats *s = &log->stats[i];
	char cpu[16];

	fprintf(out, "STATS block %zu of %zu (%s, line %lu): reason=%s cpus=%llu", i + 1, log->nstats,
		vl_cpu_name(s->logcpu, cpu, sizeof(cpu)), s->line, s->why, (unsigned long long)s->cpus);
	if (s->complete)
		fprintf(out, " exits=%llu\n", (unsigned long long)s->end_exits);
	else
		fprintf(out, " (incomplete: no end line)\n");
	print_cpus(log, s, out);
	print_total(log, s, out);
	for (size_t j = 0; j < s->nport; j++) {
		if (s->port[j].port == VL_PORT_OTHER)
			fprintf(out, "  port other: in %llu, out %llu\n", (unsigned long long)s->port[j].in,
				(unsigned long long)s->port[j].out);
		else
			fprintf(out, "  port 0x%04x: in %llu, out %llu\n", s->port[j].port,
				(unsigned long long)s->port[j].in, (unsigned long long)s->port[j].out);
	}
}

size_t stats_last_block(const struct vl_log *log)
{
	for (size_t i = log->nstats; i > 0; i--)
		if (log->stats[i - 1].complete)
			return i - 1;
	return log->nstats - 1;
}

void report_stats(const struct vl_log *log, FILE *out, bool all)
{
	if (!all) {
		print_block(log, stats_last_block(log), out);
		return;
	}
	for (size_t i = 0; i < log->nstats; i++) {
		if (i)
			fputc('\n', out);
		print_block(log, i, out);
	}
}
