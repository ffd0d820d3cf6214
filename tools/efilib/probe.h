/* Fault catcher for in-guest tests (tools/efilib/probe.asm, probe.c).
 *
 * Each probe_*() runs one instruction (or, for probe_call(), one C function) with
 * interrupts disabled and a private IDT whose vectors 0-31 lead back into the probe.
 * It returns PROBE_NO_FAULT when the instruction completed, or the exception vector
 * it raised; probe_fault_info then holds the vector, error code, RIP and CS of that
 * exception. The original IDTR and RFLAGS are back in place when a probe returns.
 *
 * Call probe_init() once before the first probe. Probes do not nest (a function run
 * by probe_call() must not call another probe). Outputs are written only when the
 * instruction did not fault. */
#ifndef VMXRAY_TOOLS_EFILIB_PROBE_H
#define VMXRAY_TOOLS_EFILIB_PROBE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/cpu.h"
#include "arch/exceptions.h" /* VECTOR_GP, ... */

#define PROBE_NO_FAULT (-1)

/* Layout read and written by probe.asm. */
struct probe_fault {
	uint64_t vector;
	uint64_t error; /* 0 for vectors without an error code */
	uint64_t rip;
	uint64_t cs;
};
_Static_assert(offsetof(struct probe_fault, vector) == 0, "probe.asm: +0 vector");
_Static_assert(offsetof(struct probe_fault, error) == 8, "probe.asm: +8 error");
_Static_assert(offsetof(struct probe_fault, rip) == 16, "probe.asm: +16 rip");
_Static_assert(offsetof(struct probe_fault, cs) == 24, "probe.asm: +24 cs");

/* Registers passed to and returned from VMCALL (probe_vmcall). */
struct probe_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi;
};
_Static_assert(offsetof(struct probe_regs, rax) == 0, "probe.asm: +0 rax");
_Static_assert(offsetof(struct probe_regs, rbx) == 8, "probe.asm: +8 rbx");
_Static_assert(offsetof(struct probe_regs, rcx) == 16, "probe.asm: +16 rcx");
_Static_assert(offsetof(struct probe_regs, rdx) == 24, "probe.asm: +24 rdx");
_Static_assert(offsetof(struct probe_regs, rsi) == 32, "probe.asm: +32 rsi");
_Static_assert(offsetof(struct probe_regs, rdi) == 40, "probe.asm: +40 rdi");
_Static_assert(offsetof(struct cpuid_regs, eax) == 0 && offsetof(struct cpuid_regs, ebx) == 4 &&
		       offsetof(struct cpuid_regs, ecx) == 8 && offsetof(struct cpuid_regs, edx) == 12,
	       "probe.asm stores CPUID results at +0, +4, +8, +12");

#pragma GCC visibility push(hidden)

extern struct probe_fault probe_fault_info;
extern struct cpu_dtr probe_idtr_private;
/* probe.asm: 32 stubs, PROBE_STUB_SIZE bytes apart, for vectors 0-31. */
extern const char probe_stubs[];
#define PROBE_STUB_SIZE 16

/* Copies the current IDT and points its vectors 0-31 at the stubs. */
void probe_init(void);

int probe_rdmsr(uint32_t msr, uint64_t *val);
int probe_wrmsr(uint32_t msr, uint64_t val);
int probe_cpuid(uint32_t leaf, uint32_t subleaf, struct cpuid_regs *out);
int probe_xgetbv(uint32_t index, uint64_t *val);
int probe_xsetbv(uint32_t index, uint64_t val);
int probe_mov_to_cr4(uint64_t val);
int probe_vmcall(struct probe_regs *regs);
int probe_vmxon(const uint64_t *pa);
int probe_vmxoff(void);
int probe_vmclear(const uint64_t *pa);
int probe_vmptrld(const uint64_t *pa);
int probe_vmptrst(uint64_t *pa);
int probe_vmread(uint64_t field, uint64_t *val);
int probe_vmwrite(uint64_t field, uint64_t val);
int probe_vmlaunch(void);
int probe_vmresume(void);
int probe_invept(uint64_t type, const void *desc);
int probe_invvpid(uint64_t type, const void *desc);
int probe_vmfunc(uint32_t function, uint32_t index);
int probe_getsec(uint32_t leaf);
int probe_invd(void);
int probe_in(uint16_t port, unsigned size, uint32_t *val);
int probe_out(uint16_t port, unsigned size, uint32_t val);
int probe_call(void (*fn)(void *), void *arg);

/* Used by ring3.c: IRETQ to CPL 3 at rip with the given stack and selectors. */
int probe_ring3_iret(uint64_t rip, uint64_t rsp, uint64_t cs, uint64_t ss, uint64_t rax);
extern const char ring3_code_vmcall[], ring3_code_vmcall_next[];
extern const char ring3_code_hlt[], ring3_code_hlt_next[];
extern const char ring3_code_sgdt[], ring3_code_sidt[], ring3_code_sldt[], ring3_code_str[], ring3_code_lgdt[],
	ring3_code_lldt[];

/* Called by probe.asm for an exception while no probe runs: reports on serial, halts. */
void probe_unexpected_fault(uint64_t vector, uint64_t error, uint64_t rip) __attribute__((noreturn));

#pragma GCC visibility pop

/* "#GP", "#UD", ... for vectors 0-31, "vector" otherwise. */
const char *probe_vector_name(int vector);
/* Describes a probe result for a failure message: "no fault",
 * "#GP(0x0) at 0x..." (from probe_fault_info). */
void probe_describe(int result, char *buf, size_t n);
/* True when result is `vector` and, for vectors with an error code, the code is 0. */
bool probe_is(int result, int vector);

#endif
