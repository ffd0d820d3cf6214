/* Unit test: the table of handled exit reasons in docs/ARCHITECTURE.md ("Exit reasons and
 * the checks that exercise them") against vmx/decode/exit_reasons.def. Every reason whose
 * handler is not exit_unexpected has one row with its number, name and handler; no other
 * row exists; each row names its checks as `file` `what` pairs (the file exists and
 * contains `what`) or says `none` and why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/tree_path.h"

struct def_reason {
	unsigned number;
	const char *name, *handler;
};

static const struct def_reason def[] = {
#define EXIT_REASON(n, name, short_name, facts, handler) { n, #name, #handler },
#include "vmx/decode/exit_reasons.def"
#undef EXIT_REASON
};
#define DEF_COUNT (sizeof(def) / sizeof(def[0]))

static char *read_file(const char *rel)
{
	FILE *f = fopen(test_tree_path(rel), "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	char chunk[4096];
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* The next `token` of s (between backticks) into out; returns the text after it, or NULL. */
static const char *next_token(const char *s, char *out, size_t size)
{
	const char *a = strchr(s, '`');
	const char *b = a ? strchr(a + 1, '`') : NULL;
	if (!b || (size_t)(b - a - 1) >= size)
		return NULL;
	memcpy(out, a + 1, (size_t)(b - a - 1));
	out[b - a - 1] = '\0';
	return b + 1;
}

/* Checks one row's evidence cell: `file` `what` pairs, or "none" and a reason. */
static void check_evidence(unsigned number, const char *cell)
{
	while (*cell == ' ')
		cell++;
	if (!strncmp(cell, "none: ", 6))
		return;
	char file[256], what[128];
	unsigned pairs = 0;
	const char *p = cell;
	while ((p = next_token(p, file, sizeof(file))) != NULL) {
		p = next_token(p, what, sizeof(what));
		if (!p)
			fail_msg("reason %u: `%s` has no `what` after it", number, file);
		char *text = read_file(file);
		if (!text)
			fail_msg("reason %u: %s does not exist", number, file);
		if (!strstr(text, what))
			fail_msg("reason %u: %s does not contain \"%s\"", number, file, what);
		free(text);
		pairs++;
		/* the rest of this pair's note, up to the next ';' */
		const char *semi = strchr(p, ';');
		if (!semi)
			break;
		p = semi + 1;
	}
	if (!pairs)
		fail_msg("reason %u: no checks named and not \"none: why\"", number);
}

static void test_table_matches_def(void **state)
{
	(void)state;
	char *doc = read_file("docs/ARCHITECTURE.md");
	assert_non_null(doc);
	char *begin = strstr(doc, "<!-- exit-table begin -->");
	char *end = strstr(doc, "<!-- exit-table end -->");
	assert_non_null(begin);
	assert_non_null(end);
	*end = '\0';
	bool seen[DEF_COUNT] = { false };
	unsigned rows = 0;
	for (char *line = strtok(begin, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned number;
		char name[64], handler[64];
		int used = 0;
		if (sscanf(line, "| %u | %63s | %63s |%n", &number, name, handler, &used) != 3 || !used)
			continue;
		rows++;
		size_t i = 0;
		while (i < DEF_COUNT && def[i].number != number)
			i++;
		if (i == DEF_COUNT)
			fail_msg("row %u: no such exit reason in exit_reasons.def", number);
		if (strcmp(def[i].name, name) || strcmp(def[i].handler, handler))
			fail_msg("row %u: %s %s, exit_reasons.def says %s %s", number, name, handler, def[i].name,
				 def[i].handler);
		if (!strcmp(handler, "exit_unexpected"))
			fail_msg("row %u: %s is not handled (exit_unexpected)", number, name);
		if (seen[i])
			fail_msg("row %u twice", number);
		seen[i] = true;
		check_evidence(number, line + used);
	}
	for (size_t i = 0; i < DEF_COUNT; i++)
		if (strcmp(def[i].handler, "exit_unexpected") && !seen[i])
			fail_msg("reason %u (%s, %s) has no row in docs/ARCHITECTURE.md", def[i].number, def[i].name,
				 def[i].handler);
	assert_true(rows > 0);
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_matches_def),
	};
	return cmocka_run_group_tests_name("exit_table", tests, NULL, NULL);
}
