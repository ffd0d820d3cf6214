/* Chain-loading the next boot stage from the guest side, boot services up (see
 * boot/chain.h). UEFI. */
#include "boot/chain.h"

#include <efilib.h>

#include "drivers/log.h"

#include <string.h>

static EFI_STATUS start_image(EFI_HANDLE parent, EFI_DEVICE_PATH *path, const CHAR16 *args)
{
	EFI_HANDLE child = NULL;
	EFI_STATUS s = uefi_call_wrapper(BS->LoadImage, 6, FALSE, parent, path, NULL, 0, &child);
	if (EFI_ERROR(s))
		return s;
	if (args && args[0]) {
		EFI_LOADED_IMAGE *li;
		if (!EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, child, &LoadedImageProtocol, (void **)&li))) {
			li->LoadOptions = (void *)args;
			li->LoadOptionsSize = (UINT32)((StrLen(args) + 1) * sizeof(CHAR16));
		}
	}
	return uefi_call_wrapper(BS->StartImage, 3, child, NULL, NULL);
}

static void ascii_to_ucs2(const char *in, CHAR16 *out, UINTN cap)
{
	UINTN i = 0;
	for (; in[i] && i + 1 < cap; i++)
		out[i] = (CHAR16)(unsigned char)in[i];
	out[i] = 0;
}

static BOOLEAN running_as_removable_boot(EFI_LOADED_IMAGE *li)
{
	CHAR16 *p = DevicePathToStr(li->FilePath);
	BOOLEAN r = p && (StriCmp(p, L"\\EFI\\BOOT\\BOOTX64.EFI") == 0 ||
			  StriCmp(p, L"\\EFI\\BOOT\\BOOTX64.efi") == 0);
	if (p)
		FreePool(p);
	return r;
}

/* The device path of Boot#### (EFI_LOAD_OPTION: attributes, path length, description,
 * paths; UEFI spec, "Load Options"). */
static EFI_DEVICE_PATH *boot_option_path(UINT16 n)
{
	CHAR16 name[16];
	UINTN size = 0;
	SPrint(name, sizeof(name), L"Boot%04x", n);
	UINT8 *opt = LibGetVariableAndSize(name, &EfiGlobalVariable, &size);
	if (!opt || size < 6)
		return NULL;
	UINT16 path_len;
	memcpy(&path_len, opt + 4, 2);
	UINTN desc = 6;
	while (desc + 1 < size && (opt[desc] || opt[desc + 1]))
		desc += 2;
	desc += 2;
	if (desc + path_len > size)
		return NULL;
	return DuplicateDevicePath((EFI_DEVICE_PATH *)(opt + desc));
}

static EFI_STATUS start_next_boot_option(EFI_HANDLE image)
{
	UINTN size = 0, cur_size = 0;
	UINT16 *order = LibGetVariableAndSize(L"BootOrder", &EfiGlobalVariable, &size);
	UINT16 *current = LibGetVariableAndSize(L"BootCurrent", &EfiGlobalVariable, &cur_size);
	if (!order || !current)
		return EFI_NOT_FOUND;
	UINTN n = size / 2, i = 0;
	while (i < n && order[i] != *current)
		i++;
	for (i++; i < n; i++) {
		EFI_DEVICE_PATH *p = boot_option_path(order[i]);
		if (!p)
			continue;
		log_info("chain: starting boot option Boot%04x", order[i]);
		EFI_STATUS s = start_image(image, p, NULL);
		if (!EFI_ERROR(s))
			return s;
		log_warn("chain: Boot%04x did not start (status 0x%lx); trying the next one", order[i], (uint64_t)s);
	}
	return EFI_NOT_FOUND;
}

EFI_STATUS chain_next(EFI_HANDLE image, const struct vmxray_options *o)
{
	EFI_LOADED_IMAGE *li;
	if (!strcmp(o->chain, "none"))
		return EFI_SUCCESS;
	if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li)))
		return EFI_LOAD_ERROR;
	if (!o->chain[0])
		return running_as_removable_boot(li) ? start_next_boot_option(image) : EFI_SUCCESS;
	static CHAR16 path[OPT_PATH_MAX], args[OPT_LIST_MAX];
	ascii_to_ucs2(o->chain, path, OPT_PATH_MAX);
	ascii_to_ucs2(o->chain_args, args, OPT_LIST_MAX);
	EFI_DEVICE_PATH *dp = FileDevicePath(li->DeviceHandle, path);
	if (!dp)
		return EFI_OUT_OF_RESOURCES;
	log_info("chain: starting %s %s", o->chain, o->chain_args);
	EFI_STATUS s = start_image(image, dp, args);
	if (EFI_ERROR(s))
		log_error("chain: %s could not be started: status 0x%lx", o->chain, (uint64_t)s);
	return s;
}
