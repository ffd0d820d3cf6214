/* hvctl for Linux: talk to a running vmxray from user space, a static program for the
 * running OS (the initramfs of tools/linux-payload carries it). The Linux platform layer
 * under the shared commands (tools/hvctl/hvctl_cmd.c):
 *
 *   hvctl version | stats | log | selftest | help
 *
 * VMCALL from CPL 3 works only when vmxray runs with user_hypercalls=on; otherwise the
 * processor (vmxray, like a CPU without a hypervisor) raises #UD, the kernel sends
 * SIGILL, and hvctl says which option to set. Buffers are this process's own memory,
 * given as virtual addresses (vmx/policy/hypercall_abi.h, "CPL 3").
 * Exit status: 0 done; 1 a hypercall failed or faulted; 2 usage; 3 vmxray is not
 * running; 4 out of memory. With HVCTL_COUNT set in the environment, the last line
 * printed is "hvctl: vmcalls=N", the VMCALLs this run executed (tests compare it with
 * vmxray's own count). */
#define _GNU_SOURCE
#include <cpuid.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tools/hvctl/hvctl_cmd.h"
#include "tools/hvctl/linux/selftest.h"

const bool hvctl_platform_user = true;

void hvctl_write(const char *s)
{
	fputs(s, stdout);
}

void hvctl_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* CPUID executes at any CPL (a hypervisor may intercept it; vmxray answers its leaves). */
bool hvctl_cpuid(uint32_t leaf, uint32_t out[4])
{
	unsigned a, b, c, d;

	__cpuid_count(leaf, 0, a, b, c, d);
	out[0] = a;
	out[1] = b;
	out[2] = c;
	out[3] = d;
	return true;
}

static sigjmp_buf vmcall_jmp;
static volatile sig_atomic_t vmcall_armed;

static void vmcall_fault(int sig)
{
	if (vmcall_armed)
		siglongjmp(vmcall_jmp, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* VMCALL with SIGILL and SIGSEGV caught for the one instruction. */
static int vmcall_catching(struct hvctl_regs *r)
{
	struct sigaction sa, old_ill, old_segv;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vmcall_fault;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGILL, &sa, &old_ill);
	sigaction(SIGSEGV, &sa, &old_segv);
	sig = sigsetjmp(vmcall_jmp, 1);
	if (sig == 0) {
		vmcall_armed = 1;
		__asm__ volatile("vmcall" : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx), "+d"(r->rdx) : : "memory");
	}
	vmcall_armed = 0;
	sigaction(SIGILL, &old_ill, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return sig;
}

bool hvctl_raw_vmcall(struct hvctl_regs *r, char *why, size_t why_len)
{
	int sig = vmcall_catching(r);

	if (sig == SIGILL)
		snprintf(why, why_len, "raised #UD (SIGILL): vmxray answers user space only with the option "
			 "user_hypercalls=on (\\EFI\\vmxray\\vmxray.cfg or vmxray's command line); it is off");
	else if (sig)
		snprintf(why, why_len, "raised signal %d (%s)", sig, strsignal(sig));
	return sig == 0;
}

/* SIGILL from VMCALL, for the self-test: 0 when it did not fault. */
int hvctl_vmcall_signal(struct hvctl_regs *r)
{
	hvctl_vmcalls++;
	return vmcall_catching(r);
}

void *hvctl_alloc(uint64_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void hvctl_free(void *p, uint64_t bytes)
{
	if (p)
		munmap(p, bytes);
}

static int hvctl_exit_status(enum hvctl_result r)
{
	switch (r) {
	case HVCTL_OK:
		return 0;
	case HVCTL_USAGE:
		return 2;
	case HVCTL_NOT_RUNNING:
		return 3;
	case HVCTL_NO_MEMORY:
		return 4;
	default:
		return 1;
	}
}

int main(int argc, char **argv)
{
	enum hvctl_result r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "selftest"))
		r = hvctl_selftest();
	else
		r = hvctl_main(argc - 1, (const char *const *)argv + 1);
	if (getenv("HVCTL_COUNT"))
		printf("hvctl: vmcalls=%lu\n", (unsigned long)hvctl_vmcalls);
	return hvctl_exit_status(r);
}
