/* Pure decoders and formatters of VMX hardware words. See vmx/decode/decode.h. */
#include "vmx/decode/decode.h"

#include <stdarg.h>

#include "arch/bits.h"
#include "arch/exceptions.h"
#include "drivers/fmt.h"
#include "vmx/decode/exit_reasons.h"

/* ---- Output: append to a bounded buffer, counting what did not fit, like snprintf ---- */

struct out {
	char *buf;
	size_t n;
	size_t len; /* length the whole text has so far */
};

static struct out out_start(char *buf, size_t n)
{
	if (n)
		buf[0] = '\0';
	return (struct out){ buf, n, 0 };
}

__attribute__((format(printf, 2, 3))) static void out_add(struct out *o, const char *fmt, ...)
{
	size_t room = o->len < o->n ? o->n - o->len : 0;
	va_list ap;

	va_start(ap, fmt);
	o->len += fmt_vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
}

/* Adds " | " before every item of a list but the first. */
static void out_sep(struct out *o, bool *first)
{
	if (!*first)
		out_add(o, " | ");
	*first = false;
}

/* ---- Names ---- */

const char *gpr_name(unsigned reg)
{
	static const char *const names[16] = {
		"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
		"r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
	};
	return reg < 16 ? names[reg] : "?";
}

/* SDM Vol. 3A, 6.15 "Exception and Interrupt Reference", from arch/exceptions.def. */
const char *exception_name(unsigned vector)
{
	return exception_mnemonic(vector);
}

static const char *segment_name(unsigned seg)
{
	static const char *const names[8] = { "es", "cs", "ss", "ds", "fs", "gs", "seg6", "seg7" };
	return names[seg & 7];
}

/* ---- Exit reason ---- */

struct exit_reason_info exit_reason_decode(uint32_t v)
{
	return (struct exit_reason_info){
		.basic = (uint16_t)bits_get(v, 15, 0),
		.bus_lock_detected = bit_test(v, 26),
		.enclave_mode = bit_test(v, 27),
		.pending_mtf = bit_test(v, 28),
		.from_vmx_root = bit_test(v, 29),
		.failed_vmentry = bit_test(v, 31),
	};
}

size_t exit_reason_format(char *buf, size_t n, uint32_t v)
{
	struct exit_reason_info r = exit_reason_decode(v);
	struct out o = out_start(buf, n);

	out_add(&o, "%s (%u)", exit_reason_name(r.basic), (unsigned)r.basic);
	if (r.bus_lock_detected)
		out_add(&o, ", bus lock detected");
	if (r.enclave_mode)
		out_add(&o, ", enclave mode");
	if (r.pending_mtf)
		out_add(&o, ", pending MTF VM exit");
	if (r.from_vmx_root)
		out_add(&o, ", from VMX root operation");
	if (r.failed_vmentry)
		out_add(&o, ", VM-entry failure");
	return o.len;
}

/* ---- Control-register accesses ---- */

size_t cr_access_qual_format(char *buf, size_t n, uint64_t q)
{
	struct cr_access_qual c = cr_access_qual_decode(q);

	switch (c.access_type) {
	case CR_ACCESS_MOV_TO_CR:
		return fmt_snprintf(buf, n, "mov to cr%u from %s", c.cr, gpr_name(c.gpr));
	case CR_ACCESS_MOV_FROM_CR:
		return fmt_snprintf(buf, n, "mov from cr%u to %s", c.cr, gpr_name(c.gpr));
	case CR_ACCESS_CLTS:
		return fmt_snprintf(buf, n, "clts");
	default:
		return fmt_snprintf(buf, n, "lmsw 0x%04x from %s", (unsigned)c.lmsw_source,
				    c.lmsw_memory ? "memory" : "register");
	}
}

/* ---- MOV DR ---- */

