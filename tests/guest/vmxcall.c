/* vmxcall: drives vmxray's fault paths from the UEFI shell (tests/integration/80-faults.sh).
 *
 *   vmxcall FUNCTION [RBX [RCX]]   one VMCALL with RAX = FUNCTION (numbers decimal or 0x
 *                                  hex), under the fault catcher; prints RAX and RBX after
 *                                  it. "vmxcall 0x7e57" with vmxray's test=root-exception
 *                                  makes vmxray take #UD in root mode.
 *   vmxcall triple-fault           loads an IDT with limit 0 and executes INT3: #BP, then
 *                                  #GP and #DF, find no gate, and the processor shuts down
 *                                  (a triple fault: SDM Vol. 3A, "Interrupt 8—Double Fault
 *                                  Exception (#DF)"). Under vmxray that is a VM exit.
 *   vmxcall rdpmc                  RDPMC (ECX = 0) under the fault catcher; prints the
 *                                  value or the fault. With vmxray's test=unexpected-exit
 *                                  RDPMC exits without a handler and the guest gets #UD
 *                                  (tests/integration/85-failopen.sh).
 *
 * Output on the UEFI console (which OVMF mirrors on COM1), lines starting "vmxcall: ".
 * Exit status: EFI_SUCCESS, EFI_INVALID_PARAMETER (usage), EFI_DEVICE_ERROR (VMCALL
 * faulted: no hypervisor). */
#include <efi.h>
#include <efilib.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "arch/cpu.h"
#include "drivers/fmt.h"
#include "tools/efilib/cmdline.h"
#include "tools/efilib/probe.h"

#define VMXCALL_WORDS 4
#define VMXCALL_WORD_MAX 32
#define VMXCALL_LINE_MAX 160

static bool vmxcall_keep_word(void *ctx, unsigned index, const char *word)
{
	char (*w)[VMXCALL_WORD_MAX] = ctx;
	fmt_snprintf(w[index], VMXCALL_WORD_MAX, "%s", word);
	return index + 1 < VMXCALL_WORDS;
}

/* Splits LoadOptions into up to VMXCALL_WORDS ASCII words; returns how many it kept. */
static unsigned vmxcall_words(EFI_HANDLE image, char w[VMXCALL_WORDS][VMXCALL_WORD_MAX])
{
	return cmdline_split(image, CMDLINE_AS_IS, VMXCALL_WORD_MAX, vmxcall_keep_word, w);
}

/* One line, formatted by drivers/fmt.c (lower-case hex, as the tests match it), on the
 * console. */
static void vmxcall_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void vmxcall_printf(const char *fmt, ...)
{
	char line[VMXCALL_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	Print(L"%a\n", line);
}

/* "123" or "0x7e57"; false when s is not a whole number. */
static bool vmxcall_number(const char *s, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

static EFI_STATUS vmxcall_call(char w[][VMXCALL_WORD_MAX], unsigned n)
{
	uint64_t arg[3] = { 0, 0, 0 };
	char why[96];

	for (unsigned i = 0; i < n; i++) {
		if (!vmxcall_number(w[i], &arg[i])) {
			vmxcall_printf("vmxcall: '%s' is not a number", w[i]);
			return EFI_INVALID_PARAMETER;
		}
	}
	struct probe_regs r = { .rax = arg[0], .rbx = arg[1], .rcx = arg[2] };
	vmxcall_printf("vmxcall: VMCALL rax=0x%lx rbx=0x%lx rcx=0x%lx", r.rax, r.rbx, r.rcx);
	probe_init();
	int v = probe_vmcall(&r);
	if (v != PROBE_NO_FAULT) {
		probe_describe(v, why, sizeof(why));
		vmxcall_printf("vmxcall: VMCALL raised %s", why);
		return EFI_DEVICE_ERROR;
	}
	vmxcall_printf("vmxcall: returned rax=0x%lx (%ld) rbx=0x%lx", r.rax, (int64_t)r.rax, r.rbx);
	return EFI_SUCCESS;
}

static void vmxcall_triple_fault(void)
{
	static const struct cpu_dtr no_idt = { 0, 0 };

	vmxcall_printf("vmxcall: triple fault now (IDT limit 0, INT3)");
	__asm__ volatile("cli\n\tlidt %0\n\tint3" ::"m"(no_idt) : "memory");
	for (;;)
		cpu_hlt(); /* not reached: the processor has shut down */
}

static void vmxcall_rdpmc_fn(void *arg)
{
	uint32_t lo, hi;

	__asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(0u));
	*(uint64_t *)arg = (uint64_t)hi << 32 | lo;
}

static EFI_STATUS vmxcall_rdpmc(void)
{
	uint64_t val = 0;
	char why[96];

	vmxcall_printf("vmxcall: RDPMC ecx=0x0");
	probe_init();
	int v = probe_call(vmxcall_rdpmc_fn, &val);
	if (v != PROBE_NO_FAULT) {
		probe_describe(v, why, sizeof(why));
		vmxcall_printf("vmxcall: RDPMC raised %s", why);
		return EFI_DEVICE_ERROR;
	}
	vmxcall_printf("vmxcall: RDPMC returned 0x%lx", val);
	return EFI_SUCCESS;
}

static bool vmxcall_is_efi_name(const char *w)
{
	size_t n = strlen(w);

	if (n < 4)
		return false;
	w += n - 4;
	return w[0] == '.' && (w[1] | 0x20) == 'e' && (w[2] | 0x20) == 'f' && (w[3] | 0x20) == 'i';
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	char w[VMXCALL_WORDS][VMXCALL_WORD_MAX];
	unsigned n, first = 0;

	InitializeLib(image, st);
	n = vmxcall_words(image, w);
	/* The shell passes the command's own name first; a boot option may not. */
	if (n && vmxcall_is_efi_name(w[0]))
		first = 1;
	if (n == first + 1 && !strcmp(w[first], "triple-fault"))
		vmxcall_triple_fault();
	if (n == first + 1 && !strcmp(w[first], "rdpmc"))
		return vmxcall_rdpmc();
	if (n > first && n - first <= 3)
		return vmxcall_call(&w[first], n - first);
	vmxcall_printf("usage: vmxcall FUNCTION [RBX [RCX]] | vmxcall triple-fault | vmxcall rdpmc");
	return EFI_INVALID_PARAMETER;
}
