/* Unit tests: vmx/decode/mmio_decode.c, the decoder of the store behind an EPT violation on a
 * device page. The encodings are real: the ones guests use on the local APIC page (Linux's
 * xAPIC accessors, EDK2's MmioWrite32), and for the rest what GNU as emits for the AT&T
 * text in the comment (or, for encodings as does not choose, what objdump reads back):
 * length, operand size, source register or immediate in every addressing form of
 * Tables 2-1 to 2-3 (SDM Vol. 2A, 2.1.5), the three modes, REX placement, the 15-byte
 * limit, and every cut point of a long instruction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "vmx/decode/mmio_decode.h"

/* An instruction's bytes and their count, for the helpers below. */
#define INSN(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

static struct mmio_insn decode_ok(const uint8_t *b, size_t n, enum mmio_cpu_mode mode)
{
	struct mmio_insn in;

	memset(&in, 0xA5, sizeof(in));
	assert_int_equal(mmio_decode_write(b, n, mode, &in), MMIO_DECODE_OK);
	return in;
}

/* A store from a register: length, size, register, high8, XCHG. */
static void expect_reg(const uint8_t *b, size_t n, enum mmio_cpu_mode mode, unsigned len, unsigned size,
		       unsigned reg, bool high8, bool xchg)
{
	struct mmio_insn in = decode_ok(b, n, mode);

	assert_int_equal(in.len, len);
	assert_int_equal(in.size, size);
	assert_int_equal(in.src, MMIO_SRC_REG);
	assert_int_equal(in.reg, reg);
	assert_int_equal(in.high8, high8);
	assert_int_equal(in.xchg, xchg);
	assert_int_equal(in.imm, 0);
}

/* A store of an immediate. */
static void expect_imm(const uint8_t *b, size_t n, enum mmio_cpu_mode mode, unsigned len, unsigned size,
		       uint64_t imm)
{
	struct mmio_insn in = decode_ok(b, n, mode);

	assert_int_equal(in.len, len);
	assert_int_equal(in.size, size);
	assert_int_equal(in.src, MMIO_SRC_IMM);
	assert_int_equal(in.imm, imm);
	assert_int_equal(in.reg, 0);
	assert_false(in.high8);
	assert_false(in.xchg);
}

/* A failed decode: the status, and *out left all zeros. */
static void expect_status(const uint8_t *b, size_t n, enum mmio_cpu_mode mode, enum mmio_decode_status st)
{
	static const struct mmio_insn zero;
	struct mmio_insn in;

	memset(&in, 0xA5, sizeof(in));
	assert_int_equal(mmio_decode_write(b, n, mode, &in), st);
	assert_int_equal(in.len, 0);
	assert_int_equal(in.size, 0);
	assert_int_equal(in.opcode, 0);
	assert_int_equal(in.imm, 0);
	assert_true(in.src == zero.src && in.reg == 0 && !in.high8 && !in.xchg);
	assert_string_equal(mmio_insn_name(&in), "unsupported");
}

/* Linux: native_apic_mem_write() is "mov %eax,APIC_BASE+reg" with APIC_BASE the fixmap
 * address 0xffffffffff5fc000 (absolute disp32, SIB with no base and no index), or with
 * the address in a register; the xAPIC ICR write through XCHG (xchg %eax,(%rdx)). */
static void test_linux_xapic(void **state)
{
	(void)state;
	/* mov %eax,0xffffffffff5fc300 */
	expect_reg(INSN(0x89, 0x04, 0x25, 0x00, 0xc3, 0x5f, 0xff), MMIO_MODE_64, 7, 4, 0, false, false);
	/* mov %esi,-0xa03d00(%rdi): mod 10, disp32 */
	expect_reg(INSN(0x89, 0xb7, 0x00, 0xc3, 0x5f, 0xff), MMIO_MODE_64, 6, 4, 6, false, false);
	/* xchg %eax,(%rdx) */
	expect_reg(INSN(0x87, 0x02), MMIO_MODE_64, 2, 4, 0, false, true);
	/* lock xchg %eax,(%rdx) */
	expect_reg(INSN(0xf0, 0x87, 0x02), MMIO_MODE_64, 3, 4, 0, false, true);
}

/* EDK2/OVMF: MmioWrite32() is "mov %edx,(%rcx)"; LocalApicLib's writes through a base
 * in a register with an offset; compilers store constants with C7. */
