/* x86 primitives as inline assembly: the hardware edge for CPUID, MSRs, control
 * registers, descriptor tables, port I/O. Only *_hw.c files and boot/ include this. */
#ifndef VMXRAY_ARCH_CPU_H
#define VMXRAY_ARCH_CPU_H
#include <stdbool.h>
#include <stdint.h>

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpu_cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline uint64_t cpu_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

#define CPU_READ_CR(n)                                                   \
	static inline uint64_t cpu_read_cr##n(void)                      \
	{                                                                \
		uint64_t v;                                              \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));        \
		return v;                                                \
	}                                                                \
	static inline void cpu_write_cr##n(uint64_t v)                   \
	{                                                                \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory"); \
	}
CPU_READ_CR(0)
CPU_READ_CR(2)
CPU_READ_CR(3)
CPU_READ_CR(4)
#undef CPU_READ_CR

static inline uint64_t cpu_read_dr6(void)
{
	uint64_t v;
	__asm__ volatile("mov %%dr6, %0" : "=r"(v));
	return v;
}

static inline void cpu_write_dr6(uint64_t v)
{
	__asm__ volatile("mov %0, %%dr6" ::"r"(v));
}

static inline uint64_t cpu_read_dr7(void)
{
	uint64_t v;
	__asm__ volatile("mov %%dr7, %0" : "=r"(v));
	return v;
}

static inline void cpu_write_dr7(uint64_t v)
{
	__asm__ volatile("mov %0, %%dr7" ::"r"(v));
}

static inline uint64_t cpu_read_rflags(void)
{
	uint64_t v;
	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

struct __attribute__((packed)) cpu_dtr {
	uint16_t limit;
	uint64_t base;
};

static inline struct cpu_dtr cpu_sgdt(void)
{
	struct cpu_dtr d;
	__asm__ volatile("sgdt %0" : "=m"(d));
	return d;
}

static inline struct cpu_dtr cpu_sidt(void)
{
	struct cpu_dtr d;
	__asm__ volatile("sidt %0" : "=m"(d));
	return d;
}

static inline void cpu_lgdt(const struct cpu_dtr *d)
{
	__asm__ volatile("lgdt %0" ::"m"(*d));
}

static inline void cpu_lidt(const struct cpu_dtr *d)
{
	__asm__ volatile("lidt %0" ::"m"(*d));
}

#define CPU_READ_SEG(name)                                             \
	static inline uint16_t cpu_read_##name(void)                   \
	{                                                              \
		uint16_t v;                                            \
		__asm__ volatile("mov %%" #name ", %0" : "=rm"(v));    \
		return v;                                              \
	}
CPU_READ_SEG(cs)
CPU_READ_SEG(ss)
CPU_READ_SEG(ds)
CPU_READ_SEG(es)
CPU_READ_SEG(fs)
CPU_READ_SEG(gs)
#undef CPU_READ_SEG

static inline uint16_t cpu_str(void)
{
	uint16_t v;
	__asm__ volatile("str %0" : "=rm"(v));
	return v;
}

static inline uint16_t cpu_sldt(void)
{
	uint16_t v;
	__asm__ volatile("sldt %0" : "=rm"(v));
	return v;
}

static inline void cpu_lldt(uint16_t sel)
{
	__asm__ volatile("lldt %0" ::"rm"(sel));
}

static inline void cpu_ltr(uint16_t sel)
{
	__asm__ volatile("ltr %0" ::"rm"(sel) : "memory");
}

/* Loads DS, ES, FS and GS. In 64-bit mode a selector load sets only the low 32 bits of
 * the FS and GS bases: callers that need the bases write IA32_FS_BASE/IA32_GS_BASE after. */
static inline void cpu_load_data_segments(uint16_t ds, uint16_t es, uint16_t fs, uint16_t gs)
{
	__asm__ volatile("mov %0, %%ds\n\tmov %1, %%es\n\tmov %2, %%fs\n\tmov %3, %%gs"
			 ::"r"(ds), "r"(es), "r"(fs), "r"(gs)
			 : "memory");
}

/* Port I/O (SDM Vol. 2B, IN and OUT). */
static inline void cpu_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t cpu_inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void cpu_outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint16_t cpu_inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void cpu_outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint32_t cpu_inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t cpu_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* RDRAND/RDSEED of 64 bits: CF says whether a value came (SDM Vol. 2B, RDRAND). */
static inline bool cpu_rdrand(uint64_t *v)
{
	uint8_t ok;
	__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok)::"cc");
	return ok;
}

static inline bool cpu_rdseed(uint64_t *v)
{
	uint8_t ok;
	__asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok)::"cc");
	return ok;
}

static inline void cpu_pause(void)
{
	__asm__ volatile("pause");
}

static inline void cpu_cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static inline void cpu_hlt(void)
{
	__asm__ volatile("hlt");
}

/* IRET to the next instruction, same privilege level: ends the blocking of NMIs that
 * an NMI leaves behind even when it caused a VM exit instead of running a handler
 * (SDM Vol. 3C, "Architectural State Before a VM Exit": "An NMI causes subsequent NMIs
 * to be blocked, but only after the VM exit completes"; only IRET unblocks them).
 * Needs no red zone (the hypervisor is built with -mno-red-zone). */
static inline void cpu_unblock_nmi(void)
{
	__asm__ volatile("mov %%ss, %%eax\n\t"
			 "pushq %%rax\n\t"
			 "leaq 8(%%rsp), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "pushfq\n\t"
			 "mov %%cs, %%eax\n\t"
			 "pushq %%rax\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "iretq\n"
			 "1:"
			 ::: "rax", "memory", "cc");
}

static inline uint64_t cpu_xgetbv(uint32_t idx)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(idx));
	return ((uint64_t)hi << 32) | lo;
}

/* Initial APIC ID from CPUID.1:EBX[31:24]; works in root and non-root mode. */
static inline uint32_t cpu_apic_id(void)
{
	return cpu_cpuid(1, 0).ebx >> 24;
}

#endif
