/* Basic exit reasons, expanded from vmx/decode/exit_reasons.def. Pure.
 * SDM Vol. 3C, Appendix C "VMX Basic Exit Reasons". */
#ifndef VMXRAY_VMX_EXIT_REASONS_H
#define VMXRAY_VMX_EXIT_REASONS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* EXIT_REASON_CPUID = 10, ...; EXIT_REASON_MAX is one more than the highest reason, so a
 * table indexed by basic exit reason has EXIT_REASON_MAX entries. */
enum exit_reason {
#define EXIT_REASON(number, name, short_name, facts, handler) EXIT_REASON_##name = number,
#include "vmx/decode/exit_reasons.def"
#undef EXIT_REASON
	EXIT_REASON_MAX
};

/* The FACTS column of vmx/decode/exit_reasons.def: which exit-information fields an exit
 * defines (SDM Vol. 3C, 28.2 "Other VM-Exit Information"). */
enum exit_fact {
	EXIT_NONE = 0,
	EXIT_INSN = 1u << 0, /* instruction-caused: VM_EXIT_INSTRUCTION_LEN is its length */
	EXIT_QUAL = 1u << 1, /* EXIT_QUALIFICATION carries information (else it is cleared) */
	EXIT_INFO = 1u << 2, /* VM_EXIT_INSTRUCTION_INFO is defined */
	EXIT_GPA = 1u << 3,  /* GUEST_PHYSICAL_ADDRESS is defined */
};

/* True when basic is an architectural exit reason (not a gap, not out of range). */
bool exit_reason_defined(uint32_t basic);
/* The exit's EXIT_* facts; EXIT_NONE for gaps and out of range. */
unsigned exit_reason_facts(uint32_t basic);
/* True when the exit is caused by executing an instruction (EXIT_INSN): only then is
 * VM_EXIT_INSTRUCTION_LEN the length of an instruction RIP can be advanced past. */
bool exit_reason_is_instruction(uint32_t basic);
/* "CPUID", "EPT_VIOLATION", ...; "UNKNOWN" for gaps and out of range. */
const char *exit_reason_name(uint32_t basic);
/* "cpuid", "ept_violation", ...; "unknown" for gaps and out of range. */
const char *exit_reason_short(uint32_t basic);
/* Finds the reason whose short name is the n characters at s (ASCII case ignored:
 * "cpuid" and "CPUID" both match). False, *out untouched, when none does. */
bool exit_reason_from_short(const char *s, size_t n, uint32_t *out);

#endif
