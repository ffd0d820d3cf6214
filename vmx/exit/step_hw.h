/* One guest instruction single-stepped, the hardware edge (the policy and the why:
 * vmx/policy/step.h). Owners: the GDB stub and intercept=ept; both may want the same
 * step. Every function runs on the CPU whose VMCS is current (its own vCPU). */
#ifndef VMXRAY_VMX_EXIT_STEP_HW_H
#define VMXRAY_VMX_EXIT_STEP_HW_H
#include <stdbool.h>
#include <stdint.h>

#include "vmx/exit/exit.h"
#include "vmx/vcpu.h"

#define STEP_BY_GDB 1u
#define STEP_BY_EPT 2u

/* Whether steps use the monitor trap flag (STEP_MTF and the CPU allows it). */
bool step_uses_mtf(void);
/* Arms a step of the next guest instruction for `owner` (already armed: one more owner). */
void step_arm(struct vcpu *v, unsigned owner);
/* `owner` no longer wants the step; the last owner's release disarms it, the guest's TF,
 * IF, exception bitmap and NMI blocking back. */
void step_release(struct vcpu *v, unsigned owner);
static inline bool step_armed_by(const struct vcpu *v, unsigned owner)
{
	return (v->step.owners & owner) != 0;
}
/* RFLAGS as the guest has it (its own TF and IF), from the VMCS's; and the other way:
 * a value written for the guest (a debugger's) set into the VMCS under the step. */
uint64_t step_guest_rflags(const struct vcpu *v, uint64_t rf);
void step_guest_rflags_write(struct vcpu *v, uint64_t rf);
/* A fault-like exit (EPT violation) in the stepped instruction: Bochs's stale pending
 * single-step trap dropped (step_fault_pending_db). */
void step_fault_fixup(void);
/* An exception exit (exit_nmi): true when it was the step's (its #DB, or an exception
 * only the step intercepted, then reflected); the step is done either way. */
bool step_exception(struct vcpu *v, struct vmexit *e, uint32_t info);
/* After an exit's handler while a step is armed (vmx/exit/exit.c; the step keeps
 * v->exit_slow on): an event
 * it injects (an emulated instruction's #GP, ...) ends the step before the VM entry
 * delivers it. */
void step_event_injected(struct vcpu *v, struct vmexit *e);
/* The guest's own #DB (DR6 bits it caused): DR6 updated, #DB injected. */
void step_guest_db(struct vcpu *v, uint64_t bits);

/* Owners' "the step is done" (the instruction ran, or faulted). */
void intercept_ept_step_done(struct vcpu *v, struct vmexit *e);
void gdb_step_done(struct vcpu *v);

#endif
