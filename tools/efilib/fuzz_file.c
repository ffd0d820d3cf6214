/* Whole-file I/O on the image's own file system: see fuzz_file.h. UEFI Spec 2.10,
 * 13.5 "File Protocol". */
#include "tools/efilib/fuzz_file.h"

#include <efilib.h>

static EFI_STATUS fuzz_file_root(EFI_HANDLE image, EFI_FILE_HANDLE *root)
{
	EFI_LOADED_IMAGE *li = NULL;
	EFI_STATUS s = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li);

	if (EFI_ERROR(s))
		return s;
	*root = LibOpenRoot(li->DeviceHandle);
	return *root ? EFI_SUCCESS : EFI_NOT_FOUND;
}

/* Open() with EFI_FILE_MODE_CREATE keeps an existing file's contents: delete it first
 * so that a shorter file does not keep the old tail. */
static void fuzz_file_delete(EFI_FILE_HANDLE root, const CHAR16 *path)
{
	EFI_FILE_HANDLE f;

	if (uefi_call_wrapper(root->Open, 5, root, &f, (CHAR16 *)path, EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE, 0) ==
	    EFI_SUCCESS)
		uefi_call_wrapper(f->Delete, 1, f); /* closes the handle too */
}

static EFI_STATUS fuzz_file_write_all(EFI_FILE_HANDLE f, const void *data, uint64_t len)
{
	const uint8_t *p = data;

	while (len) {
		UINTN n = len;
		EFI_STATUS s = uefi_call_wrapper(f->Write, 3, f, &n, (void *)p);

		if (EFI_ERROR(s))
			return s;
		if (n == 0)
			return EFI_DEVICE_ERROR;
		p += n;
		len -= n;
	}
	return uefi_call_wrapper(f->Flush, 1, f);
}

EFI_STATUS fuzz_file_write(EFI_HANDLE image, const CHAR16 *path, const void *data, uint64_t len)
{
	EFI_FILE_HANDLE root, f;
	EFI_STATUS s = fuzz_file_root(image, &root);

	if (EFI_ERROR(s))
		return s;
	fuzz_file_delete(root, path);
	s = uefi_call_wrapper(root->Open, 5, root, &f, (CHAR16 *)path,
			      EFI_FILE_MODE_CREATE | EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE, 0);
	if (!EFI_ERROR(s)) {
		s = fuzz_file_write_all(f, data, len);
		EFI_STATUS c = uefi_call_wrapper(f->Close, 1, f);

		if (!EFI_ERROR(s))
			s = c;
	}
	uefi_call_wrapper(root->Close, 1, root);
	return s;
}

static EFI_STATUS fuzz_file_read_open(EFI_FILE_HANDLE f, void **data, uint64_t *len)
{
	EFI_FILE_INFO *info = LibFileInfo(f);
	uint8_t *buf;
	uint64_t done = 0;

	if (!info)
		return EFI_DEVICE_ERROR;
	*len = info->FileSize;
	FreePool(info);
	buf = AllocatePool(*len ? *len : 1);
	if (!buf)
		return EFI_OUT_OF_RESOURCES;
	while (done < *len) {
		UINTN n = *len - done;
		EFI_STATUS s = uefi_call_wrapper(f->Read, 3, f, &n, buf + done);

		if (EFI_ERROR(s) || n == 0) {
			FreePool(buf);
			return EFI_ERROR(s) ? s : EFI_END_OF_FILE;
		}
		done += n;
	}
	*data = buf;
	return EFI_SUCCESS;
}

EFI_STATUS fuzz_file_read(EFI_HANDLE image, const CHAR16 *path, void **data, uint64_t *len)
{
	EFI_FILE_HANDLE root, f;
	EFI_STATUS s = fuzz_file_root(image, &root);

	if (EFI_ERROR(s))
		return s;
	s = uefi_call_wrapper(root->Open, 5, root, &f, (CHAR16 *)path, EFI_FILE_MODE_READ, 0);
	if (!EFI_ERROR(s)) {
		s = fuzz_file_read_open(f, data, len);
		uefi_call_wrapper(f->Close, 1, f);
	}
	uefi_call_wrapper(root->Close, 1, root);
	return s;
}
