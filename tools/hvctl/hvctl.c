/* hvctl: talk to a running vmxray from the UEFI shell (its guest).
 *
 *   hvctl version   the hypervisor's version ("vmxray 0.1")
 *   hvctl stats     VM exits so far, per exit reason (all CPUs)
 *   hvctl dump      the calling CPU's VMCS, decoded, on vmxray's serial port
 *   hvctl owned     the physical memory ranges vmxray keeps for itself
 *   hvctl log       vmxray's log since start, from its memory (no serial port needed)
 *   hvctl trace     the traced exits vmxray keeps in memory (trace=), every CPU, oldest first
 *   hvctl help      this text
 *
 * Every request is a VMCALL (vmx/policy/hypercall_abi.h). VMCALL outside VMX non-root
 * operation raises #UD, so hvctl first looks for vmxray's CPUID signature (leaf
 * 0x40000000) and, when it is absent, says so and never executes VMCALL. Exit status:
 * EFI_SUCCESS, EFI_NOT_FOUND (vmxray is not running), EFI_INVALID_PARAMETER (usage),
 * EFI_DEVICE_ERROR (a hypercall failed). */
#include <efi.h>
#include <efilib.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "arch/bits.h"
#include "arch/cpu.h"
#include "arch/cpuid_bits.h"
#include "drivers/fmt.h"
#include "tools/efilib/cmdline.h"
#include "tools/efilib/efimem.h"
#include "tools/efilib/probe.h"
#include "tools/hvctl/trace_line.h"
#include "vmx/policy/hypercall_abi.h"

#define HVCTL_LINE_MAX 160
#define HVCTL_ARG_MAX 32

/* Exit-reason names, expanded from the one list (vmx/decode/exit_reasons.def). A reason
 * numbered at or beyond VMXRAY_STATS_COUNTERS fails to compile here. */
static const char *const hvctl_exit_names[VMXRAY_STATS_COUNTERS] = {
#define EXIT_REASON(number, name, short_name, facts, handler) [number] = #name,
#include "vmx/decode/exit_reasons.def"
#undef EXIT_REASON
};

static EFI_SYSTEM_TABLE *hvctl_st;

/* ---- output: the UEFI console ---- */

/* Any length of text, in pieces of at most HVCTL_LINE_MAX characters. */
static void con_write(const char *s)
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

