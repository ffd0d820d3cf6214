/* vmxlog trace: EXIT trace lines summed up per exit reason and per guest RIP. */
#include <stdlib.h>
#include <string.h>

#include "tools/vmxlog/report.h"
#include "tools/vmxlog/table.h"
#include "tools/vmxlog/text.h"

/* qsort has no context argument; vmxlog is single-threaded. */
static const struct vl_exit *sort_exits;
static const struct vl_strtab *sort_names;

static int by_reason_rip(const void *x, const void *y)
{
	const struct vl_exit *a = &sort_exits[*(const size_t *)x], *b = &sort_exits[*(const size_t *)y];

	if (a->reason != b->reason)
		return a->reason < b->reason ? -1 : 1;
	return a->rip < b->rip ? -1 : a->rip > b->rip;
}

static int by_rip_reason_detail(const void *x, const void *y)
{
	const struct vl_exit *a = &sort_exits[*(const size_t *)x], *b = &sort_exits[*(const size_t *)y];

	if (a->rip != b->rip)
		return a->rip < b->rip ? -1 : 1;
	if (a->reason != b->reason)
		return a->reason < b->reason ? -1 : 1;
	return a->detail < b->detail ? -1 : a->detail > b->detail;
}

/* Exit indexes sorted by cmp; malloc'd. */
static size_t *sorted_exits(const struct vl_log *log, int (*cmp)(const void *, const void *))
{
	size_t cap = 0;
	size_t *idx = vl_grow(NULL, &cap, log->nexit ? log->nexit : 1, sizeof(*idx));

	for (size_t i = 0; i < log->nexit; i++)
		idx[i] = i;
	sort_exits = log->exit;
	if (log->nexit)
		qsort(idx, log->nexit, sizeof(*idx), cmp);
	return idx;
}

/* ---- By reason ---- */

struct reason_row {
	uint32_t reason;
	uint64_t count;
	size_t rips; /* distinct guest RIPs */
};

static int reason_rows_cmp(const void *x, const void *y)
{
	const struct reason_row *a = x, *b = y;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(vl_strtab_get(sort_names, a->reason), vl_strtab_get(sort_names, b->reason));
}

static size_t reason_rows(const struct vl_log *log, struct reason_row **rows)
{
	size_t *idx = sorted_exits(log, by_reason_rip);
	struct reason_row *r = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < log->nexit; i++) {
		const struct vl_exit *e = &log->exit[idx[i]], *prev = i ? &log->exit[idx[i - 1]] : NULL;

		if (!prev || prev->reason != e->reason) {
			r = vl_grow(r, &cap, n + 1, sizeof(*r));
			r[n++] = (struct reason_row){ e->reason, 0, 0 };
		}
		r[n - 1].count++;
		r[n - 1].rips += !prev || prev->reason != e->reason || prev->rip != e->rip;
	}
	free(idx);
	sort_names = &log->reasons;
	if (n)
		qsort(r, n, sizeof(*r), reason_rows_cmp);
	*rows = r;
	return n;
}

size_t trace_counts(const struct vl_log *log, struct reason_count **rc)
{
	struct reason_row *r;
	size_t n = reason_rows(log, &r), cap = 0;
	struct reason_count *c = vl_grow(NULL, &cap, n ? n : 1, sizeof(*c));

	for (size_t i = 0; i < n; i++)
		c[i] = (struct reason_count){ r[i].reason, r[i].count };
	free(r);
	*rc = c;
	return n;
}

static void print_by_reason(const struct vl_log *log, FILE *out, size_t top)
{
	static const char *const head[] = { "REASON", "COUNT", "SHARE", "RIPS" };
	struct reason_row *r;
	size_t n = reason_rows(log, &r);
	struct table t;
	char pct[16];

	if (n > top)
		fprintf(out, "\nBy exit reason (top %zu of %zu)\n", top, n);
	else
		fprintf(out, "\nBy exit reason\n");
	table_init(&t, 4, head, "lrrr");
	for (size_t i = 0; i < n && i < top; i++) {
		tx_percent(pct, sizeof(pct), r[i].count, log->nexit);
		table_row(&t);
		table_cell(&t, "%s", vl_strtab_get(&log->reasons, r[i].reason));
		table_cell(&t, "%llu", (unsigned long long)r[i].count);
		table_cell(&t, "%s", pct);
		table_cell(&t, "%zu", r[i].rips);
	}
	table_print(&t, out, 2);
	if (n > top)
		fprintf(out, "  ... %zu more reasons\n", n - top);
	table_free(&t);
	free(r);
}

/* ---- By RIP ---- */

struct rip_row {
	uint64_t rip, count;
	uint32_t reason, detail;   /* the most common reason; its most common detail */
	uint64_t reason_count, detail_count;
	size_t other_reasons;
};

/* The longest run of equal keys in idx[from, to), by key(); returns its start. */
static size_t longest_run(const struct vl_exit *ex, const size_t *idx, size_t from, size_t to,
			  bool by_detail, uint64_t *len)
{
	size_t best = from, run_start = from;

	*len = 0;
	for (size_t i = from; i < to; i++) {
		const struct vl_exit *a = &ex[idx[run_start]], *b = &ex[idx[i]];
		bool same = a->reason == b->reason && (!by_detail || a->detail == b->detail);

		if (!same)
			run_start = i;
		if (i - run_start + 1 > *len) {
			*len = i - run_start + 1;
			best = run_start;
		}
	}
	return best;
}