static void test_edk2(void **state)
{
	(void)state;
	/* mov %edx,(%rcx) */
	expect_reg(INSN(0x89, 0x11), MMIO_MODE_64, 2, 4, 2, false, false);
	/* mov %r8d,(%rax) */
	expect_reg(INSN(0x44, 0x89, 0x00), MMIO_MODE_64, 3, 4, 8, false, false);
	/* movl $0x0,0xb0(%rax): the EOI write */
	expect_imm(INSN(0xc7, 0x80, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00), MMIO_MODE_64, 10, 4, 0);
	/* movl $0xffffffff,(%rax): no REX.W, no sign extension */
	expect_imm(INSN(0xc7, 0x00, 0xff, 0xff, 0xff, 0xff), MMIO_MODE_64, 6, 4, 0xffffffffULL);
}

static void test_addressing_64(void **state)
{
	(void)state;
	/* mov %eax,0x1234(%rip): mod 00 r/m 101 */
	expect_reg(INSN(0x89, 0x05, 0x34, 0x12, 0x00, 0x00), MMIO_MODE_64, 6, 4, 0, false, false);
	/* mov %eax,0x12345678(,%rbp,1): SIB base 101 with mod 00, disp32 and no base */
	expect_reg(INSN(0x89, 0x04, 0x2d, 0x78, 0x56, 0x34, 0x12), MMIO_MODE_64, 7, 4, 0, false, false);
	/* The same two with REX.B: still RIP-relative and still disp32 (R13 as RBP). */
	expect_reg(INSN(0x41, 0x89, 0x05, 0x78, 0x56, 0x34, 0x12), MMIO_MODE_64, 7, 4, 0, false, false);
	expect_reg(INSN(0x41, 0x89, 0x04, 0x2d, 0x78, 0x56, 0x34, 0x12), MMIO_MODE_64, 8, 4, 0, false, false);
	/* mov %r13d,0x0(%r13): mod 01 r/m 101, disp8 */
	expect_reg(INSN(0x45, 0x89, 0x6d, 0x00), MMIO_MODE_64, 4, 4, 13, false, false);
	/* mov %r15,0x10(%r12): SIB (r/m 100 with REX.B), disp8 */
	expect_reg(INSN(0x4d, 0x89, 0x7c, 0x24, 0x10), MMIO_MODE_64, 5, 8, 15, false, false);
	/* mov %eax,0x300(%eax): 0x67 gives 32-bit addressing, the same ModRM forms */
	expect_reg(INSN(0x67, 0x89, 0x80, 0x00, 0x03, 0x00, 0x00), MMIO_MODE_64, 7, 4, 0, false, false);
	/* mov %eax,%gs:0xfffffffffee000b0 */
	expect_reg(INSN(0x65, 0x89, 0x04, 0x25, 0xb0, 0x00, 0xe0, 0xfe), MMIO_MODE_64, 8, 4, 0, false, false);
	/* movq $0x12345678,%gs:0x11223344(%rax,%rcx,4): SIB, disp32 and imm32 */
	expect_imm(INSN(0x65, 0x48, 0xc7, 0x84, 0x88, 0x44, 0x33, 0x22, 0x11, 0x78, 0x56, 0x34, 0x12),
		   MMIO_MODE_64, 13, 8, 0x12345678);
}

static void test_byte_stores(void **state)
{
	(void)state;
	/* mov %ah,(%rax): reg 4 without REX is AH, bits 15:8 of RAX */
	expect_reg(INSN(0x88, 0x20), MMIO_MODE_64, 2, 1, 0, true, false);
	/* mov %spl,(%rax): with REX, reg 4 is SPL */
	expect_reg(INSN(0x40, 0x88, 0x20), MMIO_MODE_64, 3, 1, 4, false, false);
	/* mov %dil,(%rax) */
	expect_reg(INSN(0x40, 0x88, 0x38), MMIO_MODE_64, 3, 1, 7, false, false);
	/* mov %r9b,(%rax) */
	expect_reg(INSN(0x44, 0x88, 0x08), MMIO_MODE_64, 3, 1, 9, false, false);
	/* mov %bh,0x20(%rcx) */
	expect_reg(INSN(0x88, 0x79, 0x20), MMIO_MODE_64, 3, 1, 3, true, false);
	/* mov %al,(%rax), REX.W: still a byte */
	expect_reg(INSN(0x48, 0x88, 0x00), MMIO_MODE_64, 3, 1, 0, false, false);
	/* xchg %ah,(%rax) */
	expect_reg(INSN(0x86, 0x20), MMIO_MODE_64, 2, 1, 0, true, true);
	/* movb $0xff,(%rax) */
	expect_imm(INSN(0xc6, 0x00, 0xff), MMIO_MODE_64, 3, 1, 0xff);
	/* 0x66 does not widen a byte store: data16 movb $0x80,(%rax) */
	expect_imm(INSN(0x66, 0xc6, 0x00, 0x80), MMIO_MODE_64, 4, 1, 0x80);
	/* 32-bit mode: mov %ch,(%eax) */
	expect_reg(INSN(0x88, 0x28), MMIO_MODE_32, 2, 1, 1, true, false);
}

