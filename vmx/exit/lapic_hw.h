/* The real local APIC of this processor (vmx/exit/lapic_hw.c). Hardware edge. */
#ifndef VMXRAY_VMX_LAPIC_HW_H
#define VMXRAY_VMX_LAPIC_HW_H
#include <stdint.h>

#include "vmx/decode/apic.h"

#include <stdbool.h>

/* True when this processor's local APIC is in x2APIC mode (IA32_APIC_BASE.EXTD). */
bool apic_x2apic_mode(void);
/* The xAPIC register at offset off of this processor's APIC page. */
volatile uint32_t *apic_mmio(unsigned off);
/* An IPI from root mode to one processor (physical destination dest), as `how` says. */
void apic_send(uint32_t dest, const struct apic_icr *how);
/* What an INIT does to the local APIC of this processor. */
void apic_init_reset(void);

#endif