struct dr_access_qual dr_access_qual_decode(uint64_t q)
{
	return (struct dr_access_qual){
		.dr = (unsigned)bits_get(q, 2, 0),
		.from_dr = bit_test(q, 4),
		.gpr = (unsigned)bits_get(q, 11, 8),
	};
}

size_t dr_access_qual_format(char *buf, size_t n, uint64_t q)
{
	struct dr_access_qual d = dr_access_qual_decode(q);

	if (d.from_dr)
		return fmt_snprintf(buf, n, "mov from dr%u to %s", d.dr, gpr_name(d.gpr));
	return fmt_snprintf(buf, n, "mov to dr%u from %s", d.dr, gpr_name(d.gpr));
}

/* ---- I/O instructions ---- */

struct io_qual io_qual_decode(uint64_t q)
{
	unsigned size_code = (unsigned)bits_get(q, 2, 0);

	return (struct io_qual){
		.size_code = size_code,
		/* "0 = 1-byte, 1 = 2-byte, 3 = 4-byte; other values not used" */
		.bytes = size_code == 0 ? 1 : size_code == 1 ? 2 : size_code == 3 ? 4 : 0,
		.in = bit_test(q, 3),
		.string = bit_test(q, 4),
		.rep = bit_test(q, 5),
		.imm = bit_test(q, 6),
		.port = (uint16_t)bits_get(q, 31, 16),
	};
}

size_t io_qual_format(char *buf, size_t n, uint64_t q)
{
	struct io_qual io = io_qual_decode(q);
	struct out o = out_start(buf, n);

	out_add(&o, "%s%s%s ", io.rep ? "rep " : "", io.in ? "in" : "out", io.string ? "s" : "");
	if (io.bytes)
		out_add(&o, "%u byte%s", io.bytes, io.bytes == 1 ? "" : "s");
	else
		out_add(&o, "size code %u", io.size_code);
	out_add(&o, " %s port 0x%x (%s)", io.in ? "from" : "to", (unsigned)io.port,
		io.imm ? "imm" : "dx");
	return o.len;
}

/* ---- EPT violations ---- */


static char flag(bool set, char c)
{
	return set ? c : '-';
}

/* Bits 9..16 are printed only when set: most processors leave them 0. */
static void ept_violation_extras(struct out *o, const struct ept_violation_qual *e)
{
	if (e->user_la)
		out_add(o, " user-mode");
	if (e->writable_la)
		out_add(o, " writable-la");
	if (e->xd_la)
		out_add(o, " execute-disable-la");
	if (e->shadow_stack)
		out_add(o, " shadow-stack");
	if (e->sss)
		out_add(o, " supervisor-shadow-stack");
	if (e->guest_paging_verify)
		out_add(o, " guest-paging-verification");
	if (e->async)
		out_add(o, " asynchronous");
}

size_t ept_violation_qual_format(char *buf, size_t n, uint64_t q)
{
	struct ept_violation_qual e = ept_violation_qual_decode(q);
	struct out o = out_start(buf, n);

	out_add(&o, "access=%c%c%c allowed=%c%c%c", flag(e.read, 'r'), flag(e.write, 'w'),
		flag(e.fetch, 'x'), flag(e.readable, 'r'), flag(e.writable, 'w'),
		flag(e.executable, 'x'));
	if (e.user_executable)
		out_add(&o, " user-exec");
	out_add(&o, " gla_valid=%u", (unsigned)e.gla_valid);
	/* "If bit 7 is 1, bit 8 ...; if bit 7 is 0, this bit is reserved" */
	if (e.gla_valid)
		out_add(&o, " translation=%u", (unsigned)e.translation);
	out_add(&o, " nmi_unblocking=%u", (unsigned)e.nmi_unblocking);
	ept_violation_extras(&o, &e);
	return o.len;
}

/* ---- Task switches ---- */

struct task_switch_qual task_switch_qual_decode(uint64_t q)
{
	return (struct task_switch_qual){
		.selector = (uint16_t)bits_get(q, 15, 0),
		.source = (unsigned)bits_get(q, 31, 30),
	};
}

