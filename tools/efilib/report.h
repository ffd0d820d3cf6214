/* Check reporting for in-guest test programs: one line per check, on the UEFI console
 * and on COM1, "<prog>: PASS name", "<prog>: FAIL name: why", "<prog>: SKIP name: why",
 * and a final "<prog>: N passed, M failed". SKIPs count as neither. */
#ifndef VMXRAY_TOOLS_EFILIB_REPORT_H
#define VMXRAY_TOOLS_EFILIB_REPORT_H
#include <efi.h>
#include <stdbool.h>

void report_init(const char *prog, EFI_SYSTEM_TABLE *st);
void report_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void report_pass(const char *name);
void report_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report_skip(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* PASS when ok, else FAIL with the formatted reason. Returns ok. */
bool report_check(bool ok, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prints the summary line; returns the number of failures. */
unsigned report_summary(void);

#endif
