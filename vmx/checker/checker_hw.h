/* The VM-entry checker run on the current VMCS (vmx/checker/checker_hw.c). Hardware edge. */
#ifndef VMXRAY_VMX_CHECKER_HW_H
#define VMXRAY_VMX_CHECKER_HW_H

#include "vmx/caps/caps.h"

/* Runs the software VM-entry checker on the current VMCS, logs a "CHECK fail" line per
 * broken rule, and returns their number (0: the entry should succeed). */
unsigned vmx_check_current_vmcs(const struct vmx_caps *caps);

#endif
