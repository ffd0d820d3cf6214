/* Finishing an exit: advancing RIP past an emulated instruction, and injecting events,
 * as SDM Vol. 3C, 27.6 "Event Injection" and 25.8.3 "VM-Entry Controls for Event
 * Injection" describe. */
#ifndef VMXRAY_VMX_INJECT_H
#define VMXRAY_VMX_INJECT_H
#include <stdbool.h>
#include <stdint.h>

#include "arch/cr.h"
#include "arch/exceptions.h"
#include "vmx/policy/emulate_rules.h"
#include "vmx/vcpu.h"
#include "vmx/vmcs/vmcs.h"

/* Interruption types (SDM Vol. 3C, Table 25-17 "Format of the VM-Entry
 * Interruption-Information Field"). */
#define INTR_TYPE_EXT_INTR 0
#define INTR_TYPE_NMI 2
#define INTR_TYPE_HARD_EXCEPTION 3
#define INTR_TYPE_SOFT_INTR 4
#define INTR_TYPE_PRIV_SW_EXCEPTION 5
#define INTR_TYPE_SOFT_EXCEPTION 6
#define INTR_INFO_DELIVER_CODE (1u << 11)
#define INTR_INFO_VALID (1u << 31)

/* Pure: the interruption-information word for an event. */
uint32_t inject_info(unsigned vector, unsigned type, bool has_error_code);

/* Advances GUEST_RIP by `len` bytes, clears blocking by STI and MOV SS, and raises
 * the single-step trap when RFLAGS.TF was set, as the instruction itself would have
 * (SDM Vol. 3C, 27.3.1.5 "Checks on Guest Non-Register State" for the interruptibility
 * rules; 18.3.1.4 "Single-Step Exception Condition"; pending_dbg_single_step for BTF). It starts from the guest state
 * as at the exit (v->at_exit, read once by the dispatcher): a handler advances RIP
 * before it writes GUEST_RIP, GUEST_RFLAGS or GUEST_INTERRUPTIBILITY_INFO itself, never
 * after. The common case is one VMWRITE; the rest is out of line. */
void vcpu_advance_rip_rare(struct vcpu *v);
uint64_t vcpu_rip_after_rare(const struct vcpu *v, unsigned len);
static inline void vcpu_advance_rip(struct vcpu *v, unsigned len)
{
	uint64_t next = v->at_exit.rip + len;
	/* Crossing a 4 GiB line: outside 64-bit mode EIP wraps (rip_after_instruction). */
	if (__builtin_expect((v->at_exit.rip ^ next) >> 32, 0))
		next = vcpu_rip_after_rare(v, len);
	vmcs_writenw(GUEST_RIP, next);
	if (__builtin_expect((v->at_exit.intr & 3) || (v->at_exit.rflags & (RFLAGS_RF | RFLAGS_TF)), 0))
		vcpu_advance_rip_rare(v);
}
/* The RIP after the instruction that exited, straight from the VMCS, for a fast path that
 * has not read v->at_exit: false, with nothing read into *next, when a rule of
 * vcpu_advance_rip beyond the one VMWRITE applies (blocking by STI or MOV SS, RFLAGS.RF or
 * TF, a 4 GiB line crossed); the caller then takes its whole path before writing anything.
 * The caller writes *next to GUEST_RIP. */
static inline bool vcpu_next_rip_plain(uint64_t *next)
{
	if (vmcs_read32_nocheck(GUEST_INTERRUPTIBILITY_INFO) & 3)
		return false;
	if (vmcs_readnw_nocheck(GUEST_RFLAGS) & (RFLAGS_RF | RFLAGS_TF))
		return false;
	uint64_t rip = vmcs_readnw_nocheck(GUEST_RIP);
	*next = rip + vmcs_read32_nocheck(VM_EXIT_INSTRUCTION_LEN);
	return !((rip ^ *next) >> 32);
}
/* The instruction that exited, by the VM-exit instruction length. */
static inline void vcpu_skip_instruction(struct vcpu *v)
{
	vcpu_advance_rip(v, v->at_exit.len);
}
/* Injects a hardware exception (with error code where the vector has one). The
 * instruction that exited is not completed: RIP stays on it. */
void vcpu_inject_exception(struct vcpu *v, unsigned vector, uint32_t error_code);
void vcpu_inject_ud(struct vcpu *v);
void vcpu_inject_gp0(struct vcpu *v);
/* For a VM exit during the delivery of an event (IDT-vectoring information valid) that
 * the handler resolved without injecting anything itself (an EPT violation on the IDT,
 * the stack or the GDT): delivers the event again at the next VM entry; otherwise it is
 * lost (a single-step trap, an external interrupt, INT n). SDM Vol. 3C, 28.2.4
 * "Information for VM Exits That Occur During Event Delivery". */
void vcpu_reinject_idt_vectoring(struct vcpu *v);
/* Called right before every VM entry with an NMI held: injects it, or opens the NMI or
 * interrupt window it waits for. */
void vcpu_deliver_pending(struct vcpu *v);
bool vcpu_event_pending(void);
/* NMI- and interrupt-window exiting off (a window exit, an INIT); the NMI window on (root
 * mode's NMI handler: the NMI it took then reaches the guest at the next instruction
 * boundary that allows it, even when it came after the last look at nmi_pending). */
void vcpu_event_windows_off(void);
void vcpu_nmi_window_arm(void);

/* CPL of the guest: SS.DPL (SDM Vol. 3C, 27.3.1.2 "Checks on Guest Segment Registers":
 * "the DPL of SS ... equals the CPL"). */
static inline unsigned vcpu_guest_cpl(void)
{
	return (vmcs_read32(GUEST_SS_AR_BYTES) >> 5) & 3;
}

#endif
