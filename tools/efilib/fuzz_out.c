/* Line output for the in-guest fuzzer: see fuzz_out.h. */
#include "tools/efilib/fuzz_out.h"

#include <stdarg.h>
#include <stddef.h>

#include "drivers/fmt.h"
#include "tools/efilib/serial.h"

#define FUZZ_OUT_LINE_MAX 256

static const char *fuzz_out_prog = "fuzz";
static EFI_SYSTEM_TABLE *fuzz_out_st;

void fuzz_out_init(const char *prog, EFI_SYSTEM_TABLE *st)
{
	fuzz_out_prog = prog;
	fuzz_out_st = st;
}

static void fuzz_out_console(const char *s, size_t n)
{
	CHAR16 buf[FUZZ_OUT_LINE_MAX + 2];
	size_t j = 0;

	if (!fuzz_out_st || !fuzz_out_st->ConOut)
		return;
	for (size_t i = 0; i < n && j < FUZZ_OUT_LINE_MAX; i++) {
		if (s[i] == '\n')
			buf[j++] = L'\r';
		buf[j++] = (CHAR16)(unsigned char)s[i];
	}
	buf[j] = 0;
	uefi_call_wrapper(fuzz_out_st->ConOut->OutputString, 2, fuzz_out_st->ConOut, buf);
}

void fuzz_out_line(const char *fmt, ...)
{
	char line[FUZZ_OUT_LINE_MAX];
	size_t n = fmt_snprintf(line, sizeof(line), "%s: ", fuzz_out_prog);
	va_list ap;

	if (n < sizeof(line)) {
		va_start(ap, fmt);
		n += fmt_vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		va_end(ap);
	}
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	line[n] = 0;
	fuzz_out_console(line, n);
	serial_write(line, n);
}
