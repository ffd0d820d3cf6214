/* vmxicpt: probes of the instructions and events that only vmxray's opt-in intercepts
 * (intercept=, issue 21) make exit and that vmxdiff does not run: RDTSC, RDTSCP (with
 * IA32_TSC_AUX), RDPMC (a counter that exists and one that does not), INVLPG, MOV from and
 * to CR3, CR8 and DR0/DR4/DR7, PAUSE, WBINVD, RDRAND, RDSEED, and the exceptions #DE, #DB (single step),
 * #BP, #UD, #GP and #PF (CR2 and error code), and the descriptor-table instructions (SGDT,
 * SIDT, LGDT, LIDT, SLDT, STR, LLDT, LTR: forms, sizes and faults). Long mode only, interrupts off (the probe
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
#include "tools/efilib/ring3.h"
#include "vmx/policy/hypercall_abi.h"

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

/* ---- Descriptor tables (intercept=desc): SGDT, SIDT, LGDT, LIDT, SLDT, STR, LLDT, LTR ----
 * A copy of the firmware's GDT with system descriptors added after it (an LDT, two TSSs,
 * a not-present LDT and TSS, an LDT whose upper half has type bits set); the probes run
 * with it loaded and the firmware's is loaded back after them. Bases of tables that are
 * the firmware's or the image's are not printed (they may lie elsewhere under vmxray): their
 * limits and the offsets from the probe's own tables are. The firmware's TR is loaded back
 * only where it names a busy TSS (OVMF's in Bochs names its code segment: LTR of it would
 * fault); otherwise TR stays on the probe's second TSS, in a page never freed. */
struct __attribute__((packed)) dtr_image {
	uint16_t limit;
	uint64_t base;
	uint8_t after[6]; /* sentinel: must stay 0xEE (the store is 10 bytes in 64-bit mode) */
};
static struct dtr_image orig_gdtr;
static uint8_t own_gdt[4096] __attribute__((aligned(16)));
static uint8_t own_ldt[64] __attribute__((aligned(8)));
static uint8_t (*own_tss)[104]; /* two TSSs in a page that outlives the program: TR may stay there */
static uint16_t own_limit, sel_ldt, sel_tss, sel_ldt_np, sel_tss_np, sel_ldt_badhi, sel_tss2;
static uint64_t cr2_seen;

static void sysdesc(unsigned off, uint64_t base, uint32_t limit, unsigned type, bool present, uint32_t hi_type)
{
	uint8_t *d = own_gdt + off;
	d[0] = (uint8_t)limit;
	d[1] = (uint8_t)(limit >> 8);
	d[2] = (uint8_t)base;
	d[3] = (uint8_t)(base >> 8);
	d[4] = (uint8_t)(base >> 16);
	d[5] = (uint8_t)(type | (present ? 0x80 : 0));
	d[6] = (uint8_t)((limit >> 16) & 0xF);
	d[7] = (uint8_t)(base >> 24);
	for (unsigned i = 0; i < 4; i++)
		d[8 + i] = (uint8_t)(base >> (32 + 8 * i));
	d[12] = 0;
	d[13] = (uint8_t)hi_type;
	d[14] = d[15] = 0;
}

static void sentinel(struct dtr_image *t)
{
	uint8_t *b = (uint8_t *)t;
	for (unsigned i = 0; i < sizeof(*t); i++)
		b[i] = 0xEE;
}

static uint64_t after_bytes(const struct dtr_image *t)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 6; i++)
		v |= (uint64_t)t->after[i] << (8 * i);
	return v;
}

static void f_sgdt(void *p)
{
	struct out *o = p;
	struct dtr_image t;
	sentinel(&t);
	__asm__ volatile("sgdt %0" : "=m"(t) : : "memory");
	o->a = t.limit;
	o->b = t.base == orig_gdtr.base;
	o->c = after_bytes(&t);
}

static void f_sidt(void *p)
{
	struct out *o = p;
	struct dtr_image t;
	sentinel(&t);
	__asm__ volatile("sidt (%0)" ::"r"(&t) : "memory");
	o->a = t.limit;
	o->c = after_bytes(&t);
}

/* 66H SGDT, RIP-relative: still 10 bytes in 64-bit mode; the displacement is RIP's. */
static struct dtr_image rip_image;
static void f_sgdt_o16_riprel(void *p)
{
	struct out *o = p;
	sentinel(&rip_image);
	__asm__ volatile("data16 sgdt rip_image(%%rip)" ::: "memory");
	o->a = rip_image.limit;
	o->b = rip_image.base == orig_gdtr.base;
	o->c = after_bytes(&rip_image);
}