static void test_operand_size(void **state)
{
	(void)state;
	/* mov %cx,(%rax) */
	expect_reg(INSN(0x66, 0x89, 0x08), MMIO_MODE_64, 3, 2, 1, false, false);
	/* mov %rcx,(%rax) */
	expect_reg(INSN(0x48, 0x89, 0x08), MMIO_MODE_64, 3, 8, 1, false, false);
	/* data16 mov %rcx,(%rax): REX.W wins over 0x66 */
	expect_reg(INSN(0x66, 0x48, 0x89, 0x08), MMIO_MODE_64, 4, 8, 1, false, false);
	/* movq $0xffffffffffffffff,(%rax): imm32 sign-extended */
	expect_imm(INSN(0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff), MMIO_MODE_64, 7, 8, 0xffffffffffffffffULL);
	/* movq $0x7fffffff,(%rax): positive, unchanged */
	expect_imm(INSN(0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0x7f), MMIO_MODE_64, 7, 8, 0x7fffffff);
	/* movw $0x1234,(%rax): imm16 */
	expect_imm(INSN(0x66, 0xc7, 0x00, 0x34, 0x12), MMIO_MODE_64, 5, 2, 0x1234);
	/* xchg %r8,(%rax) */
	expect_reg(INSN(0x4c, 0x87, 0x00), MMIO_MODE_64, 3, 8, 8, false, true);
}

/* "the REX prefix byte must immediately precede the opcode byte ... Other placements are
 * ignored" (SDM Vol. 2A, 2.2.1 "REX Prefixes"). objdump shows the ignored one apart
 * ("rex.W" then "mov %cx,(%rax)"). */
static void test_rex_placement(void **state)
{
	(void)state;
	/* rex.W data16 mov %cx,(%rax) */
	expect_reg(INSN(0x48, 0x66, 0x89, 0x08), MMIO_MODE_64, 4, 2, 1, false, false);
	/* rex.R ds mov %eax,(%rax) */
	expect_reg(INSN(0x44, 0x3e, 0x89, 0x00), MMIO_MODE_64, 4, 4, 0, false, false);
	/* rex data16 mov %ah,(%rax): the REX is gone, so reg 4 is AH again */
	expect_reg(INSN(0x40, 0x66, 0x88, 0x20), MMIO_MODE_64, 4, 1, 0, true, false);
	/* rex.W rex.R: the last one counts, mov %r8d,(%rax) */
	expect_reg(INSN(0x48, 0x44, 0x89, 0x00), MMIO_MODE_64, 4, 4, 8, false, false);
}

/* A2/A3: the offset is as wide as the address size (SDM Vol. 2A, 2.2.1.4 "Direct
 * Memory-Offset MOVs"). */
static void test_moffs(void **state)
{
	(void)state;
	/* movabs %eax,0xfee000b0 */
	expect_reg(INSN(0xa3, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00), MMIO_MODE_64, 9, 4, 0, false, false);
	/* movabs %rax,0xfee000b0 */
	expect_reg(INSN(0x48, 0xa3, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00), MMIO_MODE_64, 10, 8, 0, false,
		   false);
	/* movabs %al,0xfee000b0 */
	expect_reg(INSN(0xa2, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00), MMIO_MODE_64, 9, 1, 0, false, false);
	/* movabs %eax,%gs:0xfee000b0 */
	expect_reg(INSN(0x65, 0xa3, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00), MMIO_MODE_64, 10, 4, 0, false,
		   false);
	/* addr32 mov %eax,0xfee000b0 */
	expect_reg(INSN(0x67, 0xa3, 0xb0, 0x00, 0xe0, 0xfe), MMIO_MODE_64, 6, 4, 0, false, false);
	/* 32-bit mode: mov %eax,0xfee000b0; addr16 mov %eax,0x1234; mov %ax,0xfee000b0 */
	expect_reg(INSN(0xa3, 0xb0, 0x00, 0xe0, 0xfe), MMIO_MODE_32, 5, 4, 0, false, false);
	expect_reg(INSN(0x67, 0xa3, 0x34, 0x12), MMIO_MODE_32, 4, 4, 0, false, false);
	expect_reg(INSN(0x66, 0xa3, 0xb0, 0x00, 0xe0, 0xfe), MMIO_MODE_32, 6, 2, 0, false, false);
	/* 16-bit mode: mov %ax,0x1234; mov %eax,0x1234; addr32 mov %al,0x12345678 */
	expect_reg(INSN(0xa3, 0x34, 0x12), MMIO_MODE_16, 3, 2, 0, false, false);
	expect_reg(INSN(0x66, 0xa3, 0x34, 0x12), MMIO_MODE_16, 4, 4, 0, false, false);
	expect_reg(INSN(0x67, 0xa2, 0x78, 0x56, 0x34, 0x12), MMIO_MODE_16, 6, 1, 0, false, false);
}

