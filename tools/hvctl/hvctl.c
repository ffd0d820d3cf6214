/* hvctl: talk to a running vmxray from the UEFI shell (its guest): the UEFI platform
 * layer under the shared commands (tools/hvctl/hvctl_cmd.c).
 *
 *   hvctl version   the hypervisor's version ("vmxray 0.1")
 *   hvctl stats     VM exits so far, per exit reason (all CPUs)
 *   hvctl dump      the calling CPU's VMCS, decoded, on vmxray's serial port
 *   hvctl owned     the physical memory ranges vmxray keeps for itself
 *   hvctl log       vmxray's log since start, from its memory (no serial port needed)
 *   hvctl help      this text
 *
 * The shell runs at CPL 0 with memory identity-mapped: buffers are guest-physical
 * addresses. Exit status: EFI_SUCCESS, EFI_NOT_FOUND (vmxray is not running),
 * EFI_INVALID_PARAMETER (usage), EFI_DEVICE_ERROR (a hypercall failed),
 * EFI_OUT_OF_RESOURCES. */
#include <efi.h>
#include <efilib.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "arch/bits.h"
#include "arch/cpu.h"
#include "drivers/fmt.h"
#include "tools/efilib/cmdline.h"
#include "tools/efilib/efimem.h"
#include "tools/efilib/probe.h"
#include "tools/hvctl/hvctl_cmd.h"

#define HVCTL_LINE_MAX 160
#define HVCTL_ARG_MAX 32

static EFI_SYSTEM_TABLE *hvctl_st;

const bool hvctl_platform_user = false;

/* ---- the platform layer: the UEFI console, boot-services pages, the fault catcher ---- */

/* Any length of text, in pieces of at most HVCTL_LINE_MAX characters. */
void hvctl_write(const char *s)
{
	CHAR16 buf[HVCTL_LINE_MAX + 2];

	while (*s) {
		size_t j = 0;

		for (; *s && j < HVCTL_LINE_MAX; s++) {
			if (*s == '\n')
				buf[j++] = L'\r';
			buf[j++] = (CHAR16)(unsigned char)*s;
		}
		buf[j] = 0;
		uefi_call_wrapper(hvctl_st->ConOut->OutputString, 2, hvctl_st->ConOut, buf);
	}
}

void hvctl_printf(const char *fmt, ...)
{
	char line[HVCTL_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	hvctl_write(line);
}

bool hvctl_cpuid(uint32_t leaf, uint32_t out[4])
{
	struct cpuid_regs r;

	if (probe_cpuid(leaf, 0, &r) != PROBE_NO_FAULT)
		return false;
	out[0] = r.eax;
	out[1] = r.ebx;
	out[2] = r.ecx;
	out[3] = r.edx;
	return true;
}

bool hvctl_raw_vmcall(struct hvctl_regs *r, char *why, size_t why_len)
{
	struct probe_regs p = { .rax = r->rax, .rbx = r->rbx, .rcx = r->rcx, .rdx = r->rdx };
	char d[96];
	int v = probe_vmcall(&p);

	if (v != PROBE_NO_FAULT) {
		probe_describe(v, d, sizeof(d));
		fmt_snprintf(why, why_len, "raised %s", d);
		return false;
	}
	*r = (struct hvctl_regs){ p.rax, p.rbx, p.rcx, p.rdx };
	return true;
}

void *hvctl_alloc(uint64_t bytes)
{
	return efimem_alloc_pages(align_up(bytes, PAGE_SIZE) / PAGE_SIZE, UINT64_MAX);
}

void hvctl_free(void *p, uint64_t bytes)
{
	if (p)
		efimem_free_pages(p, align_up(bytes, PAGE_SIZE) / PAGE_SIZE);
}

/* ---- command line ---- */

#define HVCTL_WORDS 3

static bool hvctl_keep_word(void *ctx, unsigned index, const char *word)
{
	char (*w)[HVCTL_ARG_MAX] = ctx;
	if (index < HVCTL_WORDS)
		fmt_snprintf(w[index], HVCTL_ARG_MAX, "%s", word);
	return true;
}

/* Splits LoadOptions into up to HVCTL_WORDS lower-case words; returns how many there
 * were (which may be more than it kept). */
static unsigned hvctl_words(EFI_HANDLE image, char w[HVCTL_WORDS][HVCTL_ARG_MAX])
{
	return cmdline_split(image, CMDLINE_LOWER, HVCTL_ARG_MAX, hvctl_keep_word, w);
}

/* The shell passes the whole command line, the command's own name first; a boot
 * option may pass only the arguments. */
static bool hvctl_is_own_name(const char *w)
{
	size_t n = strlen(w);

	return (n >= 4 && !strcmp(w + n - 4, ".efi")) || !strcmp(w, "hvctl");
}

static EFI_STATUS hvctl_efi_status(enum hvctl_result r)
{
	switch (r) {
	case HVCTL_OK:
		return EFI_SUCCESS;
	case HVCTL_USAGE:
		return EFI_INVALID_PARAMETER;
	case HVCTL_NOT_RUNNING:
		return EFI_NOT_FOUND;
	case HVCTL_NO_MEMORY:
		return EFI_OUT_OF_RESOURCES;
	default:
		return EFI_DEVICE_ERROR;
	}
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	char w[HVCTL_WORDS][HVCTL_ARG_MAX];
	const char *argv[HVCTL_WORDS];
	unsigned n, first = 0;

	InitializeLib(image, st);
	hvctl_st = st;
	n = hvctl_words(image, w);
	if (n && hvctl_is_own_name(w[0]))
		first = 1;
	for (unsigned i = first; i < n && i < HVCTL_WORDS; i++)
		argv[i - first] = w[i];
	probe_init();
	/* argc counts every word, kept or not: more than one is a usage error. */
	return hvctl_efi_status(hvctl_main((int)(n - first), argv));
}
