/* The VM-entry checker: the checks the processor makes on VMLAUNCH/VMRESUME, run in
 * software over a VMCS snapshot and the capability snapshot, so a failed entry (or one
 * about to fail) is explained by rule rather than by "VM-entry failure due to invalid
 * guest state". Pure.
 *
 * SDM Vol. 3C, 27.2 "Checks on VMX Controls and Host-State Area" and 27.3 "Checking and
 * Loading Guest State" (27.3.1 "Checks on the Guest State Area"). Fields missing from the
 * snapshot read as 0. Checks that need memory (the MSR-load areas, the contents of the
 * VMCS the link pointer names, the virtual-APIC page) are not made.
 *
 * Assumed about the caller, true of vmxray: VM entry is executed in 64-bit mode (so
 * IA32_EFER.LMA = 1, 27.2.4) and outside SMM. */
#ifndef VMXRAY_VMX_CHECKER_H
#define VMXRAY_VMX_CHECKER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmx/caps/caps.h"
#include "vmx/vmcs/vmcs_fields.h"

struct vmx_check_failure {
	const char *section; /* "27.3.1.1 Checks on Guest Control Registers, Debug Registers, and MSRs" */
	const char *rule;    /* "CR0.PG = 1 requires CR0.PE = 1" */
	uint32_t field;      /* the VMCS field the rule is about */
	uint64_t value;      /* its value in the snapshot */
	uint64_t bits;       /* the offending bits where the rule is about bits, else 0 */
};

#define VMX_CHECK_MAX 48
struct vmx_check_result {
	unsigned count;
	bool truncated; /* more failures than item[] holds */
	struct vmx_check_failure item[VMX_CHECK_MAX];
};

/* Runs every check, controls and host state first, in SDM order; returns the number of
 * failures recorded (0: the processor should accept the entry as far as checked). */
unsigned vmx_check_entry(const struct vmx_caps *caps, const struct vmcs_snapshot *s,
			 struct vmx_check_result *out);

/* "27.3.1.1 Checks on Guest Control Registers, Debug Registers, and MSRs: CR0.PG = 1
 * requires CR0.PE = 1 (GUEST_CR0=0x0000000080000020)", with " bits=0x..." when bits is
 * not 0. Returns the length the full text has (like snprintf). */
size_t vmx_check_failure_format(const struct vmx_check_failure *f, char *buf, size_t n);

/* The section titles, for callers and tests. */
#define VMX_CHECK_SEC_EXEC "27.2.1.1 VM-Execution Control Fields"
#define VMX_CHECK_SEC_EXIT "27.2.1.2 VM-Exit Control Fields"
#define VMX_CHECK_SEC_ENTRY "27.2.1.3 VM-Entry Control Fields"
#define VMX_CHECK_SEC_HOST_CR "27.2.2 Checks on Host Control Registers, MSRs, and SSP"
#define VMX_CHECK_SEC_HOST_SEG "27.2.3 Checks on Host Segment and Descriptor-Table Registers"
#define VMX_CHECK_SEC_ADDR_SIZE "27.2.4 Checks Related to Address-Space Size"
#define VMX_CHECK_SEC_GUEST_CR \
	"27.3.1.1 Checks on Guest Control Registers, Debug Registers, and MSRs"
#define VMX_CHECK_SEC_GUEST_SEG "27.3.1.2 Checks on Guest Segment Registers"
#define VMX_CHECK_SEC_GUEST_DT "27.3.1.3 Checks on Guest Descriptor-Table Registers"
#define VMX_CHECK_SEC_GUEST_RIP "27.3.1.4 Checks on Guest RIP, RFLAGS, and SSP"
#define VMX_CHECK_SEC_GUEST_NONREG "27.3.1.5 Checks on Guest Non-Register State"
#define VMX_CHECK_SEC_GUEST_PDPTE "27.3.1.6 Checks on Guest Page-Directory-Pointer-Table Entries"

#endif
