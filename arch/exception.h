/* Root-mode exceptions: the frame isr.asm builds, and the hooks the hypervisor sets.
 * Policy (docs/ARCHITECTURE.md, "Fault policy"): an NMI is recorded for the guest;
 * a #GP on a guarded MSR access returns an error to its caller; anything else prints
 * the vector, the registers and (through the panic hook) a VMCS dump, then stops
 * this CPU with interrupts off. Never a silent triple fault. */
#ifndef VMXRAY_ARCH_EXCEPTION_H
#define VMXRAY_ARCH_EXCEPTION_H
#include <stdint.h>

/* Layout matches the pushes in arch/isr.asm (last pushed first). */
struct exception_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

typedef void (*exception_hook_fn)(const struct exception_frame *f);

void exception_set_nmi_hook(exception_hook_fn fn);
void exception_set_panic_hook(exception_hook_fn fn);
void arch_exception(struct exception_frame *f);
extern const uint64_t isr_table[32];

/* Guarded MSR access (arch/msr_safe.asm): 0 on success, -1 when the CPU raised #GP. */
int msr_safe_read(uint32_t msr, uint64_t *value);
int msr_safe_write(uint32_t msr, uint64_t value);
int xsetbv_safe(uint32_t index, uint64_t value);
int rdpmc_safe(uint32_t counter, uint64_t *value);

_Noreturn void cpu_stop(void);

#endif
