/* I/O instruction exits. The I/O bitmaps (vmx/policy/setup.c) intercept only the ports that
 * reset or power off the machine, so vmxray can print its statistics first. The
 * access is then done for the guest, exactly as asked: every access that touches an
 * intercepted port exits, whatever its first port and size (a dword at 0xCF8 covers
 * 0xCF9), and so does every access that wraps past port 0xFFFF. SDM Vol. 3C, 25.6.4
 * "I/O-Bitmap Addresses"; Table 28-5 "Exit Qualification for I/O Instructions".
 *
 * INS and OUTS (string I/O, with or without REP) are emulated one element per exit:
 * the element moves between the port and guest memory, RSI or RDI steps, and with REP
 * RCX counts down; while the count is not 0, RIP stays on the instruction, which runs
 * again and exits again (vmx/decode/string_io.h has the arithmetic). Guest memory is reached
 * through the guest's own page tables (vmx/decode/guest_walk.h); a translation that fails
 * becomes the #PF (or #GP/#SS for a non-canonical address) the instruction would have
 * taken, with nothing moved and no register changed. The checks of the memory operand
 * come first, made here: the VM exit has priority over the #GP/#SS of a segment limit
 * or an unusable or wrongly typed segment and over #AC (SDM Vol. 3C, 26.1.1 "Relative
 * Priority of Faults and VM Exits"), so the processor has not made them
 * (vmx/decode/string_io.h, string_io_check_operand).
 *
 * Guest memory is reached as vmx/exit/guest_mem.h describes (vmxray's own pages read
 * and write the scratch page the guest sees there). */
#include "arch/bits.h"
#include "arch/cpu.h"
#include "arch/cr.h"
#include "arch/msr.h"
#include "arch/paging.h"
#include "drivers/fmt.h"
#include "drivers/log.h"
#include "vmx/debug/gdb.h"
#include "vmx/caps/caps.h"
#include "vmx/decode/decode.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/guest_mem.h"
#include "vmx/decode/guest_walk.h"
#include "vmx/hv.h"
#include "vmx/exit/inject.h"
#include "vmx/exit/ulog.h"
#include "vmx/decode/string_io.h"
#include "vmx/vmcs/vmcs.h"

#define RESET_CONTROL_RESET (1u << 2)
#define KBC_PULSE_RESET 0xFE
#define PM1_CNT_SLP_EN (1u << 13)

/* RFLAGS bits arch/cr.h does not name yet (SDM Vol. 1, 3.4.3 "EFLAGS Register"). */
#define RFLAGS_DF_BIT (1ULL << 10)
#define RFLAGS_AC (1ULL << 18)


static uint32_t port_in(uint16_t port, unsigned size)
{
	if (size == 1)
		return cpu_inb(port);
	if (size == 2)
		return cpu_inw(port);
	return cpu_inl(port);
}

static void port_out(uint16_t port, unsigned size, uint32_t v)
{
	if (size == 1)
		cpu_outb(port, (uint8_t)v);
	else if (size == 2)
		cpu_outw(port, (uint16_t)v);
	else
		cpu_outl(port, v);
}

/* The guest's access: gdb='s UART is vmxray's (the guest finds no device there,
 * vmx/debug/gdb.h); the log UART is seen through its queue (vmx/exit/ulog.h). */
static uint32_t guest_port_in(uint16_t port, unsigned size)
{
	if (g_gdb_on && gdb_port_hidden(port))
		return gdb_port_read(port, size);
	if (ulog_port_touched(port, size))
		return ulog_port_in(port, size);
	return port_in(port, size);
}

static void guest_port_out(uint16_t port, unsigned size, uint32_t v)
{
	if (g_gdb_on && gdb_port_hidden(port))
		return;
	if (ulog_port_touched(port, size))
		ulog_port_out(port, size, v);
	else
		port_out(port, size, v);
}

static uint64_t size_mask(unsigned size)
{
	return size == 4 ? 0xFFFFFFFFULL : size == 2 ? 0xFFFFULL : 0xFFULL;
}

/* The byte an OUT of `bytes` bytes at `first` writes to `port`, if it writes one. */
static bool out_byte(uint16_t first, unsigned bytes, uint32_t value, uint16_t port, uint8_t *b)
{
	int lane = io_port_lane(first, bytes, port);
	if (lane < 0)
		return false;
	*b = (uint8_t)(value >> (8 * lane));
	return true;
}

/* The statistics, and every queued log byte out (vmx/exit/ulog.h): the machine goes away
 * with the OUT that follows. */
static void stats_before_end(const char *why)
{
	vmx_stats_print(why);
	ulog_flush_all();
}

