/* The one command-line splitter of the in-guest programs: the image's LoadOptions (UCS-2,
 * as the shell or a boot option passes them) as ASCII words split at blanks and tabs.
 * Hardware edge: none; needs gnu-efi's InitializeLib() (uses its BS). */
#ifndef VMXRAY_TOOLS_EFILIB_CMDLINE_H
#define VMXRAY_TOOLS_EFILIB_CMDLINE_H
#include <stdbool.h>
#include <stddef.h>

#define CMDLINE_WORD_MAX 64

enum cmdline_case {
	CMDLINE_AS_IS, /* characters as given (non-ASCII as '?') */
	CMDLINE_LOWER, /* A-Z as a-z (non-ASCII as '?') */
};

/* Called once per word, in order, index from 0; word is NUL-terminated. Return false to
 * stop splitting. */
typedef bool (*cmdline_word_fn)(void *ctx, unsigned index, const char *word);

/* Splits the command line of image (an EFI_HANDLE) and calls fn per word, each cut to
 * word_max - 1 characters (word_max at most CMDLINE_WORD_MAX). Returns the number of words
 * passed to fn: all of them unless fn stopped it. No LoadOptions: 0. */
unsigned cmdline_split(void *image, enum cmdline_case mode, size_t word_max, cmdline_word_fn fn,
		       void *ctx);

#endif
