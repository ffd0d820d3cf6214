/* Snapshots of the current VMCS by VMREAD (vmx/vmcs/vmcs_hw.c). Hardware edge. */
#ifndef VMXRAY_VMX_VMCS_HW_H
#define VMXRAY_VMX_VMCS_HW_H
#include "vmx/vmcs/vmcs_fields.h"

/* Fills s with VMREADs of every field of the table (hardware edge). */
void vmcs_snapshot_read(struct vmcs_snapshot *s);

#endif