static void con_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void con_printf(const char *fmt, ...)
{
	char line[HVCTL_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	con_write(line);
}

static const char hvctl_usage_text[] =
	"usage: hvctl COMMAND\n"
	"  version   vmxray's version\n"
	"  stats     VM exits so far, per exit reason (all CPUs)\n"
	"  dump      the calling CPU's VMCS, decoded, on vmxray's serial port\n"
	"  owned     physical memory that vmxray keeps for itself\n"
	"  log       vmxray's log since start, kept in its memory\n"
	"  trace     traced exits kept in memory (vmxray's trace=), per CPU\n"
	"  help      this text\n";

/* ---- talking to vmxray ---- */

/* vmxray answers CPUID 0x40000000 with its signature and a maximum leaf that covers
 * its version leaf (vmx/policy/hypercall_abi.h). */
static bool hvctl_vmxray_present(void)
{
	struct cpuid_regs r;
	char sig[12];

	if (probe_cpuid(1, 0, &r) != PROBE_NO_FAULT || !bit_test(r.ecx, CPUID1_ECX_HYPERVISOR_BIT))
		return false;
	if (probe_cpuid(VMXRAY_CPUID_LEAF_BASE, 0, &r) != PROBE_NO_FAULT || r.eax < VMXRAY_CPUID_MAX_LEAF)
		return false;
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	return memcmp(sig, VMXRAY_CPUID_SIGNATURE, sizeof(sig)) == 0;
}

static const char *hvctl_status_name(int64_t st)
{
	switch (st) {
	case VMXRAY_HC_ENOSYS:
		return "ENOSYS (unknown function)";
	case VMXRAY_HC_EFAULT:
		return "EFAULT (bad buffer)";
	case VMXRAY_HC_ENOSPC:
		return "ENOSPC (buffer too small)";
	case VMXRAY_HC_EINVAL:
		return "EINVAL (bad argument)";
	default:
		return "error";
	}
}

/* VMCALL under the fault catcher; false (with a message) when it faulted. */
static bool hvctl_vmcall(const char *what, struct probe_regs *r)
{
	uint64_t fn = r->rax;
	int v = probe_vmcall(r);
	char d[96];

	if (v == PROBE_NO_FAULT)
		return true;
	probe_describe(v, d, sizeof(d));
	con_printf("hvctl: %s: VMCALL (function %lu) raised %s\n", what, fn, d);
	return false;
}

static bool hvctl_status_ok(const char *what, int64_t st)
{
	if (st >= 0)
		return true;
	con_printf("hvctl: %s: vmxray answered %ld, %s\n", what, st, hvctl_status_name(st));
	return false;
}

/* One hypercall; false (with a message) when VMCALL faulted or the status is negative. */
static bool hvctl_call(const char *what, struct probe_regs *r)
{
	return hvctl_vmcall(what, r) && hvctl_status_ok(what, (int64_t)r->rax);
}

struct hvctl_buf {
	uint64_t *p;
	size_t pages;
};

static void hvctl_buf_free(struct hvctl_buf *b)
{
	efimem_free_pages(b->p, b->pages);
	b->p = NULL;
	b->pages = 0;
}

static bool hvctl_buf_grow(const char *what, struct hvctl_buf *b, uint64_t bytes)
{
	size_t pages = align_up(bytes, PAGE_SIZE) / PAGE_SIZE;

	hvctl_buf_free(b);
	b->p = efimem_alloc_pages(pages, UINT64_MAX);
	if (!b->p) {
		con_printf("hvctl: %s: cannot allocate %lu bytes\n", what, bytes);
		return false;
	}
	b->pages = pages;
	return true;
}

/* A (buffer, size) hypercall that writes u64s: starts with the buffer given and, when
 * vmxray answers ENOSPC, retries once with the size it asked for (in RBX). Returns the
 * status (count written) or -1 after printing why. */
static int64_t hvctl_call_buffer(const char *what, uint64_t fn, struct hvctl_buf *b)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		uint64_t size = b->pages * PAGE_SIZE;
		struct probe_regs r = { .rax = fn, .rbx = (uintptr_t)b->p, .rcx = size };

		memset(b->p, 0, size);
		if (!hvctl_vmcall(what, &r))
			return -1;
		if ((int64_t)r.rax == VMXRAY_HC_ENOSPC && attempt == 0 && r.rbx > size) {
			if (!hvctl_buf_grow(what, b, r.rbx))
				return -1;
			continue;
		}
		return hvctl_status_ok(what, (int64_t)r.rax) ? (int64_t)r.rax : -1;
	}
	return -1;
}

/* ---- commands ---- */

static EFI_STATUS hvctl_cmd_version(void)
{
	struct probe_regs r = { .rax = VMXRAY_HC_VERSION };

	if (!hvctl_call("version", &r))
		return EFI_DEVICE_ERROR;
	con_printf("vmxray %lu.%lu\n", (r.rbx >> 16) & 0xFFFF, r.rbx & 0xFFFF);
	return EFI_SUCCESS;
}

static void hvctl_print_stats(const uint64_t *c, uint64_t n)
{
	uint64_t total = 0;

	con_printf("%-28s %20s\n", "exit reason", "count");
	for (uint64_t i = 0; i < n; i++) {
		const char *name = i < VMXRAY_STATS_COUNTERS ? hvctl_exit_names[i] : NULL;

		if (!c[i])
			continue;
		total += c[i];
		if (name)
			con_printf("%-28s %20lu\n", name, c[i]);
		else
			con_printf("reason %-21lu %20lu\n", i, c[i]);
	}
	con_printf("%-28s %20lu\n", "total", total);
}

static EFI_STATUS hvctl_cmd_stats(void)
{
	struct hvctl_buf b = { efimem_alloc_pages(1, UINT64_MAX), 1 };
	int64_t n;

	if (!b.p) {
		con_printf("hvctl: stats: cannot allocate a page\n");
		return EFI_OUT_OF_RESOURCES;
	}
	n = hvctl_call_buffer("stats", VMXRAY_HC_STATS, &b);
	if (n >= 0)
		hvctl_print_stats(b.p, (uint64_t)n);
	hvctl_buf_free(&b);
	return n >= 0 ? EFI_SUCCESS : EFI_DEVICE_ERROR;
}

