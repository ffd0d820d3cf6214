/* Local APIC facts vmxray needs to see INIT and SIPI go by, pure: register offsets,
 * the Interrupt Command Register and whom an IPI reaches. SDM Vol. 3A, chapter
 * "Advanced Programmable Interrupt Controller (APIC)": "Local APIC Register Address
 * Map", "Interrupt Command Register (ICR)", "x2APIC Interrupt Command Register (ICR)
 * Operation", "Local APIC State After an INIT Reset ("Wait-for-SIPI" State)". */
#ifndef VMXRAY_VMX_APIC_H
#define VMXRAY_VMX_APIC_H
#include <stdbool.h>
#include <stdint.h>

#include "arch/memory.h"

/* IA32_APIC_BASE (MSR 0x1B). */
#define APIC_BASE_BSP     (1ULL << 8)
#define APIC_BASE_X2APIC  (1ULL << 10)
#define APIC_BASE_ENABLE  (1ULL << 11)
#define APIC_BASE_ADDR_MASK 0x000FFFFFFFFFF000ULL
#define APIC_BASE_RESERVED  0x00000000000002FFULL /* bits 7:0 and 9; and above MAXPHYADDR */

/* xAPIC register offsets in the APIC page; in x2APIC mode the MSR is 0x800 + offset / 16. */
#define APIC_REG_ID       0x020
#define APIC_REG_VERSION  0x030
#define APIC_REG_TPR      0x080
#define APIC_REG_EOI      0x0B0
#define APIC_REG_LDR      0x0D0
#define APIC_REG_DFR      0x0E0
#define APIC_REG_SVR      0x0F0
#define APIC_REG_ISR0     0x100 /* ISR: 8 registers of 32 bits, 16 bytes apart */
#define APIC_REG_ESR      0x280
#define APIC_REG_LVT_CMCI 0x2F0
#define APIC_REG_ICR_LOW  0x300
#define APIC_REG_ICR_HIGH 0x310
#define APIC_REG_LVT_TIMER 0x320
#define APIC_REG_LVT_THERMAL 0x330
#define APIC_REG_LVT_PERF 0x340
#define APIC_REG_LVT_LINT0 0x350
#define APIC_REG_LVT_LINT1 0x360
#define APIC_REG_LVT_ERROR 0x370
#define APIC_REG_TIMER_ICR 0x380
#define APIC_REG_TIMER_DCR 0x3E0
#define APIC_MSR_BASE     0x800u
#define APIC_MSR_ICR      0x830u /* x2APIC: the whole 64-bit ICR */
#define APIC_LVT_MASKED   (1u << 16)
#define APIC_ICR_BUSY     (1u << 12) /* delivery status (xAPIC) */

enum apic_delivery {
	APIC_DM_FIXED = 0,
	APIC_DM_LOWEST = 1,
	APIC_DM_SMI = 2,
	APIC_DM_NMI = 4,
	APIC_DM_INIT = 5,
	APIC_DM_STARTUP = 6,
};

enum apic_shorthand {
	APIC_DEST_FIELD = 0,
	APIC_DEST_SELF = 1,
	APIC_DEST_ALL = 2,
	APIC_DEST_ALL_BUT_SELF = 3,
};

struct apic_icr {
	uint8_t vector;
	enum apic_delivery delivery;
	bool logical;          /* destination mode */
	bool assert;           /* level: 1 assert, 0 de-assert */
	bool level_triggered;  /* trigger mode */
	enum apic_shorthand shorthand;
	uint32_t dest;         /* xAPIC: ICR bits 63:56; x2APIC: bits 63:32 */
};

/* The ICR as one 64-bit value: in xAPIC mode high = the ICR_HIGH register, in x2APIC
 * mode the MSR's EDX. */
struct apic_icr apic_icr_decode(uint64_t icr, bool x2apic);
uint64_t apic_icr_encode(const struct apic_icr *icr, bool x2apic);

/* Reserved bits of the x2APIC ICR (MSR 830H): 12-13 (no delivery status in x2APIC mode),
 * 16-17 and 20-31 (SDM Vol. 3A, "Interrupt Command Register (ICR)", the figure of the ICR
 * in x2APIC mode; "x2APIC Register Address Space": a WRMSR that sets reserved bits of
 * an x2APIC register raises #GP). True when `icr` sets one: such a write is left to the
 * processor, which faults, instead of being taken as an INIT or SIPI. */
#define APIC_X2APIC_ICR_RESERVED 0xFFF33000ULL
bool apic_x2apic_icr_reserved(uint64_t icr);

/* What vmxray does with an IPI the guest sends. */
enum ipi_kind {
	IPI_OTHER,       /* not INIT, SIPI or NMI: the hardware sends it */
	IPI_INIT,        /* INIT (level assert) */
	IPI_INIT_DEASSERT, /* INIT level de-assert: no effect on processors since the Pentium 4 */
	IPI_SIPI,        /* start-up IPI: vector = start page */
	IPI_NMI,         /* delivery mode NMI: a soft NMI to a virtualized processor
			  * (vmx/policy/nmi_source.h), so that vmxray's kick cannot hide it */
};
enum ipi_kind apic_ipi_kind(const struct apic_icr *icr);

/* Whether the IPI reaches the processor with APIC ID `id`, sent by `self`, with
 * physical destination mode or a shorthand (logical mode: false; the caller leaves
 * those to the hardware). The broadcast ID is 0xFF in xAPIC mode, 0xFFFFFFFF in
 * x2APIC mode. */
bool apic_icr_reaches(const struct apic_icr *icr, bool x2apic, uint32_t self, uint32_t id);

/* WRMSR IA32_APIC_BASE from the guest: true when vmxray answers #GP. Reserved bits (7:0,
 * 9, MAXPHYADDR and up) fault as on the processor (SDM Vol. 3A, "Local APIC Status and
 * Location", IA32_APIC_BASE MSR); so does a base whose 4 KiB page overlaps memory vmxray
 * owns: with the APIC there, or with EN=0 and root mode writing to "the APIC", vmxray's own
 * pages would turn into the APIC or be written by root mode on the guest's behalf. */
bool apic_base_write_faults(uint64_t value, unsigned maxphyaddr, const struct mem_range *owned,
			    unsigned owned_count);

/* How root mode may reach this processor's local APIC, given IA32_APIC_BASE now and the
 * xAPIC page vmxray checked at launch (hv.apic_base). */
enum apic_root_path {
	APIC_ROOT_NONE,   /* disabled, or its xAPIC page is not the checked one: do not touch */
	APIC_ROOT_XAPIC,  /* MMIO at the checked page */
	APIC_ROOT_X2APIC, /* MSRs 0x800-0x8FF */
};
/* Root mode writes only through the base it checked, never through the address the guest
 * last wrote to IA32_APIC_BASE: with EN=0 that address is plain memory (SDM Vol. 3A,
 * "Enabling or Disabling the Local APIC"), which the guest may have pointed anywhere. */
enum apic_root_path apic_root_path(uint64_t apic_base_msr, uint64_t checked_base);

#endif
