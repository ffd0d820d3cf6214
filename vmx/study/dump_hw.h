/* The VMCS and flight-recorder dump of this CPU (vmx/study/dump_hw.c). Hardware edge. */
#ifndef VMXRAY_VMX_DUMP_HW_H
#define VMXRAY_VMX_DUMP_HW_H

#include <stdint.h>

#include "vmx/study/recorder.h"

/* Logs a decoded VMCS dump of the current VMCS, then the flight recorder rec of CPU
 * apic_id when rec is not NULL, at error level; title says why. */
void vmcs_dump_current(const struct recorder *rec, uint32_t apic_id, const char *title);

#endif
