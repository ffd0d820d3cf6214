/* Whole-file reads and writes on the file system the running program was loaded from
 * (its LoadedImage DeviceHandle: the ESP), for in-guest programs that keep results
 * between runs. Needs gnu-efi's InitializeLib() to have run. */
#ifndef VMXRAY_TOOLS_EFILIB_FUZZ_FILE_H
#define VMXRAY_TOOLS_EFILIB_FUZZ_FILE_H
#include <efi.h>
#include <stdint.h>

/* Creates or replaces `path` (e.g. L"\\EFI\\vmxray\\x.bin") with len bytes of data. */
EFI_STATUS fuzz_file_write(EFI_HANDLE image, const CHAR16 *path, const void *data, uint64_t len);
/* Reads the whole file into pool memory (*data, free with FreePool). */
EFI_STATUS fuzz_file_read(EFI_HANDLE image, const CHAR16 *path, void **data, uint64_t *len);

#endif
