/* Line output for the in-guest fuzzer: see fuzz_out.h. */
#include "tools/efilib/fuzz_out.h"

#include <stdarg.h>
#include <stddef.h>

#include "drivers/fmt.h"
#include "tools/efilib/console.h"
#include "tools/efilib/serial.h"

#define FUZZ_OUT_LINE_MAX 256

static const char *fuzz_out_prog = "fuzz";
static EFI_SYSTEM_TABLE *fuzz_out_st;

void fuzz_out_init(const char *prog, EFI_SYSTEM_TABLE *st)
{
	fuzz_out_prog = prog;
	fuzz_out_st = st;
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
	console_write(fuzz_out_st, line, n);
	serial_write(line, n);
}
