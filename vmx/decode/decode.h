/* Pure decoders of VMX hardware words: each *_decode() unpacks a word into a struct of plain
 * integers (mask-and-shift, no C bitfields), each *_format() writes one line of text for the
 * log and the VMCS dump. Formatters behave like snprintf: at most n-1 characters and a NUL
 * (if n > 0), and return the length the whole text would have had.
 * Section titles are from SDM Vol. 3C ("Virtual Machine Control Structures", "VM Exits"). */
#ifndef VMXRAY_VMX_DECODE_H
#define VMXRAY_VMX_DECODE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmx/vmcs/controls.h"

static inline bool qual_bit(uint64_t q, unsigned n)
{
	return (q >> n) & 1;
}

/* Bits hi:lo of an access-rights word. */
static inline unsigned ar_bits(uint32_t v, unsigned hi, unsigned lo)
{
	return (v >> lo) & ((1u << (hi - lo + 1)) - 1);
}

/* General-purpose register numbers as exit qualifications and the VMX instruction-information
 * field encode them: 0 rax, 1 rcx, 2 rdx, 3 rbx, 4 rsp, 5 rbp, 6 rsi, 7 rdi, 8-15 r8-r15. */
const char *gpr_name(unsigned reg);
/* Mnemonic of an architectural exception vector ("#PF"; "NMI" for 2), NULL for others. */
const char *exception_name(unsigned vector);

/* ---- Exit reason: 25.9.1 "Basic VM-Exit Information", Table "Format of Exit Reason" ---- */
struct exit_reason_info {
	uint16_t basic; /* bits 15:0: basic exit reason */
	bool bus_lock_detected; /* bit 26: a bus lock was asserted during the instruction */
	bool enclave_mode; /* bit 27: VM exit incident to enclave mode */
	bool pending_mtf; /* bit 28: pending MTF VM exit (SMM VM exits) */
	bool from_vmx_root; /* bit 29: VM exit from VMX root operation (SMM VM exits) */
	bool failed_vmentry; /* bit 31: 0 = true VM exit, 1 = VM-entry failure */
};
struct exit_reason_info exit_reason_decode(uint32_t v);
/* "CPUID (10)", "INVALID_GUEST_STATE (33), VM-entry failure" */
size_t exit_reason_format(char *buf, size_t n, uint32_t v);

/* ---- Exit qualifications: 28.2.1 "Basic VM-Exit Information" ---- */

/* Table "Exit Qualification for Control-Register Accesses" */
enum cr_access_type {
	CR_ACCESS_MOV_TO_CR = 0,
	CR_ACCESS_MOV_FROM_CR = 1,
	CR_ACCESS_CLTS = 2,
	CR_ACCESS_LMSW = 3,
};
struct cr_access_qual {
	unsigned cr; /* bits 3:0: control register (0 for CLTS and LMSW) */
	unsigned access_type; /* bits 5:4: enum cr_access_type */
	bool lmsw_memory; /* bit 6: LMSW operand type, 0 = register, 1 = memory */
	unsigned gpr; /* bits 11:8: MOV CR general-purpose register */
	uint16_t lmsw_source; /* bits 31:16: LMSW source data */
};
/* Inline: the CR-access exit decodes it on the fast path. */
static inline struct cr_access_qual cr_access_qual_decode(uint64_t q)
{
	return (struct cr_access_qual){
		.cr = (unsigned)(q & 0xF),
		.access_type = (unsigned)((q >> 4) & 3),
		.lmsw_memory = (q >> 6) & 1,
		.gpr = (unsigned)((q >> 8) & 0xF),
		.lmsw_source = (uint16_t)(q >> 16),
	};
}
/* "mov to cr4 from rax", "mov from cr3 to rbx", "clts", "lmsw 0x0001 from register" */
size_t cr_access_qual_format(char *buf, size_t n, uint64_t q);

/* Table "Exit Qualification for MOV DR" */
struct dr_access_qual {
	unsigned dr; /* bits 2:0: debug register */
	bool from_dr; /* bit 4: direction, 0 = MOV to DR, 1 = MOV from DR */
	unsigned gpr; /* bits 11:8: general-purpose register */
};
struct dr_access_qual dr_access_qual_decode(uint64_t q);
/* "mov to dr7 from rax", "mov from dr6 to rcx" */
size_t dr_access_qual_format(char *buf, size_t n, uint64_t q);

