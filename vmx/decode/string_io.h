/* Pure arithmetic of I/O-instruction emulation (vmx/exit/exit_io.c): which bytes of an
 * access fall on a given port, and one iteration of INS/OUTS (with or without REP):
 * the index register's step by DF and the address size, the count, the linear address
 * of the memory operand, and the address size and segment from the instruction's
 * prefixes where the VM-exit instruction-information field does not give them.
 * SDM Vol. 2B, "INS/INSB/INSW/INSD", "OUTS/OUTSB/OUTSW/OUTSD", "REP/REPE/REPZ/REPNE/REPNZ";
 * SDM Vol. 3C, 28.2.5 "Information for VM Exits Due to Instruction Execution". */
#ifndef VMXRAY_VMX_STRING_IO_H
#define VMXRAY_VMX_STRING_IO_H
#include <stdbool.h>
#include <stdint.h>

/* Address-size codes, as bits 9:7 of the VM-exit instruction-information field for
 * INS/OUTS encode them. */
enum string_io_asize {
	STRING_IO_ASIZE_16 = 0,
	STRING_IO_ASIZE_32 = 1,
	STRING_IO_ASIZE_64 = 2,
};

/* Segment-register codes, as bits 17:15 of the same field encode them. */
enum string_io_seg {
	STRING_IO_SEG_ES = 0,
	STRING_IO_SEG_CS = 1,
	STRING_IO_SEG_SS = 2,
	STRING_IO_SEG_DS = 3,
	STRING_IO_SEG_FS = 4,
	STRING_IO_SEG_GS = 5,
};

/* The byte lane of an access of `bytes` bytes at port `first` that lands on `port`
 * (0 = the lowest byte of the data), or -1 when the access does not touch `port`.
 * Port numbers wrap at 0xFFFF, as the I/O bitmaps see an access that wraps (SDM Vol.
 * 3C, 26.1.3 "Instructions That Cause VM Exits Conditionally", IN/INS/OUT/OUTS). */
int io_port_lane(uint16_t first, unsigned bytes, uint16_t port);

/* The ports whose writes reset the machine (vmx/policy/io_policy.def). */
#define IO_PORT_KBC_COMMAND 0x64           /* 0xFE pulses the reset line */
#define IO_PORT_PCI_CONFIG_ADDRESS 0xCF8
#define IO_PORT_RESET_CONTROL 0xCF9        /* bit 2 resets */

/* Whether an OUT of `bytes` at `first` writes the reset control register 0xCF9: a dword
 * at 0xCF8 is PCI CONFIG_ADDRESS, not such a write (PCI Local Bus Specification,
 * 3.2.2.3.2 "Software Generation of Configuration Transactions"). */
bool io_out_reaches_reset_control(uint16_t first, unsigned bytes);
/* Whether an OUT of `bytes` at `first` writes a byte that can reset or power off the
 * machine, whatever its value: 0xCF9 (io_out_reaches_reset_control), 0x64, or the second
 * byte of PM1a_CNT, which holds SLP_EN (pm1a_cnt 0: unknown, none). An OUT for which this
 * is false needs no decision: the exit path may do it in assembly (vmx/exit/entry.asm). */
bool io_out_needs_check(uint16_t first, unsigned bytes, uint16_t pm1a_cnt);

/* The part of an index or count register that an address size uses. */
uint64_t string_io_asize_mask(unsigned asize);

/* A register after an instruction writes `value` to its address-size-wide part: a
 * 16-bit write keeps bits 63:16, a 32-bit write zero-extends (SDM Vol. 1, 3.4.1.1
 * "General-Purpose Registers in 64-Bit Mode"). */
uint64_t string_io_reg_write(uint64_t old, uint64_t value, unsigned asize);

/* One iteration, computed before it happens. */
struct string_io_step {
	bool transfer; /* move one element (false: REP with a count of 0) */
	bool finished; /* the instruction completes: advance RIP. False for REP with
			* a count left: RIP stays and the instruction runs again */
	uint64_t rcx;  /* RCX afterwards (unchanged without REP) */
	uint64_t index; /* RSI (OUTS) or RDI (INS) afterwards */
};

/* The step of one INS/OUTS iteration of `bytes` bytes: the index moves by `bytes`,
 * down when RFLAGS.DF is set, within the address size; with REP the count (RCX, of the
 * address size) goes down by one, and a count of 0 moves nothing and changes no
 * register. */
