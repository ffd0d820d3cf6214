/* Task-switch exits (basic exit reason 9). A task switch always exits in VMX non-root
 * operation (SDM Vol. 3C, 26.2 "Other Causes of VM Exits": "Task switches. Task
 * switches are not allowed in VMX non-root operation. Any attempt to effect a task
 * switch in VMX non-root operation causes a VM exit"), and the VM exit happens before
 * the switch changes anything. vmxray emulates the switch in software, as SDM Vol. 3A,
 * 9.3 "Task Switching" describes it, for 32-bit and 16-bit TSSs (9.6 "16-Bit Task-State
 * Segment (TSS)": the old task is saved in the format of its own TSS, the new one loaded
 * from the format of its TSS; a 16-bit TSS loads no CR3). The rules are pure
 * (vmx/policy/task_switch.c); this file reads and writes the guest's memory and the
 * VMCS.
 *
 * An exception with an error code delivered through a task gate pushes its error code on
 * the new task's stack (SDM Vol. 3A, 6.12.2 "Interrupt Tasks": "If the exception causes
 * an error code to be generated, this error code is copied to the stack of the new
 * task"; 9.3 step 14: "a doubleword for a 32-bit TSS", a word for a 16-bit one), at
 * SS:ESP or SS:SP as the new stack segment's B flag says.
 *
 * Not emulated: the T flag of the new TSS (debug trap), I/O permission bitmaps
 * (unchanged: they are read at I/O time), the checks on the new task's segments
 * beyond presence (the descriptors are loaded as they are). */
#include <string.h>

#include "arch/cr.h"
#include "arch/exceptions.h"
#include "drivers/fmt.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/guest_mem.h"
#include "vmx/exit/inject.h"
#include "vmx/exit/pdpte.h"
#include "vmx/policy/task_switch.h"
#include "vmx/vmcs/vmcs.h"
#include "vmx/vmcs/vmcs_segments.h"

#define INTR_INFO_TYPE(x) (((x) >> 8) & 7) /* bits 10:8 */

/* Copies n <= 4096 bytes between the host buffer and guest linear memory, as a
 * supervisor-mode access (the TSS and descriptor-table accesses of a task switch are
 * implicit supervisor accesses). False, with *f set, when a page does not translate. */
static bool guest_linear_copy(uint64_t la, uint8_t *buf, unsigned n, bool write, struct span_fault *f)
{
	struct guest_paging p = guest_paging_now();
	struct span s;

	p.cpl = 0;
	if (!span_translate(&p, false, la, n, write ? GUEST_ACCESS_WRITE : GUEST_ACCESS_READ, &s, f))
		return false;
	for (unsigned i = 0; i < n; i++) {
		volatile uint8_t *b = span_byte(&s, i);
		if (write && b)
			*b = buf[i];
		else if (!write)
			buf[i] = b ? *b : 0;
	}
	return true;
}

/* The descriptor of sel in the GDT (or the LDT whose base and limit are given), raw;
 * false when the selector lies beyond the table's limit or its page does not translate. */
static bool read_descriptor(uint16_t sel, uint64_t ldt_base, uint32_t ldt_limit, uint64_t *raw)
{
	struct span_fault f;
	bool ldt = sel & 4;
	uint64_t base = ldt ? ldt_base : vmcs_readnw(GUEST_GDTR_BASE);
	uint32_t limit = ldt ? ldt_limit : vmcs_read32(GUEST_GDTR_LIMIT);
	uint32_t off = sel & ~7u;

	if (off + 7 > limit)
		return false;
	return guest_linear_copy((uint32_t)(base + off), (uint8_t *)raw, 8, false, &f);
}

/* Sets or clears the busy bit (type bit 1) of a TSS descriptor in the GDT. */
static void set_tss_busy(uint16_t sel, bool busy)
{
	uint64_t raw;
	struct span_fault f;
	uint64_t la = (uint32_t)(vmcs_readnw(GUEST_GDTR_BASE) + (sel & ~7u));

	if (!read_descriptor(sel, 0, 0, &raw))
		return;
	uint8_t *type = (uint8_t *)&raw + 5;
	*type = busy ? *type | DESC_TYPE_BUSY_BIT : *type & ~DESC_TYPE_BUSY_BIT;
	guest_linear_copy(la, (uint8_t *)&raw, 8, true, &f);
}

/* A segment register of the new task, from its selector: null gives an unusable
 * segment (SDM Vol. 3C, 25.4.1: the VMCS's "segment unusable" bit). */