/* Table "Exit Qualification for I/O Instructions" */
struct io_qual {
	unsigned size_code; /* bits 2:0: 0 = 1 byte, 1 = 2 bytes, 3 = 4 bytes */
	unsigned bytes; /* from size_code; 0 when size_code is undefined */
	bool in; /* bit 3: direction, 0 = OUT, 1 = IN */
	bool string; /* bit 4: INS/OUTS */
	bool rep; /* bit 5: REP prefixed */
	bool imm; /* bit 6: operand encoding, 0 = DX, 1 = immediate */
	uint16_t port; /* bits 31:16: port number */
};
struct io_qual io_qual_decode(uint64_t q);
/* "out 1 byte to port 0x3f8 (dx)", "rep ins 2 bytes from port 0x1f0 (dx)" */
size_t io_qual_format(char *buf, size_t n, uint64_t q);

/* Table "Exit Qualification for EPT Violations" */
struct ept_violation_qual {
	bool read; /* bit 0: data read */
	bool write; /* bit 1: data write */
	bool fetch; /* bit 2: instruction fetch */
	bool readable; /* bit 3: the guest-physical address was readable (AND of the EPT entries) */
	bool writable; /* bit 4: ... writable */
	bool executable; /* bit 5: ... executable (for supervisor-mode addresses when the
			  * "mode-based execute control for EPT" control is 1) */
	bool user_executable; /* bit 6: executable for user-mode linear addresses (mode-based) */
	bool gla_valid; /* bit 7: the guest linear-address field is valid */
	bool translation; /* bit 8 (if bit 7): 1 = access to the translation of a linear
			   * address, 0 = access to a paging-structure entry */
	bool user_la; /* bit 9: user-mode linear address (advanced VM-exit information) */
	bool writable_la; /* bit 10: the linear address was writable */
	bool xd_la; /* bit 11: the linear address was execute-disable */
	bool nmi_unblocking; /* bit 12: NMI unblocking due to IRET */
	bool shadow_stack; /* bit 13: shadow-stack access */
	bool sss; /* bit 14: supervisor shadow-stack page (EPT entry bit 60) */
	bool guest_paging_verify; /* bit 15: guest-paging verification */
	bool async; /* bit 16: asynchronous to instruction execution */
};
/* Inline: the exit paths read one or two of the fields, and only those are computed. */
static inline struct ept_violation_qual ept_violation_qual_decode(uint64_t q)
{
	return (struct ept_violation_qual){
		.read = qual_bit(q, 0),
		.write = qual_bit(q, 1),
		.fetch = qual_bit(q, 2),
		.readable = qual_bit(q, 3),
		.writable = qual_bit(q, 4),
		.executable = qual_bit(q, 5),
		.user_executable = qual_bit(q, 6),
		.gla_valid = qual_bit(q, 7),
		.translation = qual_bit(q, 8),
		.user_la = qual_bit(q, 9),
		.writable_la = qual_bit(q, 10),
		.xd_la = qual_bit(q, 11),
		.nmi_unblocking = qual_bit(q, 12),
		.shadow_stack = qual_bit(q, 13),
		.sss = qual_bit(q, 14),
		.guest_paging_verify = qual_bit(q, 15),
		.async = qual_bit(q, 16),
	};
}
/* "access=-w- allowed=r-x gla_valid=1 translation=1 nmi_unblocking=0" */
size_t ept_violation_qual_format(char *buf, size_t n, uint64_t q);

/* Table "Exit Qualification for Task Switches" */
enum task_switch_source {
	TASK_SWITCH_CALL = 0,
	TASK_SWITCH_IRET = 1,
	TASK_SWITCH_JMP = 2,
	TASK_SWITCH_GATE = 3,
};
struct task_switch_qual {
	uint16_t selector; /* bits 15:0: selector of the TSS switched to */
	unsigned source; /* bits 31:30: enum task_switch_source */
};
struct task_switch_qual task_switch_qual_decode(uint64_t q);
/* "to selector 0x0028 via call" */
size_t task_switch_qual_format(char *buf, size_t n, uint64_t q);

/* Table "Exit Qualification for APIC-Access VM Exits from Linear Accesses and
 * Guest-Physical Accesses" */
