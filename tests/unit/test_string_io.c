/* Unit tests: vmx/decode/string_io.c, the arithmetic of I/O-instruction emulation: port byte
 * lanes (overlap and wrap), one INS/OUTS iteration (index step by DF and address size,
 * the REP count and its end), the memory operand's linear address, and the prefix
 * decoder for processors without INS/OUTS instruction information. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmx/decode/string_io.h"

static void test_port_lane(void **state)
{
	(void)state;
	assert_int_equal(io_port_lane(0xCF9, 1, 0xCF9), 0);
	assert_int_equal(io_port_lane(0xCF8, 1, 0xCF9), -1);
	assert_int_equal(io_port_lane(0xCF8, 2, 0xCF9), 1);
	assert_int_equal(io_port_lane(0xCF8, 4, 0xCF9), 1);
	assert_int_equal(io_port_lane(0xCF6, 4, 0xCF9), 3);
	assert_int_equal(io_port_lane(0xCF7, 4, 0xCF9), 2);
	assert_int_equal(io_port_lane(0xCFA, 4, 0xCF9), -1);
	assert_int_equal(io_port_lane(0x0063, 2, 0x64), 1);
	/* Wrapping past 0xFFFF. */
	assert_int_equal(io_port_lane(0xFFFF, 2, 0x0000), 1);
	assert_int_equal(io_port_lane(0xFFFE, 4, 0x0001), 3);
	assert_int_equal(io_port_lane(0xFFFD, 4, 0xFFFF), 2);
	assert_int_equal(io_port_lane(0xFFFF, 4, 0x0003), -1);
	assert_int_equal(io_port_lane(0xFFFF, 4, 0xCF9), -1);
}

/* Which OUTs may skip the reset/power-off check (the assembly exit path does those). */
static void test_out_needs_check(void **state)
{
	(void)state;
	assert_false(io_out_needs_check(0xCF8, 4, 0));  /* CONFIG_ADDRESS: covers 0xCF9, is no reset */
	assert_false(io_out_needs_check(0xCF8, 1, 0));
	assert_true(io_out_needs_check(0xCF8, 2, 0));   /* a word at 0xCF8 writes 0xCF9 */
	assert_true(io_out_needs_check(0xCF9, 1, 0));
	assert_true(io_out_needs_check(0xCF6, 4, 0));   /* 0xCF9 in its top byte */
	assert_false(io_out_needs_check(0xCFC, 4, 0));
	assert_true(io_out_needs_check(0x64, 1, 0));
	assert_true(io_out_needs_check(0x63, 2, 0));
	assert_false(io_out_needs_check(0x60, 1, 0));
	assert_false(io_out_needs_check(0x80, 1, 0));
	/* PM1a_CNT at 0xB004: SLP_EN is in 0xB005 */
	assert_true(io_out_needs_check(0xB004, 2, 0xB004));
	assert_false(io_out_needs_check(0xB004, 1, 0xB004));
	assert_true(io_out_needs_check(0xB005, 1, 0xB004));
	assert_false(io_out_needs_check(0xB005, 1, 0));  /* no FADT: no PM1a port */
	assert_true(io_out_needs_check(0xFFFF, 2, 0xFFFF)); /* its second byte wraps to port 0 */
	assert_true(io_out_reaches_reset_control(0xCF9, 1));
	assert_false(io_out_reaches_reset_control(0xCF8, 4));
}

static void test_reg_write(void **state)
{
	(void)state;
	assert_int_equal(string_io_asize_mask(STRING_IO_ASIZE_16), 0xFFFF);
	assert_int_equal(string_io_asize_mask(STRING_IO_ASIZE_32), 0xFFFFFFFF);
	assert_int_equal(string_io_asize_mask(STRING_IO_ASIZE_64), 0xFFFFFFFFFFFFFFFFULL);
	assert_int_equal(string_io_reg_write(0x1122334455667788ULL, 0xAAAABBBBCCCCDDDDULL, STRING_IO_ASIZE_16),
			 0x112233445566DDDDULL);
	assert_int_equal(string_io_reg_write(0x1122334455667788ULL, 0xAAAABBBBCCCCDDDDULL, STRING_IO_ASIZE_32),
			 0xCCCCDDDDULL);
	assert_int_equal(string_io_reg_write(0x1122334455667788ULL, 0xAAAABBBBCCCCDDDDULL, STRING_IO_ASIZE_64),
			 0xAAAABBBBCCCCDDDDULL);
}