/* SIDT, then 66H LIDT of the same image through base + index*8 + displacement, SIDT again. */
static void f_lidt_same(void *p)
{
	struct out *o = p;
	struct dtr_image t[2], again;
	sentinel(&t[1]);
	sentinel(&again);
	__asm__ volatile("sidt 16(%0)" ::"r"((uint8_t *)&t[1] - 16) : "memory");
	__asm__ volatile("data16 lidt 8(%0,%1,8)" ::"r"((uint8_t *)&t[1] - 16), "r"(1ULL) : "memory");
	__asm__ volatile("sidt %0" : "=m"(again) : : "memory");
	o->a = again.limit;
	o->b = again.base == t[1].base && again.limit == t[1].limit;
}

static void f_lgdt_own(void *p)
{
	struct out *o = p;
	struct dtr_image own = { own_limit, (uint64_t)(uintptr_t)own_gdt, { 0 } }, t;
	sentinel(&t);
	__asm__ volatile("lgdt %0" ::"m"(own) : "memory");
	__asm__ volatile("sgdt %0" : "=m"(t) : : "memory");
	o->a = t.limit;
	o->b = t.base - (uint64_t)(uintptr_t)own_gdt;
	o->c = after_bytes(&t);
}

static void f_lgdt_noncanonical(void *p)
{
	(void)p;
	struct dtr_image bad = { 0x7F, 0x8000000000000000ULL, { 0 } };
	__asm__ volatile("lgdt %0" ::"m"(bad) : "memory");
}

static void f_lgdt_pf(void *p)
{
	(void)p;
	__asm__ volatile("lgdt (%0)" ::"r"(UNMAPPED_LA + 0x10) : "memory");
}

static void f_sidt_pf(void *p)
{
	(void)p;
	__asm__ volatile("sidt (%0)" ::"r"(UNMAPPED_LA + 0x20) : "memory");
}

static void f_sgdt_noncanonical(void *p)
{
	(void)p;
	__asm__ volatile("sgdt (%0)" ::"r"(0x8000000000001000ULL) : "memory");
}

/* LLDT from a register, then SLDT into a 32-, 16- and 64-bit register (junk before: 32 and
 * 64 zero-extend, 16 keeps bits 63:16) and into memory (16 bits). */
static void f_lldt(void *p)
{
	struct out *o = p;
	uint64_t a = 0x1122334455667788ULL, b = a, c = a;
	uint32_t m = 0xEEEEEEEEu;
	__asm__ volatile("lldt %w0" ::"r"(sel_ldt) : "memory");
	__asm__ volatile("sldt %k0" : "+r"(a));
	__asm__ volatile("sldt %w0" : "+r"(b));
	__asm__ volatile("sldt %q0" : "+r"(c));
	__asm__ volatile("sldt %0" : "+m"(m));
	o->a = a;
	o->b = b;
	o->c = c;
	o->d = m;
}

/* LLDT of a null selector (RPL 3) from memory: LDTR unusable, SLDT gives the selector. */
static void f_lldt_null(void *p)
{
	struct out *o = p;
	uint16_t null = 3;
	uint64_t a = ~0ULL;
	__asm__ volatile("lldt %0" ::"m"(null) : "memory");
	__asm__ volatile("sldt %k0" : "+r"(a));
	o->a = a;
}

static uint16_t fault_sel;
static void f_lldt_sel(void *p)
{
	(void)p;
	__asm__ volatile("lldt %0" ::"m"(fault_sel) : "memory");
}

static void f_ltr_sel(void *p)
{
	(void)p;
	__asm__ volatile("ltr %0" ::"m"(fault_sel) : "memory");
}

/* LTR from memory: the descriptor becomes busy in memory; STR into a register and memory. */
static void f_ltr(void *p)
{
	struct out *o = p;
	uint64_t a = 0x1122334455667788ULL;
	uint32_t m = 0xEEEEEEEEu;
	__asm__ volatile("ltr %0" ::"m"(sel_tss) : "memory");
	__asm__ volatile("str %k0" : "+r"(a));
	__asm__ volatile("str %0" : "+m"(m));
	o->a = a;
	o->b = m;
	o->c = own_gdt[sel_tss + 5];
}

