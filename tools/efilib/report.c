/* Check reporting: see report.h. */
#include "tools/efilib/report.h"

#include <stdarg.h>
#include <stddef.h>

#include "drivers/fmt.h"
#include "tools/efilib/console.h"
#include "tools/efilib/serial.h"

#define REPORT_LINE_MAX 256

static const char *report_prog = "test";
static EFI_SYSTEM_TABLE *report_st;
static unsigned report_passed, report_failed;

void report_init(const char *prog, EFI_SYSTEM_TABLE *st)
{
	report_prog = prog;
	report_st = st;
	report_passed = 0;
	report_failed = 0;
}

/* "<prog>: <kind><text>\n" to both sinks. */
static void report_emit(const char *kind, const char *text)
{
	char line[REPORT_LINE_MAX];
	size_t n = fmt_snprintf(line, sizeof(line), "%s: %s%s\n", report_prog, kind, text);

	if (n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	console_write(report_st, line, n);
	serial_write(line, n);
}

static void report_emit_v(const char *kind, const char *name, const char *fmt, va_list ap)
{
	char text[REPORT_LINE_MAX];
	size_t n = fmt_snprintf(text, sizeof(text), "%s", name);

	if (fmt && n < sizeof(text) - 2) {
		text[n++] = ':';
		text[n++] = ' ';
		fmt_vsnprintf(text + n, sizeof(text) - n, fmt, ap);
	}
	report_emit(kind, text);
}

void report_info(const char *fmt, ...)
{
	char text[REPORT_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	report_emit("INFO ", text);
}

void report_pass(const char *name)
{
	report_passed++;
	report_emit("PASS ", name);
}

void report_fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	report_failed++;
	va_start(ap, fmt);
	report_emit_v("FAIL ", name, fmt, ap);
	va_end(ap);
}

void report_skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_emit_v("SKIP ", name, fmt, ap);
	va_end(ap);
}

bool report_check(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		report_pass(name);
		return true;
	}
	report_failed++;
	va_start(ap, fmt);
	report_emit_v("FAIL ", name, fmt, ap);
	va_end(ap);
	return false;
}

unsigned report_summary(void)
{
	char text[64];

	fmt_snprintf(text, sizeof(text), "%u passed, %u failed", report_passed, report_failed);
	report_emit("", text);
	return report_failed;
}
