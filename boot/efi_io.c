/* The UEFI services vmxray uses before launch (see boot/efi_io.h). UEFI. */
#include "boot/efi_io.h"

#include "arch/bits.h"

/* What libefi's functions read (ST, BS, RT and the pool type of AllocatePool), without
 * InitializeLib: that also reads the "EFIDebug" and "Lang" variables and locates the
 * Unicode collation protocol, twice a launch (the original image and the copy), for
 * nothing vmxray uses (libefi's string compares fall back to its own stubs). Leaving
 * InitializeLib out also keeps libefi's byte-loop memcpy and memset out of the link
 * (arch/memcpy.c). */
void efi_lib_init(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	EFI_LOADED_IMAGE *li;

	ST = st;
	BS = st->BootServices;
	RT = st->RuntimeServices;
	if (!EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li)))
		PoolAllocationType = li->ImageDataType;
}

void efi_console_sink(void *ctx, const char *line, size_t len)
{
	CHAR16 buf[128];
	UINTN n = 0;

	(void)ctx;
	for (size_t i = 0; i < len; i++) {
		if (line[i] == '\n')
			buf[n++] = L'\r';
		buf[n++] = (CHAR16)(unsigned char)line[i];
		if (n >= ARRAY_SIZE(buf) - 3 || i + 1 == len) {
			buf[n] = 0;
			uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut, buf);
			n = 0;
		}
	}
}

static BOOLEAN path_has_uart(EFI_DEVICE_PATH *p)
{
	for (; p && !IsDevicePathEnd(p); p = NextDevicePathNode(p))
		if (DevicePathType(p) == MESSAGING_DEVICE_PATH && DevicePathSubType(p) == MSG_UART_DP)
			return TRUE;
	return FALSE;
}

BOOLEAN efi_console_on_serial(void)
{
	EFI_HANDLE *handles = NULL;
	UINTN count = 0;
	BOOLEAN found = FALSE;

	if (EFI_ERROR(LibLocateHandle(ByProtocol, &gEfiSimpleTextOutProtocolGuid, NULL, &count, &handles)))
		return FALSE;
	for (UINTN i = 0; i < count && !found; i++)
		found = path_has_uart(DevicePathFromHandle(handles[i]));
	FreePool(handles);
	return found;
}

void efi_load_options_ascii(EFI_LOADED_IMAGE *li, char *out, UINTN cap)
{
	UINTN n = 0;
	const CHAR16 *s = li->LoadOptions;
	UINTN chars = li->LoadOptionsSize / sizeof(CHAR16);

	for (UINTN i = 0; s && i < chars && s[i] && n + 1 < cap; i++)
		out[n++] = s[i] < 128 ? (char)s[i] : '?';
	out[n] = '\0';
}

INTN efi_read_config(EFI_LOADED_IMAGE *li, char *buf, UINTN cap)
{
	EFI_FILE_HANDLE root = LibOpenRoot(li->DeviceHandle), f;
	if (!root)
		return 0;
	EFI_STATUS s = uefi_call_wrapper(root->Open, 5, root, &f, L"\\EFI\\vmxray\\vmxray.cfg",
					 EFI_FILE_MODE_READ, 0);
	uefi_call_wrapper(root->Close, 1, root);
	if (EFI_ERROR(s))
		return 0;
	UINTN size = cap;
	s = uefi_call_wrapper(f->Read, 3, f, &size, buf);
	uefi_call_wrapper(f->Close, 1, f);
	if (EFI_ERROR(s))
		return 0;
	if (size >= cap)
		return -1;
	buf[size] = '\0';
	return (INTN)size;
}

static BOOLEAN is_ram_type(UINT32 t)
{
	switch (t) {
	case EfiLoaderCode: case EfiLoaderData: case EfiBootServicesCode: case EfiBootServicesData:
	case EfiRuntimeServicesCode: case EfiRuntimeServicesData: case EfiConventionalMemory:
	case EfiACPIReclaimMemory: case EfiACPIMemoryNVS: case 14 /* EfiPersistentMemory */:
		return TRUE;
	default:
		return FALSE;
	}
}

EFI_STATUS efi_ram_map(struct mem_map *m)
{
	UINTN entries, key, desc_size;
	UINT32 desc_ver;
	EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&entries, &key, &desc_size, &desc_ver);
	if (!map)
		return EFI_OUT_OF_RESOURCES;
	for (UINTN i = 0; i < entries; i++) {
		EFI_MEMORY_DESCRIPTOR *d = (EFI_MEMORY_DESCRIPTOR *)((UINT8 *)map + i * desc_size);
		if (is_ram_type(d->Type))
			mem_map_add(m, d->PhysicalStart, d->NumberOfPages * EFI_PAGE_SIZE);
	}
	FreePool(map);
	return EFI_SUCCESS;
}
