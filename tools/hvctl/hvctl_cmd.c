/* hvctl's commands, shared by the UEFI and the Linux program (tools/hvctl/hvctl_cmd.h).
 * Every request is a VMCALL (vmx/policy/hypercall_abi.h). VMCALL outside VMX non-root
 * operation raises #UD, so hvctl first looks for vmxray's CPUID signature (leaf
 * 0x40000000) and, when it is absent, says so and never executes VMCALL. */
#include "tools/hvctl/hvctl_cmd.h"

#include <string.h>

#include "arch/bits.h"
#include "arch/cpuid_bits.h"
#include "tools/hvctl/trace_line.h"
#include "vmx/policy/hypercall_abi.h"

uint64_t hvctl_vmcalls;

/* Exit-reason names, expanded from the one list (vmx/decode/exit_reasons.def). A reason
 * numbered at or beyond VMXRAY_STATS_COUNTERS fails to compile here. */
static const char *const hvctl_exit_names[VMXRAY_STATS_COUNTERS] = {
#define EXIT_REASON(number, name, short_name, facts, handler) [number] = #name,
#include "vmx/decode/exit_reasons.def"
#undef EXIT_REASON
};

/* vmxray answers CPUID 0x40000000 with its signature and a maximum leaf that covers
 * its version leaf (vmx/policy/hypercall_abi.h). */
bool hvctl_vmxray_present(void)
{
	uint32_t r[4];
	char sig[12];

	if (!hvctl_cpuid(1, r) || !bit_test(r[2], CPUID1_ECX_HYPERVISOR_BIT))
		return false;
	if (!hvctl_cpuid(VMXRAY_CPUID_LEAF_BASE, r) || r[0] < VMXRAY_CPUID_MAX_LEAF)
		return false;
	memcpy(sig, &r[1], 4);
	memcpy(sig + 4, &r[2], 4);
	memcpy(sig + 8, &r[3], 4);
	return memcmp(sig, VMXRAY_CPUID_SIGNATURE, sizeof(sig)) == 0;
}

const char *hvctl_status_name(int64_t st)
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
	case VMXRAY_HC_EAGAIN:
		return "EAGAIN (try again)";
	default:
		return "error";
	}
}

bool hvctl_vmcall(const char *what, struct hvctl_regs *r)
{
	uint64_t fn = r->rax;
	char why[160];

	hvctl_vmcalls++;
	if (hvctl_raw_vmcall(r, why, sizeof(why)))
		return true;
	hvctl_printf("hvctl: %s: VMCALL (function %lu) %s\n", what, (unsigned long)fn, why);
	return false;
}

static bool hvctl_status_ok(const char *what, int64_t st)
{
	if (st >= 0)
		return true;
	hvctl_printf("hvctl: %s: vmxray answered %ld, %s\n", what, (long)st, hvctl_status_name(st));
	return false;
}

/* One hypercall; false (with a message) when VMCALL faulted or the status is negative. */
static bool hvctl_call(const char *what, struct hvctl_regs *r)
{
	return hvctl_vmcall(what, r) && hvctl_status_ok(what, (int64_t)r->rax);
}

struct hvctl_buf {
	void *p;
	uint64_t bytes;
};

static bool hvctl_buf_get(const char *what, struct hvctl_buf *b, uint64_t bytes)
{
	hvctl_free(b->p, b->bytes);
	b->bytes = align_up(bytes, PAGE_SIZE);
	b->p = hvctl_alloc(b->bytes);
	if (b->p)
		return true;
	hvctl_printf("hvctl: %s: cannot allocate %lu bytes\n", what, (unsigned long)bytes);
	b->bytes = 0;
	return false;
}

static void hvctl_buf_put(struct hvctl_buf *b)
{
	hvctl_free(b->p, b->bytes);
	b->p = NULL;
	b->bytes = 0;
}

/* A (buffer, size) hypercall that writes u64s: starts with one page and, when vmxray
 * answers ENOSPC, retries once with the size it asked for (in RBX). Returns the status
 * (count written) or -1 after printing why. */