/* Before an OUT that resets or powers off the machine, the statistics (which bytes can:
 * vmx/decode/string_io.h, io_out_needs_check). SLP_EN is bit 13 of PM1a_CNT: bit 5 of its
 * second byte. */
void before_out(uint16_t port, unsigned bytes, uint32_t value)
{
	uint16_t pm1a_high = (uint16_t)(g_hv.pm1a_cnt + 1);
	uint8_t b;

	if (io_out_reaches_reset_control(port, bytes) && out_byte(port, bytes, value, IO_PORT_RESET_CONTROL, &b) &&
	    (b & RESET_CONTROL_RESET))
		stats_before_end("reset");
	else if (out_byte(port, bytes, value, IO_PORT_KBC_COMMAND, &b) && b == KBC_PULSE_RESET)
		stats_before_end("reset");
	else if (g_hv.pm1a_cnt && out_byte(port, bytes, value, pm1a_high, &b) && (b & (PM1_CNT_SLP_EN >> 8)))
		stats_before_end("power-off");
}

/* Whether a plain IN or OUT of `bytes` at `port` can be done with no decision, whatever
 * its value, so that the exit path in assembly may do it (vcpu->io_fast_qual,
 * vmx/exit/entry.asm): not gdb='s UART nor the serial log's (vmx/exit/ulog.h), and for an
 * OUT no byte that before_out looks at. */
bool io_fast_allowed(uint16_t port, unsigned bytes, bool in)
{
	if ((g_gdb_on && gdb_port_hidden(port)) || ulog_port_touched(port, bytes))
		return false;
	return in || !io_out_needs_check(port, bytes, g_hv.pm1a_cnt);
}

/* ---- INS and OUTS ---- */

struct string_operands {
	bool mode64;
	unsigned asize; /* enum string_io_asize */
	unsigned seg;   /* enum string_io_seg */
};

/* Without the instruction-information field, the instruction's own bytes: fetched
 * through the guest's page tables from CS:RIP. False when they cannot be (another CPU
 * changed the mapping since): the guest then runs the instruction again. */
static bool operands_from_bytes(struct string_operands *o)
{
	uint8_t insn[15];
	unsigned len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	bool mode64, db;
	struct string_io_prefixes pre;

	if (len > sizeof(insn))
		len = sizeof(insn);
	unsigned n = guest_fetch_insn(insn, len, &mode64, &db);
	if (n < len)
		n = guest_fetch_insn_more(insn, n, len);
	if (n != len)
		return false;
	unsigned def = o->mode64 ? STRING_IO_ASIZE_64 : db ? STRING_IO_ASIZE_32 : STRING_IO_ASIZE_16;
	if (!string_io_decode_prefixes(insn, len, o->mode64, def, &pre))
		return false;
	o->asize = pre.asize;
	o->seg = pre.seg;
	return true;
}

/* Address size and segment: from the VM-exit instruction-information field where the
 * processor reports it for INS/OUTS (IA32_VMX_BASIC bit 54; SDM Vol. 3C, 28.2.5, Table
 * "Format of the VM-Exit Instruction-Information Field as Used for INS and OUTS":
 * address size bits 9:7, segment bits 17:15, undefined for INS, which uses ES). */
static bool string_operands(const struct io_qual *q, const struct guest_paging *p, struct string_operands *o)
{
	struct seg_ar cs = seg_ar_decode(vmcs_read32(GUEST_CS_AR_BYTES));

	o->mode64 = (p->efer & EFER_LMA) && cs.l;
	if (!(vmx_caps_msr(&g_hv.caps, MSR_IA32_VMX_BASIC) & VMX_BASIC_INS_OUTS_INFO))
		return operands_from_bytes(o);
	struct vmx_insn_info info = vmx_insn_info_decode(vmcs_read32(VMX_INSTRUCTION_INFO));
	o->asize = info.address_size;
	o->seg = q->in ? STRING_IO_SEG_ES : info.segment;
	return true;
}

/* The segment base the memory operand uses; in 64-bit mode only FS and GS have one. */
static uint64_t segment_base(const struct string_operands *o)
{
	if (o->mode64 && o->seg != STRING_IO_SEG_FS && o->seg != STRING_IO_SEG_GS)
		return 0;
	switch (o->seg) {
	case STRING_IO_SEG_ES: return vmcs_readnw(GUEST_ES_BASE);
	case STRING_IO_SEG_CS: return vmcs_readnw(GUEST_CS_BASE);
	case STRING_IO_SEG_SS: return vmcs_readnw(GUEST_SS_BASE);
	case STRING_IO_SEG_FS: return vmcs_readnw(GUEST_FS_BASE);
	case STRING_IO_SEG_GS: return vmcs_readnw(GUEST_GS_BASE);
	default: return vmcs_readnw(GUEST_DS_BASE);
	}
}

