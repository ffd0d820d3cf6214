/* The in-guest programs' command-line splitter (see cmdline.h). */
#include "tools/efilib/cmdline.h"

#include <efi.h>
#include <efilib.h>

static char cmdline_char(CHAR16 c, enum cmdline_case mode)
{
	if (mode == CMDLINE_LOWER && c >= L'A' && c <= L'Z')
		return (char)(c - L'A' + 'a');
	return c < 0x80 ? (char)c : '?';
}

unsigned cmdline_split(void *image, enum cmdline_case mode, size_t word_max, cmdline_word_fn fn,
		       void *ctx)
{
	EFI_LOADED_IMAGE *li = NULL;
	char w[CMDLINE_WORD_MAX];
	size_t wn = 0;
	unsigned count = 0;

	if (word_max > sizeof(w))
		word_max = sizeof(w);
	if (uefi_call_wrapper(BS->HandleProtocol, 3, (EFI_HANDLE)image, &LoadedImageProtocol, (void **)&li) !=
		    EFI_SUCCESS ||
	    !li || !li->LoadOptions)
		return 0;
	const CHAR16 *s = li->LoadOptions;
	size_t n = li->LoadOptionsSize / sizeof(CHAR16);
	for (size_t i = 0; i <= n; i++) {
		CHAR16 c = i < n ? s[i] : 0;
		if (c != 0 && c != L' ' && c != L'\t') {
			if (wn < word_max - 1)
				w[wn++] = cmdline_char(c, mode);
			continue;
		}
		if (wn) {
			w[wn] = 0;
			wn = 0;
			if (!fn(ctx, count++, w))
				return count;
		}
		if (c == 0)
			break;
	}
	return count;
}