static void expect_step(struct string_io_step s, bool transfer, bool finished, uint64_t rcx, uint64_t index)
{
	assert_int_equal(s.transfer, transfer);
	assert_int_equal(s.finished, finished);
	assert_int_equal(s.rcx, rcx);
	assert_int_equal(s.index, index);
}

static void test_step_no_rep(void **state)
{
	(void)state;
	/* RCX is left alone without REP, whatever it holds. */
	expect_step(string_io_step(false, STRING_IO_ASIZE_64, false, 4, 0, 0x1000), true, true, 0, 0x1004);
	expect_step(string_io_step(false, STRING_IO_ASIZE_64, true, 2, 7, 0x1000), true, true, 7, 0xFFE);
	expect_step(string_io_step(false, STRING_IO_ASIZE_64, false, 1, 0, 0xFFFFFFFFFFFFFFFFULL), true, true, 0, 0);
	/* 16-bit: SI wraps, bits 63:16 stay. */
	expect_step(string_io_step(false, STRING_IO_ASIZE_16, false, 4, 0, 0x123400000001FFFEULL), true, true, 0,
		    0x1234000000010002ULL);
	expect_step(string_io_step(false, STRING_IO_ASIZE_16, true, 1, 0, 0xABCD0000ULL), true, true, 0,
		    0xABCDFFFFULL);
	/* 32-bit: ESI wraps, and the write zero-extends. */
	expect_step(string_io_step(false, STRING_IO_ASIZE_32, false, 2, 0, 0xAAAABBBBFFFFFFFFULL), true, true, 0, 1);
	expect_step(string_io_step(false, STRING_IO_ASIZE_32, false, 2, 0, 0xAAAABBBB00001000ULL), true, true, 0,
		    0x1002);
	expect_step(string_io_step(false, STRING_IO_ASIZE_32, true, 4, 0, 0x100000002ULL), true, true, 0,
		    0xFFFFFFFEULL);
}

static void test_step_rep(void **state)
{
	(void)state;
	/* A count left after the iteration: RIP stays. */
	expect_step(string_io_step(true, STRING_IO_ASIZE_64, false, 1, 3, 0x2000), true, false, 2, 0x2001);
	expect_step(string_io_step(true, STRING_IO_ASIZE_64, false, 1, 2, 0x2001), true, false, 1, 0x2002);
	/* The last iteration finishes the instruction. */
	expect_step(string_io_step(true, STRING_IO_ASIZE_64, false, 1, 1, 0x2002), true, true, 0, 0x2003);
	expect_step(string_io_step(true, STRING_IO_ASIZE_64, true, 4, 1, 0x2000), true, true, 0, 0x1FFC);
	/* A count of 0: nothing moves, no register changes, the instruction finishes. */
	expect_step(string_io_step(true, STRING_IO_ASIZE_64, false, 4, 0, 0x2000), false, true, 0, 0x2000);
	/* The count is the address-size part of RCX. */
	expect_step(string_io_step(true, STRING_IO_ASIZE_16, false, 2, 0x10000, 0x2000), false, true, 0x10000, 0x2000);
	expect_step(string_io_step(true, STRING_IO_ASIZE_32, false, 2, 0x100000000ULL, 0x2000), false, true,
		    0x100000000ULL, 0x2000);
	expect_step(string_io_step(true, STRING_IO_ASIZE_16, false, 2, 0xABCD000000000005ULL, 0x77770010ULL), true,
		    false, 0xABCD000000000004ULL, 0x77770012ULL);
	expect_step(string_io_step(true, STRING_IO_ASIZE_32, false, 2, 0xABCD000000000003ULL, 0x10ULL), true, false,
		    2, 0x12);
	expect_step(string_io_step(true, STRING_IO_ASIZE_32, false, 2, 0xABCD000000000001ULL, 0x10ULL), true, true,
		    0, 0x12);
	expect_step(string_io_step(true, STRING_IO_ASIZE_64, false, 2, 0x100000000ULL, 0x10ULL), true, false,
		    0xFFFFFFFFULL, 0x12);
}