size_t task_switch_qual_format(char *buf, size_t n, uint64_t q)
{
	static const char *const sources[4] = { "call", "iret", "jmp", "task gate in IDT" };
	struct task_switch_qual t = task_switch_qual_decode(q);

	return fmt_snprintf(buf, n, "to selector 0x%04x via %s", (unsigned)t.selector,
			    sources[t.source & 3]);
}

/* ---- APIC accesses ---- */

struct apic_access_qual apic_access_qual_decode(uint64_t q)
{
	return (struct apic_access_qual){
		.offset = (unsigned)bits_get(q, 11, 0),
		.access_type = (unsigned)bits_get(q, 15, 12),
		.async = bit_test(q, 16),
	};
}

static const char *apic_access_type_name(unsigned type)
{
	switch (type) {
	case 0:
		return "linear read";
	case 1:
		return "linear write";
	case 2:
		return "linear fetch";
	case 3:
		return "linear access during event delivery";
	case 10:
		return "guest-physical access during event delivery";
	case 15:
		return "guest-physical access for fetch or execution";
	default:
		return NULL;
	}
}

size_t apic_access_qual_format(char *buf, size_t n, uint64_t q)
{
	struct apic_access_qual a = apic_access_qual_decode(q);
	const char *type = apic_access_type_name(a.access_type);
	struct out o = out_start(buf, n);

	if (type)
		out_add(&o, "%s", type);
	else
		out_add(&o, "access type %u", a.access_type);
	/* The offset is defined only for linear accesses (types 0 to 3). */
	if (a.access_type <= 3)
		out_add(&o, " at offset 0x%03x", a.offset);
	if (a.async)
		out_add(&o, " asynchronous");
	return o.len;
}

/* ---- Exit qualification by exit reason ---- */

/* Reasons whose exit qualification is the instruction's displacement field (28.2.1 "Basic
 * VM-Exit Information": INVEPT, INVPCID, INVVPID, LGDT, LIDT, LLDT, LTR, SGDT, SIDT, SLDT, STR,
 * VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMXON, XRSTORS, XSAVES). */
static bool qual_is_displacement(uint32_t basic)
{
	switch (basic) {
	case EXIT_REASON_INVEPT:
	case EXIT_REASON_INVPCID:
	case EXIT_REASON_INVVPID:
	case EXIT_REASON_GDTR_IDTR:
	case EXIT_REASON_LDTR_TR:
	case EXIT_REASON_VMCLEAR:
	case EXIT_REASON_VMPTRLD:
	case EXIT_REASON_VMPTRST:
	case EXIT_REASON_VMREAD:
	case EXIT_REASON_VMWRITE:
	case EXIT_REASON_VMXON:
	case EXIT_REASON_XRSTORS:
	case EXIT_REASON_XSAVES:
		return true;
	default:
		return false;
	}
}

size_t decode_exit_qualification(char *buf, size_t n, uint32_t basic_reason, uint64_t qual)
{
	unsigned long long q = qual;

	switch (basic_reason) {
	case EXIT_REASON_CR_ACCESS:
		return cr_access_qual_format(buf, n, qual);
	case EXIT_REASON_DR_ACCESS:
		return dr_access_qual_format(buf, n, qual);
	case EXIT_REASON_IO_INSTRUCTION:
		return io_qual_format(buf, n, qual);
	case EXIT_REASON_EPT_VIOLATION:
		return ept_violation_qual_format(buf, n, qual);
	case EXIT_REASON_TASK_SWITCH:
		return task_switch_qual_format(buf, n, qual);
	case EXIT_REASON_APIC_ACCESS:
		return apic_access_qual_format(buf, n, qual);
	case EXIT_REASON_INVLPG:
		return fmt_snprintf(buf, n, "linear address 0x%llx", q);
	case EXIT_REASON_APIC_WRITE: /* "the page offset of the write access" */
		return fmt_snprintf(buf, n, "offset 0x%03llx", q & 0xfff);
	case EXIT_REASON_SIPI: /* bits 7:0: the SIPI vector */
	case EXIT_REASON_EOI_INDUCED: /* bits 7:0: the vector of the EOI */
		return fmt_snprintf(buf, n, "vector 0x%02llx", q & 0xff);
	default:
		if (qual_is_displacement(basic_reason))
			return fmt_snprintf(buf, n, "displacement 0x%llx", q);
		return fmt_snprintf(buf, n, "0x%llx", q);
	}
}

