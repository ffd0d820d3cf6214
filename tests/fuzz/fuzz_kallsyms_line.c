/* Fuzz target: tools/symexport/kallsyms_line.c, which turns a /proc/kallsyms line (the
 * kernel's text, read by symexport in the Linux payload) into a System.map line.
 *
 * Input: a capacity byte, then the line's bytes (NUL-terminated by the harness, in a heap
 * block of exactly that size; the output buffer too, so a read or write past either is a
 * heap overflow). Checks: no memory error; a result is at most the capacity and, when not
 * 0, a prefix of the line of the form "HEX T NAME" (1 to 16 lower-case hex digits, a blank,
 * one of t T w W, a blank, a name of characters '!' to '~'); the zero flag says the
 * hex digits are all '0'.
 */
// fuzz-srcs: tools/symexport/kallsyms_line.c

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_input.h"
#include "tools/symexport/kallsyms_line.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_result(const char *line, const char *out, size_t n, size_t cap, bool zero)
{
	size_t a = 0;

	if (n > cap || memcmp(out, line, n) != 0)
		abort();
	while (a < n && ((out[a] >= '0' && out[a] <= '9') || (out[a] >= 'a' && out[a] <= 'f')))
		a++;
	if (a == 0 || a > 16 || a + 3 >= n || out[a] != ' ' || out[a + 2] != ' ')
		abort();
	if (!strchr("tTwW", out[a + 1]))
		abort();
	for (size_t k = a + 3; k < n; k++)
		if (out[k] <= ' ' || out[k] > '~')
			abort();
	if (zero != (strspn(out, "0") >= a))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = fz_start(data, size);
	size_t cap = fz_u8(&f), len = f.n;
	char *line = malloc(len + 1), *out = malloc(cap ? cap : 1);
	bool zero = false;

	if (!line || !out)
		abort();
	fz_bytes(&f, line, len);
	line[len] = '\0';
	size_t n = kallsyms_map_line(line, out, cap, &zero);
	if (n)
		check_result(line, out, n, cap, zero);
	free(line);
	free(out);
	return 0;
}