static void test_linear(void **state)
{
	(void)state;
	assert_int_equal(string_io_linear(true, 0, 0xFFFF800000001000ULL, STRING_IO_ASIZE_64), 0xFFFF800000001000ULL);
	assert_int_equal(string_io_linear(true, 0x7F0000000000ULL, 0x10, STRING_IO_ASIZE_64), 0x7F0000000010ULL);
	/* 64-bit mode, 32-bit address size: the effective address is zero-extended. */
	assert_int_equal(string_io_linear(true, 0x100000000ULL, 0xFFFF0000FFFFFFF0ULL, STRING_IO_ASIZE_32),
			 0x1FFFFFFF0ULL);
	/* Outside 64-bit mode the sum wraps at 4 GiB. */
	assert_int_equal(string_io_linear(false, 0xFFFF0000ULL, 0x20000, STRING_IO_ASIZE_32), 0x10000);
	/* Real mode: DS base 0xF0000, SI = 0x1234 (bits above 15 ignored). */
	assert_int_equal(string_io_linear(false, 0xF0000, 0xFFFF1234ULL, STRING_IO_ASIZE_16), 0xF1234);
}

static void test_split_page(void **state)
{
	(void)state;
	unsigned len0 = 99;
	uint64_t la2 = 0;

	assert_int_equal(string_io_split_page(0x1FFC, 4, true, &len0, &la2), 1);
	assert_int_equal(len0, 4);
	assert_int_equal(string_io_split_page(0x1FFE, 4, true, &len0, &la2), 2);
	assert_int_equal(len0, 2);
	assert_int_equal(la2, 0x2000);
	assert_int_equal(string_io_split_page(0x1FFF, 2, false, &len0, &la2), 2);
	assert_int_equal(len0, 1);
	assert_int_equal(la2, 0x2000);
	assert_int_equal(string_io_split_page(0xFFFFFFFDULL, 4, false, &len0, &la2), 2);
	assert_int_equal(len0, 3);
	assert_int_equal(la2, 0); /* wraps at 4 GiB */
	assert_int_equal(string_io_split_page(0xFFFFFFFDULL, 4, true, &len0, &la2), 2);
	assert_int_equal(la2, 0x100000000ULL);
	assert_int_equal(string_io_split_page(0x5000, 15, true, &len0, &la2), 1);
	assert_int_equal(len0, 15);
	assert_int_equal(string_io_split_page(0x5FF8, 15, true, &len0, &la2), 2);
	assert_int_equal(len0, 8);
	assert_int_equal(la2, 0x6000);
}

static void expect_prefixes(const uint8_t *insn, unsigned len, bool mode64, unsigned def, unsigned asize,
			    unsigned seg)
{
	struct string_io_prefixes p = { 99, 99 };
	assert_true(string_io_decode_prefixes(insn, len, mode64, def, &p));
	assert_int_equal(p.asize, asize);
	assert_int_equal(p.seg, seg);
}

