/* Pure decoder of the stores that reach a memory-mapped device page (vmx/decode/mmio_decode.h). */
#include "vmx/decode/mmio_decode.h"

/* Opcodes: bit 0 is the w bit, clear for the byte forms (SDM Vol. 2D, B.1.4.3
 * "Operand Size Bit (w)"). */
enum {
	OP_XCHG_RM8 = 0x86,
	OP_XCHG_RM = 0x87,
	OP_MOV_RM8_R8 = 0x88,
	OP_MOV_RM_R = 0x89,
	OP_MOV_MOFFS8_AL = 0xA2,
	OP_MOV_MOFFS_RAX = 0xA3,
	OP_MOV_RM8_IMM8 = 0xC6,
	OP_MOV_RM_IMM = 0xC7,
};

/* REX bits (SDM Vol. 2A, 2.2.1.1 "Encoding"). */
enum {
	REX_W = 0x08, /* bit 3: 64-bit operand size */
	REX_R = 0x04, /* bit 2: extends ModRM.reg */
};

/* What the prefixes say. */
struct prefixes {
	unsigned len;  /* bytes before the opcode */
	bool opsize;   /* 0x66 */
	bool adsize;   /* 0x67 */
	bool lock;     /* 0xF0 */
	int seg;       /* the last segment override (Sreg number), -1 for none */
	bool rex;      /* a REX prefix immediately before the opcode */
	uint8_t rex_bits; /* its low four bits: W R X B */
};

/* The decode so far: the mode, the prefixes, the bytes. */
struct decoder {
	const uint8_t *bytes;
	size_t n;
	enum mmio_cpu_mode mode;
	struct prefixes p;
};

/* Whether bytes [0, end) can be read: an instruction longer than 15 bytes is no
 * instruction at all, whatever n is; otherwise it needs end bytes. */
static enum mmio_decode_status need(const struct decoder *d, unsigned end)
{
	if (end > MMIO_INSN_MAX_LEN)
		return MMIO_DECODE_UNSUPPORTED;
	if (end > d->n)
		return MMIO_DECODE_TRUNCATED;
	return MMIO_DECODE_OK;
}

/* The legacy prefixes of groups 1 to 4 (SDM Vol. 2A, 2.1.1 "Instruction Prefixes"). */
static bool is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0xF0: case 0xF2: case 0xF3:			/* group 1: LOCK, REPNE, REP */
	case 0x26: case 0x2E: case 0x36: case 0x3E: case 0x64: case 0x65: /* group 2 */
	case 0x66:						/* group 3: operand size */
	case 0x67:						/* group 4: address size */
		return true;
	default:
		return false;
	}
}

/* The segment a group 2 prefix selects, in Sreg order; -1 for any other byte. */
static int segment_override(uint8_t b)
{
	switch (b) {
	case 0x26: return 0;
	case 0x2E: return 1;
	case 0x36: return 2;
	case 0x3E: return 3;
	case 0x64: return 4;
	case 0x65: return 5;
	default: return -1;
	}
}

/* Reads the prefixes up to the opcode. REX (40-4F) exists in 64-bit mode only (elsewhere
 * those bytes are INC and DEC) and counts only right before the opcode: "the REX prefix
 * byte must immediately precede the opcode byte or the escape opcode byte (0FH) ...
 * Other placements are ignored" (SDM Vol. 2A, 2.2.1 "REX Prefixes"). */
static enum mmio_decode_status decode_prefixes(struct decoder *d)
{
	struct prefixes *p = &d->p;

	for (unsigned i = 0;; i++) {
		enum mmio_decode_status st = need(d, i + 1);
		uint8_t b;

		if (st != MMIO_DECODE_OK)
			return st;
		b = d->bytes[i];
		if (d->mode == MMIO_MODE_64 && (b & 0xF0) == 0x40) {
			p->rex = true;
			p->rex_bits = b & 0x0F;
		} else if (is_legacy_prefix(b)) {
			p->rex = false; /* a REX before a legacy prefix is ignored */
			p->rex_bits = 0;
			p->opsize |= b == 0x66;
			p->adsize |= b == 0x67;
			p->lock |= b == 0xF0;
			if (segment_override(b) >= 0)
				p->seg = segment_override(b);
		} else {
			p->len = i;
			return MMIO_DECODE_OK;
		}
	}
}

