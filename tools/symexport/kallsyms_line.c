/* symexport: one /proc/kallsyms line as a System.map line (kallsyms_line.h). */
#include "tools/symexport/kallsyms_line.h"

#include <string.h>

size_t kallsyms_map_line(const char *s, char *out, size_t cap, bool *zero)
{
	size_t a = strspn(s, "0123456789abcdef");
	size_t name, end;
	char t;

	/* "ADDR T NAME": 1 to 16 hex digits, a blank, one type letter, a blank, the name */
	if (a == 0 || a > 16 || s[a] != ' ' || s[a + 1] == '\0' || s[a + 2] != ' ')
		return 0;
	t = s[a + 1];
	if (t != 't' && t != 'T' && t != 'w' && t != 'W')
		return 0;
	/* the name: printable characters up to the line's end or a module's "\t[name]" (what
	 * vmxlog's System.map reader accepts) */
	name = a + 3;
	for (end = name; s[end] > ' ' && s[end] <= '~'; end++)
		;
	if (end == name || end > cap || (s[end] != '\0' && s[end] != '\n' && s[end] != '\t'))
		return 0;
	*zero = strspn(s, "0") >= a;
	memcpy(out, s, end);
	return end;
}