static void load_segment(enum vmcs_segment seg, uint16_t sel, uint64_t ldt_base, uint32_t ldt_limit)
{
	struct seg_state s = { .selector = sel, .ar = SEG_AR_UNUSABLE };
	uint64_t raw;

	if ((sel & ~3u) && read_descriptor(sel, ldt_base, ldt_limit, &raw))
		s = desc_to_seg_state(raw, sel);
	vmcs_write_guest_segment(seg, &s);
}

static const enum vmcs_segment tss_seg_order[6] = {
	VMCS_SEG_ES, VMCS_SEG_CS, VMCS_SEG_SS, VMCS_SEG_DS, VMCS_SEG_FS, VMCS_SEG_GS,
};

static uint16_t guest_selector(enum vmcs_segment seg)
{
	switch (seg) {
	case VMCS_SEG_ES: return vmcs_read16(GUEST_ES_SELECTOR);
	case VMCS_SEG_CS: return vmcs_read16(GUEST_CS_SELECTOR);
	case VMCS_SEG_SS: return vmcs_read16(GUEST_SS_SELECTOR);
	case VMCS_SEG_DS: return vmcs_read16(GUEST_DS_SELECTOR);
	case VMCS_SEG_FS: return vmcs_read16(GUEST_FS_SELECTOR);
	case VMCS_SEG_GS: return vmcs_read16(GUEST_GS_SELECTOR);
	default: return 0;
	}
}

/* The EIP the old task resumes at: after the instruction for CALL, JMP, IRET and a
 * software interrupt through a task gate; the instruction itself for an exception or an
 * interrupt delivered through one (SDM Vol. 3C, 28.2.4: the instruction length is saved
 * for these exits and for software interrupts and exceptions during delivery). */
static uint32_t old_task_eip(const struct vcpu *v, enum task_switch_source src, uint32_t idt_info)
{
	bool soft = (idt_info & INTR_INFO_VALID) && INTR_INFO_TYPE(idt_info) >= INTR_TYPE_SOFT_INTR;

	if (src != TASK_SWITCH_GATE || soft)
		return (uint32_t)(v->at_exit.rip + v->at_exit.len);
	return (uint32_t)v->at_exit.rip;
}

static void save_old_task(struct vcpu *v, enum task_switch_source src, uint32_t idt_info, uint64_t tr_base)
{
	uint8_t img[TSS32_SIZE];
	struct tss32 t;
	struct span_fault f;
	uint32_t tr_ar = vmcs_read32(GUEST_TR_AR_BYTES);
	unsigned size = tss_image_size(tr_ar);

	if (!guest_linear_copy((uint32_t)tr_base, img, size, false, &f))
		return;
	t.eip = old_task_eip(v, src, idt_info);
	t.eflags = task_switch_saved_eflags(src, (uint32_t)v->at_exit.rflags);
	for (unsigned i = 0; i < 8; i++)
		t.gpr[i] = (uint32_t)(i == GPR_RSP ? vmcs_readnw(GUEST_RSP) : v->regs.gpr[i]);
	for (unsigned i = 0; i < 6; i++)
		t.seg[i] = guest_selector(tss_seg_order[i]);
	if (tss_type_is16(tr_ar))
		tss16_write_state(img, &t);
	else
		tss32_write_state(img, &t);
	guest_linear_copy((uint32_t)tr_base, img, size, true, &f);
}

static void load_new_task(struct vcpu *v, const struct tss32 *t, uint32_t eflags, bool is16)
{
	uint64_t cr0 = vmcs_readnw(GUEST_CR0);

	/* Step 12: CR3 from the new TSS when paging is on (and the PDPTEs with it); a 16-bit
	 * TSS has none (9.6). */
	if ((cr0 & CR0_PG) && !is16) {
		vmcs_writenw(GUEST_CR3, t->cr3);
		pdpte_load_if_pae(t->cr3);
	}
	vmcs_writenw(GUEST_RIP, t->eip);
	vmcs_writenw(GUEST_RFLAGS, eflags | 2);
	for (unsigned i = 0; i < 8; i++) {
		if (i == GPR_RSP)
			vmcs_writenw(GUEST_RSP, t->gpr[i]);
		else
			v->regs.gpr[i] = t->gpr[i];
	}
	/* The LDT first: the segments of the new task may live in it. */
	load_segment(VMCS_SEG_LDTR, t->ldt & ~4u, 0, 0);
	uint64_t ldt_base = vmcs_readnw(GUEST_LDTR_BASE);
	uint32_t ldt_limit = vmcs_read32(GUEST_LDTR_LIMIT);
	for (unsigned i = 0; i < 6; i++)
		load_segment(tss_seg_order[i], t->seg[i], ldt_base, ldt_limit);
	/* Step 13 of 9.3 and 2.5 "Control Registers": a task switch sets CR0.TS. */
	vmcs_writenw(GUEST_CR0, cr0 | CR0_TS);
	vmcs_writenw(CR0_READ_SHADOW, vmcs_readnw(CR0_READ_SHADOW) | CR0_TS);
	/* The switch completes an instruction (or an event's delivery): no STI or MOV SS
	 * blocking remains. */
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & ~3u);
}