static void f_ltr_reg(void *p)
{
	struct out *o = p;
	uint64_t b = 0x1122334455667788ULL;
	__asm__ volatile("ltr %w0" ::"r"(sel_tss2) : "memory");
	__asm__ volatile("str %w0" : "+r"(b));
	o->a = own_gdt[sel_tss2 + 5];
	o->b = b;
}

static void run_sel(const char *name, void (*fn)(void *), uint16_t sel)
{
	fault_sel = sel;
	run(name, fn);
}

static void descriptor_tables(void)
{
	uint16_t orig_tr = 0, orig_ldtr = 0;
	sentinel(&orig_gdtr);
	__asm__ volatile("sgdt %0" : "=m"(orig_gdtr) : : "memory");
	__asm__ volatile("str %0; sldt %1" : "=m"(orig_tr), "=m"(orig_ldtr) : : "memory");
	report_info("DIFF icpt.desc_orig tr=0x%x ldtr=0x%x gdt_limit=0x%x", orig_tr, orig_ldtr, orig_gdtr.limit);
	EFI_PHYSICAL_ADDRESS page = 0;
	if (uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiBootServicesData, 1, &page) != EFI_SUCCESS) {
		report_info("SKIP icpt.desc: no page for the TSSs");
		return;
	}
	own_tss = (uint8_t(*)[104])(uintptr_t)page;
	unsigned slot = ((unsigned)orig_gdtr.limit + 1 + 15) & ~15u;
	if (slot + 96 > sizeof(own_gdt)) {
		report_info("SKIP icpt.desc: the firmware's GDT (limit 0x%x) leaves no room", orig_gdtr.limit);
		return;
	}
	const uint8_t *fw = (const uint8_t *)(uintptr_t)orig_gdtr.base;
	for (unsigned i = 0; i <= orig_gdtr.limit; i++)
		own_gdt[i] = fw[i];
	sysdesc(slot, (uint64_t)(uintptr_t)own_ldt, sizeof(own_ldt) - 1, 2, true, 0);
	sysdesc(slot + 16, (uint64_t)(uintptr_t)own_tss[0], sizeof(own_tss[0]) - 1, 9, true, 0);
	sysdesc(slot + 32, (uint64_t)(uintptr_t)own_ldt, sizeof(own_ldt) - 1, 2, false, 0);
	sysdesc(slot + 48, (uint64_t)(uintptr_t)own_tss[0], sizeof(own_tss[0]) - 1, 9, false, 0);
	sysdesc(slot + 64, (uint64_t)(uintptr_t)own_ldt, sizeof(own_ldt) - 1, 2, true, 0x05);
	sysdesc(slot + 80, (uint64_t)(uintptr_t)own_tss[1], sizeof(own_tss[1]) - 1, 9, true, 0);
	sel_ldt = (uint16_t)slot;
	sel_tss = (uint16_t)(slot + 16);
	sel_ldt_np = (uint16_t)(slot + 32);
	sel_tss_np = (uint16_t)(slot + 48);
	sel_ldt_badhi = (uint16_t)(slot + 64);
	sel_tss2 = (uint16_t)(slot + 80);
	own_limit = (uint16_t)(slot + 96 - 1);

	run("sgdt", f_sgdt);
	run("sidt", f_sidt);
	run("sgdt_o16_riprel", f_sgdt_o16_riprel);
	run("lidt_same", f_lidt_same);
	run("lgdt_noncanonical", f_lgdt_noncanonical);
	cr2_seen = 0;
	run("lgdt_pf", f_lgdt_pf);
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2_seen));
	report_info("DIFF icpt.lgdt_pf_cr2 cr2=0x%lx", cr2_seen);
	run("sidt_pf", f_sidt_pf);
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2_seen));
	report_info("DIFF icpt.sidt_pf_cr2 cr2=0x%lx", cr2_seen);
	run("sgdt_noncanonical", f_sgdt_noncanonical);
	run("lgdt_own", f_lgdt_own); /* leaves the own GDT loaded for what follows */
	run("lldt", f_lldt);
	run("lldt_null", f_lldt_null);
	run_sel("lldt_ti", f_lldt_sel, (uint16_t)(sel_ldt | 4));
	run_sel("lldt_beyond_limit", f_lldt_sel, (uint16_t)(own_limit + 1));
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	run_sel("lldt_code_segment", f_lldt_sel, cs);
	run_sel("lldt_tss", f_lldt_sel, sel_tss);
	run_sel("lldt_not_present", f_lldt_sel, (uint16_t)(sel_ldt_np | 3));
	run_sel("lldt_upper_type", f_lldt_sel, sel_ldt_badhi);
	run_sel("ltr_null", f_ltr_sel, 0);
	run_sel("ltr_ldt", f_ltr_sel, sel_ldt);
	run_sel("ltr_not_present", f_ltr_sel, sel_tss_np);
	run("ltr", f_ltr);
	run_sel("ltr_busy", f_ltr_sel, sel_tss);
	run("ltr_reg", f_ltr_reg);
	/* The firmware's tables back: its GDT, LDTR, and its TR where it had one (busy bit
	 * cleared first, as LTR wants an available TSS). */
	__asm__ volatile("lgdt %0" ::"m"(orig_gdtr) : "memory");
	__asm__ volatile("lldt %0" ::"m"(orig_ldtr) : "memory");
	uint8_t *type = (uint8_t *)(uintptr_t)orig_gdtr.base + (orig_tr & ~7u) + 5;
	if ((orig_tr & ~7u) && (orig_tr & ~7u) + 15u <= orig_gdtr.limit && (*type & 0x1F) == 0x0B) {
		*type = (uint8_t)(*type & ~2u);
		__asm__ volatile("ltr %0" ::"m"(orig_tr) : "memory");
	}
}