static void test_mode32(void **state)
{
	(void)state;
	/* mov %eax,0xfee00300: mod 00 r/m 101 is an absolute disp32 outside 64-bit mode */
	expect_reg(INSN(0x89, 0x05, 0x00, 0x03, 0xe0, 0xfe), MMIO_MODE_32, 6, 4, 0, false, false);
	/* mov %eax,(%esp); mov %eax,0x8(%esp) */
	expect_reg(INSN(0x89, 0x04, 0x24), MMIO_MODE_32, 3, 4, 0, false, false);
	expect_reg(INSN(0x89, 0x44, 0x24, 0x08), MMIO_MODE_32, 4, 4, 0, false, false);
	/* mov %ax,0x1234(%ebx) */
	expect_reg(INSN(0x66, 0x89, 0x83, 0x34, 0x12, 0x00, 0x00), MMIO_MODE_32, 7, 2, 0, false, false);
	/* addr16 mov %eax,0x1234: 16-bit addressing, mod 00 r/m 110 is disp16 */
	expect_reg(INSN(0x67, 0x89, 0x06, 0x34, 0x12), MMIO_MODE_32, 5, 4, 0, false, false);
	/* addr16 mov %eax,(%si): r/m 100 is (SI), no SIB */
	expect_reg(INSN(0x67, 0x89, 0x04), MMIO_MODE_32, 3, 4, 0, false, false);
	/* addr16 movl $0x1,0x10(%bx,%si): disp8, imm32 */
	expect_imm(INSN(0x67, 0xc7, 0x40, 0x10, 0x01, 0x00, 0x00, 0x00), MMIO_MODE_32, 8, 4, 1);
	/* mov %edi,0xfee00380(%ebx,%esi,8): SIB, disp32 */
	expect_reg(INSN(0x89, 0xbc, 0xf3, 0x80, 0x03, 0xe0, 0xfe), MMIO_MODE_32, 7, 4, 7, false, false);
}

static void test_mode16(void **state)
{
	(void)state;
	/* mov %ax,(%si) */
	expect_reg(INSN(0x89, 0x04), MMIO_MODE_16, 2, 2, 0, false, false);
	/* mov %ax,0x8(%bx): disp8 */
	expect_reg(INSN(0x89, 0x47, 0x08), MMIO_MODE_16, 3, 2, 0, false, false);
	/* mov %ax,0x1234(%bp,%di): disp16 */
	expect_reg(INSN(0x89, 0x83, 0x34, 0x12), MMIO_MODE_16, 4, 2, 0, false, false);
	/* mov %eax,0x1234 (mod 00 r/m 110) */
	expect_reg(INSN(0x66, 0x89, 0x06, 0x34, 0x12), MMIO_MODE_16, 5, 4, 0, false, false);
	/* movw $0x5678,0x1234 */
	expect_imm(INSN(0xc7, 0x06, 0x34, 0x12, 0x78, 0x56), MMIO_MODE_16, 6, 2, 0x5678);
	/* movl $0xfee00000,0x10(%bx) */
	expect_imm(INSN(0x66, 0xc7, 0x47, 0x10, 0x00, 0x00, 0xe0, 0xfe), MMIO_MODE_16, 8, 4, 0xfee00000);
	/* 0x67: 32-bit addressing. mov %ax,(%eax); mov %ax,(%esp); addr32 mov %eax,0x12345678 */
	expect_reg(INSN(0x67, 0x89, 0x00), MMIO_MODE_16, 3, 2, 0, false, false);
	expect_reg(INSN(0x67, 0x89, 0x04, 0x24), MMIO_MODE_16, 4, 2, 0, false, false);
	expect_reg(INSN(0x67, 0x66, 0x89, 0x05, 0x78, 0x56, 0x34, 0x12), MMIO_MODE_16, 8, 4, 0, false, false);
	/* mov %dl,0x1234(%bx) */
	expect_reg(INSN(0x88, 0x97, 0x34, 0x12), MMIO_MODE_16, 4, 1, 2, false, false);
}

/* Every proper prefix of a supported instruction is TRUNCATED; the whole is OK, and bytes
 * after it do not change the result. */
static void expect_cuts(const uint8_t *b, size_t n, enum mmio_cpu_mode mode)
{
	uint8_t buf[32];
	struct mmio_insn whole = decode_ok(b, n, mode), more;

	assert_int_equal(whole.len, n);
	for (size_t k = 0; k < n; k++)
		expect_status(b, k, mode, MMIO_DECODE_TRUNCATED);
	memset(buf, 0x89, sizeof(buf));
	memcpy(buf, b, n);
	more = decode_ok(buf, sizeof(buf), mode);
	assert_int_equal(more.len, whole.len);
	assert_int_equal(more.size, whole.size);
	assert_int_equal(more.src, whole.src);
	assert_int_equal(more.reg, whole.reg);
	assert_int_equal(more.high8, whole.high8);
	assert_int_equal(more.imm, whole.imm);
	assert_int_equal(more.xchg, whole.xchg);
	assert_int_equal(more.opcode, whole.opcode);
}

