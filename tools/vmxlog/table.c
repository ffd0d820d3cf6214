/* vmxlog: plain-text tables. See table.h. */
#include "tools/vmxlog/table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tools/vmxlog/text.h"

void table_init(struct table *t, unsigned ncols, const char *const *head, const char *align)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols < TABLE_MAX_COLS ? ncols : TABLE_MAX_COLS;
	for (unsigned i = 0; i < t->ncols; i++) {
		t->head[i] = head[i];
		t->align[i] = align[i] == 'r' ? 'r' : 'l';
	}
}

void table_row(struct table *t)
{
	size_t need = (t->rows + 1) * t->ncols;

	t->cell = vl_grow(t->cell, &t->cap, need, sizeof(*t->cell));
	for (size_t i = t->rows * t->ncols; i < need; i++)
		t->cell[i] = NULL;
	t->rows++;
	t->filled = 0;
}

void table_cell(struct table *t, const char *fmt, ...)
{
	char buf[TABLE_CELL_MAX];
	va_list ap;

	if (!t->rows || t->filled >= t->ncols)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	t->cell[(t->rows - 1) * t->ncols + t->filled++] = vl_strndup(buf, strlen(buf));
}

/* Where the first piece of text ends: after the last separator that ends within width. */
static size_t wrap_at(const char *text, const char *sep, size_t width)
{
	size_t cut = 0, n = strlen(sep);

	for (size_t i = 0; text[i] && i + n <= width; i++)
		if (strncmp(text + i, sep, n) == 0)
			cut = i + n;
	return cut;
}

void table_cell_wrapped(struct table *t, const char *text, const char *sep, size_t width)
{
	unsigned col = t->filled;
	size_t cut;

	while (strlen(text) > width && (cut = wrap_at(text, sep, width)) > 0) {
		size_t len = cut;

		while (len && text[len - 1] == ' ')
			len--;
		table_cell(t, "%.*s", (int)len, text);
		text += cut;
		table_row(t);
		for (unsigned c = 0; c < col; c++)
			table_cell(t, "%s", "");
	}
	table_cell(t, "%s", text);
}

static const char *cell_at(const struct table *t, size_t row, unsigned col)
{
	const char *s = t->cell[row * t->ncols + col];

	return s ? s : "";
}

/* One line, without trailing spaces. */
static void print_line(const struct table *t, FILE *out, unsigned indent, const size_t *width,
		       const char *const *text)
{
	char line[TABLE_MAX_COLS * (TABLE_CELL_MAX + 2) + 80];
	size_t len = (size_t)snprintf(line, sizeof(line), "%*s", (int)(indent % 64), "");

	for (unsigned c = 0; c < t->ncols && len < sizeof(line); c++) {
		const char *fmt = t->align[c] == 'r' ? "%s%*s" : "%s%-*s";

		len += (size_t)snprintf(line + len, sizeof(line) - len, fmt, c ? "  " : "",
					(int)width[c], text[c]);
	}
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	while (len && line[len - 1] == ' ')
		len--;
	line[len] = '\0';
	fprintf(out, "%s\n", line);
}

static enum table_format g_format;
static FILE *g_machine_out;
static const char *g_command = "table";
static unsigned g_tables;

void table_set_format(enum table_format f, FILE *machine_out, const char *command)
{
	g_format = f;
	g_machine_out = machine_out;
	g_command = command;
	g_tables = 0;
}

static void column_key(const char *head, char *buf, size_t n)
{
	size_t o = 0;

	for (const char *s = head; *s && o + 2 < n; s++) {
		char ch = *s;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			buf[o++] = ch;
		else if (ch == '%' && o + 5 < n) { /* "SHARE%" -> share_pct */
			if (o && buf[o - 1] != '_')
				buf[o++] = '_';
			memcpy(buf + o, "pct", 3);
			o += 3;
		}
		else if (o && buf[o - 1] != '_')
			buf[o++] = '_';
	}
	while (o && buf[o - 1] == '_')
		o--;
	buf[o] = '\0';
}

static bool is_number(const char *s)
{
	const char *p = s + (*s == '-');
	bool digits = false, dot = false;

	if (*p == '0' && p[1] >= '0' && p[1] <= '9')
		return false; /* leading zeros: keep it a string */
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits = true;
		else if (*p == '.' && !dot && digits)
			dot = true;
		else
			return false;
	}
	return digits && p[-1] != '.';
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch > 0x7e)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void csv_cell(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void table_print_machine(const struct table *t)
{
	char name[64], key[TABLE_MAX_COLS][64];
	FILE *out = g_machine_out;

	if (t->name)
		snprintf(name, sizeof(name), "%s", t->name);
	else
		snprintf(name, sizeof(name), "%s.%u", g_command, g_tables);
	for (unsigned c = 0; c < t->ncols; c++)
		column_key(t->head[c], key[c], sizeof(key[c]));
	if (g_format == TABLE_CSV) {
		fputs("table", out);
		for (unsigned c = 0; c < t->ncols; c++)
			fprintf(out, ",%s", key[c]);
		fputc('\n', out);
	}
	for (size_t r = 0; r < t->rows; r++) {
		if (g_format == TABLE_CSV)
			csv_cell(out, name);
		else
			fprintf(out, "{\"table\":\"%s\"", name);
		for (unsigned c = 0; c < t->ncols; c++) {
			const char *v = t->cell[r * t->ncols + c] ? t->cell[r * t->ncols + c] : "";
			if (g_format == TABLE_CSV) {
				fputc(',', out);
				csv_cell(out, v);
				continue;
			}
			fprintf(out, ",\"%s\":", key[c]);
			if (is_number(v))
				fputs(v, out);
			else
				json_string(out, v);
		}
		fputs(g_format == TABLE_CSV ? "\n" : "}\n", out);
	}
}

void table_print(const struct table *t, FILE *out, unsigned indent)
{
	g_tables++;
	if (g_format != TABLE_TEXT && g_machine_out) {
		table_print_machine(t);
		return;
	}
	size_t width[TABLE_MAX_COLS];
	const char *text[TABLE_MAX_COLS];
	char rule[TABLE_MAX_COLS][TABLE_CELL_MAX];

	for (unsigned c = 0; c < t->ncols; c++) {
		width[c] = strlen(t->head[c]);
		for (size_t r = 0; r < t->rows; r++)
			if (strlen(cell_at(t, r, c)) > width[c])
				width[c] = strlen(cell_at(t, r, c));
		size_t n = width[c] < TABLE_CELL_MAX ? width[c] : TABLE_CELL_MAX - 1;

		if (c + 1 == t->ncols && t->align[c] == 'l' && n > TABLE_RULE_MAX)
			n = TABLE_RULE_MAX > strlen(t->head[c]) ? TABLE_RULE_MAX : strlen(t->head[c]);

		memset(rule[c], '-', n);
		rule[c][n] = '\0';
		text[c] = rule[c];
	}
	print_line(t, out, indent, width, t->head);
	print_line(t, out, indent, width, text);
	for (size_t r = 0; r < t->rows; r++) {
		for (unsigned c = 0; c < t->ncols; c++)
			text[c] = cell_at(t, r, c);
		print_line(t, out, indent, width, text);
	}
}

void table_free(struct table *t)
{
	for (size_t i = 0; i < t->rows * t->ncols; i++)
		free(t->cell[i]);
	free(t->cell);
	memset(t, 0, sizeof(*t));
}
