/* INIT and SIPI between virtualized processors, in software (vmx/exit/soft_ipi.c). */
#ifndef VMXRAY_VMX_SOFT_IPI_H
#define VMXRAY_VMX_SOFT_IPI_H
#include <stdbool.h>

#include "vmx/decode/apic.h"
#include "vmx/vcpu.h"

/* The guest on `self` sends the IPI `icr`: true when vmxray delivered it (or it has no
 * effect), false when the write must go to the hardware as it is. */
bool soft_ipi(struct vcpu *self, const struct apic_icr *icr, bool x2apic);

#endif