static int64_t hvctl_call_buffer(const char *what, uint64_t fn, struct hvctl_buf *b)
{
	if (!hvctl_buf_get(what, b, PAGE_SIZE))
		return -1;
	for (int attempt = 0; attempt < 2; attempt++) {
		struct hvctl_regs r = { .rax = fn, .rbx = (uintptr_t)b->p, .rcx = b->bytes };

		memset(b->p, 0, b->bytes); /* also makes every page present and dirty (Linux) */
		if (!hvctl_vmcall(what, &r))
			return -1;
		if ((int64_t)r.rax == VMXRAY_HC_ENOSPC && attempt == 0 && r.rbx > b->bytes &&
		    r.rbx <= HVCTL_CALL_BYTES) {
			if (!hvctl_buf_get(what, b, r.rbx))
				return -1;
			continue;
		}
		return hvctl_status_ok(what, (int64_t)r.rax) ? (int64_t)r.rax : -1;
	}
	return -1;
}

/* ---- commands ---- */

static enum hvctl_result hvctl_cmd_version(void)
{
	struct hvctl_regs r = { .rax = VMXRAY_HC_VERSION };

	if (!hvctl_call("version", &r))
		return HVCTL_FAILED;
	hvctl_printf("vmxray %lu.%lu\n", (unsigned long)((r.rbx >> 16) & 0xFFFF), (unsigned long)(r.rbx & 0xFFFF));
	return HVCTL_OK;
}

static void hvctl_print_stats(const uint64_t *c, uint64_t n)
{
	uint64_t total = 0;

	hvctl_printf("%-28s %20s\n", "exit reason", "count");
	for (uint64_t i = 0; i < n; i++) {
		const char *name = i < VMXRAY_STATS_COUNTERS ? hvctl_exit_names[i] : NULL;

		if (!c[i])
			continue;
		total += c[i];
		if (name)
			hvctl_printf("%-28s %20lu\n", name, (unsigned long)c[i]);
		else
			hvctl_printf("reason %-21lu %20lu\n", (unsigned long)i, (unsigned long)c[i]);
	}
	hvctl_printf("%-28s %20lu\n", "total", (unsigned long)total);
}

static enum hvctl_result hvctl_cmd_stats(void)
{
	struct hvctl_buf b = { 0 };
	int64_t n = hvctl_call_buffer("stats", VMXRAY_HC_STATS, &b);

	if (n >= 0)
		hvctl_print_stats(b.p, (uint64_t)n);
	hvctl_buf_put(&b);
	return n >= 0 ? HVCTL_OK : HVCTL_FAILED;
}

static enum hvctl_result hvctl_cmd_dump(void)
{
	struct hvctl_regs r = { .rax = VMXRAY_HC_DUMP_VMCS };

	if (!hvctl_call("dump", &r))
		return HVCTL_FAILED;
	hvctl_printf("hvctl: the VMCS dump went to vmxray's serial port (lines 'VMCS ...')\n");
	return HVCTL_OK;
}

static enum hvctl_result hvctl_cmd_owned(void)
{
	struct hvctl_buf b = { 0 };
	uint64_t total = 0;
	int64_t n = hvctl_call_buffer("owned", VMXRAY_HC_OWNED_RANGES, &b);

	if (n >= 0) {
		const uint64_t *q = b.p;

		hvctl_printf("%-18s   %-18s %10s\n", "base", "end", "KiB");
		for (int64_t i = 0; i < n; i++) {
			uint64_t base = q[2 * i], len = q[2 * i + 1];

			total += len;
			hvctl_printf("0x%016lx - 0x%016lx %10lu\n", (unsigned long)base, (unsigned long)(base + len),
				     (unsigned long)(len >> 10));
		}
		hvctl_printf("%ld ranges, %lu KiB\n", (long)n, (unsigned long)(total >> 10));
	}
	hvctl_buf_put(&b);
	return n >= 0 ? HVCTL_OK : HVCTL_FAILED;
}