/* The error code of an exception delivered through the task gate, on the new stack:
 * a doubleword for a 32-bit TSS, a word for a 16-bit one; ESP or SP by SS.B. */
static void push_error_code(uint32_t idt_info, bool is16)
{
	struct span_fault f;
	uint32_t ec = vmcs_read32(IDT_VECTORING_ERROR_CODE);
	unsigned n = is16 ? 2 : 4;
	uint32_t rsp = (uint32_t)vmcs_readnw(GUEST_RSP);
	bool big = vmcs_read32(GUEST_SS_AR_BYTES) & (1u << 14); /* B */
	uint32_t sp = big ? rsp - n : (rsp & 0xFFFF0000u) | ((rsp - n) & 0xFFFF);
	uint64_t la = (uint32_t)(vmcs_readnw(GUEST_SS_BASE) + (big ? sp : sp & 0xFFFF));

	if (!(idt_info & INTR_INFO_VALID) || !(idt_info & INTR_INFO_DELIVER_CODE))
		return;
	if (guest_linear_copy(la, (uint8_t *)&ec, n, true, &f))
		vmcs_writenw(GUEST_RSP, sp);
}

void exit_task_switch(struct vcpu *v, struct vmexit *e)
{
	uint16_t sel = task_switch_qual_selector(e->qual);
	enum task_switch_source src = task_switch_qual_source(e->qual);
	uint32_t idt_info = vmcs_read32(IDT_VECTORING_INFO_FIELD);
	uint16_t old_sel = vmcs_read16(GUEST_TR_SELECTOR);
	uint64_t old_base = vmcs_readnw(GUEST_TR_BASE);
	uint64_t raw;
	struct seg_state ntss;
	uint8_t img[TSS32_SIZE];
	struct tss32 t;
	struct span_fault f;

	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "tss=0x%x source=%u", sel, src);
	if ((sel & 4) || !(sel & ~3u) || !read_descriptor(sel, 0, 0, &raw)) {
		vcpu_inject_exception(v, src == TASK_SWITCH_IRET ? VECTOR_TS : VECTOR_GP, sel & ~3u);
		return;
	}
	ntss = desc_to_seg_state(raw, sel);
	int vec = task_switch_check_new(src, &ntss);
	if (vec) {
		vcpu_inject_exception(v, (unsigned)vec, sel & ~3u);
		return;
	}
	bool is16 = tss_type_is16(ntss.ar);
	if (!guest_linear_copy((uint32_t)ntss.base, img, tss_image_size(ntss.ar), false, &f)) {
		vcpu_inject_exception(v, VECTOR_TS, sel & ~3u);
		return;
	}
	save_old_task(v, src, idt_info, old_base);
	if (task_switch_clears_old_busy(src))
		set_tss_busy(old_sel, false);
	uint32_t eflags = 0;
	if (is16)
		tss16_read(img, &t);
	else
		tss32_read(img, &t);
	eflags = t.eflags;
	if (task_switch_links(src)) {
		img[TSS32_LINK] = (uint8_t)old_sel;
		img[TSS32_LINK + 1] = (uint8_t)(old_sel >> 8);
		guest_linear_copy((uint32_t)ntss.base, img, 2, true, &f);
		eflags |= EFLAGS_NT;
	}
	if (src != TASK_SWITCH_IRET)
		set_tss_busy(sel, true);
	ntss.ar |= DESC_TYPE_BUSY_BIT;
	vmcs_write_guest_segment(VMCS_SEG_TR, &ntss);
	load_new_task(v, &t, eflags, is16);
	if (src == TASK_SWITCH_GATE)
		push_error_code(idt_info, is16);
}
