/* vmxlog records: what the TRACE records of a log say (traces in memory, issue 21): the
 * rings' accounting against STATS, per-reason counts, root-mode cost and rate over guest
 * time, the top guest RIPs of each reason and, with a System.map, the top kernel
 * functions; then HLT time per CPU (report_halts.c). */
#include <stdlib.h>
#include <string.h>

#include "tools/vmxlog/report.h"
#include "tools/vmxlog/table.h"
#include "tools/vmxlog/text.h"

static const struct vl_trace *sort_trace;

/* Record indices by reason, then RIP. */
static int by_reason_rip(const void *x, const void *y)
{
	const struct trace_record *a = &sort_trace[*(const size_t *)x].r, *b = &sort_trace[*(const size_t *)y].r;

	if (a->reason != b->reason)
		return a->reason < b->reason ? -1 : 1;
	return a->rip < b->rip ? -1 : a->rip > b->rip;
}

static int by_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

/* The STATS count of the traced reasons for one CPU (by APIC ID), in the last block;
 * -1 when the log has none. */
static int64_t stats_traced(const struct vl_log *log, uint64_t apic)
{
	if (!log->nstats || !log->trace_opt[0])
		return -1;
	const struct vl_stats *s = &log->stats[stats_last_block(log)];
	int64_t sum = 0;
	char buf[32];

	for (size_t i = 0; i < s->count; i++) {
		const struct vl_stat_row *row = &s->row[i];
		if (row->total || row->cpu != apic)
			continue;
		for (uint32_t r = 0; r < 128; r++) {
			const char *name = vl_trace_reason_name(r, buf, sizeof(buf));
			if (!strcmp(name, vl_strtab_get(&log->reasons, row->reason)) && vl_trace_reason_traced(log->trace_opt, r))
				sum += (int64_t)row->count;
		}
	}
	return sum;
}

static void accounting(const struct vl_log *log, FILE *out)
{
	static const char *const head[] = { "CPU", "APIC", "WRITTEN", "DUMPED", "LOST", "READ", "FILTERED", "OPEN", "STATS", "AGREE" };
	struct table t;

	table_init(&t, 10, head, "rrrrrrrrrl");
	t.name = "accounting";
	for (size_t i = 0; i < log->ntend; i++) {
		const struct vl_trace_end *e = &log->tend[i];
		int64_t st = stats_traced(log, e->apic);
		bool ring_ok = e->records + e->lost + e->read == e->next;
		bool stats_ok = st < 0 || e->next + e->filtered + e->open == (uint64_t)st;

		table_row(&t);
		table_cell(&t, "%llu", (unsigned long long)e->cpu);
		table_cell(&t, "%llu", (unsigned long long)e->apic);
		table_cell(&t, "%llu", (unsigned long long)e->next);
		table_cell(&t, "%llu", (unsigned long long)e->records);
		table_cell(&t, "%llu", (unsigned long long)e->lost);
		table_cell(&t, "%llu", (unsigned long long)e->read);
		table_cell(&t, "%llu", (unsigned long long)e->filtered);
		table_cell(&t, "%llu", (unsigned long long)e->open);
		if (st < 0)
			table_cell(&t, "-");
		else
			table_cell(&t, "%lld", (long long)st);
		table_cell(&t, "%s", !ring_ok ? "no: dumped+lost+read != written"
				     : !stats_ok ? "no: written+filtered+open != STATS" : st < 0 ? "ring only" : "yes");
	}
	fprintf(out, "rings (TRACE end lines): written = dumped + lost + read; written + filtered + open (an\n"
		     "exit still in its handler at the dump) = STATS of the traced reasons (trace=%s)\n",
		log->trace_opt[0] ? log->trace_opt : "? (no options: line)");
	table_print(&t, out, 2);
	table_free(&t);
}

struct group {
	uint16_t reason;
	size_t first, count; /* in the sorted index */
};

