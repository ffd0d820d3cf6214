/* The processors a guest's INIT, SIPI or NMI reaches that vmxray has no vCPU for. Pure.
 *
 * Under ipi=soft vmxray takes an INIT, SIPI or NMI with a shorthand ("all including
 * self", "all excluding self") or the broadcast destination (0xFF, x2APIC 0xFFFFFFFF)
 * instead of the hardware, and plays it for each vCPU in its table (vmx/exit/soft_ipi.c).
 * A processor outside that table (beyond HV_MAX_CPUS, not started by the firmware's MP
 * services, or one whose launch failed open before it was in the table) must still get
 * the IPI, as it would on bare hardware (SDM Vol. 3A, "Interrupt Command Register (ICR)",
 * Destination Shorthand: "All Excluding Self: The IPI is sent to all processors in a
 * system with the exception of the processor sending the IPI"). vmxray knows every
 * processor from the ACPI MADT (boot/madt.h) and sends those a real IPI, physical
 * destination, one by one. */
#ifndef VMXRAY_VMX_POLICY_IPI_FANOUT_H
#define VMXRAY_VMX_POLICY_IPI_FANOUT_H
#include <stdbool.h>
#include <stdint.h>

#include "vmx/decode/apic.h"

/* Whether the processor with APIC ID id (from the MADT) needs the IPI sent to it by root
 * mode: the IPI reaches it (apic_icr_reaches, sent by APIC ID self), it is not in
 * known[0..known_count) (vmxray's vCPUs: their launch-time and current APIC IDs), and a
 * physical destination can name it (in xAPIC mode an ID above 0xFE cannot: 8 bits, 0xFF
 * is the broadcast; it is left out rather than sent to the ID's low byte). */
bool ipi_fanout_needs(const struct apic_icr *icr, bool x2apic, uint32_t self, uint32_t id, const uint32_t *known,
		      unsigned known_count);

/* Writes to out[0..out_max) the IDs in madt_ids[0..madt_count) that the IPI reaches
 * (apic_icr_reaches: sent by APIC ID self) and that are not in known[0..known_count)
 * (vmxray's vCPUs: their launch-time and current APIC IDs); returns how many. In xAPIC
 * mode an ID above 0xFE cannot be named in a physical destination (8 bits, 0xFF is the
 * broadcast): left out rather than sent to the ID's low byte. */
unsigned ipi_fanout_outside(const struct apic_icr *icr, bool x2apic, uint32_t self, const uint32_t *madt_ids,
			    unsigned madt_count, const uint32_t *known, unsigned known_count, uint32_t *out,
			    unsigned out_max);

#endif
