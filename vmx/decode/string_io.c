/* Pure arithmetic of I/O-instruction emulation (vmx/decode/string_io.h). */
#include "vmx/decode/string_io.h"

int io_port_lane(uint16_t first, unsigned bytes, uint16_t port)
{
	uint16_t lane = (uint16_t)(port - first);
	return lane < bytes ? (int)lane : -1;
}

uint64_t string_io_asize_mask(unsigned asize)
{
	if (asize == STRING_IO_ASIZE_16)
		return 0xFFFFULL;
	if (asize == STRING_IO_ASIZE_32)
		return 0xFFFFFFFFULL;
	return ~0ULL;
}

uint64_t string_io_reg_write(uint64_t old, uint64_t value, unsigned asize)
{
	uint64_t m = string_io_asize_mask(asize);
	if (asize == STRING_IO_ASIZE_16)
		return (old & ~m) | (value & m);
	return value & m;
}

/* "The (E)SI/(E)DI register is incremented or decremented automatically according to
 * the setting of the DF flag ... by 1 for byte operations, by 2 for word operations,
 * or by 4 for doubleword operations" (SDM Vol. 2B, INS and OUTS, Description). */
static uint64_t index_after(uint64_t index, unsigned asize, bool df, unsigned bytes)
{
	uint64_t moved = df ? index - bytes : index + bytes;
	return string_io_reg_write(index, moved, asize);
}

struct string_io_step string_io_step(bool rep, unsigned asize, bool df, unsigned bytes,
				     uint64_t rcx, uint64_t index)
{
	struct string_io_step s = { .transfer = true, .finished = true, .rcx = rcx, .index = index };
	uint64_t count = rcx & string_io_asize_mask(asize);

	if (rep && count == 0) {
		/* "If the count is 0, ... the instruction completes without performing any
		 * operation" (REP: the count is checked before each iteration). */
		s.transfer = false;
		return s;
	}
	s.index = index_after(index, asize, df, bytes);
	if (rep) {
		s.rcx = string_io_reg_write(rcx, count - 1, asize);
		s.finished = count == 1;
	}
	return s;
}

uint64_t string_io_linear(bool mode64, uint64_t seg_base, uint64_t index, unsigned asize)
{
	uint64_t ea = index & string_io_asize_mask(asize);
	if (mode64)
		return seg_base + ea;
	return (seg_base + ea) & 0xFFFFFFFFULL;
}

unsigned string_io_split_page(uint64_t la, unsigned len, bool mode64, unsigned *len0, uint64_t *la2)
{
	unsigned room = 4096 - (unsigned)(la & 0xFFF);

	*len0 = len > room ? room : len;
	*la2 = la + room;
	if (!mode64)
		*la2 &= 0xFFFFFFFFULL;
	return len > room ? 2 : 1;
}

bool io_out_reaches_reset_control(uint16_t first, unsigned bytes)
{
	return !(first == IO_PORT_PCI_CONFIG_ADDRESS && bytes == 4) && io_port_lane(first, bytes, IO_PORT_RESET_CONTROL) >= 0;
}

bool io_out_needs_check(uint16_t first, unsigned bytes, uint16_t pm1a_cnt)
{
	return io_out_reaches_reset_control(first, bytes) || io_port_lane(first, bytes, IO_PORT_KBC_COMMAND) >= 0 ||
	       (pm1a_cnt && io_port_lane(first, bytes, (uint16_t)(pm1a_cnt + 1)) >= 0);
}

/* Legacy prefixes (SDM Vol. 2A, 2.1.1 "Instruction Prefixes"): the segment override
 * they select, -1 for another prefix, -2 for a byte that is no prefix. */
static int prefix_segment(uint8_t b)
{
	switch (b) {
	case 0x26: return STRING_IO_SEG_ES;
	case 0x2E: return STRING_IO_SEG_CS;
	case 0x36: return STRING_IO_SEG_SS;
	case 0x3E: return STRING_IO_SEG_DS;
	case 0x64: return STRING_IO_SEG_FS;
	case 0x65: return STRING_IO_SEG_GS;
	case 0x66: case 0x67: case 0xF0: case 0xF2: case 0xF3: return -1;
	default: return -2;
	}
}

static unsigned toggled_asize(bool mode64, unsigned default_asize)
{
	if (mode64)
		return STRING_IO_ASIZE_32;
	return default_asize == STRING_IO_ASIZE_32 ? STRING_IO_ASIZE_16 : STRING_IO_ASIZE_32;
}