static void cost_row(struct table *t, const struct vl_log *log, const size_t *idx, const struct group *g,
		     double seconds)
{
	uint32_t *cyc = malloc(g->count * sizeof(*cyc));
	double sum = 0;
	char name[32], share[16];

	if (!cyc)
		vl_out_of_memory();
	for (size_t k = 0; k < g->count; k++) {
		cyc[k] = log->trace[idx[g->first + k]].r.cycles;
		sum += cyc[k];
	}
	qsort(cyc, g->count, sizeof(*cyc), by_u32);
	tx_percent(share, sizeof(share), g->count, log->ntrace);
	share[strcspn(share, "%")] = '\0';
	table_row(t);
	table_cell(t, "%s", vl_trace_reason_name(g->reason, name, sizeof(name)));
	table_cell(t, "%zu", g->count);
	table_cell(t, "%s", share);
	if (seconds > 0)
		table_cell(t, "%.1f", g->count / seconds);
	else
		table_cell(t, "-");
	table_cell(t, "%.0f", sum / g->count);
	table_cell(t, "%u", cyc[(g->count - 1) * 50 / 100]);
	table_cell(t, "%u", cyc[(g->count - 1) * 99 / 100]);
	table_cell(t, "%u", cyc[g->count - 1]);
	free(cyc);
}

/* Guest seconds the records span on their CPUs (first to last TSC of each CPU, the
 * longest), at hz. */
static double span_seconds(const struct vl_log *log, double hz, uint64_t *ticks)
{
	uint64_t lo[256], hi[256];
	bool seen[256] = { false };

	*ticks = 0;
	for (size_t i = 0; i < log->ntrace; i++) {
		const struct trace_record *r = &log->trace[i].r;
		if (!seen[r->cpu] || r->tsc < lo[r->cpu])
			lo[r->cpu] = r->tsc;
		if (!seen[r->cpu] || r->tsc > hi[r->cpu])
			hi[r->cpu] = r->tsc;
		seen[r->cpu] = true;
	}
	for (unsigned c = 0; c < 256; c++)
		if (seen[c] && hi[c] - lo[c] > *ticks)
			*ticks = hi[c] - lo[c];
	return hz > 0 ? (double)*ticks / hz : 0;
}

static void reasons(const struct vl_log *log, const size_t *idx, const struct group *g, size_t ng,
		    const struct records_opts *o, FILE *out)
{
	static const char *const head[] = { "REASON", "RECORDS", "SHARE%", "PER GUEST S", "CYCLES MEAN", "P50", "P99", "MAX" };
	struct table t;
	uint64_t ticks;
	double s = span_seconds(log, o->tsc_hz, &ticks);

	fprintf(out, "\nby reason: root-mode TSC ticks per exit (from the start of the whole exit path to\n"
		     "its end in C); per second of guest time over %.3f s (%llu TSC ticks at %.3f MHz, %s)\n",
		s, (unsigned long long)ticks, o->tsc_hz / 1e6, o->tsc_source);
	table_init(&t, 8, head, "lrrrrrrr");
	t.name = "reasons";
	for (size_t i = 0; i < ng; i++)
		cost_row(&t, log, idx, &g[i], s);
	table_print(&t, out, 2);
	table_free(&t);
}

struct hit {
	const char *key; /* function name, or NULL for a RIP */
	uint64_t rip, count, cycles;
};

static int by_hits(const void *x, const void *y)
{
	const struct hit *a = x, *b = y;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return a->rip < b->rip ? -1 : a->rip > b->rip;
}

/* The group's records summed by RIP (map NULL) or by function. */
static size_t collect_hits(const struct vl_log *log, const size_t *idx, const struct group *g,
			   const struct symmap *map, struct hit *h)
{
	size_t n = 0;

	for (size_t k = 0; k < g->count; k++) {
		const struct trace_record *r = &log->trace[idx[g->first + k]].r;
		uint64_t off = 0;
		const char *fn = map ? symmap_lookup(map, r->rip, &off) : NULL;
		uint64_t key = map ? (fn ? r->rip - off : 0) : r->rip;
		size_t j = 0;

		while (j < n && h[j].rip != key)
			j++;
		if (j == n)
			h[n++] = (struct hit){ map ? (fn ? fn : "(not kernel text: firmware or user space)") : NULL, key, 0, 0 };
		h[j].count++;
		h[j].cycles += r->cycles;
	}
	qsort(h, n, sizeof(*h), by_hits);
	return n;
}

