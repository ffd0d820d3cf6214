/* The VM-exit dispatcher: one table indexed by basic exit reason (vmx/exit/exit.c), one
 * handler per concern in vmx/exit_*.c. */
#ifndef VMXRAY_VMX_EXIT_H
#define VMXRAY_VMX_EXIT_H
#include <stdbool.h>
#include <stdint.h>

#include "vmx/decode/exit_reasons.h"
#include "vmx/study/dump_hw.h"
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

/* Called by entry.asm (docs/ARCHITECTURE.md, "A VM exit and back"): the fast path of the
 * common exits (0 done, 1 not handled, 2 done with an event to deliver), the whole path,
 * and the whole path's last step after a fast exit that returned 2. */
int vmx_exit_fast(struct vcpu *v, uint32_t reason);
void vmx_exit_handler(struct vcpu *v);
void vmx_exit_after(struct vcpu *v);
/* Called by entry.asm when VMRESUME fails; does not return. */
_Noreturn void vmx_resume_failed(struct vcpu *v, int how);

/* INVEPT of vmxray's EPT on this CPU now, and INVEPT only when the shared EPT changed
 * since this CPU's last flush (vmx/exit/ept_sync_hw.c). */
void vmx_invept_local(void);
void vmx_ept_flush_if_stale(void);
/* The handlers of the fast path (vmx_exit_fast) and what they call on every exit: no
 * frame pointer, three instructions fewer per function (debug builds keep the rest). */
#define EXIT_FAST_FN __attribute__((optimize("omit-frame-pointer")))
/* The shared EPT changed: every CPU flushes at its next exit (vmx/exit/ept_sync_hw.c). */
void vmx_ept_changed(void);

/* Handlers (vmx/exit_*.c). */
void exit_cpuid(struct vcpu *v, struct vmexit *e);
void exit_msr_read(struct vcpu *v, struct vmexit *e);
void exit_msr_write(struct vcpu *v, struct vmexit *e);
void exit_cr_access(struct vcpu *v, struct vmexit *e);
/* The common MOV to CR0 on the fast path, done; false (nothing written) for the rest. */
bool exit_cr0_write_fast(struct vcpu *v, uint64_t qual);
/* The general registers the fast path leaves in the processor (vmx/exit/entry.asm): an
 * exit whose instruction names one of them takes the whole path. Bit n: GPR n. */
#define EXIT_FAST_GPRS_NOT_SAVED \
	((1u << GPR_RBP) | (1u << GPR_R12) | (1u << GPR_R13) | (1u << GPR_R14) | (1u << GPR_R15))
/* The APIC-page write on the fast path (vmx/exit/exit_apic.c): an EPT violation that
 * repeats this CPU's last emulated store, emulated to the end; false, with nothing done
 * but v->at_exit and v->injected set, for any other EPT violation. */
bool exit_apic_write_fast(struct vcpu *v, struct vmexit *e);
void exit_io(struct vcpu *v, struct vmexit *e);
/* Before an OUT of `bytes` bytes at `port` (value in the low bytes) that resets or powers
 * off the machine: the statistics (vmx/exit/exit_io.c; the exit fast path calls it too). */
void before_out(uint16_t port, unsigned bytes, uint32_t value);
/* Whether vmx/exit/entry.asm may do this plain IN or OUT itself (vmx/exit/exit_io.c). */
bool io_fast_allowed(uint16_t port, unsigned bytes, bool in);
void exit_xsetbv(struct vcpu *v, struct vmexit *e);
void exit_task_switch(struct vcpu *v, struct vmexit *e);
void exit_invd(struct vcpu *v, struct vmexit *e);
void exit_inject_ud(struct vcpu *v, struct vmexit *e);
void exit_vmcall(struct vcpu *v, struct vmexit *e);
void exit_triple_fault(struct vcpu *v, struct vmexit *e);
void exit_entry_failure(struct vcpu *v, struct vmexit *e);
void exit_nmi(struct vcpu *v, struct vmexit *e);
void exit_nmi_window(struct vcpu *v, struct vmexit *e);
void exit_interrupt_window(struct vcpu *v, struct vmexit *e);
void exit_ept_violation(struct vcpu *v, struct vmexit *e);
void exit_ept_misconfig(struct vcpu *v, struct vmexit *e);
void exit_init_signal(struct vcpu *v, struct vmexit *e);
void exit_sipi(struct vcpu *v, struct vmexit *e);
/* The reasons vmxray never asks for: the unexpected-exit policy (vmx/exit/exit.c). */
void exit_unexpected(struct vcpu *v, struct vmexit *e);

