/* vmxlog dump, vmxlog diff: decoded VMCS dumps as tables, and their differences. */
#include <string.h>

#include "tools/vmxlog/report.h"
#include "tools/vmxlog/table.h"
#include "tools/vmxlog/text.h"

#define DECODED_WIDTH 72 /* a " | " list wraps to rows of at most this many characters */

void dump_describe(const struct vl_log *log, size_t i, char *buf, size_t n)
{
	const struct vl_dump *d = &log->dump[i];
	char cpu[16];

	snprintf(buf, n, "dump %zu of %zu (%s, line %lu%s): %s", i + 1, log->ndump,
		 vl_cpu_name(d->cpu, cpu, sizeof(cpu)), d->line,
		 d->complete ? "" : ", incomplete: no end line", d->title);
}

static void format_value(char *buf, size_t n, const struct vl_field *f)
{
	snprintf(buf, n, "0x%0*llx", (int)f->digits, (unsigned long long)f->value);
}

/* The decoded text, with the exit reason it was decoded for: "(CR_ACCESS) mov to cr4". */
static void format_decoded(char *buf, size_t n, const struct vl_field *f)
{
	if (!f->detail)
		buf[0] = '\0';
	else if (f->note[0])
		snprintf(buf, n, "(%s) %s", f->note, f->detail);
	else
		snprintf(buf, n, "%s", f->detail);
}

static void add_field_rows(struct table *t, const struct vl_field *f)
{
	char value[24], decoded[VL_DETAIL_MAX + VL_NAME_MAX + 4];

	format_value(value, sizeof(value), f);
	format_decoded(decoded, sizeof(decoded), f);
	table_row(t);
	table_cell(t, "%s", f->name);
	table_cell(t, "0x%04x", (unsigned)f->enc);
	table_cell(t, "%s", value);
	table_cell_wrapped(t, decoded, " | ", DECODED_WIDTH);
}

static void print_group(const struct vl_dump *d, size_t from, size_t to, FILE *out)
{
	static const char *const head[] = { "FIELD", "ENCODING", "VALUE", "DECODED" };
	struct table t;

	fprintf(out, "\n%s\n", vl_vmcs_group_name((enum vl_vmcs_group)d->field[from].group));
	table_init(&t, 4, head, "llll");
	for (size_t i = from; i < to; i++)
		add_field_rows(&t, &d->field[i]);
	table_print(&t, out, 2);
	table_free(&t);
}

static void print_dump(const struct vl_log *log, size_t i, FILE *out)
{
	const struct vl_dump *d = &log->dump[i];
	char what[2 * VL_TEXT_MAX];
	size_t from = 0;

	dump_describe(log, i, what, sizeof(what));
	fprintf(out, "VMCS %s\n", what);
	if (!d->count)
		fprintf(out, "  (no fields)\n");
	for (size_t j = 1; j <= d->count; j++) {
		if (j < d->count && d->field[j].group == d->field[from].group)
			continue;
		print_group(d, from, j, out);
		from = j;
	}
}

void report_dump(const struct vl_log *log, FILE *out, size_t index)
{
	for (size_t i = 0; i < log->ndump; i++) {
		if (index && i + 1 != index)
			continue;
		if (!index && i)
			fputc('\n', out);
		print_dump(log, i, out);
	}
}

/* ---- diff ---- */

struct diff_count {
	size_t differ, only_a, only_b, compared;
};

static void diff_row(struct table *t, const struct vl_field *f, const char *a, const char *b)
{
	table_row(t);
	table_cell(t, "%s", vl_vmcs_group_name((enum vl_vmcs_group)f->group));
	table_cell(t, "%s", f->name);
	table_cell(t, "0x%04x", (unsigned)f->enc);
	table_cell(t, "%s", a);
	table_cell(t, "%s", b);
}

static void diff_a_side(struct table *t, const struct vl_dump *a, const struct vl_dump *b,
			struct diff_count *n)
{
	char va[24], vb[24];

	for (size_t i = 0; i < a->count; i++) {
		const struct vl_field *fa = &a->field[i];
		long j = vl_dump_find(b, fa->name);

		format_value(va, sizeof(va), fa);
		if (j < 0) {
			diff_row(t, fa, va, "(absent)");
			n->only_a++;
			continue;
		}
		n->compared++;
		if (b->field[j].value == fa->value)
			continue;
		format_value(vb, sizeof(vb), &b->field[j]);
		diff_row(t, fa, va, vb);
		n->differ++;
	}
}

static void diff_b_side(struct table *t, const struct vl_dump *a, const struct vl_dump *b,
			struct diff_count *n)
{
	char vb[24];

	for (size_t j = 0; j < b->count; j++) {
		if (vl_dump_find(a, b->field[j].name) >= 0)
			continue;
		format_value(vb, sizeof(vb), &b->field[j]);
		diff_row(t, &b->field[j], "(absent)", vb);
		n->only_b++;
	}
}

static bool same_text(const char *x, const char *y)
{
	return strcmp(x ? x : "", y ? y : "") == 0;
}

/* Decoded texts of the fields present in both whose value differs. */
static void diff_decoded(const struct vl_dump *a, const struct vl_dump *b, FILE *out)
{
	char ta[VL_DETAIL_MAX + VL_NAME_MAX + 4], tb[sizeof(ta)];
	bool any = false;

	for (size_t i = 0; i < a->count; i++) {
		const struct vl_field *fa = &a->field[i];
		long j = vl_dump_find(b, fa->name);

		if (j < 0 || b->field[j].value == fa->value || same_text(fa->detail, b->field[j].detail))
			continue;
		if (!any)
			fprintf(out, "\nDecoded, where the values differ:\n");
		any = true;
		format_decoded(ta, sizeof(ta), fa);
		format_decoded(tb, sizeof(tb), &b->field[j]);
		fprintf(out, "  %s\n    A: %s\n    B: %s\n", fa->name, ta, tb);
	}
}

size_t report_diff(const struct vl_dump *a, const char *a_name, const struct vl_dump *b,
		   const char *b_name, FILE *out)
{
	static const char *const head[] = { "GROUP", "FIELD", "ENCODING", "A", "B" };
	struct diff_count n = { 0, 0, 0, 0 };
	struct table t;

	fprintf(out, "VMCS diff\n  A: %s\n  B: %s\n", a_name, b_name);
	table_init(&t, 5, head, "lllll");
	diff_a_side(&t, a, b, &n);
	diff_b_side(&t, a, b, &n);
	if (t.rows) {
		fputc('\n', out);
		table_print(&t, out, 2);
	}
	table_free(&t);
	diff_decoded(a, b, out);
	fprintf(out, "\n%zu differ, %zu only in A, %zu only in B; %zu fields in both\n", n.differ,
		n.only_a, n.only_b, n.compared);
	return n.differ + n.only_a + n.only_b;
}