static void top_rows(struct table *t, const struct vl_log *log, const size_t *idx, const struct group *g,
		     const struct records_opts *o, bool functions)
{
	struct hit *h = malloc(g->count * sizeof(*h));
	char name[32], share[16], fn[160];

	if (!h)
		vl_out_of_memory();
	size_t n = collect_hits(log, idx, g, functions ? o->map : NULL, h);
	for (size_t j = 0; j < n && j < o->top; j++) {
		tx_percent(share, sizeof(share), h[j].count, g->count);
		share[strcspn(share, "%")] = '\0';
		table_row(t);
		table_cell(t, "%s", vl_trace_reason_name(g->reason, name, sizeof(name)));
		if (functions) {
			table_cell(t, "%s", h[j].key);
		} else {
			uint64_t off;
			const char *f = o->map ? symmap_lookup(o->map, h[j].rip, &off) : NULL;
			if (f)
				snprintf(fn, sizeof(fn), "%s+0x%llx", f, (unsigned long long)off);
			table_cell(t, "0x%016llx", (unsigned long long)h[j].rip);
			if (o->map)
				table_cell(t, "%s", f ? fn : "-");
		}
		table_cell(t, "%llu", (unsigned long long)h[j].count);
		table_cell(t, "%s", share);
		table_cell(t, "%.0f", (double)h[j].cycles / h[j].count);
	}
	free(h);
}

static void tops(const struct vl_log *log, const size_t *idx, const struct group *g, size_t ng,
		 const struct records_opts *o, bool functions, FILE *out)
{
	static const char *const rip_head[] = { "REASON", "RIP", "SYMBOL", "COUNT", "SHARE%", "CYCLES MEAN" };
	static const char *const fn_head[] = { "REASON", "FUNCTION", "COUNT", "SHARE%", "CYCLES MEAN" };
	struct table t;

	if (functions) {
		table_init(&t, 5, fn_head, "llrrr");
		t.name = "top_functions";
		fprintf(out, "\ntop kernel functions of each reason (System.map: %zu text symbols)\n", o->map->count);
	} else if (o->map) {
		table_init(&t, 6, rip_head, "lllrrr");
		t.name = "top_rips";
		fprintf(out, "\ntop guest RIPs of each reason\n");
	} else {
		static const char *const head[] = { "REASON", "RIP", "COUNT", "SHARE%", "CYCLES MEAN" };
		table_init(&t, 5, head, "llrrr");
		t.name = "top_rips";
		fprintf(out, "\ntop guest RIPs of each reason (--system-map FILE names kernel functions)\n");
	}
	for (size_t i = 0; i < ng; i++)
		top_rows(&t, log, idx, &g[i], o, functions);
	table_print(&t, out, 2);
	table_free(&t);
}

void report_records(const struct vl_log *log, FILE *out, const struct records_opts *o)
{
	size_t *idx = malloc(log->ntrace * sizeof(*idx)), ng = 0;
	struct group *g = malloc(log->ntrace * sizeof(*g));

	if (!idx || !g)
		vl_out_of_memory();
	fprintf(out, "TRACE records: %zu from %zu ring dump(s)", log->ntrace, log->ntend);
	if (log->dump_records)
		fprintf(out, "; the dump wrote %llu records in %llu ticks (%llu per record)",
			(unsigned long long)log->dump_records, (unsigned long long)log->dump_ticks,
			(unsigned long long)(log->dump_ticks / log->dump_records));
	fputc('\n', out);
	accounting(log, out);
	for (size_t i = 0; i < log->ntrace; i++)
		idx[i] = i;
	sort_trace = log->trace;
	qsort(idx, log->ntrace, sizeof(*idx), by_reason_rip);
	for (size_t i = 0; i < log->ntrace; i++) {
		uint16_t r = log->trace[idx[i]].r.reason;
		if (!ng || g[ng - 1].reason != r)
			g[ng++] = (struct group){ r, i, 0 };
		g[ng - 1].count++;
	}
	reasons(log, idx, g, ng, o, out);
	tops(log, idx, g, ng, o, false, out);
	if (o->map)
		tops(log, idx, g, ng, o, true, out);
	report_halts(log, out, o);
	free(idx);
	free(g);
}