/* intercept= (vmx/policy/intercepts.def): vmx/exit/exit_intercept_insn.c, _event.c, _msr.c,
 * _ept.c. */
void exit_intercept_hlt(struct vcpu *v, struct vmexit *e);
void exit_intercept_rdtsc(struct vcpu *v, struct vmexit *e);
void exit_intercept_rdtscp(struct vcpu *v, struct vmexit *e);
void exit_intercept_rdpmc(struct vcpu *v, struct vmexit *e);
void exit_intercept_invlpg(struct vcpu *v, struct vmexit *e);
void exit_intercept_pause(struct vcpu *v, struct vmexit *e);
void exit_intercept_wbinvd(struct vcpu *v, struct vmexit *e);
void exit_intercept_rdrand(struct vcpu *v, struct vmexit *e);
void exit_intercept_extint(struct vcpu *v, struct vmexit *e);
void exit_intercept_intr_window(struct vcpu *v, struct vmexit *e);
/* An exception exit of a vector intercept= names: reflected to the guest (true), or not
 * one of them (false). */
bool exit_intercept_exception(struct vcpu *v, struct vmexit *e, uint32_t exit_info);
/* An exception exit given back to the guest as it came (CR2 for #PF, #DF where it
 * combines), whatever intercepted it. */
void exit_exception_reflect(struct vcpu *v, struct vmexit *e, uint32_t exit_info);
/* Reads `bytes` of an instruction's memory operand (segment seg, address size asize, the
 * effective address `offset`) with the checks the VM exit came before: segment (#GP/#SS),
 * paging (#PF); false when the fault was injected (vmx/exit/exit_io.c). */
bool guest_mem_operand_read(struct vcpu *v, unsigned seg, unsigned asize, uint64_t offset, void *buf, unsigned bytes);
/* The same for a write of `bytes` (a writable segment; the walk as a write, setting the
 * dirty flags); nothing is written when a fault was injected. */
bool guest_mem_operand_write(struct vcpu *v, unsigned seg, unsigned asize, uint64_t offset, const void *buf,
			     unsigned bytes);
/* intercept=desc: LGDT, LIDT, LLDT, LTR, SGDT, SIDT, SLDT, STR (reasons 46 and 47,
 * vmx/exit/exit_intercept_desc.c). */
void exit_intercept_desc(struct vcpu *v, struct vmexit *e);
/* CR4 as the guest reads it (read shadow for the bits vmxray owns); whether it runs in
 * 64-bit mode (IA-32e mode and CS.L). vmx/exit/exit_intercept_insn.c. */
uint64_t intercept_guest_cr4(void);
bool intercept_guest_mode64(void);
void exit_intercept_invpcid(struct vcpu *v, struct vmexit *e);
void exit_intercept_dr(struct vcpu *v, struct vmexit *e); /* vmx/exit/exit_intercept_dr.c */
void exit_intercept_monitor(struct vcpu *v, struct vmexit *e);
void exit_intercept_mwait(struct vcpu *v, struct vmexit *e);
/* intercept=ept: the range's pages lose the permission before launch (0, or -1 logged),
 * a violation in it is stepped (true), reason 37 ends the step (vmx/exit/exit_intercept_ept.c). */
