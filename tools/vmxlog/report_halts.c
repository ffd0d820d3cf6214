/* vmxlog records: HLT time per CPU from the TRACE records (issue 21). A traced HLT exit
 * (intercept=hlt) puts the guest CPU in the HLT activity state at the next VM entry
 * (vmx/exit/exit_intercept_insn.c); an event wakes it, and no record says when. What the
 * records do bound: the halt began no earlier than the HLT record's guest TSC plus its own
 * root-mode ticks (the handler ran before the entry), and ended no later than the guest TSC
 * of the CPU's next record (a halted CPU executes nothing, so the next exit is an event's or
 * comes after the wake). The gap between the two is therefore an upper bound of the halted
 * guest time; it is the halted time only when the event that wakes the CPU exits and is
 * traced (e.g. intercept=extint with trace=external_interrupt). A HLT that is the CPU's last
 * record has no end in the records and is counted as open, not timed. */
#include <stdlib.h>
#include <string.h>

#include "tools/vmxlog/report.h"
#include "tools/vmxlog/table.h"
#include "tools/vmxlog/text.h"
#include "vmx/decode/exit_reasons.h"

static const struct vl_trace *halt_trace;

/* Record indices by CPU, then guest TSC, then seq. */
static int by_cpu_tsc(const void *x, const void *y)
{
	const struct trace_record *a = &halt_trace[*(const size_t *)x].r, *b = &halt_trace[*(const size_t *)y].r;

	if (a->cpu != b->cpu)
		return a->cpu < b->cpu ? -1 : 1;
	if (a->tsc != b->tsc)
		return a->tsc < b->tsc ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

struct halts {
	uint64_t records, ended, open, halted, span;
	uint8_t cpu;
};

/* One row per CPU that has records, in idx order (sorted by CPU). */
static size_t count_halts(const struct vl_log *log, const size_t *idx, struct halts *h)
{
	size_t n = 0;

	for (size_t i = 0; i < log->ntrace; i++) {
		const struct trace_record *r = &log->trace[idx[i]].r;
		if (!n || h[n - 1].cpu != r->cpu) {
			h[n++] = (struct halts){ .cpu = r->cpu };
			h[n - 1].span = r->tsc; /* the CPU's first TSC until its last is seen */
		}
		struct halts *c = &h[n - 1];
		bool last = i + 1 == log->ntrace || log->trace[idx[i + 1]].r.cpu != r->cpu;
		if (last)
			c->span = r->tsc - c->span;
		if (r->reason != EXIT_REASON_HLT)
			continue;
		c->records++;
		if (last) {
			c->open++;
			continue;
		}
		uint64_t from = r->tsc + r->cycles, to = log->trace[idx[i + 1]].r.tsc;
		c->ended++;
		c->halted += to > from ? to - from : 0;
	}
	return n;
}

void report_halts(const struct vl_log *log, FILE *out, const struct records_opts *o)
{
	static const char *const head[] = { "CPU", "HLT RECORDS", "ENDED", "OPEN", "HALTED TICKS", "HALTED S",
					    "MEAN TICKS", "TRACED TICKS", "SHARE%" };
	bool any = vl_trace_reason_traced(log->trace_opt, EXIT_REASON_HLT);
	struct table t;
	char share[16];

	for (size_t i = 0; i < log->ntrace && !any; i++)
		any = log->trace[i].r.reason == EXIT_REASON_HLT;
	if (!any || !log->ntrace)
		return;
	size_t *idx = malloc(log->ntrace * sizeof(*idx));
	struct halts *h = malloc(log->ntrace * sizeof(*h));
	if (!idx || !h)
		vl_out_of_memory();
	for (size_t i = 0; i < log->ntrace; i++)
		idx[i] = i;
	halt_trace = log->trace;
	qsort(idx, log->ntrace, sizeof(*idx), by_cpu_tsc);
	size_t n = count_halts(log, idx, h);
	fprintf(out, "\nHLT time per CPU: an upper bound of the guest time each CPU spent halted, the guest-TSC\n"
		     "gap from each HLT record (plus its root-mode ticks) to the CPU's next record; exact\n"
		     "only when the wake-up exits and is traced (an untraced wake counts the run after it).\n"
		     "OPEN: a HLT that is the CPU's last record (not timed); TRACED TICKS: first to last record\n");
	table_init(&t, 9, head, "rrrrrrrrr");
	t.name = "halts";
	for (size_t i = 0; i < n; i++) {
		table_row(&t);
		table_cell(&t, "%u", h[i].cpu);
		table_cell(&t, "%llu", (unsigned long long)h[i].records);
		table_cell(&t, "%llu", (unsigned long long)h[i].ended);
		table_cell(&t, "%llu", (unsigned long long)h[i].open);
		table_cell(&t, "%llu", (unsigned long long)h[i].halted);
		if (o->tsc_hz > 0)
			table_cell(&t, "%.3f", (double)h[i].halted / o->tsc_hz);
		else
			table_cell(&t, "-");
		if (h[i].ended)
			table_cell(&t, "%.0f", (double)h[i].halted / (double)h[i].ended);
		else
			table_cell(&t, "-");
		table_cell(&t, "%llu", (unsigned long long)h[i].span);
		if (h[i].span) {
			tx_percent(share, sizeof(share), h[i].halted, h[i].span);
			share[strcspn(share, "%")] = '\0';
			table_cell(&t, "%s", share);
		} else {
			table_cell(&t, "-");
		}
	}
	table_print(&t, out, 2);
	table_free(&t);
	free(idx);
	free(h);
}