bool string_io_decode_prefixes(const uint8_t *insn, unsigned len, bool mode64, unsigned default_asize,
			       struct string_io_prefixes *out)
{
	bool asize_override = false;
	int seg = STRING_IO_SEG_DS;

	for (unsigned i = 0; i < len; i++) {
		uint8_t b = insn[i];
		int p = prefix_segment(b);

		if (b >= 0x6C && b <= 0x6F) {
			out->asize = asize_override ? toggled_asize(mode64, default_asize) : default_asize;
			/* INS: "ES:(E)DI ... the ES segment cannot be overridden" (SDM Vol. 2B, INS). */
			out->seg = b <= 0x6D ? STRING_IO_SEG_ES : (unsigned)seg;
			return true;
		}
		if (mode64 && b >= 0x40 && b <= 0x4F)
			continue; /* REX: no effect on INS/OUTS */
		if (p == -2)
			return false;
		if (b == 0x67)
			asize_override = true;
		if (p >= 0)
			seg = p;
	}
	return false;
}

/* ---- segment and alignment checks (vmx/decode/string_io.h) ---- */

/* Access-rights bits in the VMCS format (SDM Vol. 3C, 25.4.1 "Guest Register State",
 * Table "Format of Access Rights"): type 3:0, S 4, D/B 14, unusable 16. In a code or
 * data descriptor type bit 3 is "code", bit 2 expand-down (data) and bit 1 writable
 * (data) or readable (code). */
#define AR_TYPE_CODE       (1u << 3)
#define AR_TYPE_EXPAND_DOWN (1u << 2)
#define AR_TYPE_WR         (1u << 1)
#define AR_S               (1u << 4)
#define AR_DB              (1u << 14)
#define AR_UNUSABLE        (1u << 16)

static enum string_io_fault seg_fault(const struct string_io_operand *o)
{
	return o->seg == STRING_IO_SEG_SS ? STRING_IO_FAULT_SS : STRING_IO_FAULT_GP;
}

static bool canonical(uint64_t la, bool la57)
{
	unsigned top = la57 ? 56 : 47;
	uint64_t high = la >> top;
	return high == 0 || high == (~0ULL >> top);
}

/* 5.4 "Type Checking": no write to a code segment or a read-only data segment, no read
 * of an execute-only code segment; a system descriptor is no memory operand at all. */
static bool type_allows(uint32_t ar, bool write)
{
	if (!(ar & AR_S))
		return false;
	if (ar & AR_TYPE_CODE)
		return !write && (ar & AR_TYPE_WR);
	return !write || (ar & AR_TYPE_WR);
}

/* 5.3 "Limit Checking": the last byte of the operand within the limit; for an
 * expand-down data segment every byte above the limit, up to FFFFH (D/B = 0) or
 * FFFFFFFFH (D/B = 1). */
static bool limit_allows(uint32_t ar, uint32_t limit, uint64_t offset, unsigned bytes)
{
	uint64_t last = offset + bytes - 1;

	if (!(ar & AR_TYPE_CODE) && (ar & AR_TYPE_EXPAND_DOWN)) {
		uint64_t upper = (ar & AR_DB) ? 0xFFFFFFFFULL : 0xFFFFULL;
		return offset > limit && last <= upper;
	}
	return last <= limit;
}

static enum string_io_fault segment_fault(const struct string_io_operand *o)
{
	if (o->mode64) {
		uint64_t la = o->base + o->offset;
		bool ok = canonical(la, o->la57) && canonical(la + o->bytes - 1, o->la57);
		return ok ? STRING_IO_FAULT_NONE : seg_fault(o);
	}
	if (o->protected_mode && ((o->ar & AR_UNUSABLE) || !type_allows(o->ar, o->write)))
		return seg_fault(o);
	if (!limit_allows(o->ar, o->limit, o->offset, o->bytes))
		return seg_fault(o);
	return STRING_IO_FAULT_NONE;
}

enum string_io_fault string_io_check_operand(const struct string_io_operand *o)
{
	enum string_io_fault f = segment_fault(o);
	if (f != STRING_IO_FAULT_NONE)
		return f;
	/* "AM flag set in CR0, AC flag set in EFLAGS, current privilege level 3" and an
	 * address that is not a multiple of the operand's size. */
	uint64_t la = o->base + o->offset;
	if (o->cpl == 3 && o->cr0_am && o->rflags_ac && (la & (o->bytes - 1)))
		return STRING_IO_FAULT_AC;
	return STRING_IO_FAULT_NONE;
}
