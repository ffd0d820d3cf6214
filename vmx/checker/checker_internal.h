/* Shared by the VM-entry checker's files (vmx/checker*.c); not for other callers. Pure. */
#ifndef VMXRAY_VMX_CHECKER_INTERNAL_H
#define VMXRAY_VMX_CHECKER_INTERNAL_H
#include <stdbool.h>
#include <stdint.h>

#include "vmx/caps/caps.h"
#include "vmx/checker/checker.h"
#include "vmx/decode/decode.h"
#include "vmx/vmcs/vmcs_fields.h"

/* CR4.CET (SDM Vol. 3A, 2.5 "Control Registers"); arch/cr.h does not name it yet. */
#define CHECK_CR4_CET (1ULL << 23)

/* One run of the checker: its inputs and the facts many rules depend on. */
struct check {
	const struct vmx_caps *caps;
	const struct vmcs_snapshot *s;
	struct vmx_check_result *out;
	uint64_t pin, proc, proc2, proc3, exit, entry; /* the control fields as written */
	bool ia32e;        /* VM-entry control "IA-32e mode guest" */
	bool unrestricted; /* "unrestricted guest" in effect */
	bool v86;          /* guest RFLAGS.VM: the guest will be in virtual-8086 mode */
	struct intr_info event; /* VM-entry interruption-information field */
};

/* The field's value in the snapshot; 0 when it was not read. */
uint64_t check_get(const struct check *c, uint32_t field);
/* Record a failure of rule on field; bits: the offending bits, or 0. */
void check_fail(struct check *c, const char *section, const char *rule, uint32_t field,
		uint64_t bits);

static inline void check_expect(struct check *c, bool ok, const char *section, const char *rule,
				uint32_t field)
{
	if (!ok)
		check_fail(c, section, rule, field, 0);
}

/* Record a failure when bits is not 0. */
static inline void check_no_bits(struct check *c, uint64_t bits, const char *section,
				 const char *rule, uint32_t field)
{
	if (bits)
		check_fail(c, section, rule, field, bits);
}

/* A secondary control in effect: "activate secondary controls" = 1 and any of bits set. */
bool check_secondary(const struct check *c, uint64_t bits);
/* Canonical for the processor's linear-address width (CPUID.80000008H:EAX[15:8]). */
bool check_canonical(const struct check *c, uint64_t addr);
/* Bits 63:MAXPHYADDR. */
uint64_t check_phys_reserved(const struct check *c);
/* No bit set at or above MAXPHYADDR. */
bool check_phys_ok(const struct check *c, uint64_t addr);
/* 4-KByte aligned and within the physical-address width. */
bool check_page_address(const struct check *c, uint64_t addr);
/* Every byte of an IA32_PAT value is a valid memory type: 0, 1, 4, 5, 6 or 7. */
bool check_pat_valid(uint64_t pat);
/* Bits of a CR0/CR4 value that break IA32_VMX_CRn_FIXED0/1 (SDM Vol. 3C, A.7, A.8). */
uint64_t check_fixed_bits(uint64_t value, uint64_t fixed0, uint64_t fixed1);

void check_controls(struct check *c);    /* 27.2.1, vmx/checker/checker.c */
void check_host(struct check *c);        /* 27.2.2 - 27.2.4, vmx/checker/checker_host.c */
void check_guest_cr(struct check *c);     /* 27.3.1.1, vmx/checker/checker_guest.c */
void check_guest_segs(struct check *c);   /* 27.3.1.2, vmx/checker/checker_seg.c */
void check_guest_dt_rip(struct check *c); /* 27.3.1.3, 27.3.1.4, vmx/checker/checker_guest.c */
void check_guest_state(struct check *c);  /* 27.3.1.5, 27.3.1.6, vmx/checker/checker_guest.c */

#endif
