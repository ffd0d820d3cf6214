/* hvctl selftest: from CPL 3 (user_hypercalls=on), hand vmxray buffers it must refuse
 * and check that each gets the documented status (vmx/policy/hypercall_abi.h, "CPL 3")
 * and that nothing was written: every page around them holds a canary pattern that is
 * checked after each call (a read-only page can be read, so a write there would show;
 * an unmapped page cannot, so the mapped page the buffer starts in is checked). Then
 * the good cases: a buffer that is written exactly where it lies, also across a page
 * boundary, and the calls CPL 3 may not make (#UD, SIGILL).
 *
 * When VERSION raises #UD (user_hypercalls off, or no vmxray at all) the same calls, good
 * and bad, must each raise #UD and write nothing. The self-test does not ask CPUID
 * whether vmxray runs: on a CPU without a hypervisor it runs the same calls and prints
 * the same lines, which is what vmxray with the option off must be indistinguishable from.
 *
 * Layout, six pages: P0 RW | P1 RW | P2 read-only | P3 RW | P4 unmapped | P5 RW. */
#define _GNU_SOURCE
#include "tools/hvctl/linux/selftest.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "vmx/decode/exit_reasons.h"
#include "vmx/policy/hypercall_abi.h"

#define PG 4096UL
#define CANARY 0xC5
#define PAGES 6
/* A kernel text address (Debian's kernel, booted with nokaslr): a supervisor page. */
#define KERNEL_ADDR 0xFFFFFFFF81000000UL

static unsigned char *area;
static unsigned passed, failed;
static bool user_calls_off; /* VERSION raised #UD: every call must */

static void report(const char *name, bool ok, const char *detail)
{
	printf("selftest %s: %s (%s)\n", name, ok ? "ok" : "FAIL", detail);
	if (ok)
		passed++;
	else
		failed++;
}

/* Every readable page still holds the canary, except [skip, skip + skip_len). */
static bool canaries_intact(const unsigned char *skip, size_t skip_len)
{
	for (unsigned pg = 0; pg < PAGES; pg++) {
		if (pg == 4)
			continue; /* unmapped */
		for (size_t i = 0; i < PG; i++) {
			const unsigned char *b = area + pg * PG + i;

			if (b >= skip && b < skip + skip_len)
				continue;
			if (*b != CANARY)
				return false;
		}
	}
	return true;
}

static void canaries_reset(void)
{
	memset(area, CANARY, 2 * PG);
	memset(area + 3 * PG, CANARY, PG);
	memset(area + 5 * PG, CANARY, PG);
}

/* A call that must be refused with `want`, writing nothing. */
static void expect_refused(const char *name, uint64_t fn, uint64_t buf, uint64_t size, int64_t want)
{
	struct hvctl_regs r = { .rax = fn, .rbx = buf, .rcx = size, .rdx = 0 };
	char d[160];
	int sig = hvctl_vmcall_signal(&r);
	bool intact = canaries_intact(NULL, 0);

	if (user_calls_off) {
		snprintf(d, sizeof(d), "#UD expected: %s; canaries %s", sig == SIGILL ? "SIGILL (#UD)" : "no #UD",
			 intact ? "intact" : "OVERWRITTEN");
		report(name, sig == SIGILL && intact, d);
		canaries_reset();
		return;
	}
	if (sig) {
		snprintf(d, sizeof(d), "VMCALL raised signal %d, want status %ld", sig, (long)want);
		report(name, false, d);
		return;
	}
	snprintf(d, sizeof(d), "status %ld %s, want %ld; canaries %s", (long)(int64_t)r.rax,
		 hvctl_status_name((int64_t)r.rax), (long)want, intact ? "intact" : "OVERWRITTEN");
	report(name, (int64_t)r.rax == want && intact, d);
	canaries_reset();
}

/* A call CPL 3 may not make: #UD, as without a hypervisor. */
static void expect_ud(const char *name, uint64_t fn, uint64_t buf, uint64_t size)
{
	struct hvctl_regs r = { .rax = fn, .rbx = buf, .rcx = size };
	int sig = hvctl_vmcall_signal(&r);
	bool intact = canaries_intact(NULL, 0);
	char d[160];

	snprintf(d, sizeof(d), "function %lu: %s; canaries %s", (unsigned long)fn,
		 sig == SIGILL ? "SIGILL (#UD)" : sig ? "another signal" : "it was answered",
		 intact ? "intact" : "OVERWRITTEN");
	report(name, sig == SIGILL && intact, d);
	canaries_reset();
}