/* ---- intercept=desc at CPL 3, with CR4.UMIP off and (where the model has UMIP) on ----
 * SGDT, SIDT, SLDT, STR store at CPL 3 unless CR4.UMIP = 1, which makes them #GP(0); LGDT
 * and LLDT #GP(0) at CPL 3 (SDM Vol. 2A/2B, the instructions' protected-mode exceptions).
 * tools/efilib/ring3.h runs each from a GDT copy of its own; what is printed does not
 * depend on where that copy lies: the fault, whether the instruction completed, the limit
 * or selector stored (the base is the copy's). */
static void desc_cpl3(const char *mode, const char *name, const char *code)
{
	static uint8_t buf[16] __attribute__((aligned(16)));
	struct ring3_result res;
	char why[96];
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = 0xA5;
	if (!ring3_run(code, (uint64_t)(uintptr_t)buf, &res, why, sizeof(why))) {
		report_info("SKIP icpt.cpl3_%s_%s: %s", mode, name, why);
		return;
	}
	report_info("DIFF icpt.cpl3_%s_%s fault=%s ec=0x%lx completed=%d stored=0x%02x%02x restored=%d", mode, name,
		    probe_vector_name(res.vector), res.fault.error, res.fault.rip != (uint64_t)(uintptr_t)code, buf[1],
		    buf[0], res.restored);
}

static void desc_cpl3_all(const char *mode)
{
	desc_cpl3(mode, "sgdt", ring3_code_sgdt);
	desc_cpl3(mode, "sidt", ring3_code_sidt);
	desc_cpl3(mode, "sldt", ring3_code_sldt);
	desc_cpl3(mode, "str", ring3_code_str);
	desc_cpl3(mode, "lgdt", ring3_code_lgdt);
	desc_cpl3(mode, "lldt", ring3_code_lldt);
}

#define CR4_UMIP (1ULL << 11)
static void desc_cpl3_probes(void)
{
	uint64_t cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	desc_cpl3_all("umip0");
	struct cpuid_regs c = cpu_cpuid(7, 0);
	bool umip = (c.ecx >> 2) & 1;
	report_info("DIFF icpt.cpl3_umip available=%d", umip);
	if (!umip)
		return;
	int r = probe_mov_to_cr4(cr4 | CR4_UMIP);
	report_info("DIFF icpt.cpl3_umip_set fault=%s", r == PROBE_NO_FAULT ? "none" : probe_vector_name(r));
	if (r != PROBE_NO_FAULT)
		return;
	desc_cpl3_all("umip1");
	probe_mov_to_cr4(cr4);
}

/* ---- intercept=ept: every access to a protected page exits, every time ----
 * 94-intercept-diff.sh protects EPT_PROBE_PAGE (w on one model, x on another) and
 * compares vmxray's "STATS intercept_ept exits=N" with the accesses counted here: the
 * writes (one store of the code, five byte stores, a REP STOSB of four bytes, three
 * PUSHFQ with the stack on the page) or the instructions executed from the page (a
 * PUSHFQ; POP RAX; RET three times). The RFLAGS images PUSHFQ stored are printed: a step
 * that leaked its TF or IF into them would differ from bare hardware. */