/* SDM Vol. 1, 3.6 "Operand-Size and Address-Size Attributes" and 3.6.1 "Operand Size
 * and Address Size in 64-Bit Mode": 0x66 toggles between 16 and 32 bits; REX.W selects
 * 64 bits. "Like the 66H size prefix, 64-bit operand size override has no effect on
 * byte-specific operations. For non-byte operations: if a 66H prefix is used with
 * prefix (REX.W = 1), 66H is ignored" (SDM Vol. 2A, 2.2.1.2 "More on REX Prefix
 * Fields"). */
static unsigned operand_size(const struct decoder *d, uint8_t opcode)
{
	if ((opcode & 1) == 0)
		return 1;
	if (d->mode == MMIO_MODE_64 && (d->p.rex_bits & REX_W))
		return 8;
	if (d->mode == MMIO_MODE_16)
		return d->p.opsize ? 4 : 2;
	return d->p.opsize ? 2 : 4;
}

/* Address size in bytes: 64-bit mode 8 (0x67: 4); 32-bit 4 (0x67: 2); 16-bit 2
 * (0x67: 4). */
static unsigned address_size(const struct decoder *d)
{
	if (d->mode == MMIO_MODE_64)
		return d->p.adsize ? 4 : 8;
	if (d->mode == MMIO_MODE_32)
		return d->p.adsize ? 2 : 4;
	return d->p.adsize ? 4 : 2;
}

static uint64_t read_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = bytes; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

/* SDM Vol. 2A, 2.1.5 "Addressing-Mode Encoding of ModR/M and SIB Bytes": a SIB byte
 * follows ModRM when r/m is 100 with 32- or 64-bit addressing (Table 2-2 "32-Bit
 * Addressing Forms with the ModR/M Byte"); 16-bit addressing has none (Table 2-1
 * "16-Bit Addressing Forms with the ModR/M Byte"). For a memory operand (mod != 3). */
static bool has_sib(uint8_t modrm, unsigned asize)
{
	return asize != 2 && (modrm & 7) == 4;
}

/* The bytes a memory operand's ModRM adds after itself: SIB and displacement (same
 * tables, and Table 2-3 "32-Bit Addressing Forms with the SIB Byte"). The raw 3-bit
 * fields decide, whatever REX.B says: mod 00 with r/m 101 is disp32 (RIP-relative in
 * 64-bit mode), and so is mod 00 with SIB base 101 (no base register), for R13 as for
 * RBP (SDM Vol. 2A, 2.2.1.2 "More on REX Prefix Fields", Table "Special Cases of REX
 * Encodings"). sib is only looked at when has_sib(). */
static unsigned modrm_extra(uint8_t modrm, uint8_t sib, unsigned asize)
{
	unsigned mod = modrm >> 6, rm = modrm & 7;

	if (asize == 2) {
		if (mod == 0)
			return rm == 6 ? 2 : 0;
		return mod == 1 ? 1 : 2;
	}
	if (has_sib(modrm, asize)) {
		if (mod == 0)
			return (sib & 7) == 5 ? 1 + 4 : 1;
		return 1 + (mod == 1 ? 1 : 4);
	}
	if (mod == 0)
		return rm == 5 ? 4 : 0;
	return mod == 1 ? 1 : 4;
}

/* The immediate of C6/C7, `bytes` long (1, 2 or 4). With REX.W, C7 /0 is "Move imm32
 * sign extended to 64-bits to r/m64" (SDM Vol. 2B, "MOV"). */
static uint64_t immediate(const uint8_t *p, unsigned bytes, unsigned size)
{
	uint64_t v = read_le(p, bytes);

	if (size == 8)
		v = (v ^ 0x80000000ULL) - 0x80000000ULL;
	return v;
}

/* The source register of 88/89/86/87: ModRM.reg, extended by REX.R. In a byte operation
 * 4-7 are AH CH DH BH without REX and SPL BPL SIL DIL with one (SDM Vol. 1, 3.4.1.1
 * "General-Purpose Registers in 64-Bit Mode"). */
static void source_register(const struct decoder *d, uint8_t modrm, struct mmio_insn *in)
{
	in->src = MMIO_SRC_REG;
	in->reg = (modrm >> 3 & 7) | ((d->p.rex_bits & REX_R) ? 8 : 0);
	if (in->size == 1 && !d->p.rex && in->reg >= 4) {
		in->high8 = true;
		in->reg -= 4;
	}
}