struct hv;
int intercept_ept_protect(struct hv *hv);
bool intercept_ept_violation(struct vcpu *v, struct vmexit *e, uint64_t gpa);
void exit_step_mtf(struct vcpu *v, struct vmexit *e); /* vmx/exit/step_hw.c */
/* intercept=msr: the MSRs held in guest-state fields; false for any other MSR. */
bool intercept_msr_guest_read(uint32_t msr, uint64_t *value);
bool intercept_msr_guest_write(uint32_t msr, uint64_t value, bool *fault);

/* The processor's INIT state in the VMCS and the vcpu (vmx/exit/exit_init_sipi.c), and the
 * start at a SIPI's vector << 12 in real mode. */
void vcpu_load_init_state(struct vcpu *v);
bool vcpu_init_waits_for_sipi(void); /* false on the BSP: INIT restarts it at the reset vector */
void vcpu_start_at_sipi(struct vcpu *v, uint8_t vector);
void vcpu_start_at_reset_vector(void);

/* INIT and SIPI in software: the intercept set-up (vmx/launch/apic_intercept_hw.c), the
 * APIC-page and x2APIC ICR writes (vmx/exit/exit_apic.c), delivery (vmx/exit/soft_ipi.c). */
bool exit_apic_write(struct vcpu *v, struct vmexit *e, uint64_t gpa); /* from the EPT violation */
bool apic_x2apic_icr_write(struct vcpu *v, uint64_t value);          /* from WRMSR 0x830 */
bool apic_base_write(struct vcpu *v, uint64_t value);                /* from WRMSR 0x1B */
void hypercall_stats_print(void);                                    /* exit_hypercall.c: DUMP_VMCS counts */
bool mtrr_guest_read(uint32_t msr, uint64_t *value);                 /* exit_mtrr.c: the guest's MTRRs */
bool mtrr_guest_write(uint32_t msr, uint64_t value);                 /* #GP when false */
/* An NMI reached this CPU (exit reason 0, or root-mode vector 2): vmxray's kick or the
 * guest's; the guest's, and the soft NMIs it carried, go to nmi_pending
 * (vmx/policy/nmi_source.h). */
bool vcpu_take_nmi(struct vcpu *v); /* true: it held NMIs for the guest */
void nmi_hold(struct vcpu *v, unsigned n); /* n more NMIs held for the guest (capped) */
void vcpu_kick(struct vcpu *t);                 /* makes t exit with vmxray's own NMI */
void vcpu_soft_init(struct vcpu *v);            /* an INIT is pending: INIT state, wait for SIPI */

/* The first VM entry of v failed (reported as a VM exit with bit 31 of the exit reason
 * set, SDM Vol. 3C, 27.8): no guest instruction ran. Leaves VMX operation on this CPU,
 * restores the firmware's state saved by vmx_cpu_launch (v->fw) and continues the firmware at
 * the resume point as if the launch had returned fail_rax. Called in root mode, after
 * the reason has been logged. */
_Noreturn void vmx_cpu_fail_open(struct vcpu *v);
/* Logs a decoded VMCS dump of the current VMCS and v's flight recorder (v may be NULL)
 * at error level; title says why (vmx/study/dump_hw.c). */
static inline void vmx_dump_current(struct vcpu *v, const char *title)
{
	vmcs_dump_current(v ? &v->recorder : NULL, v ? v->apic_id : 0, title);
}
/* arch/exception.c's hooks: an NMI in root mode (vmx/exit/exit_misc.c), and the report
 * of any other exception in root mode (vmx/exit/root_exception_hw.c). */
struct exception_frame;
void vmx_root_nmi(const struct exception_frame *f);
void vmx_root_panic(const struct exception_frame *f);
/* A broken invariant: dump the VMCS, then reset the machine (never a silent hang). */
_Noreturn void vmx_panic(struct vcpu *v, const char *why);
/* Prints the STATS block (docs/LOGFORMAT.md). */
void vmx_stats_print(const char *why);
/* Resets the system through the reset control register (0xCF9), then the keyboard
 * controller. */
_Noreturn void vmx_system_reset(void);

#endif
