/* vmxbench: round-trip cost of the guest operations vmxray intercepts (tools/bench).
 *
 *   vmxbench        one line per measurement, "vmxbench: <name> ticks=<n>" (per operation,
 *                   the minimum over VMXBENCH_RUNS runs of VMXBENCH_ITERS iterations, RDTSC
 *                   around each run, interrupts off), then "vmxbench: done". The first line,
 *                   "vmxbench: tsc=<n>", is the TSC when the program started.
 *   vmxbench tsc    prints "vmxbench: tsc=<n>" only: tools/bench runs it before and after
 *                   vmxray.efi to time the launch.
 *   vmxbench apic   the local-APIC page write only (a 32-bit write of 0 to the EOI register,
 *                   xAPIC base + 0xB0): tools/bench runs it in a 2-CPU boot, where vmxray's
 *                   ipi=soft makes the APIC page read-only in the EPT (docs/ARCHITECTURE.md,
 *                   "INIT and SIPI between processors"). With no interrupt in service an
 *                   EOI changes nothing (SDM Vol. 3A, 11.8.5 "Signaling Interrupt Servicing
 *                   Completion").
 *
 * The same binary runs bare and under vmxray; the difference is the hypervisor's path.
 * Under Bochs with "clock: sync=none" RDTSC counts instructions, so ticks are repeatable.
 * Operations that cannot run here print "vmxbench: <name> n/a: <why>". Output goes to COM1
 * (to the UEFI console when no UART answers), once. */
#include <efi.h>
#include <efilib.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "arch/bits.h"
#include "arch/cpu.h"
#include "arch/cpuid_bits.h"
#include "arch/msr.h"
#include "drivers/fmt.h"
#include "tools/efilib/cmdline.h"
#include "tools/efilib/console.h"
#include "tools/efilib/serial.h"
#include "vmx/policy/hypercall_abi.h"

#define VMXBENCH_RUNS 8
#define VMXBENCH_ITERS 64
#define VMXBENCH_LINE_MAX 160

#define KBC_STATUS_PORT 0x64
#define PCI_CONFIG_ADDRESS_PORT 0xCF8
#define APIC_BASE_ADDR_MASK 0xFFFFFF000ull /* IA32_APIC_BASE bits 35:12 (MAXPHYADDR 36+) */
#define APIC_EOI_OFFSET 0xB0
#define CR0_NE_BIT (1ull << 5)
#define CR4_OSXSAVE_BIT (1ull << 18)

static EFI_SYSTEM_TABLE *bench_st;
static bool bench_serial;

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	char line[VMXBENCH_LINE_MAX];
	va_list ap;
	size_t n = fmt_snprintf(line, sizeof(line), "vmxbench: ");

	va_start(ap, fmt);
	n += fmt_vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	line[n] = 0;
	if (bench_serial) {
		serial_write(line, n);
		return;
	}
	console_write(bench_st, line, n);
}

static inline uint64_t irq_save(void)
{
	uint64_t f;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(f)::"memory");
	return f;
}

static inline void irq_restore(uint64_t f)
{
	__asm__ volatile("pushq %0; popfq" ::"r"(f) : "memory", "cc");
}


