/* Pure decoder of the instruction behind an EPT violation on a write to a memory-mapped
 * device page (the local APIC page): from up to 15 bytes fetched at the guest's CS:RIP,
 * the instruction's length (the VM-exit instruction-length field is not valid for EPT
 * violations: SDM Vol. 3C, 28.2.5 "Information for VM Exits Due to Instruction
 * Execution" lists the exits that set it), the size of the store, and where the stored
 * value comes from: a general register or an immediate.
 *
 * Decoded: MOV r/m, r (88, 89), MOV r/m, imm (C6 /0, C7 /0), XCHG r/m, r (86, 87) and
 * MOV moffs, AL/rAX (A2, A3), each with a memory operand; anything else is
 * MMIO_DECODE_UNSUPPORTED. SDM Vol. 2A, 2.1 "Instruction Format for Protected Mode,
 * Real-Address Mode, and Virtual-8086 Mode", 2.2.1 "REX Prefixes", and Vol. 2B, "MOV"
 * and "XCHG". */
#ifndef VMXRAY_VMX_MMIO_DECODE_H
#define VMXRAY_VMX_MMIO_DECODE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "The maximum length of an Intel 64 and IA-32 instruction remains 15 bytes" (SDM Vol.
 * 2A, 2.3.11 "AVX Instruction Length"); a longer one raises #GP. */
#define MMIO_INSN_MAX_LEN 15

/* Default operand and address size of the code segment (CS.D outside IA-32e mode);
 * 64 = 64-bit mode (IA-32e mode with CS.L set). */
enum mmio_cpu_mode { MMIO_MODE_16 = 16, MMIO_MODE_32 = 32, MMIO_MODE_64 = 64 };

enum mmio_src { MMIO_SRC_REG, MMIO_SRC_IMM };

struct mmio_insn {
	unsigned len;    /* bytes of the whole instruction, prefixes included */
	unsigned size;   /* bytes written: 1, 2, 4 or 8 */
	enum mmio_src src;
	unsigned reg;    /* MMIO_SRC_REG: GPR number 0-15 in SDM order (0 RAX, 1 RCX, 2 RDX,
			  * 3 RBX, 4 RSP, 5 RBP, 6 RSI, 7 RDI, 8-15 R8-R15) */
	bool high8;      /* size 1 without REX, reg 4-7 encode AH CH DH BH: the byte is bits
			  * 15:8 of reg-4 (reg is then set to 0-3) */
	uint64_t imm;    /* MMIO_SRC_IMM: the value, sign-extended to 64 bits for an imm32
			  * with REX.W; zero-extended otherwise */
	bool xchg;       /* XCHG: the register also receives the old memory value */
	uint8_t opcode;  /* the primary opcode (88 89 86 87 C6 C7 A2 A3); 0 when the decode
			  * failed */
	bool lock;       /* an F0 prefix: valid on XCHG only (MOV with LOCK is #UD) */
	struct mmio_mem {  /* the memory operand, to compute its address (mmio_insn_linear) */
		bool absolute;     /* A2/A3: the offset is the address (disp) */
		bool rip_relative; /* 64-bit mode, mod 00 r/m 101: next RIP + disp32 */
		int base, index;   /* GPR numbers 0-15, -1 for none */
		unsigned scale;    /* 1, 2, 4 or 8 */
		int64_t disp;      /* sign-extended (A2/A3: the offset, zero-extended) */
		unsigned asize;    /* address size in bytes: 2, 4 or 8 */
		unsigned seg;      /* 0 ES, 1 CS, 2 SS, 3 DS, 4 FS, 5 GS (the SDM's Sreg order) */
	} mem;
};

enum mmio_decode_status {
	MMIO_DECODE_OK,
	MMIO_DECODE_TRUNCATED,   /* needs more bytes than given */
	MMIO_DECODE_UNSUPPORTED, /* not a store we emulate (or longer than 15 bytes) */
};

/* Decodes bytes[0..n) (bytes past the 15th are never read) as an instruction of a code
 * segment of `mode`. On MMIO_DECODE_OK fills *out; otherwise *out is all zeros.
 * TRUNCATED when the instruction, as far as the n bytes tell, is a supported one that
 * goes on past them; UNSUPPORTED as soon as the bytes show it is not, or that it would
 * be longer than 15 bytes. */
enum mmio_decode_status mmio_decode_write(const uint8_t *bytes, size_t n, enum mmio_cpu_mode mode,
					  struct mmio_insn *out);

/* ---- May the write behind an EPT violation on the APIC page be emulated? ----
 *
 * The instruction is fetched after the exit, so the bytes at RIP are only a claim about
 * what caused it: the exit must be one a store of that instruction causes, and the
 * store must be one the emulation does exactly. Otherwise vmxray does not emulate (the
 * caller turns the intercept off and lets the guest run again, or reflects the fault
 * the bytes would raise). */
