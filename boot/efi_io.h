/* The UEFI services vmxray uses before launch: console output, load options, the config
 * file, the memory map, page allocation. Only boot/ includes gnu-efi headers. */
#ifndef VMXRAY_BOOT_EFI_IO_H
#define VMXRAY_BOOT_EFI_IO_H
#include <efi.h>
#include <efilib.h>

#include "arch/memory.h"

/* Sets the globals libefi reads (ST, BS, RT, the pool type); vmxray's InitializeLib. */
void efi_lib_init(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);
/* log_sink_fn for the UEFI console (ConOut). ctx unused. */
void efi_console_sink(void *ctx, const char *line, size_t len);
/* True when a console output device is a serial terminal (a UART device path node):
 * then the firmware already mirrors its console to serial. */
BOOLEAN efi_console_on_serial(void);
/* The image's load options as ASCII (non-ASCII becomes '?'), NUL-terminated. */
void efi_load_options_ascii(EFI_LOADED_IMAGE *li, char *out, UINTN cap);
/* Reads \EFI\vmxray\vmxray.cfg from the image's volume into buf; returns its length,
 * 0 when there is none, -1 when it is larger than cap - 1. */
INTN efi_read_config(EFI_LOADED_IMAGE *li, char *buf, UINTN cap);
/* Adds every RAM range of the UEFI memory map (all types an OS may use as memory). */
EFI_STATUS efi_ram_map(struct mem_map *m);

#endif
