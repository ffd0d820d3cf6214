/* vmxicpt: probes of the instructions and events that only vmxray's opt-in intercepts
 * (intercept=, issue 21) make exit and that vmxdiff does not run: RDTSC, RDTSCP (with
 * IA32_TSC_AUX), RDPMC (a counter that exists and one that does not), INVLPG, MOV from and
 * to CR3, CR8 and DR0/DR4/DR7, PAUSE, WBINVD, RDRAND, RDSEED, and the exceptions #DE, #DB (single step),
 * #BP, #UD, #GP and #PF (CR2 and error code). Long mode only, interrupts off (the probe
 * library's IDT). tests/integration/94-intercept-diff.sh runs it on bare Bochs and under
 * `vmxray intercept=all` and compares every line "vmxicpt: INFO DIFF icpt.<name> ..."; the
 * values printed are those that do not depend on time (a TSC is printed as whether it
 * moved forward, RDRAND as its CF). */
#include <efi.h>
#include <efilib.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/cpu.h"
#include "drivers/fmt.h"
#include "tools/efilib/probe.h"
#include "tools/efilib/report.h"

#define MSR_TSC_AUX 0xC0000103u
#define UNMAPPED_LA 0x0000700000000000ULL /* far above OVMF's identity map */

struct out {
	uint64_t a, b, c, d;
};

static void line(const char *name, int r, const struct out *o)
{
	char fault[80] = "none";
	if (r != PROBE_NO_FAULT)
		fmt_snprintf(fault, sizeof(fault), "%s ec=0x%lx", probe_vector_name(r), probe_fault_info.error);
	report_info("DIFF icpt.%s fault=%s a=0x%lx b=0x%lx c=0x%lx d=0x%lx", name, fault, o->a, o->b, o->c, o->d);
}

static void f_rdtsc(void *p)
{
	struct out *o = p;
	uint32_t lo, hi, lo2, hi2;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	__asm__ volatile("rdtsc" : "=a"(lo2), "=d"(hi2));
	o->a = (((uint64_t)hi2 << 32) | lo2) > (((uint64_t)hi << 32) | lo); /* moved forward */
}

static void f_rdtscp(void *p)
{
	struct out *o = p;
	uint32_t lo, hi, aux;
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	o->a = aux;
	o->b = ((uint64_t)hi << 32 | lo) != 0;
}

static void f_rdpmc_bad(void *p)
{
	struct out *o = p;
	uint32_t lo, hi;
	__asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(0x7FFFu));
	o->a = 1;
}

static void f_rdpmc0(void *p)
{
	struct out *o = p;
	uint32_t lo, hi;
	__asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(0u));
	o->a = 1; /* the value counts instructions: not printed */
}

static void f_invlpg(void *p)
{
	struct out *o = p;
	static volatile uint64_t target = 0x1234;
	__asm__ volatile("invlpg (%0)" ::"r"(&target) : "memory");
	o->a = target;
}

static void f_cr3(void *p)
{
	struct out *o = p;
	uint64_t cr3, again;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
	__asm__ volatile("mov %%cr3, %0" : "=r"(again));
	o->a = cr3 == again;
}

static void f_cr8(void *p)
{
	struct out *o = p;
	uint64_t old, v;
	__asm__ volatile("mov %%cr8, %0" : "=r"(old));
	__asm__ volatile("mov %0, %%cr8" ::"r"(0x5ULL));
	__asm__ volatile("mov %%cr8, %0" : "=r"(v));
	__asm__ volatile("mov %0, %%cr8" ::"r"(old));
	o->a = v;
}

static void f_cr8_reserved(void *p)
{
	struct out *o = p;
	__asm__ volatile("mov %0, %%cr8" ::"r"(0x10ULL));
	o->a = 1;
}

static void f_pause_wbinvd(void *p)
{
	struct out *o = p;
	__asm__ volatile("pause; wbinvd" ::: "memory");
	o->a = 1;
}

static void f_rdrand(void *p)
{
	struct out *o = p;
	uint64_t v;
	uint8_t cf;
	uint32_t v32;
	uint16_t v16 = 0;
	__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(cf)::"cc");
	o->a = cf;
	__asm__ volatile("rdrand %0; setc %1" : "=r"(v32), "=qm"(cf)::"cc");
	o->b = cf;
	__asm__ volatile("mov $0xAAAA5555, %%eax; rdrand %%ax; setc %1; mov %%eax, %0"
			 : "=r"(v32), "=qm"(cf)::"rax", "cc");
	(void)v16;
	o->c = cf;
	o->d = v32 >> 16; /* bits 31:16 kept by a 16-bit RDRAND */
	(void)v;
}

static void f_rdseed(void *p)
{
	struct out *o = p;
	uint64_t v;
	uint8_t cf;
	__asm__ volatile("rdseed %0; setc %1" : "=r"(v), "=qm"(cf)::"cc");
	o->a = cf;
}

