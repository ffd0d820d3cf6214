/* Starting the next boot stage after launch (runs in the original image, as the guest,
 * with boot services up). */
#ifndef VMXRAY_BOOT_CHAIN_H
#define VMXRAY_BOOT_CHAIN_H
#include <efi.h>

#include "boot/options.h"

/* chain=PATH: load PATH from vmxray's own volume and start it with chain_args.
 * chain="" (default): when vmxray runs as \EFI\BOOT\BOOTX64.EFI, start the boot option
 * that follows the current one in BootOrder; otherwise return to the caller (the shell).
 * chain=none: return to the caller. Returns what the started image returned, or
 * EFI_SUCCESS when nothing was to be started. */
EFI_STATUS chain_next(EFI_HANDLE image, const struct vmxray_options *o);

#endif