static EFI_STATUS hvctl_cmd_dump(void)
{
	struct probe_regs r = { .rax = VMXRAY_HC_DUMP_VMCS };

	if (!hvctl_call("dump", &r))
		return EFI_DEVICE_ERROR;
	con_printf("hvctl: the VMCS dump went to vmxray's serial port (lines 'VMCS ...')\n");
	return EFI_SUCCESS;
}

static EFI_STATUS hvctl_cmd_owned(void)
{
	struct hvctl_buf b = { efimem_alloc_pages(1, UINT64_MAX), 1 };
	uint64_t total = 0;
	int64_t n;

	if (!b.p) {
		con_printf("hvctl: owned: cannot allocate a page\n");
		return EFI_OUT_OF_RESOURCES;
	}
	n = hvctl_call_buffer("owned", VMXRAY_HC_OWNED_RANGES, &b);
	if (n >= 0) {
		con_printf("%-18s   %-18s %10s\n", "base", "end", "KiB");
		for (int64_t i = 0; i < n; i++) {
			uint64_t base = b.p[2 * i], len = b.p[2 * i + 1];

			total += len;
			con_printf("0x%016lx - 0x%016lx %10lu\n", base, base + len, len >> 10);
		}
		con_printf("%ld ranges, %lu KiB\n", n, total >> 10);
	}
	hvctl_buf_free(&b);
	return n >= 0 ? EFI_SUCCESS : EFI_DEVICE_ERROR;
}

/* LOG_READ in pieces of HVCTL_LOG_PAGES pages, from the oldest line kept to the end;
 * bounded, in case vmxray logs faster than this reads. */
#define HVCTL_LOG_PAGES 4
#define HVCTL_LOG_ROUNDS 4096

static void hvctl_print_log_piece(char *text, uint64_t n)
{
	text[n] = 0;
	con_write(text);
}

static EFI_STATUS hvctl_cmd_log(void)
{
	uint64_t size = HVCTL_LOG_PAGES * PAGE_SIZE;
	char *b = efimem_alloc_pages(HVCTL_LOG_PAGES + 1, UINT64_MAX); /* + room for the NUL */
	uint64_t offset = 0, lost = 0;

	if (!b) {
		con_printf("hvctl: log: cannot allocate %lu bytes\n", size);
		return EFI_OUT_OF_RESOURCES;
	}
	for (unsigned round = 0; round < HVCTL_LOG_ROUNDS; round++) {
		struct probe_regs r = { .rax = VMXRAY_HC_LOG_READ, .rbx = (uintptr_t)b, .rcx = size, .rdx = offset };
		if (!hvctl_call("log", &r)) {
			efimem_free_pages(b, HVCTL_LOG_PAGES + 1);
			return EFI_DEVICE_ERROR;
		}
		lost = r.rdx;
		if (r.rax == 0)
			break;
		hvctl_print_log_piece(b, r.rax);
		offset = r.rbx + r.rax;
		if (offset >= r.rcx)
			break;
	}
	if (lost)
		con_printf("hvctl: log: %lu older line(s) did not fit vmxray's log ring (logbuf=)\n", lost);
	efimem_free_pages(b, HVCTL_LOG_PAGES + 1);
	return EFI_SUCCESS;
}

/* TRACE_READ, CPU by CPU (the cursor's bits 63:56) until vmxray answers EINVAL for a CPU
 * that does not exist, each ring from its oldest record on, a page of records a call. */
