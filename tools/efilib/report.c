/* Check reporting: see report.h. */
#include "tools/efilib/report.h"

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "drivers/fmt.h"
#include "tools/efilib/console.h"
#include "tools/efilib/fuzz_file.h"
#include "tools/efilib/serial.h"

#define REPORT_LINE_MAX 256

static const char *report_prog = "test";
static EFI_SYSTEM_TABLE *report_st;
/* Every line also goes into this buffer, written to a file on the ESP with the summary:
 * the serial port is shared with the firmware's mirrored console and with vmxray's log
 * from other CPUs, which can break a line up; the file holds each line once, whole. */
#define REPORT_FILE_MAX (64 * 1024)
#define REPORT_SUMMARY_ROOM 128 /* kept free for the summary line */
static char report_file_buf[REPORT_FILE_MAX];
static size_t report_file_len;
static EFI_HANDLE report_image;
static const CHAR16 *report_path;
static unsigned report_passed, report_failed, report_skipped;
/* Every check line carries its number (#1, #2, ...): the harness finds each one once even
 * where the log holds two copies (the firmware mirrors its console to the serial port) or
 * another writer broke one copy up, and knows when a line is missing. */
static unsigned report_seq;

void report_init(const char *prog, EFI_SYSTEM_TABLE *st)
{
	report_prog = prog;
	report_st = st;
	report_passed = 0;
	report_failed = 0;
	report_skipped = 0;
	report_seq = 0;
	report_file_len = 0;
	report_path = NULL;
}

void report_to_file(EFI_HANDLE image, const CHAR16 *path)
{
	report_image = image;
	report_path = path;
}

/* A line that does not fit is left out; the summary always fits, so the harness sees
 * the gap in the check numbers. */
static void file_append(const char *s, size_t n, bool summary)
{
	if (report_file_len + n > sizeof(report_file_buf) - (summary ? 0 : REPORT_SUMMARY_ROOM))
		return;
	memcpy(report_file_buf + report_file_len, s, n);
	report_file_len += n;
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
	if (report_path)
		file_append(line, n, !*kind);
}

static void report_emit_v(const char *kind, const char *name, const char *fmt, va_list ap)
{
	char text[REPORT_LINE_MAX];
	size_t n = fmt_snprintf(text, sizeof(text), "#%u %s", ++report_seq, name);

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

static void report_emit_name(const char *kind, const char *name, ...)
{
	va_list ap;

	va_start(ap, name);
	report_emit_v(kind, name, NULL, ap);
	va_end(ap);
}

void report_pass(const char *name)
{
	report_passed++;
	report_emit_name("PASS ", name);
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

	report_skipped++;
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

	fmt_snprintf(text, sizeof(text), "%u passed, %u failed, %u skipped", report_passed, report_failed,
		     report_skipped);
	report_emit("", text);
	if (report_path) {
		EFI_STATUS st = fuzz_file_write(report_image, report_path, report_file_buf, report_file_len);
		if (EFI_ERROR(st))
			report_info("cannot write the results file: status 0x%lx", (uint64_t)st);
	}
	return report_failed;
}
