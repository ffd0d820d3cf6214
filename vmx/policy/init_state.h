/* The processor state after INIT, as one table both INIT paths load: the INIT exit
 * (vmx/exit/exit_init_sipi.c, ipi=hardware) and the software INIT (vmx/exit/soft_ipi.c,
 * ipi=soft). SDM Vol. 3A, 10.1.1 "Processor State After Reset", Table "IA-32 and
 * Intel 64 Processor States Following Power-up, Reset, or INIT", INIT column. Pure.
 *
 * EDX holds the processor signature, "000n06xxH" (n the extended model, xx the stepping:
 * CPUID.01H:EAX), which is the processor's, not a constant: vcpu_load_init_state reads it.
 * Some of it lives in the VMCS (CR0, CR3, CR4, DR7, RFLAGS, RIP, RSP, EFER, segments,
 * descriptor tables), some only in the processor's registers, which VM entry and VM
 * exit do not switch (CR2, DR0-DR3, DR6, XCR0): root mode writes those on the target
 * CPU before it enters the guest again. */
#ifndef VMXRAY_VMX_POLICY_INIT_STATE_H
#define VMXRAY_VMX_POLICY_INIT_STATE_H
#include <stdbool.h>
#include <stdint.h>

struct init_state {
	uint64_t cr0;         /* 60000010H: ET, CD, NW (PE and PG clear) */
	uint64_t cr2, cr3, cr4;
	uint64_t dr[4];       /* DR0-DR3: 00000000H */
	uint64_t dr6;         /* FFFF0FF0H */
	uint64_t dr7;         /* 00000400H */
	uint64_t xcr0;        /* 1: x87 state only */
	uint64_t rflags;      /* 00000002H */
	uint64_t rip, rsp;    /* 0000FFF0H, 0 */
	uint64_t efer;
	uint16_t cs_selector; /* F000H, base FFFF0000H */
	uint64_t cs_base;
	uint32_t seg_limit;   /* FFFFH for every segment, GDTR and IDTR */
};

/* The INIT column of the table. CR0.CD, NW and ET are "60000010H"; CR4 is 0 (the VMX
 * fixed bits are the caller's: they go into the VMCS, not into what the guest reads). */
extern const struct init_state init_state_after_init;

/* Where a processor goes after INIT, from its IA32_APIC_BASE (bit 8, BSP): an AP waits
 * for a SIPI; the BSP starts at the reset vector, FFFFFFF0H (SDM Vol. 3A, "MP
 * Initialization Protocol Requirements and Restrictions": "the BSP ... begins executing
 * BIOS ... code"; the BSP flag survives INIT, 10.4.1 "BSP and AP Processors"). */
bool init_waits_for_sipi(uint64_t apic_base_msr);

#endif