struct apic_access_qual {
	unsigned offset; /* bits 11:0: offset in the APIC page (linear accesses) */
	unsigned access_type; /* bits 15:12 */
	bool async; /* bit 16: asynchronous to instruction execution */
};
struct apic_access_qual apic_access_qual_decode(uint64_t q);
/* "linear write at offset 0x0b0" */
size_t apic_access_qual_format(char *buf, size_t n, uint64_t q);

/* Structured text for the exit qualification of this basic exit reason; the value in hex
 * ("0x1234") for reasons without structure. */
size_t decode_exit_qualification(char *buf, size_t n, uint32_t basic_reason, uint64_t qual);

/* ---- Event information: 25.8.3 "VM-Entry Controls for Event Injection" (VM-entry
 * interruption-information field), 25.9.2 "Information for VM Exits Due to Vectored Events"
 * (VM-exit interruption information), 25.9.3 "Information for VM Exits That Occur During Event
 * Delivery" (IDT-vectoring information). One layout for all three. ---- */
enum intr_type {
	INTR_TYPE_EXT_INTR = 0,
	INTR_TYPE_RESERVED = 1,
	INTR_TYPE_NMI_INTR = 2,
	INTR_TYPE_HARD_EXCEPTION = 3,
	INTR_TYPE_SOFT_INTR = 4,
	INTR_TYPE_PRIV_SW_EXCEPTION = 5,
	INTR_TYPE_SOFT_EXCEPTION = 6,
	INTR_TYPE_OTHER_EVENT = 7,
};
struct intr_info {
	uint8_t vector; /* bits 7:0 */
	unsigned type; /* bits 10:8: enum intr_type */
	bool error_code_valid; /* bit 11: error code valid (VM entry: deliver error code) */
	bool nmi_unblocking; /* bit 12: NMI unblocking due to IRET (VM-exit interruption info) */
	bool valid; /* bit 31 */
};
struct intr_info intr_info_decode(uint32_t v);
/* "external interrupt", "NMI", "hardware exception", ... */
const char *intr_type_name(unsigned type);
/* "vector=0x0e (#PF) type=hardware exception error_code_valid=1", "not valid" */
size_t intr_info_format(char *buf, size_t n, uint32_t v);

/* ---- Guest state: 25.4.1 "Guest Register State", Table "Format of Access Rights" ---- */
struct seg_ar {
	unsigned type; /* bits 3:0: segment type */
	unsigned s; /* bit 4: descriptor type, 0 = system, 1 = code or data */
	unsigned dpl; /* bits 6:5 */
	unsigned p; /* bit 7: present */
	unsigned avl; /* bit 12: available for system software */
	unsigned l; /* bit 13: 64-bit mode active (CS only) */
	unsigned db; /* bit 14: default operation size */
	unsigned g; /* bit 15: granularity */
	unsigned unusable; /* bit 16: segment unusable */
};
/* Inline, as ept_violation_qual_decode. */
static inline struct seg_ar seg_ar_decode(uint32_t v)
{
	return (struct seg_ar){
		.type = ar_bits(v, 3, 0),
		.s = ar_bits(v, 4, 4),
		.dpl = ar_bits(v, 6, 5),
		.p = ar_bits(v, 7, 7),
		.avl = ar_bits(v, 12, 12),
		.l = ar_bits(v, 13, 13),
		.db = ar_bits(v, 14, 14),
		.g = ar_bits(v, 15, 15),
		.unusable = ar_bits(v, 16, 16),
	};
}
/* "type=0xb S=1 DPL=0 P=1 L=1 D/B=0 G=1"; " AVL=1" and " unusable" only when set */
size_t seg_ar_format(char *buf, size_t n, uint32_t v);

/* ---- 25.4.2 "Guest Non-Register State", Table "Format of Interruptibility State" ---- */
struct interruptibility {
	bool sti; /* bit 0: blocking by STI */
	bool mov_ss; /* bit 1: blocking by MOV SS */
	bool smi; /* bit 2: blocking by SMI */
	bool nmi; /* bit 3: blocking by NMI */
	bool enclave; /* bit 4: enclave interruption */
};
struct interruptibility interruptibility_decode(uint32_t v);
/* "Blocking by STI | Blocking by NMI", "none"; reserved bits as "bitN" */
size_t interruptibility_format(char *buf, size_t n, uint32_t v);