static void test_prefixes(void **state)
{
	(void)state;
	static const uint8_t rep_insb[] = { 0xF3, 0x6C };
	static const uint8_t a32_rep_outsb[] = { 0x67, 0xF3, 0x6E };
	static const uint8_t es_a32_rep_outsd[] = { 0x26, 0x67, 0xF3, 0x6F }; /* SeaBIOS outsw_fl() */
	static const uint8_t fs_outsb[] = { 0x64, 0x6E };
	static const uint8_t fs_insw[] = { 0x64, 0x66, 0x6D };
	static const uint8_t rex_outsd[] = { 0x48, 0x6F };
	static const uint8_t two_segs[] = { 0x2E, 0x36, 0x6E };
	static const uint8_t not_string[] = { 0xF3, 0xEC };
	static const uint8_t only_prefix[] = { 0xF3, 0x67 };

	expect_prefixes(rep_insb, 2, true, STRING_IO_ASIZE_64, STRING_IO_ASIZE_64, STRING_IO_SEG_ES);
	expect_prefixes(a32_rep_outsb, 3, true, STRING_IO_ASIZE_64, STRING_IO_ASIZE_32, STRING_IO_SEG_DS);
	expect_prefixes(es_a32_rep_outsd, 4, false, STRING_IO_ASIZE_16, STRING_IO_ASIZE_32, STRING_IO_SEG_ES);
	expect_prefixes(es_a32_rep_outsd, 4, false, STRING_IO_ASIZE_32, STRING_IO_ASIZE_16, STRING_IO_SEG_ES);
	expect_prefixes(fs_outsb, 2, true, STRING_IO_ASIZE_64, STRING_IO_ASIZE_64, STRING_IO_SEG_FS);
	expect_prefixes(fs_insw, 3, false, STRING_IO_ASIZE_32, STRING_IO_ASIZE_32, STRING_IO_SEG_ES);
	expect_prefixes(rex_outsd, 2, true, STRING_IO_ASIZE_64, STRING_IO_ASIZE_64, STRING_IO_SEG_DS);
	expect_prefixes(two_segs, 3, false, STRING_IO_ASIZE_32, STRING_IO_ASIZE_32, STRING_IO_SEG_SS);

	struct string_io_prefixes p;
	assert_false(string_io_decode_prefixes(not_string, 2, true, STRING_IO_ASIZE_64, &p));
	assert_false(string_io_decode_prefixes(only_prefix, 2, true, STRING_IO_ASIZE_64, &p));
	assert_false(string_io_decode_prefixes(rex_outsd, 2, false, STRING_IO_ASIZE_32, &p)); /* 0x48 is DEC */
	assert_false(string_io_decode_prefixes(rep_insb, 0, true, STRING_IO_ASIZE_64, &p));
}

/* Issue 20, finding 4: INS/OUTS exit before their memory operand is checked, so the
 * emulation makes the segment and alignment checks. Real mode first: the measured case,
 * rep insw with DI = FFFFH, #GP on bare hardware. */
static struct string_io_operand real_mode(unsigned seg, uint64_t offset, unsigned bytes, bool write)
{
	return (struct string_io_operand){ .seg = seg, .limit = 0xFFFF, .ar = 0x93, .offset = offset,
					   .bytes = bytes, .write = write };
}

static void test_operand_real_mode(void **state)
{
	(void)state;
	struct string_io_operand o = real_mode(STRING_IO_SEG_ES, 0xFFFF, 2, true);
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_GP);
	o = real_mode(STRING_IO_SEG_ES, 0xFFFE, 2, true);
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_NONE);
	o = real_mode(STRING_IO_SEG_ES, 0xFFFF, 1, true);
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_NONE);
	o = real_mode(STRING_IO_SEG_SS, 0xFFFD, 4, false);
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_SS);
	/* Real mode has no types and no unusable segments: the cached rights do not count. */
	o = real_mode(STRING_IO_SEG_DS, 0x10, 4, false);
	o.ar = 0x10000 | 0x91;
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_NONE);
}

static struct string_io_operand prot32(unsigned seg, uint32_t ar, uint32_t limit, uint64_t offset, bool write)
{
	return (struct string_io_operand){ .protected_mode = true, .seg = seg, .limit = limit, .ar = ar,
					   .offset = offset, .bytes = 4, .write = write };
}