/* ---- Event information ---- */

struct intr_info intr_info_decode(uint32_t v)
{
	return (struct intr_info){
		.vector = (uint8_t)bits_get(v, 7, 0),
		.type = (unsigned)bits_get(v, 10, 8),
		.error_code_valid = bit_test(v, 11),
		.nmi_unblocking = bit_test(v, 12),
		.valid = bit_test(v, 31),
	};
}

const char *intr_type_name(unsigned type)
{
	static const char *const names[8] = {
		[INTR_TYPE_EXT_INTR] = "external interrupt",
		[INTR_TYPE_RESERVED] = "reserved",
		[INTR_TYPE_NMI_INTR] = "NMI",
		[INTR_TYPE_HARD_EXCEPTION] = "hardware exception",
		[INTR_TYPE_SOFT_INTR] = "software interrupt",
		[INTR_TYPE_PRIV_SW_EXCEPTION] = "privileged software exception",
		[INTR_TYPE_SOFT_EXCEPTION] = "software exception",
		[INTR_TYPE_OTHER_EVENT] = "other event",
	};
	return type < 8 ? names[type] : "?";
}

static bool intr_type_is_exception(unsigned type)
{
	return type == INTR_TYPE_NMI_INTR || type == INTR_TYPE_HARD_EXCEPTION ||
	       type == INTR_TYPE_PRIV_SW_EXCEPTION || type == INTR_TYPE_SOFT_EXCEPTION;
}

size_t intr_info_format(char *buf, size_t n, uint32_t v)
{
	struct intr_info i = intr_info_decode(v);
	const char *mnemonic = exception_name(i.vector);
	struct out o = out_start(buf, n);

	if (!i.valid) {
		out_add(&o, "not valid");
		return o.len;
	}
	out_add(&o, "vector=0x%02x", (unsigned)i.vector);
	if (mnemonic && intr_type_is_exception(i.type))
		out_add(&o, " (%s)", mnemonic);
	out_add(&o, " type=%s error_code_valid=%u", intr_type_name(i.type),
		(unsigned)i.error_code_valid);
	if (i.nmi_unblocking)
		out_add(&o, " nmi_unblocking=1");
	return o.len;
}

/* ---- Segment access rights ---- */


size_t seg_ar_format(char *buf, size_t n, uint32_t v)
{
	struct seg_ar a = seg_ar_decode(v);
	struct out o = out_start(buf, n);

	out_add(&o, "type=0x%x S=%u DPL=%u P=%u", a.type, a.s, a.dpl, a.p);
	if (a.avl)
		out_add(&o, " AVL=1");
	out_add(&o, " L=%u D/B=%u G=%u", a.l, a.db, a.g);
	if (a.unusable)
		out_add(&o, " unusable");
	return o.len;
}

/* ---- Interruptibility state ---- */

struct interruptibility interruptibility_decode(uint32_t v)
{
	return (struct interruptibility){
		.sti = bit_test(v, 0),
		.mov_ss = bit_test(v, 1),
		.smi = bit_test(v, 2),
		.nmi = bit_test(v, 3),
		.enclave = bit_test(v, 4),
	};
}