/* The segment's limit and access rights (the base comes from segment_base()). */
static void segment_limit_ar(unsigned seg, uint32_t *limit, uint32_t *ar)
{
	switch (seg) {
	case STRING_IO_SEG_ES: *limit = vmcs_read32(GUEST_ES_LIMIT); *ar = vmcs_read32(GUEST_ES_AR_BYTES); break;
	case STRING_IO_SEG_CS: *limit = vmcs_read32(GUEST_CS_LIMIT); *ar = vmcs_read32(GUEST_CS_AR_BYTES); break;
	case STRING_IO_SEG_SS: *limit = vmcs_read32(GUEST_SS_LIMIT); *ar = vmcs_read32(GUEST_SS_AR_BYTES); break;
	case STRING_IO_SEG_FS: *limit = vmcs_read32(GUEST_FS_LIMIT); *ar = vmcs_read32(GUEST_FS_AR_BYTES); break;
	case STRING_IO_SEG_GS: *limit = vmcs_read32(GUEST_GS_LIMIT); *ar = vmcs_read32(GUEST_GS_AR_BYTES); break;
	default: *limit = vmcs_read32(GUEST_DS_LIMIT); *ar = vmcs_read32(GUEST_DS_AR_BYTES); break;
	}
}

/* The segment and alignment checks the VM exit came before (see the top of this file):
 * false when a fault was injected. */
static bool operand_allowed(struct vcpu *v, const struct io_qual *q, const struct guest_paging *p,
			    const struct string_operands *o, uint64_t index, uint64_t rflags)
{
	struct string_io_operand op = {
		.mode64 = o->mode64,
		.la57 = p->cr4 & CR4_LA57,
		.protected_mode = (p->cr0 & CR0_PE) && !(rflags & RFLAGS_VM),
		.seg = o->seg,
		.base = segment_base(o),
		.offset = index & string_io_asize_mask(o->asize),
		.bytes = q->bytes,
		.write = q->in,
		.cpl = p->cpl,
		.cr0_am = p->cr0 & CR0_AM,
		.rflags_ac = rflags & RFLAGS_AC,
	};
	segment_limit_ar(o->seg, &op.limit, &op.ar);
	switch (string_io_check_operand(&op)) {
	case STRING_IO_FAULT_GP: vcpu_inject_gp0(v); return false;
	case STRING_IO_FAULT_SS: vcpu_inject_exception(v, VECTOR_SS, 0); return false;
	case STRING_IO_FAULT_AC: vcpu_inject_exception(v, VECTOR_AC, 0); return false;
	default: return true;
	}
}

/* A memory operand of another intercepted instruction (INVPCID, MONITOR, the descriptor-table
 * instructions; vmx/exit/exit.h): the same segment checks (a write needs a writable data
 * segment), then the page walk for a read or a write (#PF with the walk's error code and CR2
 * from inject_span_fault), then the copy; false when the fault was injected. Nothing is
 * written unless the whole operand translates. */
static bool guest_mem_operand(struct vcpu *v, unsigned seg, unsigned asize, uint64_t offset, uint8_t *buf,
			      unsigned bytes, bool write)
{
	struct guest_paging p = guest_paging_now();
	struct string_operands o = { .asize = asize, .seg = seg };
	struct io_qual q = { .bytes = bytes, .in = write };
	struct seg_ar cs = seg_ar_decode(vmcs_read32(GUEST_CS_AR_BYTES));
	struct span s;
	struct span_fault f;

	o.mode64 = (p.efer & EFER_LMA) && cs.l;
	if (!operand_allowed(v, &q, &p, &o, offset, vmcs_readnw(GUEST_RFLAGS)))
		return false;
	uint64_t la = string_io_linear(o.mode64, segment_base(&o), offset, asize);
	if (!span_translate(&p, o.mode64, la, bytes, write ? GUEST_ACCESS_WRITE : GUEST_ACCESS_READ, &s, &f)) {
		inject_span_fault(v, &f, seg);
		return false;
	}
	for (unsigned i = 0; i < bytes; i++) {
		volatile uint8_t *b = span_byte(&s, i);
		if (write && b)
			*b = buf[i];
		else if (!write)
			buf[i] = b ? *b : 0xFF;
	}
	return true;
}

bool guest_mem_operand_read(struct vcpu *v, unsigned seg, unsigned asize, uint64_t offset, void *buf, unsigned bytes)
{
	return guest_mem_operand(v, seg, asize, offset, buf, bytes, false);
}

bool guest_mem_operand_write(struct vcpu *v, unsigned seg, unsigned asize, uint64_t offset, const void *buf,
			     unsigned bytes)
{
	return guest_mem_operand(v, seg, asize, offset, (uint8_t *)(uintptr_t)buf, bytes, true);
}

