/* vmxlog: plain-text tables, columns sized to their widest cell. */
#ifndef VMXRAY_TOOLS_VMXLOG_TABLE_H
#define VMXRAY_TOOLS_VMXLOG_TABLE_H
#include <stddef.h>
#include <stdio.h>

#define TABLE_MAX_COLS 10
#define TABLE_CELL_MAX 512
#define TABLE_RULE_MAX 40

struct table {
	const char *name;           /* in JSON Lines and CSV; NULL: "<command>.<n>" */
	unsigned ncols;
	const char *head[TABLE_MAX_COLS];
	char align[TABLE_MAX_COLS]; /* 'l' or 'r' */
	char **cell;                /* rows * ncols, row-major */
	size_t rows, cap;
	unsigned filled;            /* cells given for the last row */
};

/* head: ncols column titles; align: ncols characters, 'l' or 'r'. */
void table_init(struct table *t, unsigned ncols, const char *const *head, const char *align);
/* Starts a row; its cells are empty until table_cell() fills them, left to right. */
void table_row(struct table *t);
void table_cell(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A last cell that may be long: text is cut after a separator sep so that each piece
 * has at most width characters (the separator stays at the end of its piece, trailing
 * spaces dropped); the pieces go on continuation rows whose other cells are empty. */
void table_cell_wrapped(struct table *t, const char *text, const char *sep, size_t width);
/* Header, a rule of dashes, the rows; each line starts with indent spaces. The last
 * column is not padded, and its rule is at most TABLE_RULE_MAX dashes. */
void table_print(const struct table *t, FILE *out, unsigned indent);
void table_free(struct table *t);

/* --format: text (the default) prints tables as above; jsonl writes each row as one JSON
 * object {"table": NAME, "<column>": value, ...} and csv a header line per table and its
 * rows, both with the table's name first, to machine_out; table_print's own out is then
 * ignored (vmxlog sends a report's prose elsewhere). Column keys: the header in lower case,
 * runs of other characters as one '_'; a cell that is a decimal number is a JSON number. */
enum table_format { TABLE_TEXT, TABLE_JSONL, TABLE_CSV };
void table_set_format(enum table_format f, FILE *machine_out, const char *command);

#endif
