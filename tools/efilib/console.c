/* ASCII text on the UEFI console: see console.h. */
#include "tools/efilib/console.h"

#include <efilib.h>

void console_write(EFI_SYSTEM_TABLE *st, const char *s, size_t n)
{
	CHAR16 buf[CONSOLE_LINE_MAX + 2];
	size_t j = 0;

	if (!st || !st->ConOut)
		return;
	for (size_t i = 0; i < n && j < CONSOLE_LINE_MAX; i++) {
		if (s[i] == '\n')
			buf[j++] = L'\r';
		buf[j++] = (CHAR16)(unsigned char)s[i];
	}
	buf[j] = 0;
	uefi_call_wrapper(st->ConOut->OutputString, 2, st->ConOut, buf);
}