/* REX bits X and B (SDM Vol. 2A, 2.2.1.1 "Encoding"). */
#define REX_X 0x02
#define REX_B 0x01

static int64_t read_disp(const struct decoder *d, unsigned at, unsigned bytes)
{
	uint64_t v = read_le(&d->bytes[at], bytes);
	uint64_t sign = 1ULL << (8 * bytes - 1);
	return (int64_t)((v ^ sign) - sign);
}

/* The operand's parts, from ModRM (and SIB) at `at`-1 and the displacement after them:
 * Table 2-1 "16-Bit Addressing Forms with the ModR/M Byte", Table 2-2 "32-Bit Addressing
 * Forms with the ModR/M Byte", Table 2-3 "32-Bit Addressing Forms with the SIB Byte"
 * (SDM Vol. 2A, 2.1.5). The default segment is SS for a BP- or SP-based address (Vol. 1,
 * 3.7.4 "Specifying a Segment Selector", Table "Default Segment Selection Rules"),
 * DS otherwise; an override prefix replaces it. Called once the bytes are known to be
 * there (the length check comes first in the caller). */
static void memory_operand(const struct decoder *d, uint8_t modrm, uint8_t sib, unsigned at, unsigned asize,
			   struct mmio_mem *m)
{
	static const int base16[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };   /* BX BX BP BP SI DI BP BX */
	static const int index16[8] = { 6, 7, 6, 7, -1, -1, -1, -1 }; /* SI DI SI DI */
	unsigned mod = modrm >> 6, rm = modrm & 7, extra = modrm_extra(modrm, sib, asize);
	bool ss = false;

	*m = (struct mmio_mem){ .base = -1, .index = -1, .scale = 1, .asize = asize };
	if (asize == 2) {
		bool disp_only = mod == 0 && rm == 6;
		m->base = disp_only ? -1 : base16[rm];
		m->index = disp_only ? -1 : index16[rm];
		ss = m->base == 5;
		m->disp = extra ? read_disp(d, at, extra) : 0;
	} else if (has_sib(modrm, asize)) {
		unsigned b = sib & 7, i = (sib >> 3 & 7) | ((d->p.rex_bits & REX_X) ? 8 : 0);
		m->scale = 1u << (sib >> 6);
		m->index = i == 4 ? -1 : (int)i;
		m->base = (mod == 0 && b == 5) ? -1 : (int)(b | ((d->p.rex_bits & REX_B) ? 8 : 0));
		ss = m->base == 4 || m->base == 5;
		m->disp = extra > 1 ? read_disp(d, at + 1, extra - 1) : 0;
	} else if (mod == 0 && rm == 5) {
		m->rip_relative = d->mode == MMIO_MODE_64;
		m->disp = read_disp(d, at, 4);
	} else {
		m->base = (int)(rm | ((d->p.rex_bits & REX_B) ? 8 : 0));
		ss = m->base == 4 || m->base == 5;
		m->disp = extra ? read_disp(d, at, extra) : 0;
	}
	m->seg = d->p.seg >= 0 ? (unsigned)d->p.seg : ss ? 2 : 3;
}

/* 88, 89, 86, 87, C6 /0, C7 /0: opcode, ModRM, [SIB], [displacement], [immediate]. */
static enum mmio_decode_status decode_modrm_form(const struct decoder *d, struct mmio_insn *in)
{
	bool has_imm = in->opcode == OP_MOV_RM8_IMM8 || in->opcode == OP_MOV_RM_IMM;
	unsigned at = d->p.len + 1, asize = address_size(d), imm_bytes = 0;
	enum mmio_decode_status st = need(d, at + 1);
	uint8_t modrm;

	if (st != MMIO_DECODE_OK)
		return st;
	modrm = d->bytes[at];
	if (modrm >> 6 == 3 || (has_imm && (modrm >> 3 & 7) != 0))
		return MMIO_DECODE_UNSUPPORTED; /* a register operand; C6/C7 /1 to /7 */
	if (has_sib(modrm, asize) && (st = need(d, at + 2)) != MMIO_DECODE_OK)
		return st;
	uint8_t sib = has_sib(modrm, asize) ? d->bytes[at + 1] : 0;
	unsigned after_modrm = at + 1;
	at += 1 + modrm_extra(modrm, sib, asize);
	if (has_imm)
		imm_bytes = in->size < 4 ? in->size : 4;
	in->len = at + imm_bytes;
	if ((st = need(d, in->len)) != MMIO_DECODE_OK)
		return st;
	memory_operand(d, modrm, sib, after_modrm, asize, &in->mem);
	if (has_imm) {
		in->src = MMIO_SRC_IMM;
		in->imm = immediate(&d->bytes[at], imm_bytes, in->size);
	} else {
		source_register(d, modrm, in);
	}
	return MMIO_DECODE_OK;
}

