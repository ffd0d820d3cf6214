/* intercept=desc: descriptor-table exiting (secondary processor-based control bit 2). LGDT,
 * LIDT, SGDT, SIDT exit with basic reason 46 (GDTR/IDTR access), LLDT, LTR, SLDT, STR with
 * 47 (LDTR/TR access); each is done here as the processor does it (SDM Vol. 2A/2B, each
 * instruction's page; the pure rules in vmx/policy/desc_rules.c), then RIP advances
 * (vcpu_skip_instruction: blocking by STI/MOV SS ends, RF clears, TF's trap is pending).
 *
 * The #UD (LLDT/LTR/SLDT/STR in real and virtual-8086 mode, a register operand for the
 * 0F 01 forms) comes before the VM exit; #GP(0) at CPL > 0 for the loads and, with
 * CR4.UMIP, for the stores is checked again here (one compare). The memory operand's
 * effective address is the instruction-information field's base + index * scale + the
 * displacement in the exit qualification, truncated to the address size
 * (intercept_mem_offset), then guest_mem_operand_read/_write do the segment checks (#GP(0),
 * #SS(0), canonical form in 64-bit mode) and the walk through the guest's page tables (#PF
 * with its error code and CR2); the guest-physical pages are reached through gpa_host, which
 * never reaches vmxray's own memory (guest_page_is_owned: the scratch page instead).
 * The instruction's identity, operand size and register come from its bytes
 * (desc_insn_decode): Bochs 2.7 does not report them in the field. LLDT and LTR read the
 * descriptor in the GDT as an implicit supervisor access; LTR sets the busy bit with a
 * locked OR in the guest's memory, as the processor's locked access does. */
#include "arch/cr.h"
#include "arch/exceptions.h"
#include "arch/msr.h"
#include "drivers/fmt.h"
#include "vmx/decode/decode.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/guest_mem.h"
#include "vmx/exit/inject.h"
#include "vmx/hv.h"
#include "vmx/policy/desc_rules.h"
#include "vmx/policy/intercept_rules.h"
#include "vmx/vmcs/vmcs.h"
#include "vmx/vmcs/vmcs_segments.h"

#define SEG_DS 3 /* enum string_io_seg: not SS, so a non-canonical GDT address is #GP(0) */

static uint64_t gpr_get(const struct vcpu *v, unsigned r)
{
	return r == GPR_RSP ? vmcs_readnw(GUEST_RSP) : v->regs.gpr[r];
}

static void gpr_set(struct vcpu *v, unsigned r, uint64_t value)
{
	if (r == GPR_RSP)
		vmcs_writenw(GUEST_RSP, value);
	else
		v->regs.gpr[r] = value;
}

/* The GDT bytes [la, la + n) as the processor's implicit supervisor access reads them;
 * false with the fault injected. */
static bool gdt_span(struct vcpu *v, uint64_t la, unsigned n, bool ia32e, enum guest_access a, struct span *s)
{
	struct guest_paging p = guest_paging_now();
	struct span_fault f;
	p.cpl = 0;
	if (!ia32e)
		la = (uint32_t)la;
	if (!span_translate(&p, ia32e, la, n, a, s, &f)) {
		inject_span_fault(v, &f, SEG_DS);
		return false;
	}
	return true;
}

/* LLDT and LTR: the selector's checks, the descriptor's, then LTR marks it busy in memory
 * and the register is loaded. False when a fault was injected. */
static bool load_system_segment(struct vcpu *v, bool ltr, uint16_t sel)
{
	bool ia32e = vmcs_read32(VM_ENTRY_CONTROLS) & (uint32_t)VM_ENTRY_IA32E_MODE;
	unsigned width = g_hv.caps.cpu.linaddr_width;
	uint32_t err;
	struct span s;
	uint8_t raw[16] = { 0 };

	int vec = desc_selector_fault(ltr, sel, vmcs_read32(GUEST_GDTR_LIMIT), ia32e, &err);
	if (vec == DESC_NULL_OK) {
		struct seg_state null = { .selector = sel, .ar = SEG_AR_UNUSABLE };
		vmcs_write_guest_segment(VMCS_SEG_LDTR, &null);
		return true;
	}
	if (vec) {
		vcpu_inject_exception(v, (unsigned)vec, err);
		return false;
	}
	uint64_t la = vmcs_readnw(GUEST_GDTR_BASE) + (sel & ~7u);
	unsigned n = ia32e ? 16 : 8;
	if (!gdt_span(v, la, n, ia32e, GUEST_ACCESS_READ, &s))
		return false;
	for (unsigned i = 0; i < n; i++) {
		volatile uint8_t *b = span_byte(&s, i);
		raw[i] = b ? *b : 0xFF;
	}
	uint64_t lo = 0, hi = 0;
	for (unsigned i = 0; i < 8; i++) {
		lo |= (uint64_t)raw[i] << (8 * i);
		hi |= (uint64_t)raw[8 + i] << (8 * i);
	}
	vec = desc_system_fault(ltr, lo, hi, ia32e, width);
	if (vec) {
		vcpu_inject_exception(v, (unsigned)vec, err);
		return false;
	}
	if (ltr) {
		if (!gdt_span(v, la + 5, 1, ia32e, GUEST_ACCESS_WRITE, &s))
			return false;
		volatile uint8_t *type = span_byte(&s, 0);
		/* Another CPU may have loaded it since the read: the locked access sees busy. */
		if (type && (__atomic_fetch_or((uint8_t *)(uintptr_t)type, 2, __ATOMIC_SEQ_CST) & 2)) {
			vcpu_inject_exception(v, VECTOR_GP, err);
			return false;
		}
	}
	struct seg_state st = desc_system_state(ltr, sel, lo, hi, ia32e);
	vmcs_write_guest_segment(ltr ? VMCS_SEG_TR : VMCS_SEG_LDTR, &st);
	return true;
}