static void test_truncated(void **state)
{
	(void)state;
	expect_cuts(INSN(0x65, 0x48, 0xc7, 0x84, 0x88, 0x44, 0x33, 0x22, 0x11, 0x78, 0x56, 0x34, 0x12),
		    MMIO_MODE_64);
	expect_cuts(INSN(0x65, 0x48, 0xa3, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00), MMIO_MODE_64);
	expect_cuts(INSN(0x89, 0x04, 0x25, 0x00, 0xc3, 0x5f, 0xff), MMIO_MODE_64);
	expect_cuts(INSN(0x67, 0x66, 0xc7, 0x84, 0x24, 0x00, 0x03, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00),
		    MMIO_MODE_16);
	expect_cuts(INSN(0x67, 0xc7, 0x86, 0x34, 0x12, 0x01, 0x00, 0x00, 0x00), MMIO_MODE_32);
	/* The SIB byte decides the length: "89 04" needs a third byte... */
	expect_status(INSN(0x89, 0x04), MMIO_MODE_64, MMIO_DECODE_TRUNCATED);
	/* ...but not with 16-bit addressing, where it is mov %ax,(%si). */
	expect_reg(INSN(0x89, 0x04), MMIO_MODE_16, 2, 2, 0, false, false);
	/* Nothing at all; prefixes only. */
	expect_status(NULL, 0, MMIO_MODE_64, MMIO_DECODE_TRUNCATED);
	expect_status(INSN(0x66, 0x48), MMIO_MODE_64, MMIO_DECODE_TRUNCATED);
}

static void test_unsupported(void **state)
{
	(void)state;
	const enum mmio_decode_status U = MMIO_DECODE_UNSUPPORTED;

	/* Register operands: mov %eax,%eax; mov %al,%ah; xchg %eax,%eax; mov $0,%eax (C7 /0) */
	expect_status(INSN(0x89, 0xc0), MMIO_MODE_64, U);
	expect_status(INSN(0x88, 0xc4), MMIO_MODE_64, U);
	expect_status(INSN(0x87, 0xc0), MMIO_MODE_64, U);
	expect_status(INSN(0xc7, 0xc0, 0x00, 0x00, 0x00, 0x00), MMIO_MODE_64, U);
	/* Other opcodes: add %eax,(%rax); mov (%rax),%eax (a load); movnti %eax,(%rax);
	 * rep movsl; or %al,(%rax); mov %es,(%rax) */
	expect_status(INSN(0x01, 0x00), MMIO_MODE_64, U);
	expect_status(INSN(0x8b, 0x00), MMIO_MODE_64, U);
	expect_status(INSN(0x0f, 0xc3, 0x00), MMIO_MODE_64, U);
	expect_status(INSN(0xf3, 0xa5), MMIO_MODE_64, U);
	expect_status(INSN(0x08, 0x00), MMIO_MODE_64, U);
	expect_status(INSN(0x8c, 0x00), MMIO_MODE_64, U);
	/* C6/C7 with ModRM.reg != 0: C7 /1 (objdump: "(bad)"); C6 F8 is XABORT */
	expect_status(INSN(0xc7, 0x08, 0x00, 0x00, 0x00, 0x00), MMIO_MODE_64, U);
	expect_status(INSN(0xc6, 0x48, 0x10, 0x00), MMIO_MODE_64, U);
	expect_status(INSN(0xc6, 0xf8, 0x00), MMIO_MODE_64, U);
	/* Known from the first bytes, however few are given. */
	expect_status(INSN(0x01), MMIO_MODE_64, U);
	expect_status(INSN(0xc7, 0x08), MMIO_MODE_64, U);
	/* 40-4F are INC/DEC outside 64-bit mode: inc %eax, then mov %eax,(%eax) */
	expect_status(INSN(0x40, 0x89, 0x00), MMIO_MODE_32, U);
	expect_status(INSN(0x48, 0x89, 0x00), MMIO_MODE_16, U);
	expect_status(INSN(0x48, 0xa3, 0xb0, 0x00, 0xe0, 0xfe), MMIO_MODE_32, U);
	/* No such mode. */
	expect_status(INSN(0x89, 0x11), (enum mmio_cpu_mode)0, U);
	expect_status(INSN(0x89, 0x11), (enum mmio_cpu_mode)8, U);
}