/* A2, A3: "MOV moffs8, AL" and "MOV moffs16/32/64, AX/EAX/RAX". The offset is as wide as
 * the address size; in 64-bit mode 8 bytes by default (SDM Vol. 2A, 2.2.1.4 "Direct
 * Memory-Offset MOVs"). */
static enum mmio_decode_status decode_moffs(const struct decoder *d, struct mmio_insn *in)
{
	in->src = MMIO_SRC_REG;
	in->reg = 0;
	in->len = d->p.len + 1 + address_size(d);
	enum mmio_decode_status st = need(d, in->len);
	if (st != MMIO_DECODE_OK)
		return st;
	in->mem = (struct mmio_mem){ .absolute = true, .base = -1, .index = -1, .scale = 1,
				     .disp = (int64_t)read_le(&d->bytes[d->p.len + 1], address_size(d)),
				     .asize = address_size(d), .seg = d->p.seg >= 0 ? (unsigned)d->p.seg : 3 };
	return MMIO_DECODE_OK;
}

enum mmio_decode_status mmio_decode_write(const uint8_t *bytes, size_t n, enum mmio_cpu_mode mode,
					  struct mmio_insn *out)
{
	struct decoder d = { .bytes = bytes, .n = n, .mode = mode, .p = { .seg = -1 } };
	struct mmio_insn in = { 0 };
	enum mmio_decode_status st;

	*out = in;
	if (mode != MMIO_MODE_16 && mode != MMIO_MODE_32 && mode != MMIO_MODE_64)
		return MMIO_DECODE_UNSUPPORTED;
	if ((st = decode_prefixes(&d)) != MMIO_DECODE_OK)
		return st;
	in.opcode = bytes[d.p.len];
	in.lock = d.p.lock;
	in.size = operand_size(&d, in.opcode);
	switch (in.opcode) {
	case OP_XCHG_RM8:
	case OP_XCHG_RM:
		in.xchg = true;
		/* fall through */
	case OP_MOV_RM8_R8:
	case OP_MOV_RM_R:
	case OP_MOV_RM8_IMM8:
	case OP_MOV_RM_IMM:
		st = decode_modrm_form(&d, &in);
		break;
	case OP_MOV_MOFFS8_AL:
	case OP_MOV_MOFFS_RAX:
		st = decode_moffs(&d, &in);
		break;
	default:
		st = MMIO_DECODE_UNSUPPORTED;
		break;
	}
	if (st == MMIO_DECODE_OK)
		*out = in;
	return st;
}

const char *mmio_insn_name(const struct mmio_insn *insn)
{
	switch (insn ? insn->opcode : 0) {
	case OP_MOV_RM8_R8:
	case OP_MOV_RM_R:
		return "mov r/m, r";
	case OP_MOV_RM8_IMM8:
	case OP_MOV_RM_IMM:
		return "mov r/m, imm";
	case OP_XCHG_RM8:
	case OP_XCHG_RM:
		return "xchg";
	case OP_MOV_MOFFS8_AL:
	case OP_MOV_MOFFS_RAX:
		return "mov moffs, rAX";
	default:
		return "unsupported";
	}
}

const char *mmio_verdict_name(enum mmio_verdict v)
{
	switch (v) {
	case MMIO_EMULATE: return "emulate";
	case MMIO_REFUSE_EVENT_DELIVERY: return "event delivery";
	case MMIO_REFUSE_NOT_LINEAR: return "not a linear access (paging-structure update)";
	case MMIO_REFUSE_NOT_WRITE: return "not a data write";
	case MMIO_REFUSE_UNDECODED: return "an instruction vmxray does not decode";
	case MMIO_REFUSE_LOCK_UD: return "LOCK on MOV (#UD)";
	case MMIO_REFUSE_CROSSES_PAGE: return "a store past the page's end";
	case MMIO_REFUSE_OTHER_ADDRESS: return "the instruction at RIP stores elsewhere (changed since the exit?)";
	default: return "?";
	}
}