/* A ring read in pieces of HVCTL_CALL_BYTES, from the oldest line kept to the end;
 * bounded, in case vmxray writes faster than this reads. */
#define HVCTL_RING_ROUNDS 4096

struct hvctl_ring {
	const char *what;
	uint64_t fn;
	const char *lost_what; /* "older line(s) did not fit vmxray's log ring (logbuf=)" */
};

static const struct hvctl_ring hvctl_log_ring = {
	"log", VMXRAY_HC_LOG_READ, "older line(s) did not fit vmxray's log ring (logbuf=)",
};

static enum hvctl_result hvctl_read_ring(const struct hvctl_ring *ring)
{
	struct hvctl_buf b = { 0 };
	uint64_t offset = 0, lost = 0, size = HVCTL_CALL_BYTES;
	char *text;

	if (!hvctl_buf_get(ring->what, &b, size + 1)) /* + room for the NUL */
		return HVCTL_NO_MEMORY;
	text = b.p;
	for (unsigned round = 0; round < HVCTL_RING_ROUNDS; round++) {
		struct hvctl_regs r = { .rax = ring->fn, .rbx = (uintptr_t)text, .rcx = size, .rdx = offset };

		memset(text, 0, size);
		if (!hvctl_call(ring->what, &r)) {
			hvctl_buf_put(&b);
			return HVCTL_FAILED;
		}
		lost = r.rdx;
		if (r.rax == 0 || r.rax > size)
			break;
		text[r.rax] = 0;
		hvctl_write(text);
		offset = r.rbx + r.rax;
		if (offset >= r.rcx)
			break;
	}
	if (lost)
		hvctl_printf("hvctl: %s: %lu %s\n", ring->what, (unsigned long)lost, ring->lost_what);
	hvctl_buf_put(&b);
	return HVCTL_OK;
}

static enum hvctl_result hvctl_cmd_log(void)
{
	return hvctl_read_ring(&hvctl_log_ring);
}

/* TRACE_READ, CPU by CPU (the cursor's bits 63:56) until vmxray answers EINVAL for a CPU
 * that does not exist, each ring from its oldest record on, a page of records a call. */
#define HVCTL_TRACE_ROUNDS 65536
#define HVCTL_TRACE_LINE 200

static bool hvctl_trace_cpu(uint64_t cpu, struct trace_record *b, uint64_t bytes, bool *more)
{
	uint64_t cursor = cpu << VMXRAY_TRACE_CURSOR_CPU_SHIFT;
	char line[HVCTL_TRACE_LINE];

	*more = false;
	for (unsigned round = 0; round < HVCTL_TRACE_ROUNDS; round++) {
		struct hvctl_regs r = { .rax = VMXRAY_HC_TRACE_READ, .rbx = (uintptr_t)b, .rcx = bytes, .rdx = cursor };

		memset(b, 0, bytes);
		if (!hvctl_vmcall("trace", &r))
			return false;
		if ((int64_t)r.rax == VMXRAY_HC_EINVAL && round == 0)
			return true; /* no such CPU: done */
		if (!hvctl_status_ok("trace", (int64_t)r.rax))
			return false;
		*more = true;
		if (r.rax > bytes / sizeof(*b))
			return false;
		if (round == 0 && (r.rbx & VMXRAY_TRACE_CURSOR_SEQ_MASK))
			hvctl_printf("hvctl: trace: cpu%lu: records before #%lu are gone\n", (unsigned long)cpu,
				     (unsigned long)(r.rbx & VMXRAY_TRACE_CURSOR_SEQ_MASK));
		for (uint64_t i = 0; i < r.rax; i++) {
			const struct trace_record *t = &b[i];

			hvctl_trace_line(t, t->reason < VMXRAY_STATS_COUNTERS ? hvctl_exit_names[t->reason] : NULL, line,
					 sizeof(line));
			hvctl_printf("%s\n", line);
		}
		cursor = r.rbx + r.rax;
		if (r.rax == 0 || cursor >= r.rcx) {
			hvctl_printf("hvctl: trace: cpu%lu: %lu records written, %lu lost (overwritten before read)\n",
				     (unsigned long)cpu, (unsigned long)(r.rcx & VMXRAY_TRACE_CURSOR_SEQ_MASK),
				     (unsigned long)r.rdx);
			return true;
		}
	}
	return true;
}