/* "The maximum length of an Intel 64 and IA-32 instruction remains 15 bytes" (SDM Vol.
 * 2A, 2.3.11 "AVX Instruction Length"). */
static void test_length_limit(void **state)
{
	(void)state;
	uint8_t b[20];

	/* 13 x 0x66 + 89 00: 15 bytes, data16 ... mov %ax,(%rax) */
	memset(b, 0x66, sizeof(b));
	b[13] = 0x89;
	b[14] = 0x00;
	expect_reg(b, 15, MMIO_MODE_64, 15, 2, 0, false, false);
	expect_reg(b, sizeof(b), MMIO_MODE_64, 15, 2, 0, false, false);
	/* 14 and 15 prefixes: 16 and 17 bytes. */
	memset(b, 0x66, sizeof(b));
	b[14] = 0x89;
	b[15] = 0x00;
	expect_status(b, 16, MMIO_MODE_64, MMIO_DECODE_UNSUPPORTED);
	memset(b, 0x3e, sizeof(b));
	b[15] = 0x89;
	b[16] = 0x00;
	expect_status(b, 17, MMIO_MODE_64, MMIO_DECODE_UNSUPPORTED);
	/* Prefixes only: 15 of them can be no instruction; 10 may be the start of one. */
	expect_status(b, 15, MMIO_MODE_64, MMIO_DECODE_UNSUPPORTED);
	expect_status(b, 16, MMIO_MODE_32, MMIO_DECODE_UNSUPPORTED);
	expect_status(b, 10, MMIO_MODE_64, MMIO_DECODE_TRUNCATED);
	/* Two prefixes before the 13-byte movq make 15; three make 16, known to be too long
	 * once the ModRM and SIB bytes are read, given the 16th byte or not. */
	expect_imm(INSN(0x3e, 0x3e, 0x65, 0x48, 0xc7, 0x84, 0x88, 0x44, 0x33, 0x22, 0x11, 0x78, 0x56, 0x34,
			0x12),
		   MMIO_MODE_64, 15, 8, 0x12345678);
	expect_status(INSN(0x3e, 0x3e, 0x3e, 0x65, 0x48, 0xc7, 0x84, 0x88, 0x44, 0x33, 0x22, 0x11, 0x78, 0x56,
			   0x34, 0x12),
		      MMIO_MODE_64, MMIO_DECODE_UNSUPPORTED);
	expect_status(INSN(0x3e, 0x3e, 0x3e, 0x65, 0x48, 0xc7, 0x84, 0x88), MMIO_MODE_64,
		      MMIO_DECODE_UNSUPPORTED);
	/* Seven prefixes and a 9-byte moffs store. */
	expect_status(INSN(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0xa3, 0, 0, 0, 0, 0, 0, 0, 0),
		      MMIO_MODE_64, MMIO_DECODE_UNSUPPORTED);
}

static void test_names(void **state)
{
	(void)state;
	struct mmio_insn in;

	in = decode_ok(INSN(0x89, 0x11), MMIO_MODE_64);
	assert_string_equal(mmio_insn_name(&in), "mov r/m, r");
	assert_int_equal(in.opcode, 0x89);
	in = decode_ok(INSN(0x88, 0x20), MMIO_MODE_64);
	assert_string_equal(mmio_insn_name(&in), "mov r/m, r");
	in = decode_ok(INSN(0xc6, 0x00, 0xff), MMIO_MODE_64);
	assert_string_equal(mmio_insn_name(&in), "mov r/m, imm");
	in = decode_ok(INSN(0xc7, 0x00, 0, 0, 0, 0), MMIO_MODE_64);
	assert_string_equal(mmio_insn_name(&in), "mov r/m, imm");
	in = decode_ok(INSN(0x87, 0x02), MMIO_MODE_64);
	assert_string_equal(mmio_insn_name(&in), "xchg");
	in = decode_ok(INSN(0x86, 0x02), MMIO_MODE_64);
	assert_string_equal(mmio_insn_name(&in), "xchg");
	in = decode_ok(INSN(0xa3, 0xb0, 0x00, 0xe0, 0xfe), MMIO_MODE_32);
	assert_string_equal(mmio_insn_name(&in), "mov moffs, rAX");
	in = decode_ok(INSN(0xa2, 0x34, 0x12), MMIO_MODE_16);
	assert_string_equal(mmio_insn_name(&in), "mov moffs, rAX");
	assert_int_equal(mmio_decode_write(INSN(0x01, 0x00), MMIO_MODE_64, &in), MMIO_DECODE_UNSUPPORTED);
	assert_string_equal(mmio_insn_name(&in), "unsupported");
	assert_string_equal(mmio_insn_name(NULL), "unsupported");
}

/* ---- mmio_emulation_verdict (issue 20, finding 5) ---- */
#define QUAL_DATA_WRITE_LINEAR ((1u << 1) | (1u << 7) | (1u << 8))

