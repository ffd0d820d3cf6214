/* Line output for the in-guest fuzzer: "<prog>: text" on the UEFI console and on COM1
 * (the serial log the test harness reads), like report.h but with free-form lines. */
#ifndef VMXRAY_TOOLS_EFILIB_FUZZ_OUT_H
#define VMXRAY_TOOLS_EFILIB_FUZZ_OUT_H
#include <efi.h>

void fuzz_out_init(const char *prog, EFI_SYSTEM_TABLE *st);
/* One line: the program name, ": ", the formatted text, a newline. */
void fuzz_out_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