static void bad_buffers(void)
{
	uintptr_t p0 = (uintptr_t)area, p1 = p0 + PG, p2 = p0 + 2 * PG, p4 = p0 + 4 * PG;

	expect_refused("unmapped", VMXRAY_HC_LOG_READ, p4, PG, VMXRAY_HC_EFAULT);
	expect_refused("cross_into_unmapped", VMXRAY_HC_LOG_READ, p4 - 8, 16, VMXRAY_HC_EFAULT);
	expect_refused("read_only", VMXRAY_HC_LOG_READ, p2, PG, VMXRAY_HC_EFAULT);
	expect_refused("cross_into_read_only", VMXRAY_HC_LOG_READ, p2 - 8, 16, VMXRAY_HC_EFAULT);
	expect_refused("stats_cross_into_read_only", VMXRAY_HC_STATS, p2 - 320, PG, VMXRAY_HC_EFAULT);
	expect_refused("kernel_only", VMXRAY_HC_LOG_READ, KERNEL_ADDR, PG, VMXRAY_HC_EFAULT);
	expect_refused("huge", VMXRAY_HC_LOG_READ, p0, 1UL << 30, VMXRAY_HC_EINVAL);
	expect_refused("over_the_bound", VMXRAY_HC_LOG_READ, p0, VMXRAY_HC_USER_MAX_BYTES + 8, VMXRAY_HC_EINVAL);
	expect_refused("wrapping", VMXRAY_HC_LOG_READ, 0xFFFFFFFFFFFFF000UL, 0x2000, VMXRAY_HC_EFAULT);
	expect_refused("non_canonical", VMXRAY_HC_LOG_READ, 0x0000800000000000UL, PG, VMXRAY_HC_EFAULT);
	expect_refused("misaligned", VMXRAY_HC_LOG_READ, p1 + 4, 64, VMXRAY_HC_EINVAL);
	expect_refused("too_small", VMXRAY_HC_STATS, p1, 8, VMXRAY_HC_ENOSPC);
}

/* LOG_READ into the middle of P1: written inside [buf, buf + count) only. */
static void good_log_read(void)
{
	unsigned char *buf = area + PG + 8;
	uint64_t size = PG - 16;
	struct hvctl_regs r = { .rax = VMXRAY_HC_LOG_READ, .rbx = (uintptr_t)buf, .rcx = size };
	int sig = hvctl_vmcall_signal(&r);
	int64_t n = (int64_t)r.rax;
	char d[160];

	if (user_calls_off) {
		report("log_read_in_place", sig == SIGILL && canaries_intact(NULL, 0), "#UD expected");
		canaries_reset();
		return;
	}

	bool ok = !sig && n > 0 && (uint64_t)n <= size && canaries_intact(buf, (size_t)n);
	snprintf(d, sizeof(d), "LOG_READ of %lu bytes: status %ld, nothing written outside the bytes returned",
		 (unsigned long)size, (long)n);
	report("log_read_in_place", ok, d);
	canaries_reset();
}

/* STATS across the P0/P1 boundary: 640 bytes written there and nowhere else. */
static void good_stats_crossing(void)
{
	unsigned char *buf = area + PG - 320;
	struct hvctl_regs r = { .rax = VMXRAY_HC_STATS, .rbx = (uintptr_t)buf, .rcx = 640 };
	int sig = hvctl_vmcall_signal(&r);
	uint64_t counts[VMXRAY_STATS_COUNTERS];
	char d[160];

	if (user_calls_off) {
		report("stats_across_pages", sig == SIGILL && canaries_intact(NULL, 0), "#UD expected");
		canaries_reset();
		return;
	}

	memcpy(counts, buf, sizeof(counts));
	bool ok = !sig && r.rax == VMXRAY_STATS_COUNTERS && counts[EXIT_REASON_VMCALL] > 0 && canaries_intact(buf, 640);
	snprintf(d, sizeof(d), "status %ld, VMCALL count %lu, nothing written outside the 640 bytes", (long)r.rax,
		 (unsigned long)counts[EXIT_REASON_VMCALL]);
	report("stats_across_pages", ok, d);
	canaries_reset();
}

enum hvctl_result hvctl_selftest(void)
{
	area = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return HVCTL_NO_MEMORY;
	memset(area, CANARY, PAGES * PG);
	if (mprotect(area + 2 * PG, PG, PROT_READ) || munmap(area + 4 * PG, PG))
		return HVCTL_NO_MEMORY;
	struct hvctl_regs v = { .rax = VMXRAY_HC_VERSION };
	user_calls_off = hvctl_vmcall_signal(&v) == SIGILL;
	printf("selftest: VMCALL from CPL 3 %s\n", user_calls_off ? "raised #UD: every call must (user_hypercalls "
	       "is off, or no vmxray runs)" : "answered: vmxray runs with user_hypercalls=on");
	bad_buffers();
	good_log_read();
	good_stats_crossing();
	expect_ud("dump_vmcs_is_cpl0", VMXRAY_HC_DUMP_VMCS, 0, 0);
	expect_ud("owned_ranges_is_cpl0", VMXRAY_HC_OWNED_RANGES, (uintptr_t)area, PG);
	expect_ud("unknown_function", 99, 0, 0);
	printf("selftest: %u passed, %u failed\n", passed, failed);
	return failed ? HVCTL_FAILED : HVCTL_OK;
}
