/* symexport: one /proc/kallsyms line as a System.map line (pure; tests/unit/test_kallsyms_line.c). */
#ifndef TOOLS_SYMEXPORT_KALLSYMS_LINE_H
#define TOOLS_SYMEXPORT_KALLSYMS_LINE_H

#include <stdbool.h>
#include <stddef.h>

/* s: one NUL-terminated line, "ffffffff81000000 T _stext\n" or, for a module's symbol,
 * "ffffffffc0000000 t name\t[module]\n". When it is a text symbol (type t, T, w or W: the
 * ones tools/vmxlog/symmap.c keeps) with a name of printable characters ('!' to '~'),
 * writes "ADDR TYPE NAME" (no newline, no NUL, the module dropped) to out, at most cap
 * bytes, and returns its length; otherwise returns 0.
 * *zero says whether the address is all zeros (kptr_restrict hides it that way). */
size_t kallsyms_map_line(const char *s, char *out, size_t cap, bool *zero);

#endif
