/* Bringing VMX up: the machine-wide preparation (capabilities, bitmaps, EPT, host page
 * tables) and the per-CPU launch. Called by boot/ before ExitBootServices, with boot
 * services still up; nothing here calls UEFI. */
#ifndef VMXRAY_VMX_LAUNCH_H
#define VMXRAY_VMX_LAUNCH_H
#include <stdint.h>

#include "vmx/hv.h"

/* Where the guest continues after VMLAUNCH: the firmware's code and stack. */
struct guest_entry {
	uint64_t rip, rsp, rflags, rax;
	/* When the very first VM entry fails, the firmware continues at the same point with
	 * RAX = fail_rax (an error status), and *launch_count (when not NULL) is decremented:
	 * see vmx_cpu_fail_open (vmx/exit/failopen_hw.c). */
	uint64_t fail_rax;
	uint32_t *launch_count;
};

enum hv_status {
	HV_OK = 0,
	HV_ERR_NO_VMX,        /* the CPU or firmware cannot give VT-x: message logged */
	HV_ERR_MISSING_CAPS,  /* a required control or capability is missing: each named */
	HV_ERR_NO_MEMORY,     /* the reservation is too small */
	HV_ERR_VMX_INSN,      /* VMXON/VMCLEAR/VMPTRLD/VMLAUNCH failed: error logged */
	HV_ERR_CHECK,         /* the VM-entry checker refused the VMCS: rules logged */
};

/* Machine-wide: reads and negotiates capabilities, prints the capability matrix, builds
 * the bitmaps, the EPT (owned ranges not present) and the host page tables from
 * hv->pool. */
enum hv_status hv_prepare(struct hv *hv);
/* Per CPU, on that CPU: VMXON, VMCS from the live CPU state, checks, VMLAUNCH. On
 * success it does not return: the CPU continues at e->rip as the guest. On failure the
 * CPU is left as it was (VMX off) and the reason has been logged. */
enum hv_status vmx_cpu_launch(struct hv *hv, struct vcpu *v, const struct guest_entry *e);
/* Allocates and initialises a vcpu (stack, regions, host tables, flight recorder of
 * hv->cfg.recorder_depth entries) from hv->pool. */
struct vcpu *vcpu_create(struct hv *hv, unsigned index, uint32_t apic_id);
/* Before launch, more than one CPU and ipi=soft: the APIC page read-only in the EPT and
 * the x2APIC ICR intercepted (vmx/launch/apic_intercept_hw.c). */
void apic_intercept_setup(struct hv *hv);

#endif
