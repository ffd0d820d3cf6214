/* The real local APIC of this processor (vmx/exit/lapic_hw.c). Hardware edge. */
#ifndef VMXRAY_VMX_LAPIC_HW_H
#define VMXRAY_VMX_LAPIC_HW_H
#include <stdint.h>

#include "vmx/decode/apic.h"

#include <stdbool.h>

/* True when this processor's local APIC is in x2APIC mode (IA32_APIC_BASE.EXTD). */
bool apic_x2apic_mode(void);
/* How root mode may reach this processor's APIC now (x2APIC, xAPIC at the page checked at
 * launch, or not at all). */
enum apic_root_path apic_path(void);
/* The xAPIC register at offset off of the APIC page checked at launch (hv.apic_base). */
volatile uint32_t *apic_mmio(unsigned off);
/* A register of this processor's APIC, 0 when root mode cannot reach it (apic_path). */
uint32_t apic_read(unsigned off);
/* An IPI from root mode to one processor (physical destination dest), as `how` says;
 * false when root mode cannot reach this processor's APIC (nothing sent). */
bool apic_send(uint32_t dest, const struct apic_icr *how);
/* What an INIT does to the local APIC of this processor. */
void apic_init_reset(void);

#endif