#define EPT_PROBE_PAGE 0x1D000u /* just above vmxdiff's low pages (0x8000-0x1CFFF) */

static uint64_t ept_flags[6];

static void f_ept_writes(void *p)
{
	struct out *o = p;
	volatile uint8_t *pg = (volatile uint8_t *)(uintptr_t)EPT_PROBE_PAGE;
	*(volatile uint32_t *)pg = 0x90C3589Cu; /* pushfq; pop rax; ret; nop: 1 write */
	for (unsigned i = 0; i < 5; i++)        /* 5 writes */
		pg[0x100 + i] = (uint8_t)i;
	void *dst = (void *)(pg + 0x200);
	uint64_t cnt = 4;
	__asm__ volatile("rep stosb" : "+D"(dst), "+c"(cnt) : "a"(0x5A) : "memory"); /* 4 writes */
	for (unsigned i = 0; i < 3; i++) /* 3 writes, each an RFLAGS image on the page */
		__asm__ volatile("mov %%rsp, %%r8\n\tmov %1, %%rsp\n\tpushfq\n\tpop %0\n\tmov %%r8, %%rsp"
				 : "=r"(ept_flags[i])
				 : "r"((uint64_t)EPT_PROBE_PAGE + 0x800)
				 : "r8", "memory");
	o->a = 13;
	o->b = ept_flags[0];
	o->c = ept_flags[2];
}

static void f_ept_fetches(void *p)
{
	struct out *o = p;
	uint64_t (*code)(void) = (uint64_t (*)(void))(uintptr_t)EPT_PROBE_PAGE;
	for (unsigned i = 0; i < 3; i++) /* 3 instructions each */
		ept_flags[3 + i] = code();
	o->a = 9;
	o->b = ept_flags[3];
	o->c = ept_flags[5];
}

/* vmxray's count of EPT-violation exits (reason 48, SDM Vol. 3C, Appendix C), all CPUs,
 * by the STATS hypercall; false on bare hardware (VMCALL raises #UD there). */
#define EXIT_EPT_VIOLATION 48u
static uint64_t stats[VMXRAY_STATS_COUNTERS];

static bool ept_exits(uint64_t *n)
{
	struct probe_regs r = { .rax = VMXRAY_HC_STATS, .rbx = (uintptr_t)stats, .rcx = sizeof(stats) };
	if (probe_vmcall(&r) != PROBE_NO_FAULT || (int64_t)r.rax <= (int64_t)EXIT_EPT_VIOLATION)
		return false;
	*n = stats[EXIT_EPT_VIOLATION];
	return true;
}

/* "EPT-PROBE writes=13 write_exits=N fetches=9 fetch_exits=M": the accesses made and the
 * EPT-violation exits vmxray counted meanwhile (not a DIFF line: bare hardware has no
 * count, "-"). */
static void ept_probes(void)
{
	EFI_PHYSICAL_ADDRESS a = EPT_PROBE_PAGE;
	uint64_t e0 = 0, e1 = 0, e2 = 0;
	char w[24] = "-", x[24] = "-";
	if (uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress, EfiLoaderCode, 1, &a) != EFI_SUCCESS) {
		report_info("SKIP icpt.ept: page 0x%x is not free", EPT_PROBE_PAGE);
		return;
	}
	bool hv = ept_exits(&e0);
	run("ept_writes", f_ept_writes);
	hv = hv && ept_exits(&e1);
	run("ept_fetches", f_ept_fetches);
	hv = hv && ept_exits(&e2);
	if (hv) {
		fmt_snprintf(w, sizeof(w), "%lu", e1 - e0);
		fmt_snprintf(x, sizeof(x), "%lu", e2 - e1);
	}
	report_info("EPT-PROBE writes=13 write_exits=%s fetches=9 fetch_exits=%s", w, x);
	uefi_call_wrapper(BS->FreePages, 2, a, 1);
}

/* ---- trace_filter= and trace_out=stream, for real ----
 * A blob copied to TRACE_BLOB (in the probe page, identity-mapped low memory) runs exits
 * of four filterable kinds, each at its own RIP: CPUID leaf 1 three times and leaf 0
 * twice, RDMSR 0x1B twice and 0x277 once, IN from port 0x80 four times and 0x61 once,
 * MOV from CR8 twice and from CR3 once. 94-intercept-diff.sh boots one model with
 * `trace=cpuid,msr_read,io_instruction,cr_access trace_out=stream
 * trace_filter=rip:<page>,leaf:1,msr:0x1b,port:0x80,cr:8` and demands that the streamed
 * records are exactly the matching ones this program lists ("TRACE-PROBE rip=... n=...":
 * RIP, reason, count), none of the others, none from elsewhere. */