size_t interruptibility_format(char *buf, size_t n, uint32_t v)
{
	static const char *const names[5] = {
		"Blocking by STI", "Blocking by MOV SS", "Blocking by SMI", "Blocking by NMI",
		"Enclave interruption",
	};
	struct out o = out_start(buf, n);
	bool first = true;

	for (unsigned bit = 0; bit < 32; bit++) {
		if (!bit_test(v, bit))
			continue;
		out_sep(&o, &first);
		if (bit < 5)
			out_add(&o, "%s", names[bit]);
		else
			out_add(&o, "bit%u", bit);
	}
	if (first)
		out_add(&o, "none");
	return o.len;
}

const char *activity_state_name(uint32_t state)
{
	static const char *const names[4] = {
		[GUEST_ACTIVITY_ACTIVE] = "Active",
		[GUEST_ACTIVITY_HLT] = "HLT",
		[GUEST_ACTIVITY_SHUTDOWN] = "Shutdown",
		[GUEST_ACTIVITY_WAIT_SIPI] = "Wait-for-SIPI",
	};
	return state < 4 ? names[state] : "unknown";
}

/* ---- EPT pointer ---- */

struct eptp eptp_decode(uint64_t v)
{
	return (struct eptp){
		.memtype = (unsigned)bits_get(v, 2, 0),
		.levels = (unsigned)bits_get(v, 5, 3) + 1,
		.ad = bit_test(v, 6),
		.sss = bit_test(v, 7),
		.root = v & bits_mask(63, 12),
	};
}

size_t eptp_format(char *buf, size_t n, uint64_t v)
{
	struct eptp e = eptp_decode(v);
	struct out o = out_start(buf, n);

	/* "0 = Uncacheable (UC), 6 = Write-back (WB); other values are reserved" */
	if (e.memtype == 0 || e.memtype == 6)
		out_add(&o, "memtype=%s", e.memtype ? "WB" : "UC");
	else
		out_add(&o, "memtype=%u", e.memtype);
	out_add(&o, " levels=%u ad=%u", e.levels, (unsigned)e.ad);
	if (e.sss)
		out_add(&o, " sss=1");
	out_add(&o, " root=0x%llx", (unsigned long long)e.root);
	return o.len;
}

/* ---- VMX instruction information ---- */

struct vmx_insn_info vmx_insn_info_decode(uint32_t v)
{
	return (struct vmx_insn_info){
		.scaling = (unsigned)bits_get(v, 1, 0),
		.reg1 = (unsigned)bits_get(v, 6, 3),
		.address_size = (unsigned)bits_get(v, 9, 7),
		.is_register = bit_test(v, 10),
		.operand_size = (unsigned)bits_get(v, 12, 11),
		.segment = (unsigned)bits_get(v, 17, 15),
		.index = (unsigned)bits_get(v, 21, 18),
		.index_invalid = bit_test(v, 22),
		.base = (unsigned)bits_get(v, 26, 23),
		.base_invalid = bit_test(v, 27),
		.identity = (unsigned)bits_get(v, 29, 28),
		.reg2 = (unsigned)bits_get(v, 31, 28),
	};
}

/* 0 16-bit, 1 32-bit, 2 64-bit; anything else is not used. */
static unsigned size_bits(unsigned code)
{
	return code <= 2 ? 16u << code : 0;
}

/* "mem=ds:[rbx+rsi*4] asize=64": segment, base and scaled index; the displacement is in the
 * exit qualification. "[disp]" when neither base nor index is used. */
static void insn_mem(struct out *o, const struct vmx_insn_info *i)
{
	out_add(o, "mem=%s:[", segment_name(i->segment));
	if (!i->base_invalid)
		out_add(o, "%s", gpr_name(i->base));
	if (!i->index_invalid)
		out_add(o, "%s%s*%u", i->base_invalid ? "" : "+", gpr_name(i->index),
			1u << i->scaling);
	if (i->base_invalid && i->index_invalid)
		out_add(o, "disp");
	out_add(o, "] asize=%u", size_bits(i->address_size));
}