/* 25.4.2 "Guest Non-Register State": activity state */
enum guest_activity {
	GUEST_ACTIVITY_ACTIVE = 0,
	GUEST_ACTIVITY_HLT = 1,
	GUEST_ACTIVITY_SHUTDOWN = 2,
	GUEST_ACTIVITY_WAIT_SIPI = 3,
};
/* "Active", "HLT", "Shutdown", "Wait-for-SIPI", "unknown" */
const char *activity_state_name(uint32_t state);

/* ---- 25.6.11 "Extended-Page-Table Pointer (EPTP)" ---- */
struct eptp {
	unsigned memtype; /* bits 2:0: 0 = UC, 6 = WB */
	unsigned levels; /* bits 5:3 plus 1: page-walk length (4 or 5) */
	bool ad; /* bit 6: accessed and dirty flags enabled */
	bool sss; /* bit 7: access rights enforced for supervisor shadow-stack pages */
	uint64_t root; /* bits 63:12: physical address of the EPT PML4 (PML5) table */
};
struct eptp eptp_decode(uint64_t v);
/* "memtype=WB levels=4 ad=1 root=0x12345000"; " sss=1" only when set */
size_t eptp_format(char *buf, size_t n, uint64_t v);

/* ---- 28.2.5 "Information for VM Exits Due to Instruction Execution": VM-exit
 * instruction-information field. Which fields are defined depends on the instruction (tables
 * for INS/OUTS; INVEPT, INVPCID, INVVPID; LIDT, LGDT, SIDT, SGDT; LLDT, LTR, SLDT, STR;
 * RDRAND, RDSEED; VMCLEAR, VMPTRLD, VMPTRST, VMXON, XRSTORS, XSAVES; VMREAD, VMWRITE). ---- */
struct vmx_insn_info {
	unsigned scaling; /* bits 1:0: 0 none, 1 x2, 2 x4, 3 x8 */
	unsigned reg1; /* bits 6:3: register operand (when is_register) */
	unsigned address_size; /* bits 9:7: 0 16-bit, 1 32-bit, 2 64-bit */
	bool is_register; /* bit 10: 0 = memory operand, 1 = register */
	unsigned operand_size; /* bits 12:11: RDRAND/RDSEED 0 16, 1 32, 2 64; bit 11 for
				* LGDT etc.: 0 16-bit, 1 32-bit */
	unsigned segment; /* bits 17:15: 0 ES, 1 CS, 2 SS, 3 DS, 4 FS, 5 GS */
	unsigned index; /* bits 21:18: index register */
	bool index_invalid; /* bit 22 */
	unsigned base; /* bits 26:23: base register */
	bool base_invalid; /* bit 27 */
	unsigned identity; /* bits 29:28: LGDT etc. 0 SGDT, 1 SIDT, 2 LGDT, 3 LIDT;
			    * LLDT etc. 0 SLDT, 1 STR, 2 LLDT, 3 LTR */
	unsigned reg2; /* bits 31:28: second register (VMREAD, VMWRITE, INVEPT, ...) */
};
struct vmx_insn_info vmx_insn_info_decode(uint32_t v);
/* Text for the instruction of this basic exit reason, e.g. VMREAD
 * "mem=ds:[rax+rcx*8] asize=64 reg2=rdx", LGDT "lgdt mem=ds:[rbx] asize=64 osize=32";
 * the value in hex for reasons without an instruction-information format. */
size_t vmx_insn_info_format(char *buf, size_t n, uint32_t basic_reason, uint32_t v);

/* ---- Controls ---- */
/* Set bits of a control field by their SDM names from vmx/vmcs/controls.def, joined by " | ",
 * reserved bits as "bitN", "none" for 0:
 * "Use I/O bitmaps | Use MSR bitmaps | Activate secondary controls" */
size_t decode_controls(char *buf, size_t n, enum vmx_ctrl_group g, uint64_t value);
/* Exception bitmap (25.6.3 "Exception Bitmap"): "#DB | #PF | #MC", "bitN" for vectors
 * without a mnemonic, "none" for 0. */
size_t exception_bitmap_format(char *buf, size_t n, uint32_t bitmap);

#endif
