/* Pure rules of the opt-in intercepts' handlers (vmx/exit/exit_intercept_*.c): what the
 * instruction or event would have produced on the processor. Unit-tested
 * (tests/unit/test_intercept_rules.c). */
#ifndef VMXRAY_VMX_POLICY_INTERCEPT_RULES_H
#define VMXRAY_VMX_POLICY_INTERCEPT_RULES_H
#include <stdbool.h>
#include <stdint.h>

/* The TSC the guest reads with RDTSC/RDTSCP: SDM Vol. 3C, 26.3 "Changes to Instruction
 * Behavior in VMX Non-Root Operation", RDTSC: with "use TSC scaling" the TSC is
 * multiplied by the TSC multiplier and the 128-bit product shifted right by 48, then with "use TSC offsetting" the
 * offset is added. */
uint64_t intercept_guest_tsc(uint64_t tsc, bool offsetting, uint64_t offset, bool scaling, uint64_t multiplier);

/* A register write of an operand of 2, 4 or 8 bytes (RDRAND, RDSEED, ...): 16-bit keeps
 * bits 63:16, 32-bit zero-extends (SDM Vol. 1, 3.4.1.1 "General-Purpose Registers in
 * 64-Bit Mode"), 64-bit replaces. osize: the instruction-information code 0/1/2. */
uint64_t intercept_reg_write(uint64_t old, uint64_t value, unsigned osize);

/* RFLAGS after RDRAND/RDSEED: CF = ok, OF, SF, ZF, AF, PF cleared (SDM Vol. 2B, RDRAND). */
uint64_t intercept_rdrand_rflags(uint64_t rflags, bool ok);

/* DR6 as a #DB that exited (exception bitmap) leaves it once delivered: a VM exit for a
 * debug exception does not update DR6 (SDM Vol. 3C, 28.1 "Architectural State Before a
 * VM Exit"); the exit qualification has B0-B3 (bits 3:0), BD (13), BS (14) and RTM (16)
 * (Table 28-1 "Exit Qualification for Debug Exceptions"). B0-B3 are replaced (the
 * processor "may clear bits 0-3", SDM Vol. 3A, 18.2.3 "Debug Status Register"), BD and BS
 * set when reported, the other bits kept; RTM (active low) cleared when reported. */
uint64_t intercept_dr6_after_db(uint64_t dr6, uint64_t qual);

/* Whether DR7.GD is cleared: a #DB for a MOV DR with DR7.GD set (BD) clears it
 * (SDM Vol. 3A, 18.2.4 "Debug Control Register": "The processor clears the GD flag upon
 * entering to the debug exception handler"); any #DB does. */
uint64_t intercept_dr7_after_db(uint64_t dr7);

/* What the processor delivers when exception `second` (a hardware exception) happens while
 * delivering an event of interruption type `first_type` and vector `first`: SDM Vol. 3A,
 * 6.15 "Exception and Interrupt Reference", Interrupt 8, Table 6-5 "Conditions for
 * Generating a Double Fault". Only hardware exceptions (type 3) combine; everything else
 * is handled serially (the second is delivered). */
enum intercept_combine { COMBINE_SECOND, COMBINE_DOUBLE_FAULT, COMBINE_TRIPLE_FAULT };
enum intercept_combine intercept_exception_combine(unsigned first_type, unsigned first, unsigned second);

/* The effective address of a memory operand from the VM-exit instruction-information
 * field (SDM Vol. 3C, 28.2.5, e.g. Table 28-13 for INVEPT/INVPCID/INVVPID): base register
 * (bits 26:23, unless bit 27), index register (bits 21:18, unless bit 22) scaled by
 * 1 << bits 1:0, plus the displacement the exit qualification holds, within the address
 * size (bits 9:7: 0 16-bit, 1 32-bit, 2 64-bit). gpr: the 16 registers, RSP included. */
uint64_t intercept_mem_offset(uint32_t insn_info, uint64_t disp, const uint64_t gpr[16]);

/* INVPCID (SDM Vol. 2B, INVPCID): #GP(0) for a type above 3, a descriptor with bits
 * 63:12 of its first quadword set, a non-canonical address for type 0, or a PCID other
 * than 0 for types 0 and 1 while CR4.PCIDE is 0. */
