/* Pure rules of a task switch to a 32-bit or 16-bit TSS, for the emulation of task-switch
 * exits (vmx/exit/exit_task_switch.c). Task switches cause VM exits unconditionally (SDM
 * Vol. 3C, 26.2 "Other Causes of VM Exits"... "Task switches"), so vmxray performs them
 * as the processor would: SDM Vol. 3A, 9.3 "Task Switching" (steps 1-14), 9.2.1
 * "Task-State Segment (TSS)" (Figure 9-2, the 32-bit TSS layout), 9.4 "Task Linking" and
 * 9.6 "16-Bit Task-State Segment (TSS)" (Figure 9-11, the 16-bit layout).
 * Unit-tested (tests/unit/test_task_switch.c). */
#ifndef VMXRAY_VMX_POLICY_TASK_SWITCH_H
#define VMXRAY_VMX_POLICY_TASK_SWITCH_H
#include <stdbool.h>
#include <stdint.h>

#include "arch/desc.h"

/* Exit qualification of a task switch (SDM Vol. 3C, Table 28-2 "Exit Qualification for
 * Task Switches"): bits 15:0 the new TSS selector, bits 31:30 the source. */
enum task_switch_source {
	TASK_SWITCH_CALL = 0,
	TASK_SWITCH_IRET = 1,
	TASK_SWITCH_JMP = 2,
	TASK_SWITCH_GATE = 3, /* a task gate in the IDT */
};

static inline uint16_t task_switch_qual_selector(uint64_t qual)
{
	return (uint16_t)(qual & 0xFFFF); /* bits 15:0 */
}
static inline enum task_switch_source task_switch_qual_source(uint64_t qual)
{
	return (enum task_switch_source)((qual >> 30) & 3); /* bits 31:30 */
}

#define TSS32_SIZE 104
#define TSS32_MIN_LIMIT 0x67 /* 9.2.2: "a limit ... less than 67H" raises #TS */
#define TSS32_LINK 0x00
#define TSS32_CR3 0x1C
#define TSS32_EIP 0x20
#define TSS32_EFLAGS 0x24
#define TSS32_GPR 0x28 /* EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI: 4 bytes each */
#define TSS32_SEG 0x48 /* ES, CS, SS, DS, FS, GS: 4 bytes each, selector in the low 2 */
#define TSS32_LDT 0x60

/* The 16-bit TSS (Figure 9-11): words; no CR3, FS, GS, I/O map base. */
#define TSS16_SIZE 44
/* Table 9-2 "Exception Conditions Checked During a Task Switch": #TS for a "TSS segment
 * limit less than 67H for 32-bit TSS or less than 2CH for 16-bit TSS"; as 67H is the
 * least valid 32-bit limit (104 bytes), 2BH is the least 16-bit one (44 bytes), which is
 * also where Bochs 2.7 draws the line. */
#define TSS16_MIN_LIMIT 0x2B
#define TSS16_IP 14
#define TSS16_FLAGS 16
#define TSS16_GPR 18 /* AX, CX, DX, BX, SP, BP, SI, DI: 2 bytes each */
#define TSS16_SEG 34 /* ES, CS, SS, DS */
#define TSS16_LDT 42

#define DESC_TYPE_TSS16_AVAILABLE 0x1
#define DESC_TYPE_TSS16_BUSY 0x3
#define DESC_TYPE_TSS32_AVAILABLE 0x9
#define DESC_TYPE_TSS32_BUSY 0xB
#define DESC_TYPE_BUSY_BIT 0x2 /* type bit 1: busy */
#define EFLAGS_NT (1u << 14)

/* The dynamic fields of a 32-bit TSS (9.2.1), or of a 16-bit one widened (9.6). Segment order as in the TSS: ES, CS, SS,
 * DS, FS, GS; GPR order as in the TSS (and enum vcpu GPR_RAX..GPR_RDI). */
struct tss32 {
	uint16_t link;
	uint32_t cr3, eip, eflags;
	uint32_t gpr[8];
	uint16_t seg[6];
	uint16_t ldt;
};

void tss32_read(const uint8_t *tss, struct tss32 *t);
/* A 16-bit TSS read into the 32-bit form. 9.6 leaves the upper halves to the processor
 * ("the upper 16 bits of the registers are modified and not maintained"; "the upper 16
 * bits of the EFLAGS register and the EIP register are lost"); vmxray's choice is what
 * the differential suite's oracle (Bochs 2.7) does: EIP and EFLAGS bits 31:16 zero, the
 * general-purpose registers' bits 31:16 all ones, FS and GS null (the 16-bit TSS has no
 * field for them), CR3 0 (not loaded: "the page-table structure for the previous task
 * is used"). */
void tss16_read(const uint8_t *tss, struct tss32 *t);
/* Step 9 for a 16-bit TSS: IP, FLAGS, the eight general-purpose registers' low words,
 * ES, CS, SS, DS. */
void tss16_write_state(uint8_t *tss, const struct tss32 *t);
/* Type 1 or 3 (16-bit TSS, available or busy), from the type in access-rights bits 3:0. */
bool tss_type_is16(unsigned ar);
/* The bytes of a TSS the switch reads and writes: 104 (32-bit) or 44 (16-bit). */
unsigned tss_image_size(unsigned ar);
/* Step 9: "Saves the state of the current (old) task in the current task's TSS": the
 * general-purpose registers, segment selectors, EFLAGS and EIP; not CR3, not the LDT
 * selector, not the link. */
void tss32_write_state(uint8_t *tss, const struct tss32 *t);

/* Step 8: IRET saves EFLAGS with NT clear ("If the task switch was initiated with an
 * IRET instruction, the processor clears the NT flag in a temporarily saved image of
 * the EFLAGS register"). */
uint32_t task_switch_saved_eflags(enum task_switch_source src, uint32_t eflags);
/* Step 7: JMP and IRET clear the busy flag of the old task's descriptor; CALL and
 * task-gate switches leave it set (the old task stays in the chain, 9.4). */
bool task_switch_clears_old_busy(enum task_switch_source src);
/* Steps 10-11 and 9.4: CALL and gate switches link the new task back to the old one
 * (previous-task link = old TR selector) and set NT in the new task's EFLAGS; JMP and
 * IRET leave both alone. */
bool task_switch_links(enum task_switch_source src);

/* Step 2-4 checks on the new TSS descriptor (type and S as in the VMCS access rights):
 * 0 when the switch may go on, else the exception vector (error code: the selector
 * with its RPL cleared): an IRET wants a busy TSS (32- or 16-bit), the others an
 * available one (#GP for JMP/CALL/gate, #TS for IRET); not present #NP; limit below
 * 0x67 (32-bit) or 0x2B (16-bit) #TS. */
int task_switch_check_new(enum task_switch_source src, const struct seg_state *tss);

/* A segment descriptor (8 bytes, little-endian) in VMCS form, with selector sel; code
 * and data segments are marked accessed, as loading them does (3.4.5.1). */
struct seg_state desc_to_seg_state(uint64_t desc, uint16_t sel);

#endif