enum mmio_verdict {
	MMIO_EMULATE,
	MMIO_REFUSE_EVENT_DELIVERY, /* IDT-vectoring information valid: the write was part of
				     * delivering an event (a push onto a stack on the page),
				     * not the instruction at RIP (SDM Vol. 3C, 28.2.4
				     * "Information for VM Exits During Event Delivery") */
	MMIO_REFUSE_NOT_LINEAR,     /* qualification bit 7 or 8 clear: no data access to a
				     * linear address's translation (a paging-structure A/D
				     * update, SDM Vol. 3C, 28.2.1, Table "Exit Qualification for
				     * EPT Violations") */
	MMIO_REFUSE_NOT_WRITE,      /* not a data write, or an instruction fetch */
	MMIO_REFUSE_UNDECODED,      /* the bytes are no store vmxray decodes */
	MMIO_REFUSE_LOCK_UD,        /* LOCK MOV: the processor raises #UD for these bytes
				     * (SDM Vol. 2B, "LOCK"); the caller reflects #UD */
	MMIO_REFUSE_CROSSES_PAGE,   /* the store goes past the page's end (offset + size >
				     * 4096): part of it is not the APIC's */
	MMIO_REFUSE_OTHER_ADDRESS,  /* the decoded operand's linear address is not the one
				     * the exit reports: the bytes at RIP changed since (another
				     * CPU wrote them) or are not what faulted */
};

struct mmio_exit {
	bool idt_vectoring_valid;   /* IDT_VECTORING_INFO_FIELD bit 31 */
	uint64_t qual;              /* the EPT-violation exit qualification */
	unsigned offset;            /* the guest-physical address's offset in its page */
	uint64_t gla;               /* GUEST_LINEAR_ADDRESS (valid with qualification bit 7) */
	uint64_t decoded_la;        /* mmio_insn_linear() of the decoded instruction */
};

/* The linear address of a decoded instruction's memory operand (SDM Vol. 1, 3.7.5
 * "Specifying an Offset"; Vol. 3A, 3.4.4 "Segment Loading Instructions in IA-32e
 * Mode": in 64-bit mode only FS and GS add a base; elsewhere the sum wraps at 4 GiB).
 * gpr: the 16 general registers (RSP included); next_rip: RIP + length; seg_base: the
 * base of segment in->mem.seg. Inline: the APIC-page write computes it on every exit. */
static inline uint64_t mmio_insn_linear(const struct mmio_insn *in, const uint64_t gpr[16], uint64_t next_rip,
			  uint64_t seg_base, bool mode64)
{
	const struct mmio_mem *m = &in->mem;
	uint64_t ea = (uint64_t)m->disp;

	if (m->rip_relative)
		ea += next_rip;
	if (m->base >= 0)
		ea += gpr[m->base];
	if (m->index >= 0)
		ea += gpr[m->index] * m->scale;
	if (m->asize == 2)
		ea &= 0xFFFF;
	else if (m->asize == 4)
		ea &= 0xFFFFFFFF;
	if (mode64)
		return (m->seg == 4 || m->seg == 5) ? seg_base + ea : ea;
	return (seg_base + ea) & 0xFFFFFFFF;
}

/* EPT-violation qualification bits (SDM Vol. 3C, 28.2.1, Table "Exit Qualification for
 * EPT Violations"). */
#define EPTV_WRITE       (1ULL << 1)
#define EPTV_FETCH       (1ULL << 2)
#define EPTV_GLA_VALID   (1ULL << 7)
#define EPTV_TRANSLATION (1ULL << 8)

/* The verdict on emulating `insn` (decoded with status `st`) for this exit. Inline, as
 * mmio_insn_linear. */
static inline enum mmio_verdict mmio_emulation_verdict(const struct mmio_exit *x, enum mmio_decode_status st,
					 const struct mmio_insn *insn)
{
	if (x->idt_vectoring_valid)
		return MMIO_REFUSE_EVENT_DELIVERY;
	if (!(x->qual & EPTV_GLA_VALID) || !(x->qual & EPTV_TRANSLATION))
		return MMIO_REFUSE_NOT_LINEAR;
	if (!(x->qual & EPTV_WRITE) || (x->qual & EPTV_FETCH))
		return MMIO_REFUSE_NOT_WRITE;
	if (st != MMIO_DECODE_OK)
		return MMIO_REFUSE_UNDECODED;
	/* "The LOCK prefix can be prepended only to the following instructions and only to
	 * those forms of the instructions where the destination operand is a memory
	 * operand: ADD, ADC, AND, BTC, BTR, BTS, CMPXCHG, CMPXCH8B, CMPXCHG16B, DEC, INC,
	 * NEG, NOT, OR, SBB, SUB, XOR, XADD, and XCHG ... An undefined opcode exception will
	 * also be generated if the LOCK prefix is used with any instruction not in the above
	 * list." */
	if (insn->lock && !insn->xchg)
		return MMIO_REFUSE_LOCK_UD;
	if (x->offset > 4096 || insn->size > 4096 - x->offset)
		return MMIO_REFUSE_CROSSES_PAGE;
	if (x->decoded_la != x->gla)
		return MMIO_REFUSE_OTHER_ADDRESS;
	return MMIO_EMULATE;
}

/* "event delivery", "not a linear access", ... for the log line. */
const char *mmio_verdict_name(enum mmio_verdict v);

/* A printable name for logs: "mov r/m, r", "mov r/m, imm", "xchg", "mov moffs, rAX", or
 * "unsupported" (a failed decode, or NULL). */
const char *mmio_insn_name(const struct mmio_insn *insn);

#endif
