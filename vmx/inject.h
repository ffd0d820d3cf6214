/* Finishing an exit: advancing RIP past an emulated instruction, and injecting events,
 * as SDM Vol. 3C, 27.6 "Event Injection" and 25.8.3 "VM-Entry Controls for Event
 * Injection" describe. */
#ifndef VMXRAY_VMX_INJECT_H
#define VMXRAY_VMX_INJECT_H
#include <stdbool.h>
#include <stdint.h>

#include "vmx/vcpu.h"

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

#define VECTOR_DB 1
#define VECTOR_NMI 2
#define VECTOR_UD 6
#define VECTOR_DF 8
#define VECTOR_GP 13
#define VECTOR_PF 14

/* Pure: the interruption-information word for an event. */
uint32_t inject_info(unsigned vector, unsigned type, bool has_error_code);
/* Pure: does this hardware exception vector push an error code? (SDM Vol. 3A, Table 6-1) */
bool exception_has_error_code(unsigned vector);

/* Advances GUEST_RIP by the exit's instruction length, clears blocking by STI and
 * MOV SS, and raises the single-step trap when RFLAGS.TF was set, as the instruction
 * itself would have (SDM Vol. 3C, 27.3.1.5 "Checks on Guest Non-Register State" for
 * the interruptibility rules; 18.3.1.4 "Single-Step Exception Condition"). */
void vcpu_skip_instruction(struct vcpu *v);
/* The same for an instruction of `len` bytes that vmxray decoded itself (exits where
 * the VM-exit instruction-length field is undefined, such as EPT violations). */
void vcpu_advance_rip(struct vcpu *v, unsigned len);
/* Injects a hardware exception (with error code where the vector has one). The
 * instruction that exited is not completed: RIP stays on it. */
void vcpu_inject_exception(struct vcpu *v, unsigned vector, uint32_t error_code);
void vcpu_inject_ud(struct vcpu *v);
void vcpu_inject_gp0(struct vcpu *v);
/* Called right before every VM entry: delivers a pending NMI or opens an NMI window. */
void vcpu_deliver_pending(struct vcpu *v);
bool vcpu_event_pending(void);

/* CPL of the guest: SS.DPL (SDM Vol. 3C, 27.3.1.2 "Checks on Guest Segment Registers":
 * "the DPL of SS ... equals the CPL"). */
unsigned vcpu_guest_cpl(void);

#endif