#define TRACE_BLOB (EPT_PROBE_PAGE + 0x400u)
__asm__(".pushsection .text\n"
	".globl trace_blob, trace_blob_end, trace_at\n"
	".hidden trace_blob, trace_blob_end, trace_at\n"
	"trace_blob:\n"
	"  push %rbx\n"
	"  mov $1, %eax\n  xor %ecx, %ecx\n"
	"trace_at_cpuid1a: cpuid\n  mov $1, %eax\n  xor %ecx, %ecx\n"
	"trace_at_cpuid1b: cpuid\n  mov $1, %eax\n  xor %ecx, %ecx\n"
	"trace_at_cpuid1c: cpuid\n  xor %eax, %eax\n  xor %ecx, %ecx\n"
	"  cpuid\n  xor %eax, %eax\n  xor %ecx, %ecx\n  cpuid\n"
	"  mov $0x1b, %ecx\n"
	"trace_at_msr1: rdmsr\n  mov $0x1b, %ecx\n"
	"trace_at_msr2: rdmsr\n  mov $0x277, %ecx\n  rdmsr\n"
	"trace_at_port1: inb $0x80, %al\n"
	"trace_at_port2: inb $0x80, %al\n"
	"trace_at_port3: inb $0x80, %al\n"
	"trace_at_port4: inb $0x80, %al\n"
	"  inb $0x61, %al\n"
	"trace_at_cr8a: mov %cr8, %rax\n"
	"trace_at_cr8b: mov %cr8, %rax\n"
	"  mov %cr3, %rax\n"
	"  pop %rbx\n  ret\n"
	"trace_blob_end:\n"
	"trace_at:\n"
	"  .quad trace_at_cpuid1a - trace_blob, trace_at_cpuid1b - trace_blob, trace_at_cpuid1c - trace_blob\n"
	"  .quad trace_at_msr1 - trace_blob, trace_at_msr2 - trace_blob\n"
	"  .quad trace_at_port1 - trace_blob, trace_at_port2 - trace_blob, trace_at_port3 - trace_blob, trace_at_port4 - trace_blob\n"
	"  .quad trace_at_cr8a - trace_blob, trace_at_cr8b - trace_blob\n"
	".popsection\n");
extern const uint8_t trace_blob[], trace_blob_end[];
extern const uint64_t trace_at[11];

static void f_trace_blob(void *p)
{
	struct out *o = p;
	((void (*)(void))(uintptr_t)TRACE_BLOB)();
	o->a = 1;
}

static void trace_probe(void)
{
	static const char *const reason[11] = { "cpuid", "cpuid", "cpuid", "msr_read", "msr_read", "io_instruction",
						"io_instruction", "io_instruction", "io_instruction", "cr_access",
						"cr_access" };
	EFI_PHYSICAL_ADDRESS a = EPT_PROBE_PAGE;
	size_t n = (size_t)(trace_blob_end - trace_blob);
	if (n > 0x400 || uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress, EfiLoaderCode, 1, &a) != EFI_SUCCESS) {
		report_info("SKIP icpt.trace_blob: page 0x%x is not free", EPT_PROBE_PAGE);
		return;
	}
	for (size_t i = 0; i < n; i++)
		((volatile uint8_t *)(uintptr_t)TRACE_BLOB)[i] = trace_blob[i];
	run("trace_blob", f_trace_blob);
	for (unsigned i = 0; i < 11; i++)
		report_info("TRACE-PROBE rip=0x%lx reason=%s n=1", (uint64_t)TRACE_BLOB + trace_at[i], reason[i]);
	report_info("TRACE-PROBE total=11 blob=0x%x-0x%lx", TRACE_BLOB, (uint64_t)TRACE_BLOB + n - 1);
	uefi_call_wrapper(BS->FreePages, 2, a, 1);
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
	descriptor_tables();
	desc_cpl3_probes();
	ept_probes();
	trace_probe();
	report_pass("finished");
	return report_summary() ? EFI_ABORTED : EFI_SUCCESS;
}