static enum mmio_verdict verdict(bool idt, uint64_t qual, unsigned offset, const uint8_t *b, size_t n,
				 enum mmio_cpu_mode mode)
{
	struct mmio_insn in;
	enum mmio_decode_status st = mmio_decode_write(b, n, mode, &in);
	struct mmio_exit x = { .idt_vectoring_valid = idt, .qual = qual, .offset = offset };
	return mmio_emulation_verdict(&x, st, &in);
}

static void test_verdict(void **state)
{
	(void)state;
	static const uint8_t mov_icr[] = { 0x89, 0x08 };          /* mov [rax], ecx */
	static const uint8_t lock_mov[] = { 0xF0, 0x89, 0x08 };   /* lock mov [rax], ecx: #UD */
	static const uint8_t lock_xchg[] = { 0xF0, 0x87, 0x08 };  /* lock xchg [rax], ecx */
	static const uint8_t mov_q[] = { 0x48, 0x89, 0x08 };      /* mov [rax], rcx */
	static const uint8_t add[] = { 0x01, 0x08 };              /* add [rax], ecx */
	const uint64_t q = QUAL_DATA_WRITE_LINEAR;

	assert_int_equal(verdict(false, q, 0x300, mov_icr, 2, MMIO_MODE_64), MMIO_EMULATE);
	/* An exit while delivering an event: the push, not the instruction at RIP. */
	assert_int_equal(verdict(true, q, 0x300, mov_icr, 2, MMIO_MODE_64), MMIO_REFUSE_EVENT_DELIVERY);
	/* A paging-structure update (bit 8 clear), or no linear address (bit 7 clear). */
	assert_int_equal(verdict(false, q & ~(1u << 8), 0x300, mov_icr, 2, MMIO_MODE_64), MMIO_REFUSE_NOT_LINEAR);
	assert_int_equal(verdict(false, q & ~(1u << 7), 0x300, mov_icr, 2, MMIO_MODE_64), MMIO_REFUSE_NOT_LINEAR);
	assert_int_equal(verdict(false, (q & ~2u) | 1u, 0x300, mov_icr, 2, MMIO_MODE_64), MMIO_REFUSE_NOT_WRITE);
	assert_int_equal(verdict(false, q | 4u, 0x300, mov_icr, 2, MMIO_MODE_64), MMIO_REFUSE_NOT_WRITE);
	/* LOCK: #UD on MOV, valid on XCHG. */
	assert_int_equal(verdict(false, q, 0x300, lock_mov, 3, MMIO_MODE_64), MMIO_REFUSE_LOCK_UD);
	assert_int_equal(verdict(false, q, 0x300, lock_xchg, 3, MMIO_MODE_64), MMIO_EMULATE);
	/* Stores that reach past the page: 8 bytes at FF9, 4 at FFD; the last that fit. */
	assert_int_equal(verdict(false, q, 0xFF9, mov_q, 3, MMIO_MODE_64), MMIO_REFUSE_CROSSES_PAGE);
	assert_int_equal(verdict(false, q, 0xFF8, mov_q, 3, MMIO_MODE_64), MMIO_EMULATE);
	assert_int_equal(verdict(false, q, 0xFFD, mov_icr, 2, MMIO_MODE_64), MMIO_REFUSE_CROSSES_PAGE);
	assert_int_equal(verdict(false, q, 0xFFC, mov_icr, 2, MMIO_MODE_64), MMIO_EMULATE);
	assert_int_equal(verdict(false, q, 0x300, add, 2, MMIO_MODE_64), MMIO_REFUSE_UNDECODED);
	assert_int_equal(verdict(false, q, 0x300, mov_icr, 1, MMIO_MODE_64), MMIO_REFUSE_UNDECODED);
}

/* The decoded operand's address, compared with the exit's linear address (a CPU that
 * rewrote the bytes at RIP after the exit must not get some other store emulated). */
static uint64_t la_of(const uint8_t *b, size_t n, enum mmio_cpu_mode mode, const uint64_t gpr[16], uint64_t next_rip,
		      uint64_t seg_base)
{
	struct mmio_insn in;
	assert_int_equal(mmio_decode_write(b, n, mode, &in), MMIO_DECODE_OK);
	return mmio_insn_linear(&in, gpr, next_rip, seg_base, mode == MMIO_MODE_64);
}

