/* The VM-exit dispatcher: one table indexed by basic exit reason (vmx/exit.c), one
 * handler per concern in vmx/exit_*.c. */
#ifndef VMXRAY_VMX_EXIT_H
#define VMXRAY_VMX_EXIT_H
#include <stdbool.h>
#include <stdint.h>

#include "vmx/exit_reasons.h"
#include "vmx/vcpu.h"

#define EXIT_DETAIL_MAX 160

struct vmexit {
	uint32_t reason;   /* the whole exit-reason word */
	uint32_t basic;    /* bits 15:0 */
	uint64_t qual;     /* EXIT_QUALIFICATION */
	bool tracing;      /* handlers fill detail only when true */
	char detail[EXIT_DETAIL_MAX];
};

typedef void (*exit_handler_fn)(struct vcpu *v, struct vmexit *e);

/* Called by entry.asm on every VM exit; returns to resume the guest. */
void vmx_exit_handler(struct vcpu *v);
/* Called by entry.asm when VMRESUME fails; does not return. */
_Noreturn void vmx_resume_failed(struct vcpu *v, int how);

/* INVEPT on this CPU when the shared EPT changed since its last flush (vmx/exit_ept.c). */
void vmx_ept_flush_if_stale(void);

/* Handlers (vmx/exit_*.c). */
void exit_cpuid(struct vcpu *v, struct vmexit *e);
void exit_msr_read(struct vcpu *v, struct vmexit *e);
void exit_msr_write(struct vcpu *v, struct vmexit *e);
void exit_cr_access(struct vcpu *v, struct vmexit *e);
void exit_io(struct vcpu *v, struct vmexit *e);
void exit_xsetbv(struct vcpu *v, struct vmexit *e);
void exit_invd(struct vcpu *v, struct vmexit *e);
void exit_inject_ud(struct vcpu *v, struct vmexit *e);
void exit_vmcall(struct vcpu *v, struct vmexit *e);
void exit_triple_fault(struct vcpu *v, struct vmexit *e);
void exit_entry_failure(struct vcpu *v, struct vmexit *e);
void exit_nmi(struct vcpu *v, struct vmexit *e);
void exit_nmi_window(struct vcpu *v, struct vmexit *e);
void exit_ept_violation(struct vcpu *v, struct vmexit *e);
void exit_ept_misconfig(struct vcpu *v, struct vmexit *e);
void exit_init_signal(struct vcpu *v, struct vmexit *e);
void exit_sipi(struct vcpu *v, struct vmexit *e);

/* The processor's INIT state in the VMCS and the vcpu (vmx/exit_init_sipi.c), and the
 * start at a SIPI's vector << 12 in real mode. */
void vcpu_load_init_state(struct vcpu *v);
void vcpu_start_at_sipi(struct vcpu *v, uint8_t vector);

/* INIT and SIPI in software (vmx/exit_apic.c). */
struct hv;
void apic_intercept_setup(struct hv *hv);       /* before launch: write-protect the APIC page */
bool exit_apic_write(struct vcpu *v, struct vmexit *e, uint64_t gpa); /* from the EPT violation */
bool apic_x2apic_icr_write(struct vcpu *v, uint64_t value);
bool apic_base_write(struct vcpu *v, uint64_t value);              /* from WRMSR 0x1B */          /* from WRMSR 0x830 */
bool vcpu_take_kick(struct vcpu *v);            /* an NMI that was vmxray's own */
void vcpu_kick(struct vcpu *t);                 /* makes t exit with vmxray's own NMI */
void vcpu_soft_init(struct vcpu *v);            /* an INIT is pending: INIT state, wait for SIPI */

/* Logs a decoded VMCS dump of the current VMCS (and the flight recorder) at error
 * level; title says why. */
void vmx_dump_current(struct vcpu *v, const char *title);
/* A broken invariant: dump the VMCS, then reset the machine (never a silent hang). */
_Noreturn void vmx_panic(struct vcpu *v, const char *why);
/* Prints the STATS block (docs/LOGFORMAT.md). */
void vmx_stats_print(const char *why);
/* Resets the system through the reset control register (0xCF9), then the keyboard
 * controller. */
_Noreturn void vmx_system_reset(void);

#endif