/* SGDT/SIDT, LGDT/LIDT: the memory operand at `offset`, in two accesses as Bochs 2.7 makes
 * them (the CPU the differential suite compares with): a store writes the limit, then the
 * base (a fault on the base leaves the limit written); a load reads the base at offset + 2
 * first, then the limit (its #PF reports CR2 = the base's address: vmxicpt `lgdt_pf`). */
static bool table_register(struct vcpu *v, const struct desc_decoded *d, const struct vmx_insn_info *ii,
			   uint64_t offset, bool mode64)
{
	bool idt = d->insn == DESC_SIDT || d->insn == DESC_LIDT;
	uint64_t mask = ii->address_size == 0 ? 0xFFFF : ii->address_size == 1 ? 0xFFFFFFFFULL : ~0ULL;
	uint64_t at_base = (offset + 2) & mask;
	uint8_t img[10];
	if (d->insn == DESC_SGDT || d->insn == DESC_SIDT) {
		uint64_t base = vmcs_readnw(idt ? GUEST_IDTR_BASE : GUEST_GDTR_BASE);
		uint16_t limit = (uint16_t)vmcs_read32(idt ? GUEST_IDTR_LIMIT : GUEST_GDTR_LIMIT);
		unsigned n = desc_table_store(base, limit, mode64, img);
		return guest_mem_operand_write(v, ii->segment, ii->address_size, offset, img, 2) &&
		       guest_mem_operand_write(v, ii->segment, ii->address_size, at_base, img + 2, n - 2);
	}
	uint64_t base;
	uint16_t limit;
	unsigned n = desc_table_load_bytes(mode64);
	if (!guest_mem_operand_read(v, ii->segment, ii->address_size, at_base, img + 2, n - 2) ||
	    !guest_mem_operand_read(v, ii->segment, ii->address_size, offset, img, 2))
		return false;
	if (!desc_table_load(img, mode64, d->osize, g_hv.caps.cpu.linaddr_width, &base, &limit)) {
		vcpu_inject_gp0(v);
		return false;
	}
	vmcs_writenw(idt ? GUEST_IDTR_BASE : GUEST_GDTR_BASE, base);
	vmcs_write32(idt ? GUEST_IDTR_LIMIT : GUEST_GDTR_LIMIT, limit);
	return true;
}

void exit_intercept_desc(struct vcpu *v, struct vmexit *e)
{
	static const char *const names[8] = { "sgdt", "sidt", "lgdt", "lidt", "sldt", "str", "lldt", "ltr" };
	uint8_t insn[15];
	bool mode64, db;
	struct desc_decoded d;
	unsigned n = guest_fetch_insn(insn, v->at_exit.len < 15 ? v->at_exit.len : 15, &mode64, &db);
	if (!desc_insn_decode(insn, n, mode64, db, &d) ||
	    (d.insn < DESC_SLDT) != (e->basic == EXIT_REASON_GDTR_IDTR))
		return; /* the bytes changed under us (another CPU): run it again */
	if (desc_privilege_fault(d.insn, vcpu_guest_cpl(), intercept_guest_cr4() & CR4_UMIP)) {
		vcpu_inject_gp0(v);
		return;
	}
	uint32_t info = vmcs_read32(VMX_INSTRUCTION_INFO);
	struct vmx_insn_info ii = vmx_insn_info_decode(info);
	uint64_t gpr[16];
	for (unsigned i = 0; i < 16; i++)
		gpr[i] = gpr_get(v, i);
	uint64_t offset = d.is_register ? 0 : intercept_mem_offset(info, e->qual, gpr);
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "%s %s=0x%lx", names[d.insn], d.is_register ? "reg" : "offset",
			     d.is_register ? (uint64_t)d.reg : offset);
	bool done = true;
	switch (d.insn) {
	case DESC_SGDT:
	case DESC_SIDT:
	case DESC_LGDT:
	case DESC_LIDT:
		done = table_register(v, &d, &ii, offset, mode64);
		break;
	case DESC_SLDT:
	case DESC_STR: {
		uint16_t sel = vmcs_read16(d.insn == DESC_STR ? GUEST_TR_SELECTOR : GUEST_LDTR_SELECTOR);
		if (d.is_register)
			gpr_set(v, d.reg, intercept_reg_write(gpr[d.reg], sel, d.osize));
		else
			done = guest_mem_operand_write(v, ii.segment, ii.address_size, offset, &sel, 2);
		break;
	}
	case DESC_LLDT:
	case DESC_LTR: {
		uint16_t sel = (uint16_t)gpr[d.reg];
		if (!d.is_register)
			done = guest_mem_operand_read(v, ii.segment, ii.address_size, offset, &sel, 2);
		if (done)
			done = load_system_segment(v, d.insn == DESC_LTR, sel);
		break;
	}
	}
	if (done)
		vcpu_skip_instruction(v);
}