bool intercept_invpcid_faults(uint64_t type, uint64_t desc_lo, uint64_t desc_la, bool pcide, unsigned la_width);

/* The operand size of RDRAND/RDSEED (0 16-bit, 1 32-bit, 2 64-bit, as the instruction-
 * information field codes it) from the instruction's bytes: 66H toggles the default size
 * (CS.D, or 32 in 64-bit mode), REX.W (the last prefix before 0F, 64-bit mode) makes it 64
 * (SDM Vol. 2A, 2.2.1.2 "More on REX Prefix Fields"; 3.6 "Operand-Size and Address-Size
 * Attributes"). Bochs 2.7 reports the address size in bits 12:11 of the field instead
 * (found by vmxicpt's 16-bit RDRAND in 64-bit mode), so vmxray reads the bytes. -1 when
 * the bytes hold no 0F C7 /6 or /7 within len. */
int intercept_rdrand_osize(const uint8_t *insn, unsigned len, bool mode64, bool cs_d);
/* A legacy prefix byte: 66H, 67H, F0H, F2H, F3H or a segment override. */
bool intercept_legacy_prefix(uint8_t b);

/* ---- MOV DR (intercept=movdr) ---- */
/* The register a MOV DR names: DR4 and DR5 are DR6 and DR7 while CR4.DE is 0 (with CR4.DE
 * set they #UD: the handler checks that first); SDM Vol. 3A, 18.2.2 "Debug Registers DR4
 * and DR5". */
unsigned intercept_dr_alias(unsigned dr, bool cr4_de);
/* The value a MOV to DR6/DR7 loads, or false for #GP(0) (bits 63:32 set, in 64-bit mode
 * only: outside it the operand is 32 bits). DR7 (the GUEST_DR7 field): bit 10 reads 1,
 * bits 11, 12, 14, 15 read 0 (SDM Vol. 3A, 18.2.4 "Debug Control Register"); DR6 goes to
 * the register itself, which keeps its own fixed bits (18.2.3). */
bool intercept_dr_write_value(unsigned dr, uint64_t value, uint64_t *out);

#endif

/* ---- intercept=msr: the MSRs that live in the VMCS guest-state area ---- */
/* WRMSR IA32_EFER: the value to keep, or false for #GP. Reserved bits fault (SCE, LME,
 * LMA, NXE only; NXE only where CPUID.80000001H:EDX.NX says so), a change of LME while
 * paging is on faults, and LMA keeps its value: it follows LME and CR0.PG, not WRMSR
 * (SDM Vol. 3A, 10.8.5 "Initializing IA-32e Mode"; Vol. 4, IA32_EFER). */
bool intercept_efer_write(uint64_t old, uint64_t value, bool paging, bool nx, uint64_t *out);
/* WRMSR IA32_PAT: every byte a memory type 0, 1, 4, 5, 6 or 7 (SDM Vol. 3A, 13.12.2
 * "IA32_PAT MSR"); bits 7:3 of each byte reserved. */
bool intercept_pat_valid(uint64_t value);
/* A linear address of `width` bits (CPUID.80000008H:EAX[15:8]) is canonical: bits 63 to
 * width-1 all equal (SDM Vol. 1, 3.3.7.1 "Canonical Addressing"). FS/GS base and the
 * SYSENTER ESP/EIP MSRs take only canonical values (#GP otherwise, SDM Vol. 4, Table 2-2). */
bool intercept_canonical(uint64_t la, unsigned width);

/* intercept=extint acknowledges an external interrupt at the VM exit (the local APIC moves
 * it from IRR to ISR) and holds it until the guest can take it (v->extint_pending). What
 * the guest would read then is the APIC before the acknowledgement: the vector requested,
 * not in service (the APIC does not dispatch a vector that is in service, so it was not).
 * RDMSR of the x2APIC ISR (0x810-0x817) or IRR (0x820-0x827) word `msr`, read from the
 * APIC as `value`, as the guest sees it with the vectors of `held` (256 bits) held; any
 * other MSR unchanged. (The xAPIC page is read directly: not adjusted.) SDM Vol. 3A,
 * "Interrupt Acceptance for Fixed Interrupts"; Vol. 3C, "Acknowledge interrupt on exit". */
uint64_t intercept_x2apic_held_view(uint32_t msr, uint64_t value, const uint64_t held[4]);