static enum hvctl_result hvctl_cmd_trace(void)
{
	struct hvctl_buf b = { 0 };
	bool more = true, ok = true;

	if (!hvctl_buf_get("trace", &b, PAGE_SIZE))
		return HVCTL_NO_MEMORY;
	for (uint64_t cpu = 0; ok && more && cpu < 256; cpu++)
		ok = hvctl_trace_cpu(cpu, b.p, b.bytes, &more);
	hvctl_buf_put(&b);
	return ok ? HVCTL_OK : HVCTL_FAILED;
}

struct hvctl_command {
	const char *name;
	enum hvctl_result (*run)(void);
	bool cpl0_only; /* a call vmxray answers only at CPL 0 */
	const char *help;
};

static const struct hvctl_command hvctl_commands[] = {
	{ "version", hvctl_cmd_version, false, "vmxray's version" },
	{ "stats", hvctl_cmd_stats, false, "VM exits so far, per exit reason (all CPUs)" },
	{ "dump", hvctl_cmd_dump, true, "the calling CPU's VMCS, decoded, on vmxray's serial port" },
	{ "owned", hvctl_cmd_owned, true, "physical memory that vmxray keeps for itself" },
	{ "log", hvctl_cmd_log, false, "vmxray's log since start, kept in its memory" },
	{ "trace", hvctl_cmd_trace, false, "traced exits kept in memory (vmxray's trace=), per CPU" },
};

static void hvctl_usage(void)
{
	hvctl_write("usage: hvctl COMMAND\n");
	for (size_t i = 0; i < ARRAY_SIZE(hvctl_commands); i++)
		if (!hvctl_commands[i].cpl0_only || !hvctl_platform_user)
			hvctl_printf("  %-9s %s\n", hvctl_commands[i].name, hvctl_commands[i].help);
	if (hvctl_platform_user)
		hvctl_write("  selftest  bad buffers from user space: each gets its error, nothing is written\n");
	hvctl_write("  help      this text\n");
}

static const struct hvctl_command *hvctl_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(hvctl_commands); i++)
		if (!strcmp(name, hvctl_commands[i].name))
			return &hvctl_commands[i];
	return NULL;
}

static enum hvctl_result hvctl_usage_error(const char *cmd, const struct hvctl_command *c)
{
	if (!cmd[0])
		hvctl_printf("hvctl: no command given\n");
	else if (!c)
		hvctl_printf("hvctl: unknown command '%s'\n", cmd);
	else
		hvctl_printf("hvctl: '%s' takes no arguments\n", cmd);
	hvctl_usage();
	return HVCTL_USAGE;
}

enum hvctl_result hvctl_main(int argc, const char *const *argv)
{
	const char *cmd = argc > 0 ? argv[0] : "";
	const struct hvctl_command *c;

	if (!strcmp(cmd, "help") || !strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		hvctl_usage();
		return HVCTL_OK;
	}
	c = hvctl_find(cmd);
	if (!c || argc != 1)
		return hvctl_usage_error(cmd, c);
	if (c->cpl0_only && hvctl_platform_user) {
		hvctl_printf("hvctl: '%s' needs CPL 0: vmxray answers it only to the kernel or the UEFI "
			     "hvctl.efi\n", cmd);
		return HVCTL_USAGE;
	}
	if (!hvctl_vmxray_present()) {
		hvctl_printf("vmxray is not running\n");
		return HVCTL_NOT_RUNNING;
	}
	return c->run();
}