struct string_io_step string_io_step(bool rep, unsigned asize, bool df, unsigned bytes,
				     uint64_t rcx, uint64_t index);

/* The linear address of the memory operand, index within the address size added to
 * the segment base (SDM Vol. 3A, 3.4.4 "Segment Loading Instructions in IA-32e Mode"
 * and 3.3.7.1 "Canonical Addressing"): in 64-bit mode only FS and GS have a base (pass
 * 0 for the others) and the sum is 64 bits; otherwise it wraps at 4 GiB. */
uint64_t string_io_linear(bool mode64, uint64_t seg_base, uint64_t index, unsigned asize);

/* An access of len bytes (1 to 4096) at linear address la, split where it crosses
 * into the next 4-KByte page: returns 1 or 2 pieces; *len0 is the length of the
 * first, *la2 the linear address of the second (wrapping at 4 GiB outside 64-bit mode,
 * as linear addresses do there). */
unsigned string_io_split_page(uint64_t la, unsigned len, bool mode64, unsigned *len0, uint64_t *la2);

/* The address size and segment of an INS/OUTS from its bytes (prefixes, then the
 * opcode), for processors that do not report them in the instruction-information
 * field (IA32_VMX_BASIC bit 54 clear; SDM Vol. 3C, A.1 "Basic VMX Information").
 * default_asize is the mode's (64-bit mode: 64; else CS.D); 0x67 toggles it to 32 in
 * 64-bit mode, between 16 and 32 elsewhere. The segment is DS unless overridden (the
 * last override wins); INS always writes through ES. False when no INS/OUTS opcode
 * (6C-6F) follows the prefixes within len bytes. */
struct string_io_prefixes {
	unsigned asize; /* enum string_io_asize */
	unsigned seg;   /* enum string_io_seg */
};
bool string_io_decode_prefixes(const uint8_t *insn, unsigned len, bool mode64, unsigned default_asize,
			       struct string_io_prefixes *out);

/* ---- The checks of the memory operand that the VM exit does not make for us ----
 *
 * An INS or OUTS that the I/O bitmap intercepts exits before its memory operand is
 * checked: "the VM exit ... has priority over" the #GP or #SS for an offset beyond the
 * segment limit or an unusable segment, and over #AC (SDM Vol. 3C, 26.1.1 "Relative
 * Priority of Faults and VM Exits": only the I/O-permission faults come first). So the
 * emulation makes them, in the order the instruction would: segment (#GP(0), #SS(0)
 * through SS), then alignment (#AC(0)), then paging (#PF, the walker's). SDM Vol. 2B,
 * INS and OUTS, "Protected Mode Exceptions", "Real-Address Mode Exceptions",
 * "Virtual-8086 Mode Exceptions", "64-Bit Mode Exceptions"; Vol. 3A, 5.3 "Limit
 * Checking", 5.4 "Type Checking", 3.4.5.1 "Code- and Data-Segment Descriptor Types"
 * (expand-down), 6.15 "Interrupt 17—Alignment Check Exception (#AC)". */
enum string_io_fault {
	STRING_IO_FAULT_NONE,
	STRING_IO_FAULT_GP, /* #GP(0) */
	STRING_IO_FAULT_SS, /* #SS(0): the same fault through SS */
	STRING_IO_FAULT_AC, /* #AC(0) */
};

struct string_io_operand {
	bool mode64;      /* IA-32e mode with CS.L: no limits, canonical addresses instead */
	bool la57;        /* CR4.LA57: 57-bit canonical addresses */
	bool protected_mode; /* CR0.PE = 1 and RFLAGS.VM = 0: types and unusable segments count */
	unsigned seg;     /* enum string_io_seg */
	uint64_t base;    /* the segment's base, limit and access rights (VMCS format: */
	uint32_t limit;   /* the limit in bytes, the rights with bit 16 = unusable) */
	uint32_t ar;
	uint64_t offset;  /* the index register within the address size */
	unsigned bytes;   /* 1, 2 or 4 */
	bool write;       /* INS writes memory, OUTS reads it */
	unsigned cpl;
	bool cr0_am;      /* CR0.AM */
	bool rflags_ac;   /* RFLAGS.AC */
};

/* The fault the memory operand takes before any paging check, or NONE. */
enum string_io_fault string_io_check_operand(const struct string_io_operand *o);

#endif
