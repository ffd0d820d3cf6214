/* vmxlog recorder: flight-recorder blocks as tables, oldest exit first. */
#include "tools/vmxlog/report.h"
#include "tools/vmxlog/table.h"

static void change_cell(struct table *t, const struct vl_rec_change *c)
{
	table_cell(t, "%s 0x%016llx -> 0x%016llx", c->field, (unsigned long long)c->old,
		   (unsigned long long)c->new_);
}

static void entry_rows(const struct vl_log *log, struct table *t, const struct vl_rec_entry *e)
{
	table_row(t);
	table_cell(t, "%llu", (unsigned long long)e->k);
	table_cell(t, "%llu", (unsigned long long)e->seq);
	table_cell(t, "%s", vl_strtab_get(&log->reasons, e->reason));
	table_cell(t, "0x%016llx", (unsigned long long)e->rip);
	table_cell(t, "0x%llx", (unsigned long long)e->qual);
	if (e->count)
		change_cell(t, &e->chg[0]);
	for (size_t i = 1; i < e->count; i++) {
		table_row(t);
		for (unsigned c = 0; c < 5; c++)
			table_cell(t, "%s", "");
		change_cell(t, &e->chg[i]);
	}
}

static void print_recorder(const struct vl_log *log, size_t i, FILE *out)
{
	static const char *const head[] = { "#", "SEQ", "REASON", "GUEST RIP", "QUAL",
					    "CHANGED SINCE THE ENTRY BEFORE" };
	const struct vl_recorder *r = &log->rec[i];
	char cpu[16];
	struct table t;

	fprintf(out, "Flight recorder %zu of %zu (%s, line %lu): cpu%llu, why=%s, %llu entries\n", i + 1,
		log->nrec, vl_cpu_name(r->logcpu, cpu, sizeof(cpu)), r->line,
		(unsigned long long)r->cpu, r->why, (unsigned long long)r->entries);
	if (!r->complete)
		fprintf(out, "  (incomplete: no end line)\n");
	if (r->count != r->entries)
		fprintf(out, "  note: %zu entries in the log, the begin line says %llu\n", r->count,
			(unsigned long long)r->entries);
	table_init(&t, 6, head, "rrllll");
	for (size_t j = 0; j < r->count; j++)
		entry_rows(log, &t, &r->entry[j]);
	table_print(&t, out, 2);
	table_free(&t);
}

void report_recorder(const struct vl_log *log, FILE *out)
{
	for (size_t i = 0; i < log->nrec; i++) {
		if (i)
			fputc('\n', out);
		print_recorder(log, i, out);
	}
}
