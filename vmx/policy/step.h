/* One guest instruction, single-stepped by vmxray: the pure part, shared by the GDB stub
 * (stepi, and the step over a guarded page) and intercept=ept (the step that runs an
 * access with its page open). The hardware edge is vmx/exit/step_hw.c.
 *
 * How: RFLAGS.TF set by vmxray and #DB in the exception bitmap (SDM Vol. 3A, 18.3.1.4
 * "Single-Step Exception Condition"), on every CPU. The monitor trap flag (SDM Vol. 3C,
 * 26.5.2 "Monitor Trap Flag") would be simpler, but Bochs 2.7 allows it (Skylake-X, Tiger
 * Lake) and never delivers its VM exit (measured: vmx/debug/gdb_hw.c's history,
 * docs/ARCHITECTURE.md "Opt-in intercepts"), and the one test bed must run the path real
 * CPUs run. STEP_MTF 1 at build time selects MTF where the CPU allows it.
 *
 * While a TF step is armed nothing but the stepped instruction may run in the guest, or
 * the guest would see vmxray's TF in an RFLAGS image it pushes:
 * - external interrupts: RFLAGS.IF is cleared for the step (blocking by STI is no
 *   choice: with TF = 1 VM entry then demands a pending single-step #DB, delivered
 *   before the instruction; SDM Vol. 3C, 26.3.1.5 "Checks on Guest Non-Register State").
 *   An interrupt is then taken one instruction later, which hardware may do as well;
 * - NMIs: virtual-NMI blocking for the step (vmxray takes NMIs by NMI exiting and
 *   injects them; an NMI held waits for the NMI window after the step);
 * - exceptions: every vector in the exception bitmap for the step; one the stepped
 *   instruction raises ends the step and is reflected to the guest (intercept=ept).
 * The guest's own TF and IF are kept aside and put back after the step; an instruction
 * that reads them (PUSHF) gets its image corrected, one that loads them (POPF, IRET, CLI,
 * STI) keeps what it loaded. */
#ifndef VMXRAY_VMX_POLICY_STEP_H
#define VMXRAY_VMX_POLICY_STEP_H
#include <stdbool.h>
#include <stdint.h>

#ifndef STEP_MTF
#define STEP_MTF 0
#endif

#define STEP_INTR_STI 1u     /* interruptibility state: blocking by STI */
#define STEP_INTR_MOV_SS 2u  /* blocking by MOV SS */
#define STEP_INTR_NMI 8u     /* (virtual-)NMI blocking */
#define STEP_RFLAGS_TF (1ULL << 8)
#define STEP_RFLAGS_IF (1ULL << 9)
#define STEP_RFLAGS_IOPL(rf) ((unsigned)((rf) >> 12) & 3u)
#define STEP_DR6_B0_3 0xFULL
#define STEP_DR6_BD (1ULL << 13)
#define STEP_DR6_BS (1ULL << 14)

/* The instruction a step executes, as far as RFLAGS.TF and IF go (SDM Vol. 2B: PUSHF,
 * POPF, IRET, CLI, STI, INT n, SYSCALL, SYSENTER). Prefixes: 66, F2/F3 and, in 64-bit
 * mode, REX. */
enum step_insn {
	STEP_INSN_OTHER,
	STEP_INSN_PUSHF,       /* stores RFLAGS on the stack: the image gets the guest's TF, IF */
	STEP_INSN_LOADS_FLAGS, /* POPF, IRET: TF (and IF where CPL <= IOPL) are what it loaded */
	STEP_INSN_LOADS_IF,    /* CLI, STI: IF is what it set (CPL <= IOPL; else it faults) */
	STEP_INSN_SAVES_FLAGS, /* INT n, SYSCALL, SYSENTER: store RFLAGS where a step cannot fix it */
	STEP_INSN_WAITS,       /* HLT, MWAIT: only an event ends them, so the step holds none off */
};
enum step_insn step_insn_classify(const uint8_t *b, unsigned n, bool mode64);

/* RFLAGS for the TF step of an instruction whose RFLAGS is `rf`: TF set, IF clear (IF
 * kept for STEP_INSN_WAITS: a HLT with IF = 0 would never wake). */
uint64_t step_rflags_arm(uint64_t rf, enum step_insn k);
/* RFLAGS after the step: `now` (what the CPU left) with TF and IF the guest's: those of
 * `before` (the guest's own at arm time), or those the instruction loaded. iopl_ok: CPL <=
 * IOPL at arm time (POPF and IRET change IF only then; SDM Vol. 2B, POPF, IRET). */
uint64_t step_rflags_done(uint64_t now, uint64_t before, enum step_insn k, bool iopl_ok);
/* An RFLAGS image the stepped PUSHF stored: its bits 15:8 byte with the guest's TF, IF. */
uint8_t step_pushf_image_byte1(uint8_t byte1, uint64_t before);

/* Interruptibility for a TF step: no blocking by STI or MOV SS (VM entry would demand a
 * pending single-step #DB with TF = 1, one that comes before the instruction), NMIs
 * blocked. *nmi_added: whether the step added that blocking (it comes off after). */
uint32_t step_intr_arm(uint32_t intr, bool *nmi_added);

/* With the monitor trap flag a step keeps external interrupts out by blocking by STI
 * (KVM's KVM_GUESTDBG_BLOCKIRQ), where VM entry allows it: RFLAGS.IF = 1, no blocking by
 * MOV SS or STI, activity state active, RFLAGS.TF = 0. */
bool step_mtf_blocks_irq(uint64_t rflags, uint32_t intr, uint32_t activity);

/* The #DB exit of a TF step (qualification: DR6's B0-B3, BD, BS): the DR6 bits the
 * guest's own debugging caused, which it must still get as a #DB; 0 when the exit was
 * only the step's. */
uint64_t step_db_guest_bits(uint64_t qual, bool guest_tf);

/* The pending debug exceptions a fault-like VM exit (an EPT violation) should have
 * saved: none, unless blocking by STI or MOV SS holds them (SDM Vol. 3C, 28.3.4 "Saving
 * Non-Register State": the field is cleared except after trap-like exits and under MOV-SS
 * blocking; VM entry demands BS with TF under STI blocking). Bochs 2.7 saves the
 * single-step trap it scheduled for the faulting instruction, which the next VM entry
 * would deliver before that instruction runs. */
uint64_t step_fault_pending_db(uint64_t pending, uint32_t intr);

#endif
