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

void table_print(const struct table *t, FILE *out, unsigned indent)
{
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
