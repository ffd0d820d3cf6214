/* Pure rules of intercept=desc (descriptor-table exiting, vmx/exit/exit_intercept_desc.c):
 * LGDT, LIDT, LLDT, LTR, SGDT, SIDT, SLDT, STR as the processor executes them (SDM Vol. 2A
 * and 2B, each instruction's page; Vol. 3C, 26.1.3 "Instructions That Cause VM Exits
 * Conditionally", "Descriptor-table exiting"). Unit-tested (tests/unit/test_desc_rules.c). */
#ifndef VMXRAY_VMX_POLICY_DESC_RULES_H
#define VMXRAY_VMX_POLICY_DESC_RULES_H
#include <stdbool.h>
#include <stdint.h>

#include "arch/desc.h"

/* The eight instructions, in the order of the instruction-information field's identity
 * (bits 29:28): basic reason 46 (GDTR/IDTR access) SGDT, SIDT, LGDT, LIDT; reason 47
 * (LDTR/TR access) SLDT, STR, LLDT, LTR (SDM Vol. 3C, 28.2.5 "Information for VM Exits Due
 * to Instruction Execution", the tables for LIDT/LGDT/SIDT/SGDT and LLDT/LTR/SLDT/STR). */
enum desc_insn { DESC_SGDT, DESC_SIDT, DESC_LGDT, DESC_LIDT, DESC_SLDT, DESC_STR, DESC_LLDT, DESC_LTR };

/* The instruction as its bytes say: 0F 01 /0-/3 (memory operand only) or 0F 00 /0-/3, after
 * legacy prefixes and, in 64-bit mode, a REX prefix. osize: 0 16-bit, 1 32-bit, 2 64-bit
 * (66H toggles the default, CS.D or 32 in 64-bit mode; REX.W makes 64). The register
 * operand is ModRM.rm extended by REX.B. Bochs 2.7 leaves the identity and the operand
 * size out of the instruction-information field (it stores a register number in bits
 * 31:28), so vmxray reads them from the bytes, as for RDRAND. False when the bytes hold none
 * of the eight. The field's own layout is vmx_insn_info_decode (vmx/decode/decode.h). */
struct desc_decoded {
	enum desc_insn insn;
	unsigned osize;
	bool is_register;
	unsigned reg;
};
bool desc_insn_decode(const uint8_t *insn, unsigned len, bool mode64, bool cs_d, struct desc_decoded *d);

/* #GP(0) before anything else: the loads at CPL > 0; the stores at CPL > 0 with CR4.UMIP
 * (SDM Vol. 3A, 2.5 "Control Registers", UMIP). */
bool desc_privilege_fault(enum desc_insn insn, unsigned cpl, bool umip);

/* SGDT/SIDT: limit (2 bytes), then the base: 4 bytes outside 64-bit mode (the whole
 * 32-bit base whatever the operand size: "DEST[16:47] := GDTR(Base); (* Full 32-bit base
 * address stored *)"), 8 in 64-bit mode. Returns the count of bytes written to out. */
unsigned desc_table_store(uint64_t base, uint16_t limit, bool mode64, uint8_t out[10]);

/* LGDT/LIDT: how many bytes the operand has (6, or 10 in 64-bit mode) and what it loads:
 * a 16-bit operand size keeps 24 bits of the base ("GDTR(Base) := SRC[16:47] AND
 * 00FFFFFFH"); in 64-bit mode the 64-bit base must be canonical (la_width bits), else
 * false: #GP(0). */
unsigned desc_table_load_bytes(bool mode64);
bool desc_table_load(const uint8_t *in, bool mode64, unsigned osize, unsigned la_width, uint64_t *base,
		     uint16_t *limit);

/* LLDT/LTR, the selector's checks (SDM Vol. 2A, LLDT; Vol. 2B, LTR): a null selector
 * (bits 15:2 zero) loads an unusable LDTR (DESC_NULL_OK) but is #GP(0) for LTR; TI set or
 * a descriptor beyond the GDT limit (16 bytes in IA-32e mode: system descriptors there are
 * 16 bytes) #GP(selector with RPL cleared). Returns 0 (look the descriptor up),
 * DESC_NULL_OK, or the vector with *error. */
#define DESC_NULL_OK (-1)
int desc_selector_fault(bool ltr, uint16_t sel, uint32_t gdt_limit, bool ia32e, uint32_t *error);

/* The descriptor's checks, error code the selector with RPL cleared: LLDT wants an LDT
 * (S = 0, type 2), LTR an available TSS (type 9, or 1 outside IA-32e mode), else #GP; not
 * present #NP; in IA-32e mode the upper half (hi) has type bits 12:8 zero and the 64-bit
 * base is canonical, else #GP. Returns 0 or the vector. */
int desc_system_fault(bool ltr, uint64_t lo, uint64_t hi, bool ia32e, unsigned la_width);

/* The LDTR/TR state the load leaves (VMCS form): base 63:32 from hi in IA-32e mode; TR's
 * type marked busy, as LTR marks the descriptor in memory. */
struct seg_state desc_system_state(bool ltr, uint16_t sel, uint64_t lo, uint64_t hi, bool ia32e);

#endif