static struct rip_row rip_group(const struct vl_exit *ex, const size_t *idx, size_t from, size_t to)
{
	struct rip_row r = { ex[idx[from]].rip, to - from, 0, 0, 0, 0, 0 };
	size_t rs = longest_run(ex, idx, from, to, false, &r.reason_count);
	size_t re = rs + r.reason_count;
	size_t ds = longest_run(ex, idx, rs, re, true, &r.detail_count);

	r.reason = ex[idx[rs]].reason;
	r.detail = ex[idx[ds]].detail;
	for (size_t i = from + 1; i < to; i++)
		r.other_reasons += ex[idx[i]].reason != ex[idx[i - 1]].reason;
	return r;
}

static int rip_rows_cmp(const void *x, const void *y)
{
	const struct rip_row *a = x, *b = y;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return a->rip < b->rip ? -1 : a->rip > b->rip;
}

static size_t rip_rows(const struct vl_log *log, struct rip_row **rows)
{
	size_t *idx = sorted_exits(log, by_rip_reason_detail);
	struct rip_row *r = NULL;
	size_t n = 0, cap = 0, from = 0;

	for (size_t i = 1; i <= log->nexit; i++) {
		if (i < log->nexit && log->exit[idx[i]].rip == log->exit[idx[from]].rip)
			continue;
		r = vl_grow(r, &cap, n + 1, sizeof(*r));
		r[n++] = rip_group(log->exit, idx, from, i);
		from = i;
	}
	free(idx);
	if (n)
		qsort(r, n, sizeof(*r), rip_rows_cmp);
	*rows = r;
	return n;
}

static void rip_table_row(const struct vl_log *log, struct table *t, const struct rip_row *r)
{
	const char *detail = vl_strtab_get(&log->details, r->detail);
	char pct[16];

	tx_percent(pct, sizeof(pct), r->count, log->nexit);
	table_row(t);
	table_cell(t, "0x%016llx", (unsigned long long)r->rip);
	table_cell(t, "%llu", (unsigned long long)r->count);
	table_cell(t, "%s", pct);
	if (r->other_reasons)
		table_cell(t, "%s (+%zu more)", vl_strtab_get(&log->reasons, r->reason), r->other_reasons);
	else
		table_cell(t, "%s", vl_strtab_get(&log->reasons, r->reason));
	if (!detail[0])
		table_cell(t, "-");
	else
		table_cell(t, "%s (%llu of %llu)", detail, (unsigned long long)r->detail_count,
			   (unsigned long long)r->reason_count);
}

static void print_by_rip(const struct vl_log *log, FILE *out, size_t top)
{
	static const char *const head[] = { "GUEST RIP", "COUNT", "SHARE", "REASON",
					    "MOST COMMON DETAIL" };
	struct rip_row *r;
	size_t n = rip_rows(log, &r);
	struct table t;

	if (n > top)
		fprintf(out, "\nBy guest RIP (top %zu of %zu)\n", top, n);
	else
		fprintf(out, "\nBy guest RIP\n");
	table_init(&t, 5, head, "lrrll");
	for (size_t i = 0; i < n && i < top; i++)
		rip_table_row(log, &t, &r[i]);
	table_print(&t, out, 2);
	if (n > top)
		fprintf(out, "  ... %zu more RIPs\n", n - top);
	table_free(&t);
	free(r);
}

/* ---- Header ---- */

static int by_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

/* "cpu0 58, cpu1 4" */
static void per_cpu(const struct vl_log *log, char *buf, size_t n)
{
	size_t cap = 0, len = 0;
	uint32_t *c = vl_grow(NULL, &cap, log->nexit ? log->nexit : 1, sizeof(*c));
	char name[16];

	for (size_t i = 0; i < log->nexit; i++)
		c[i] = log->exit[i].cpu;
	if (log->nexit)
		qsort(c, log->nexit, sizeof(*c), by_u32);
	buf[0] = '\0';
	for (size_t i = 0, from = 0; i < log->nexit && len < n; i++) {
		if (i + 1 < log->nexit && c[i + 1] == c[i])
			continue;
		len += (size_t)snprintf(buf + len, n - len, "%s%s %zu", len ? ", " : "",
					vl_cpu_name(c[i], name, sizeof(name)), i + 1 - from);
		from = i + 1;
	}
	free(c);
}

void report_trace(const struct vl_log *log, FILE *out, enum trace_by by, size_t top)
{
	char cpus[512];

	per_cpu(log, cpus, sizeof(cpus));
	fprintf(out, "EXIT trace: %zu traced exits (%s)", log->nexit, cpus);
	if (log->dropped)
		fprintf(out, "; %llu more exits not traced (EXIT dropped lines)", (unsigned long long)log->dropped);
	fputc('\n', out);
	if (by != TRACE_BY_RIP)
		print_by_reason(log, out, top);
	if (by != TRACE_BY_REASON)
		print_by_rip(log, out, top);
}