static void f_de(void *p)
{
	struct out *o = p;
	uint32_t zero = 0, q;
	__asm__ volatile("xor %%edx, %%edx; mov $7, %%eax; divl %1" : "=a"(q) : "r"(zero) : "rdx");
	o->a = q;
}

static void f_bp(void *p)
{
	(void)p;
	__asm__ volatile("int3");
}

static void f_ud(void *p)
{
	(void)p;
	__asm__ volatile("ud2");
}

static void f_gp(void *p)
{
	(void)p;
	uint64_t nc = 0x8000000000000000ULL;
	__asm__ volatile("mov (%0), %%rax" ::"r"(nc) : "rax", "memory");
}

static void f_pf(void *p)
{
	(void)p;
	__asm__ volatile("movq $1, (%0)" ::"r"(UNMAPPED_LA) : "memory");
}

/* MOV DR: DR0 written and read back, DR7 read, DR4 (DR6 while CR4.DE is 0, else #UD). */
static void f_movdr(void *p)
{
	struct out *o = p;
	uint64_t old, v;
	__asm__ volatile("mov %%dr0, %0" : "=r"(old));
	__asm__ volatile("mov %0, %%dr0" ::"r"(0x123456789ABCULL));
	__asm__ volatile("mov %%dr0, %0" : "=r"(v));
	__asm__ volatile("mov %0, %%dr0" ::"r"(old));
	o->a = v;
	__asm__ volatile("mov %%dr7, %0" : "=r"(o->b));
	__asm__ volatile("mov %%dr4, %0" : "=r"(o->c));
}

static void f_dr7_reserved(void *p)
{
	(void)p;
	__asm__ volatile("mov %0, %%dr7" ::"r"(1ULL << 40));
}

/* MONITOR on a variable (ECX 0), and with an extension ECX does not name (#GP). MWAIT is
 * not probed: with interrupts off nothing would end the wait on bare hardware. */
static volatile uint64_t monitored;
static void f_monitor(void *p)
{
	struct out *o = p;
	__asm__ volatile("monitor" ::"a"(&monitored), "c"(0), "d"(0) : "memory");
	o->a = 1;
}

static void f_monitor_ext(void *p)
{
	(void)p;
	__asm__ volatile("monitor" ::"a"(&monitored), "c"(1), "d"(0) : "memory");
}

/* TF over a NOP: #DB after it, DR6.BS. */
static void f_db(void *p)
{
	(void)p;
	__asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq; nop; pushfq; andq $~0x100, (%%rsp); popfq" ::: "cc",
			 "memory");
}

static void run(const char *name, void (*fn)(void *))
{
	struct out o = { 0, 0, 0, 0 };
	int r = probe_call(fn, &o);
	line(name, r, &o);
}

static bool has(uint32_t leaf, unsigned reg, unsigned bit)
{
	struct cpuid_regs c = cpu_cpuid(leaf, 0);
	uint32_t w = reg == 1 ? c.ebx : reg == 2 ? c.ecx : c.edx;
	return (w >> bit) & 1;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	InitializeLib(image, st);
	probe_init();
	report_init("vmxicpt", st);
	report_to_file(image, L"\\EFI\\vmxray\\vmxicpt.log");
	run("rdtsc", f_rdtsc);
	if (has(0x80000001u, 3, 27)) {
		uint64_t old = 0;
		int r = probe_rdmsr(MSR_TSC_AUX, &old);
		probe_wrmsr(MSR_TSC_AUX, 0x5A5A);
		run("rdtscp", f_rdtscp);
		if (r == PROBE_NO_FAULT)
			probe_wrmsr(MSR_TSC_AUX, old);
	}
	run("rdpmc_bad_counter", f_rdpmc_bad);
	run("rdpmc0", f_rdpmc0);
	run("invlpg", f_invlpg);
	run("cr3", f_cr3);
	run("cr8", f_cr8);
	run("cr8_reserved", f_cr8_reserved);
	run("pause_wbinvd", f_pause_wbinvd);
	run("movdr", f_movdr);
	if (has(1, 2, 3)) {
		run("monitor", f_monitor);
		run("monitor_extension", f_monitor_ext);
	}
	run("dr7_reserved", f_dr7_reserved);
	if (has(1, 2, 30))
		run("rdrand", f_rdrand);
	if (has(7, 1, 18))
		run("rdseed", f_rdseed);
	run("de", f_de);
	run("bp", f_bp);
	run("ud", f_ud);
	run("gp_noncanonical", f_gp);
	run("pf", f_pf);
	uint64_t cr2;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	report_info("DIFF icpt.pf_cr2 cr2=0x%lx", cr2);
	__asm__ volatile("mov %0, %%dr6" ::"r"(0xFFFF0FF0ULL));
	run("db_single_step", f_db);
	uint64_t dr6;
	__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
	report_info("DIFF icpt.db_dr6 dr6=0x%lx", dr6);
	report_pass("finished");
	return report_summary() ? EFI_ABORTED : EFI_SUCCESS;
}
