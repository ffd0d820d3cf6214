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
#define EXIT_REASON(number, name, short_name) EXIT_REASON_##name = number,
#include "vmx/decode/exit_reasons.def"
#undef EXIT_REASON
	EXIT_REASON_MAX
};

/* True when basic is an architectural exit reason (not a gap, not out of range). */
bool exit_reason_defined(uint32_t basic);
/* "CPUID", "EPT_VIOLATION", ...; "UNKNOWN" for gaps and out of range. */
const char *exit_reason_name(uint32_t basic);
/* "cpuid", "ept_violation", ...; "unknown" for gaps and out of range. */
const char *exit_reason_short(uint32_t basic);
/* Finds the reason whose short name is the n characters at s (ASCII case ignored:
 * "cpuid" and "CPUID" both match). False, *out untouched, when none does. */
bool exit_reason_from_short(const char *s, size_t n, uint32_t *out);

#endif
