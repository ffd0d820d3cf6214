/* Writing the current VMCS from the live CPU (vmx/launch/vmcs_setup_hw.c). Hardware edge. */
#ifndef VMXRAY_VMX_VMCS_SETUP_HW_H
#define VMXRAY_VMX_VMCS_SETUP_HW_H
#include <stdbool.h>
#include <stdint.h>

#include "vmx/launch/launch.h"

/* Execution, exit and entry controls, bitmaps, EPTP, VPID, CR masks. */
void vmcs_setup_controls(struct hv *hv, struct vcpu *v, bool long_mode);
/* Host state: this CPU's CRs, vmxray's GDT/TSS/IDT, stack and exit entry point. */
void vmcs_setup_host_state(struct hv *hv, struct vcpu *v);
/* Guest state: the firmware's CPU as it is now, resuming at e->rip. */
void vmcs_setup_guest_state(const struct guest_entry *e, uint64_t cr4_before);

#endif