static void test_operand_linear(void **state)
{
	(void)state;
	uint64_t g[16] = { 0 };
	for (unsigned i = 0; i < 16; i++)
		g[i] = 0x1000 * (i + 1);
	/* mov [rax], ecx: RAX. */
	static const uint8_t m1[] = { 0x89, 0x08 };
	assert_int_equal(la_of(m1, 2, MMIO_MODE_64, g, 0, 0), 0x1000);
	/* mov [rbx + rsi*4 + 0x10], eax: 89 44 B3 10. */
	static const uint8_t m2[] = { 0x89, 0x44, 0xB3, 0x10 };
	assert_int_equal(la_of(m2, 4, MMIO_MODE_64, g, 0, 0), 0x4000 + 0x7000 * 4 + 0x10);
	/* mov [r13 + r9*2 - 8], eax: 43 89 44 4D F8 (REX.XB). */
	static const uint8_t m3[] = { 0x43, 0x89, 0x44, 0x4D, 0xF8 };
	assert_int_equal(la_of(m3, 5, MMIO_MODE_64, g, 0, 0), 0xE000 + 0xA000 * 2 - 8);
	/* mov [rip + 0x100], eax: 89 05 00 01 00 00. */
	static const uint8_t m4[] = { 0x89, 0x05, 0x00, 0x01, 0x00, 0x00 };
	assert_int_equal(la_of(m4, 6, MMIO_MODE_64, g, 0xFFFFF000, 0), 0xFFFFF100);
	/* fs: mov [rax], ecx: only FS and GS have a base in 64-bit mode; ds: has none. */
	static const uint8_t m5[] = { 0x64, 0x89, 0x08 };
	assert_int_equal(la_of(m5, 3, MMIO_MODE_64, g, 0, 0x500000), 0x501000);
	static const uint8_t m6[] = { 0x3E, 0x89, 0x08 };
	assert_int_equal(la_of(m6, 3, MMIO_MODE_64, g, 0, 0x500000), 0x1000);
	/* 32-bit: [ebp + 8] through SS (its base counts), wraps at 4 GiB. */
	static const uint8_t m7[] = { 0x89, 0x45, 0x08 };
	assert_int_equal(la_of(m7, 3, MMIO_MODE_32, g, 0, 0xFFFFF000), (0xFFFFF000ULL + 0x6000 + 8) & 0xFFFFFFFF);
	struct mmio_insn in;
	assert_int_equal(mmio_decode_write(m7, 3, MMIO_MODE_32, &in), MMIO_DECODE_OK);
	assert_int_equal(in.mem.seg, 2);
	/* 16-bit: [bp + si + 4] (SS), and disp16 alone (DS), wrapping at 64 KiB. */
	static const uint8_t m8[] = { 0x89, 0x42, 0x04 };
	uint64_t r16[16] = { 0 };
	r16[5] = 0xFFF0; /* BP */
	r16[6] = 0x20;   /* SI */
	assert_int_equal(la_of(m8, 3, MMIO_MODE_16, r16, 0, 0x90000), 0x90000 + ((0xFFF0 + 0x20 + 4) & 0xFFFF));
	assert_int_equal(mmio_decode_write(m8, 3, MMIO_MODE_16, &in), MMIO_DECODE_OK);
	assert_int_equal(in.mem.seg, 2);
	static const uint8_t m9[] = { 0x89, 0x06, 0x00, 0x03 };
	assert_int_equal(la_of(m9, 4, MMIO_MODE_16, r16, 0, 0xFEE00000), 0xFEE00300);
	/* mov moffs32, eax in 64-bit mode: an 8-byte absolute offset. */
	static const uint8_t m10[] = { 0xA3, 0x00, 0x03, 0xE0, 0xFE, 0, 0, 0, 0 };
	assert_int_equal(la_of(m10, 9, MMIO_MODE_64, g, 0, 0), 0xFEE00300);
	/* The verdict: the same instruction, another address than the exit's. */
	struct mmio_exit x = { .qual = QUAL_DATA_WRITE_LINEAR, .offset = 0x300, .gla = 0xFEE00300,
			       .decoded_la = 0xFEE00300 };
	assert_int_equal(mmio_decode_write(m10, 9, MMIO_MODE_64, &in), MMIO_DECODE_OK);
	assert_int_equal(mmio_emulation_verdict(&x, MMIO_DECODE_OK, &in), MMIO_EMULATE);
	x.decoded_la = 0xFEE00310;
	assert_int_equal(mmio_emulation_verdict(&x, MMIO_DECODE_OK, &in), MMIO_REFUSE_OTHER_ADDRESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict),
		cmocka_unit_test(test_operand_linear),
		cmocka_unit_test(test_linux_xapic),
		cmocka_unit_test(test_edk2),
		cmocka_unit_test(test_addressing_64),
		cmocka_unit_test(test_byte_stores),
		cmocka_unit_test(test_operand_size),
		cmocka_unit_test(test_rex_placement),
		cmocka_unit_test(test_moffs),
		cmocka_unit_test(test_mode32),
		cmocka_unit_test(test_mode16),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests_name("mmio_decode", tests, NULL, NULL);
}
