/* ASCII text on the UEFI console (ConOut) for the in-guest programs. Needs boot services. */
#ifndef VMXRAY_TOOLS_EFILIB_CONSOLE_H
#define VMXRAY_TOOLS_EFILIB_CONSOLE_H
#include <stddef.h>

#include <efi.h>

#define CONSOLE_LINE_MAX 256

/* Writes the first n bytes of s (at most CONSOLE_LINE_MAX characters), "\n" as "\r\n", to
 * st's ConOut; nothing when st or its ConOut is NULL. */
void console_write(EFI_SYSTEM_TABLE *st, const char *s, size_t n);

#endif