static void test_operand_protected(void **state)
{
	(void)state;
	struct string_io_operand o = prot32(STRING_IO_SEG_ES, 0xC093, 0xFFFFFFFF, 0xFFFFFFFC, true);
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_NONE);
	o.offset = 0xFFFFFFFD; /* the last byte past 4 GiB */
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_GP);
	o = prot32(STRING_IO_SEG_ES, 0x1C093, 0xFFFFFFFF, 0, true); /* unusable */
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_GP);
	o = prot32(STRING_IO_SEG_ES, 0xC091, 0xFFFFFFFF, 0, true); /* read-only data: INS */
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_GP);
	o = prot32(STRING_IO_SEG_DS, 0xC091, 0xFFFFFFFF, 0, false); /* read-only data: OUTS */
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_NONE);
	o = prot32(STRING_IO_SEG_CS, 0xC099, 0xFFFFFFFF, 0, false); /* execute-only code: OUTS */
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_GP);
	o = prot32(STRING_IO_SEG_CS, 0xC09B, 0xFFFFFFFF, 0, false); /* readable code */
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_NONE);
	o = prot32(STRING_IO_SEG_SS, 0xC093, 0xFFF, 0xFFE, false); /* past the limit through SS */
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_SS);
	o = prot32(STRING_IO_SEG_DS, 0x0082, 0xFFFF, 0, false); /* a system descriptor (LDT) */
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_GP);
}

static void test_operand_expand_down(void **state)
{
	(void)state;
	/* Expand-down, D/B = 0: valid offsets limit+1 .. FFFFH. */
	struct string_io_operand o = prot32(STRING_IO_SEG_DS, 0x97, 0x0FFF, 0x0FFF, false);
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_GP);
	o.offset = 0x1000;
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_NONE);
	o.offset = 0xFFFD; /* the last byte at 10000H */
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_GP);
	o.ar = 0x4097; /* D/B = 1: up to FFFFFFFFH */
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_NONE);
}

static void test_operand_64bit_and_alignment(void **state)
{
	(void)state;
	struct string_io_operand o = { .mode64 = true, .seg = STRING_IO_SEG_ES, .ar = 0x1C000, .limit = 0,
				       .offset = 0x1000, .bytes = 4, .write = true };
	/* 64-bit mode: no limit, no unusable check; canonical addresses. */
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_NONE);
	o.offset = 0x0000800000000000ULL;
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_GP);
	o.offset = 0x00007FFFFFFFFFFEULL; /* crosses into the non-canonical range */
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_GP);
	o.la57 = true;
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_NONE);
	o = (struct string_io_operand){ .mode64 = true, .seg = STRING_IO_SEG_SS, .offset = 1ULL << 60, .bytes = 1 };
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_SS);
	/* #AC: CPL 3, CR0.AM and RFLAGS.AC, a misaligned word or dword; after the segment. */
	o = (struct string_io_operand){ .mode64 = true, .offset = 0x1002, .bytes = 4, .cpl = 3,
					.cr0_am = true, .rflags_ac = true };
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_AC);
	o.bytes = 2;
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_NONE);
	o.bytes = 4;
	o.cpl = 0;
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_NONE);
	o.cpl = 3;
	o.rflags_ac = false;
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_NONE);
	o = real_mode(STRING_IO_SEG_ES, 0xFFFF, 2, true);
	o.cpl = 3, o.cr0_am = true, o.rflags_ac = true; /* the limit faults first */
	assert_int_equal(string_io_check_operand(&o), STRING_IO_FAULT_GP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_lane),
		cmocka_unit_test(test_out_needs_check),
		cmocka_unit_test(test_reg_write),
		cmocka_unit_test(test_step_no_rep),
		cmocka_unit_test(test_step_rep),
		cmocka_unit_test(test_linear),
		cmocka_unit_test(test_split_page),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_operand_real_mode),
		cmocka_unit_test(test_operand_protected),
		cmocka_unit_test(test_operand_expand_down),
		cmocka_unit_test(test_operand_64bit_and_alignment),
	};
	return cmocka_run_group_tests_name("string_io", tests, NULL, NULL);
}
