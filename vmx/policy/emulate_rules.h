/* Pure rules for finishing an exit: which injected exceptions may carry an error code,
 * where RIP goes after an emulated instruction, and whether it leaves a single-step
 * trap pending. Each one is a VM-entry check that, broken, turns a guest fault into a
 * failed VMRESUME (a machine reset). Unit-tested (tests/unit/test_emulate_rules.c). */
#ifndef VMXRAY_VMX_EMULATE_RULES_H
#define VMXRAY_VMX_EMULATE_RULES_H
#include <stdbool.h>
#include <stdint.h>

/* IA32_DEBUGCTL.BTF: single-step on branches (SDM Vol. 3A, "Single-Stepping on Branches"). */
#define DEBUGCTL_BTF (1ULL << 1)
/* Pending-debug-exceptions field, BS (SDM Vol. 3C, Table 25-4 "Format of Pending-Debug-
 * Exceptions"). */
#define PENDING_DBG_BS (1ULL << 14)

/* Whether a hardware exception injected into a guest with this CR0 (the GUEST_CR0 field)
 * delivers an error code. SDM Vol. 3C, 27.2.1.3 "Checks on VM-Entry Control Fields": the
 * deliver-error-code bit "is 0 if ... bit 0 is clear in the CR0 field in the guest-state
 * area" (with unrestricted guest, which vmxray always uses, a real-mode guest can take
 * #GP: real-mode delivery pushes no error code). */
bool inject_delivers_error_code(unsigned vector, uint64_t guest_cr0); /* arch/exceptions.def has the vectors */

/* RIP after an emulated instruction of `len` bytes at `rip`. Outside 64-bit mode the
 * instruction pointer is EIP and wraps at 4 GiB: SDM Vol. 3C, 27.3.1.4 "Checks on Guest
 * RIP, RFLAGS, and SSP": "Bits 63:32 must be 0 if the 'IA-32e mode guest' VM-entry
 * control is 0 or if the L bit (bit 13) in the access-rights field for CS is 0".
 * mode64 = IA-32e mode guest and CS.L. */
uint64_t rip_after_instruction(uint64_t rip, unsigned len, bool mode64);

/* Whether an emulated instruction that is not a branch leaves the single-step trap
 * (BS) pending. With RFLAGS.TF the processor traps after every instruction, unless
 * IA32_DEBUGCTL.BTF asks for traps after branches only (SDM Vol. 3A, 18.4.3
 * "Single-Stepping on Branches"); and SDM Vol. 3C, 27.3.1.5 "Checks on Guest Non-Register
 * State": BS "must be 0 if ... the BTF flag (bit 1) in the IA32_DEBUGCTL field is 1" while
 * blocking by STI or MOV SS is on, so a stray BS fails VM entry. */
bool pending_dbg_single_step(uint64_t rflags, uint64_t debugctl);

/* The value MOV to CR takes from a general-purpose register: outside 64-bit mode the
 * operand size is 32 bits and bits 63:32 of the register are ignored (SDM Vol. 2B, MOV
 * Control Registers: "On a 32-bit processor ... operand size is 32 bits"; in IA-32e
 * mode "the operand size is fixed at 64 bits" only in 64-bit mode). They are undefined,
 * not zero, after a switch out of 64-bit mode (SDM Vol. 3A, 3.4.1.1 "General-Purpose
 * Registers in 64-Bit Mode"). mode64 = IA-32e mode guest and CS.L. */
uint64_t mov_cr_operand(uint64_t gpr, bool mode64);

/* The VM-entry interruption information that re-injects the event whose delivery a VM
 * exit interrupted (IDT-vectoring information, valid bit set): the same vector, type
 * and deliver-error-code bit, the valid bit; bit 12 is undefined there and reserved
 * here, so it is cleared with the other reserved bits 30:12 (SDM Vol. 3C, 28.2.4
 * "Information for VM Exits That Occur During Event Delivery", Table 28-17; 27.6.1.1
 * "Details of Vectored-Event Injection"; and 29.2 on re-injection: "the VMM should
 * ... copy ... the IDT-vectoring information field into the VM-entry
 * interruption-information field"). Returns 0 when the field is not valid. */
uint32_t idt_vectoring_reinject_info(uint32_t idt_vectoring_info);
/* Whether an event of this interruption type (bits 10:8) needs the VM-entry
 * instruction length: software interrupts (4), privileged software exceptions (5) and
 * software exceptions (6) (SDM Vol. 3C, 25.8.3 "VM-Entry Controls for Event Injection"). */
bool intr_type_needs_insn_len(uint32_t info);

/* Guest interruptibility state (SDM Vol. 3C, Table 25-3 "Format of Interruptibility State"). */
#define INTERRUPTIBILITY_STI (1u << 0)
#define INTERRUPTIBILITY_MOV_SS (1u << 1)
#define INTERRUPTIBILITY_NMI (1u << 3)

/* How an NMI vmxray holds for the guest gets to it at this VM entry. */
enum nmi_delivery {
	NMI_INJECT_NOW,        /* nothing blocks it: inject it now */
	NMI_WAIT_NMI_WINDOW,   /* blocked by NMI or MOV SS, or another event goes in first */
	NMI_WAIT_INTR_WINDOW,  /* blocked by STI alone: wait for the interrupt window */
};
/* The choice, from the guest interruptibility state and whether an event is injected at
 * this entry already. Blocking by STI alone does not arm NMI-window exiting: SDM Vol.
 * 3C, 26.7.6 "NMI-Window Exiting": the exit happens "if there is no virtual-NMI blocking
 * and there is no blocking of events by MOV SS" and the processor only "may also prevent
 * such a VM exit if there is blocking of events by STI"; one that does not (Bochs) exits
 * before the instruction in the STI shadow again and again. Blocking by STI implies
 * RFLAGS.IF = 1 (27.3.1.5 "Checks on Guest Non-Register State"), so the interrupt window
 * opens right after that instruction (26.7.5 "Interrupt-Window Exiting"), as KVM does
 * (vmx_enable_nmi_window). */
enum nmi_delivery nmi_delivery_decide(uint32_t interruptibility, bool event_pending);

#endif