/* One element between the port and guest memory at la. INS translates its target
 * before reading the port, so a #PF leaves the device untouched. False when a fault
 * was injected. */
static bool string_transfer(struct vcpu *v, const struct io_qual *q, const struct guest_paging *p,
			    const struct string_operands *o, uint64_t la, uint32_t *value)
{
	struct span s;
	struct span_fault f;
	enum guest_access a = q->in ? GUEST_ACCESS_WRITE : GUEST_ACCESS_READ;

	if (!span_translate(p, o->mode64, la, q->bytes, a, &s, &f)) {
		inject_span_fault(v, &f, o->seg);
		return false;
	}
	if (q->in) {
		*value = guest_port_in(q->port, q->bytes);
		span_write_element(&s, q->bytes, *value);
	} else {
		*value = span_read_element(&s, q->bytes);
		before_out(q->port, q->bytes, *value);
		guest_port_out(q->port, q->bytes, *value);
	}
	return true;
}

/* RIP stays on a REP instruction with a count left: it runs again and exits again. As
 * when an interrupt comes between iterations, RF is set so that an instruction
 * breakpoint on it does not fire again (SDM Vol. 3A, 18.3.1.1 "Instruction-Breakpoint
 * Exception Condition"), and with TF set a single-step trap follows the iteration
 * (18.3.1.4 "Single-Step Exception Condition"). A finished instruction clears RF. */
static void string_finish(struct vcpu *v, bool finished, uint64_t rflags)
{
	if (finished) {
		vcpu_skip_instruction(v);
		if (rflags & RFLAGS_RF)
			vmcs_writenw(GUEST_RFLAGS, rflags & ~RFLAGS_RF);
		return;
	}
	vmcs_writenw(GUEST_RFLAGS, rflags | RFLAGS_RF);
	/* The iteration done is no branch: no single-step trap under BTF (vmx/policy/emulate_rules.h). */
	if ((rflags & RFLAGS_TF) && pending_dbg_single_step(rflags, vmcs_read64(GUEST_IA32_DEBUGCTL)))
		vmcs_writenw(GUEST_PENDING_DBG_EXCEPTIONS, vmcs_readnw(GUEST_PENDING_DBG_EXCEPTIONS) | PENDING_DBG_BS);
}

static void exit_io_string(struct vcpu *v, struct vmexit *e, const struct io_qual *q)
{
	struct guest_paging p = guest_paging_now();
	struct string_operands o;
	uint64_t rflags = vmcs_readnw(GUEST_RFLAGS);
	enum gpr ireg = q->in ? GPR_RDI : GPR_RSI;
	uint32_t value = 0;

	if (!string_operands(q, &p, &o))
		return;
	struct string_io_step s = string_io_step(q->rep, o.asize, rflags & RFLAGS_DF_BIT, q->bytes,
						 v->regs.gpr[GPR_RCX], v->regs.gpr[ireg]);
	uint64_t la = string_io_linear(o.mode64, segment_base(&o), v->regs.gpr[ireg], o.asize);

	if (s.transfer && !operand_allowed(v, q, &p, &o, v->regs.gpr[ireg], rflags))
		return;
	if (s.transfer && !string_transfer(v, q, &p, &o, la, &value))
		return;
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail),
			     "port=0x%04x size=%u dir=%s string rep=%d la=0x%lx rcx=0x%lx value=0x%x%s", q->port,
			     q->bytes, q->in ? "in" : "out", q->rep, la, v->regs.gpr[GPR_RCX], value,
			     s.transfer ? "" : " (count 0)");
	v->regs.gpr[GPR_RCX] = s.rcx;
	v->regs.gpr[ireg] = s.index;
	string_finish(v, s.finished, rflags);
}

void exit_io(struct vcpu *v, struct vmexit *e)
{
	struct io_qual q = io_qual_decode(e->qual);
	uint32_t value = 0;

	if (q.string) {
		exit_io_string(v, e, &q);
		return;
	}
	if (q.in) {
		value = guest_port_in(q.port, q.bytes);
		uint64_t m = size_mask(q.bytes);
		v->regs.gpr[GPR_RAX] = (q.bytes == 4) ? value : ((v->regs.gpr[GPR_RAX] & ~m) | value);
	} else {
		value = (uint32_t)(v->regs.gpr[GPR_RAX] & size_mask(q.bytes));
		before_out(q.port, q.bytes, value);
		guest_port_out(q.port, q.bytes, value);
	}
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "port=0x%04x size=%u dir=%s value=0x%x", q.port,
			     q.bytes, q.in ? "in" : "out", value);
	vcpu_skip_instruction(v);
}