static inline void xsetbv(uint32_t idx, uint64_t v)
{
	__asm__ volatile("xsetbv" ::"c"(idx), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline uint64_t vmcall_version(void)
{
	uint64_t rax = VMXRAY_HC_VERSION, rbx = 0, rcx = 0, rdx = 0;
	__asm__ volatile("vmcall" : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx)::"memory");
	return rbx;
}

/* The benchmarked operations: one call = `ops` of the operation. */
struct bench_ctx {
	uint64_t cr0, cr4, xcr0, mtrr_def;
	uint32_t config_address;     /* 0xCF8 as found: written back unchanged */
	volatile uint32_t *apic_eoi; /* the xAPIC EOI register */
};

static void op_baseline(struct bench_ctx *c) { __asm__ volatile("" ::"r"(c) : "memory"); }
static void op_cpuid(struct bench_ctx *c) { (void)c; (void)cpu_cpuid(0, 0); }
static void op_cpuid1(struct bench_ctx *c) { (void)c; (void)cpu_cpuid(1, 0); }
static void op_cpuid7(struct bench_ctx *c) { (void)c; (void)cpu_cpuid(7, 0); }
static void op_cpuid_hv(struct bench_ctx *c) { (void)c; (void)cpu_cpuid(VMXRAY_CPUID_LEAF_BASE, 0); }
static void op_out_cf8(struct bench_ctx *c) { cpu_outl(PCI_CONFIG_ADDRESS_PORT, c->config_address); }
static void op_apic_eoi(struct bench_ctx *c) { *c->apic_eoi = 0; }
static void op_vmcall(struct bench_ctx *c) { (void)c; (void)vmcall_version(); }
static void op_rdmsr(struct bench_ctx *c) { (void)c; (void)cpu_rdmsr(MSR_IA32_FEATURE_CONTROL); }
static void op_wrmsr(struct bench_ctx *c) { cpu_wrmsr(MSR_IA32_MTRR_DEF_TYPE, c->mtrr_def); }
static void op_in(struct bench_ctx *c) { (void)c; (void)cpu_inb(KBC_STATUS_PORT); }
static void op_xsetbv(struct bench_ctx *c) { xsetbv(0, c->xcr0); }
/* Two MOV to CR0 per call: CR0.NE off, then back on (NE is host-owned under VMX). */
static void op_cr0_ne(struct bench_ctx *c)
{
	cpu_write_cr0(c->cr0 ^ CR0_NE_BIT);
	cpu_write_cr0(c->cr0);
}

static uint64_t measure(void (*op)(struct bench_ctx *), struct bench_ctx *c, unsigned ops)
{
	uint64_t best = UINT64_MAX;
	for (int run = 0; run < VMXBENCH_RUNS; run++) {
		uint64_t f = irq_save();
		uint64_t t0 = cpu_rdtsc();
		for (int i = 0; i < VMXBENCH_ITERS; i++)
			op(c);
		uint64_t t = cpu_rdtsc() - t0;
		irq_restore(f);
		if (t < best)
			best = t;
	}
	return best / ((uint64_t)VMXBENCH_ITERS * ops);
}

static void bench(const char *name, void (*op)(struct bench_ctx *), struct bench_ctx *c, unsigned ops)
{
	out("%s ticks=%lu", name, measure(op, c, ops));
}

static bool under_vmxray(void)
{
	struct cpuid_regs r = cpu_cpuid(1, 0);
	if (!bit_test(r.ecx, CPUID1_ECX_HYPERVISOR_BIT))
		return false; /* CPUID.1:ECX.hypervisor */
	r = cpu_cpuid(VMXRAY_CPUID_LEAF_BASE, 0);
	char sig[13];
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	sig[12] = 0;
	return memcmp(sig, VMXRAY_CPUID_SIGNATURE, 12) == 0;
}

/* True when the second word of the command line is "tsc". */
/* The second word of the command line: "tsc", "apic" or none. */
struct mode_word {
	bool tsc, apic;
};

static bool mode_word(void *ctx, unsigned index, const char *word)
{
	struct mode_word *m = ctx;
	if (index < 1)
		return true;
	m->tsc = strcmp(word, "tsc") == 0;
	m->apic = strcmp(word, "apic") == 0;
	return false;
}

static void bench_apic(struct bench_ctx *c, bool hv)
{
	uint64_t base = cpu_rdmsr(MSR_IA32_APIC_BASE);
	c->apic_eoi = (volatile uint32_t *)(uintptr_t)((base & APIC_BASE_ADDR_MASK) + APIC_EOI_OFFSET);
	out("mode=%s iters=%u runs=%u", hv ? "vmxray" : "bare", VMXBENCH_ITERS, VMXBENCH_RUNS);
	bench("apic_eoi_write", op_apic_eoi, c, 1);
	out("done");
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	uint64_t start = cpu_rdtsc();
	InitializeLib(image, st);
	bench_st = st;
	bench_serial = serial_present();
	out("tsc=%lu", start);
	struct mode_word m = { false, false };
	cmdline_split(image, CMDLINE_LOWER, 8, mode_word, &m);
	if (m.tsc)
		return EFI_SUCCESS;

	bool hv = under_vmxray();
	struct bench_ctx c = { .cr0 = cpu_read_cr0(), .cr4 = cpu_read_cr4() };
	if (m.apic) {
		bench_apic(&c, hv);
		return EFI_SUCCESS;
	}
	out("mode=%s iters=%u runs=%u", hv ? "vmxray" : "bare", VMXBENCH_ITERS, VMXBENCH_RUNS);

	bench("baseline", op_baseline, &c, 1);
	bench("cpuid", op_cpuid, &c, 1);
	bench("cpuid_leaf1", op_cpuid1, &c, 1);
	bench("cpuid_leaf7", op_cpuid7, &c, 1);
	bench("cpuid_0x40000000", op_cpuid_hv, &c, 1);
	if (hv)
		bench("vmcall_version", op_vmcall, &c, 1);
	else
		out("vmcall_version n/a: no hypervisor (VMCALL would #UD)");
	bench("rdmsr_feature_control", op_rdmsr, &c, 1);
	c.mtrr_def = cpu_rdmsr(MSR_IA32_MTRR_DEF_TYPE);
	bench("wrmsr_mtrr_def_type", op_wrmsr, &c, 1);
	bench("in_port_0x64", op_in, &c, 1);
	c.config_address = cpu_inl(PCI_CONFIG_ADDRESS_PORT);
	bench("out_port_0xcf8", op_out_cf8, &c, 1);
	bench("mov_cr0_ne", op_cr0_ne, &c, 2);
	cpu_write_cr0(c.cr0);

	if (cpu_cpuid(1, 0).ecx & (1u << CPUID1_ECX_XSAVE_BIT)) {
		uint64_t f = irq_save();
		if (!(c.cr4 & CR4_OSXSAVE_BIT))
			cpu_write_cr4(c.cr4 | CR4_OSXSAVE_BIT);
		c.xcr0 = cpu_xgetbv(0);
		irq_restore(f);
		bench("xsetbv", op_xsetbv, &c, 1);
		if (!(c.cr4 & CR4_OSXSAVE_BIT))
			cpu_write_cr4(c.cr4);
	} else {
		out("xsetbv n/a: no XSAVE (CPUID.1:ECX[26] = 0)");
	}
	out("done");
	return EFI_SUCCESS;
}
