/* Check reporting for in-guest test programs: one line per check, on the UEFI console
 * and on COM1, "<prog>: PASS #n name", "<prog>: FAIL #n name: why", "<prog>: SKIP #n name: why"
 * (n counts the checks from 1),
 * and a final "<prog>: N passed, M failed, K skipped". The test harness re-counts every
 * line and checks the three numbers against them (tests/integration/lib.bash). */
#ifndef VMXRAY_TOOLS_EFILIB_REPORT_H
#define VMXRAY_TOOLS_EFILIB_REPORT_H
#include <efi.h>
#include <stdbool.h>

void report_init(const char *prog, EFI_SYSTEM_TABLE *st);
/* Also writes every check line and the summary to `path` on the ESP when the summary is
 * printed (the harness reads that file: tests/integration/lib.bash, guest_results). */
void report_to_file(EFI_HANDLE image, const CHAR16 *path);
void report_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void report_pass(const char *name);
void report_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report_skip(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* PASS when ok, else FAIL with the formatted reason. Returns ok. */
bool report_check(bool ok, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prints the summary line; returns the number of failures. */
unsigned report_summary(void);

#endif