/* Register or memory operand, by bit 10. */
static void insn_operand(struct out *o, const struct vmx_insn_info *i)
{
	if (i->is_register)
		out_add(o, "reg1=%s", gpr_name(i->reg1));
	else
		insn_mem(o, i);
}

static void insn_descriptor_table(struct out *o, const struct vmx_insn_info *i)
{
	static const char *const ids[4] = { "sgdt", "sidt", "lgdt", "lidt" };

	out_add(o, "%s ", ids[i->identity]);
	insn_mem(o, i);
	out_add(o, " osize=%u", (i->operand_size & 1) ? 32u : 16u);
}

static void insn_ldtr_tr(struct out *o, const struct vmx_insn_info *i)
{
	static const char *const ids[4] = { "sldt", "str", "lldt", "ltr" };

	out_add(o, "%s ", ids[i->identity]);
	insn_operand(o, i);
}

size_t vmx_insn_info_format(char *buf, size_t n, uint32_t basic_reason, uint32_t v)
{
	struct vmx_insn_info i = vmx_insn_info_decode(v);
	struct out o = out_start(buf, n);

	switch (basic_reason) {
	case EXIT_REASON_VMREAD:
	case EXIT_REASON_VMWRITE:
		insn_operand(&o, &i);
		out_add(&o, " reg2=%s", gpr_name(i.reg2));
		break;
	case EXIT_REASON_INVEPT:
	case EXIT_REASON_INVVPID:
	case EXIT_REASON_INVPCID:
		insn_mem(&o, &i);
		out_add(&o, " reg2=%s", gpr_name(i.reg2));
		break;
	case EXIT_REASON_VMCLEAR:
	case EXIT_REASON_VMPTRLD:
	case EXIT_REASON_VMPTRST:
	case EXIT_REASON_VMXON:
	case EXIT_REASON_XSAVES:
	case EXIT_REASON_XRSTORS:
		insn_mem(&o, &i);
		break;
	case EXIT_REASON_GDTR_IDTR:
		insn_descriptor_table(&o, &i);
		break;
	case EXIT_REASON_LDTR_TR:
		insn_ldtr_tr(&o, &i);
		break;
	case EXIT_REASON_RDRAND:
	case EXIT_REASON_RDSEED:
		out_add(&o, "reg1=%s osize=%u", gpr_name(i.reg1), size_bits(i.operand_size));
		break;
	case EXIT_REASON_IO_INSTRUCTION: /* INS/OUTS; the segment is defined for OUTS only */
		out_add(&o, "asize=%u seg=%s", size_bits(i.address_size), segment_name(i.segment));
		break;
	default:
		out_add(&o, "0x%08x", (unsigned)v);
	}
	return o.len;
}

/* ---- Controls and bitmaps ---- */

size_t decode_controls(char *buf, size_t n, enum vmx_ctrl_group g, uint64_t value)
{
	struct out o = out_start(buf, n);
	bool first = true;

	for (unsigned bit = 0; bit < 64; bit++) {
		if (!bit_test(value, bit))
			continue;
		const char *text = vmx_ctrl_text(g, bit);

		out_sep(&o, &first);
		if (text)
			out_add(&o, "%s", text);
		else
			out_add(&o, "bit%u", bit);
	}
	if (first)
		out_add(&o, "none");
	return o.len;
}

size_t exception_bitmap_format(char *buf, size_t n, uint32_t bitmap)
{
	struct out o = out_start(buf, n);
	bool first = true;

	for (unsigned vector = 0; vector < 32; vector++) {
		if (!bit_test(bitmap, vector))
			continue;
		const char *name = exception_name(vector);

		out_sep(&o, &first);
		if (name)
			out_add(&o, "%s", name);
		else
			out_add(&o, "bit%u", vector);
	}
	if (first)
		out_add(&o, "none");
	return o.len;
}