#define HVCTL_TRACE_ROUNDS 65536
static bool hvctl_trace_cpu(uint64_t cpu, struct trace_record *b, bool *more)
{
	uint64_t cursor = cpu << VMXRAY_TRACE_CURSOR_CPU_SHIFT;
	char line[HVCTL_LINE_MAX];

	*more = false;
	for (unsigned round = 0; round < HVCTL_TRACE_ROUNDS; round++) {
		struct probe_regs r = { .rax = VMXRAY_HC_TRACE_READ, .rbx = (uintptr_t)b, .rcx = PAGE_SIZE, .rdx = cursor };
		if (!hvctl_vmcall("trace", &r))
			return false;
		if ((int64_t)r.rax == VMXRAY_HC_EINVAL && round == 0)
			return true; /* no such CPU: done */
		if (!hvctl_status_ok("trace", (int64_t)r.rax))
			return false;
		*more = true;
		if (round == 0 && (r.rbx & VMXRAY_TRACE_CURSOR_SEQ_MASK))
			con_printf("hvctl: trace: cpu%lu: records before #%lu are gone\n", cpu, (uint64_t)(r.rbx & VMXRAY_TRACE_CURSOR_SEQ_MASK));
		for (uint64_t i = 0; i < r.rax; i++) {
			const struct trace_record *t = &b[i];
			hvctl_trace_line(t, t->reason < VMXRAY_STATS_COUNTERS ? hvctl_exit_names[t->reason] : NULL, line,
					 sizeof(line) - 1);
			con_printf("%s\n", line);
		}
		cursor = r.rbx + r.rax;
		if (r.rax == 0 || cursor >= r.rcx) {
			con_printf("hvctl: trace: cpu%lu: %lu records written, %lu lost (overwritten before read)\n", cpu,
				   (uint64_t)(r.rcx & VMXRAY_TRACE_CURSOR_SEQ_MASK), r.rdx);
			return true;
		}
	}
	return true;
}

static EFI_STATUS hvctl_cmd_trace(void)
{
	struct trace_record *b = efimem_alloc_pages(1, UINT64_MAX);
	bool more = true, ok = true;

	if (!b) {
		con_printf("hvctl: trace: cannot allocate a page\n");
		return EFI_OUT_OF_RESOURCES;
	}
	for (uint64_t cpu = 0; ok && more && cpu < 256; cpu++)
		ok = hvctl_trace_cpu(cpu, b, &more);
	efimem_free_pages(b, 1);
	return ok ? EFI_SUCCESS : EFI_DEVICE_ERROR;
}

struct hvctl_command {
	const char *name;
	EFI_STATUS (*run)(void);
};

static const struct hvctl_command hvctl_commands[] = {
	{ "version", hvctl_cmd_version },
	{ "stats", hvctl_cmd_stats },
	{ "dump", hvctl_cmd_dump },
	{ "owned", hvctl_cmd_owned },
	{ "log", hvctl_cmd_log },
	{ "trace", hvctl_cmd_trace },
};

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

/* The subcommand (empty when none) into cmd; false when more words follow it. */
static bool hvctl_subcommand(EFI_HANDLE image, char *cmd)
{
	char w[HVCTL_WORDS][HVCTL_ARG_MAX];
	unsigned n = hvctl_words(image, w), first = 0;

	cmd[0] = 0;
	if (n && hvctl_is_own_name(w[0]))
		first = 1;
	if (first < n)
		memcpy(cmd, w[first], HVCTL_ARG_MAX);
	return n <= first + 1;
}

static const struct hvctl_command *hvctl_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(hvctl_commands); i++)
		if (!strcmp(name, hvctl_commands[i].name))
			return &hvctl_commands[i];
	return NULL;
}

static EFI_STATUS hvctl_usage_error(const char *cmd, const struct hvctl_command *c)
{
	if (!cmd[0])
		con_printf("hvctl: no command given\n");
	else if (!c)
		con_printf("hvctl: unknown command '%s'\n", cmd);
	else
		con_printf("hvctl: '%s' takes no arguments\n", cmd);
	con_write(hvctl_usage_text);
	return EFI_INVALID_PARAMETER;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	char cmd[HVCTL_ARG_MAX];
	const struct hvctl_command *c;
	bool single;

	InitializeLib(image, st);
	hvctl_st = st;
	single = hvctl_subcommand(image, cmd);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		con_write(hvctl_usage_text);
		return EFI_SUCCESS;
	}
	c = hvctl_find(cmd);
	if (!c || !single)
		return hvctl_usage_error(cmd, c);
	probe_init();
	if (!hvctl_vmxray_present()) {
		con_printf("vmxray is not running\n");
		return EFI_NOT_FOUND;
	}
	return c->run();
}
