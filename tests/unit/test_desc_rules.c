/* Unit tests: vmx/policy/desc_rules.c (intercept=desc: what LGDT, LIDT, LLDT, LTR, SGDT,
 * SIDT, SLDT and STR do on the processor). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/exceptions.h"
#include "vmx/policy/desc_rules.h"
#include "vmx/policy/intercept_rules.h"

static struct desc_decoded decode(const uint8_t *b, unsigned n, bool mode64, bool cs_d, bool *ok)
{
	struct desc_decoded d = { 0, 0, false, 0 };
	*ok = desc_insn_decode(b, n, mode64, cs_d, &d);
	return d;
}

static void test_decode_bytes(void **state)
{
	bool ok;
	struct desc_decoded d;
	(void)state;
	d = decode((const uint8_t[]){ 0x0F, 0x01, 0x00 }, 3, true, false, &ok); /* sgdt (%rax) */
	assert_true(ok);
	assert_int_equal(d.insn, DESC_SGDT);
	assert_int_equal(d.osize, 1);
	assert_false(d.is_register);
	d = decode((const uint8_t[]){ 0x66, 0x0F, 0x01, 0x18 }, 4, false, false, &ok); /* o32 lidt (bx+si) in 16-bit */
	assert_true(ok);
	assert_int_equal(d.insn, DESC_LIDT);
	assert_int_equal(d.osize, 1);
	d = decode((const uint8_t[]){ 0x66, 0x0F, 0x01, 0x10 }, 4, false, true, &ok); /* o16 lgdt in 32-bit */
	assert_int_equal(d.insn, DESC_LGDT);
	assert_int_equal(d.osize, 0);
	d = decode((const uint8_t[]){ 0x0F, 0x01, 0x08 }, 3, false, true, &ok);
	assert_int_equal(d.insn, DESC_SIDT);
	d = decode((const uint8_t[]){ 0x49, 0x0F, 0x00, 0xC1 }, 4, true, false, &ok); /* sldt %r9 (REX.W+B) */
	assert_true(ok);
	assert_int_equal(d.insn, DESC_SLDT);
	assert_int_equal(d.osize, 2);
	assert_true(d.is_register);
	assert_int_equal(d.reg, 9);
	d = decode((const uint8_t[]){ 0x66, 0x0F, 0x00, 0xCB }, 4, true, false, &ok); /* str %bx */
	assert_int_equal(d.insn, DESC_STR);
	assert_int_equal(d.osize, 0);
	assert_int_equal(d.reg, 3);
	d = decode((const uint8_t[]){ 0x0F, 0x00, 0x10 }, 3, true, false, &ok); /* lldt (%rax) */
	assert_int_equal(d.insn, DESC_LLDT);
	d = decode((const uint8_t[]){ 0x65, 0x0F, 0x00, 0xD8 }, 4, true, false, &ok); /* gs ltr %ax */
	assert_int_equal(d.insn, DESC_LTR);
	assert_int_equal(d.reg, 0);
	/* Not one of the eight: VMCALL (0F 01 C1), VERR (0F 00 /4), INVLPG (0F 01 /7), short. */
	decode((const uint8_t[]){ 0x0F, 0x01, 0xC1 }, 3, true, false, &ok);
	assert_false(ok);
	decode((const uint8_t[]){ 0x0F, 0x00, 0x20 }, 3, true, false, &ok);
	assert_false(ok);
	decode((const uint8_t[]){ 0x0F, 0x01, 0x38 }, 3, true, false, &ok);
	assert_false(ok);
	decode((const uint8_t[]){ 0x0F, 0x00 }, 2, true, false, &ok);
	assert_false(ok);
	/* Outside 64-bit mode 0x48 is DEC EAX, not REX. */
	decode((const uint8_t[]){ 0x48, 0x0F, 0x00, 0xC0 }, 4, false, true, &ok);
	assert_false(ok);
}

static void test_privilege(void **state)
{
	(void)state;
	assert_false(desc_privilege_fault(DESC_LGDT, 0, true));
	assert_true(desc_privilege_fault(DESC_LGDT, 3, false));
	assert_true(desc_privilege_fault(DESC_LTR, 1, false));
	assert_false(desc_privilege_fault(DESC_SGDT, 3, false));
	assert_true(desc_privilege_fault(DESC_SGDT, 3, true));
	assert_true(desc_privilege_fault(DESC_STR, 2, true));
	assert_false(desc_privilege_fault(DESC_SLDT, 0, true));
}

static void test_table_store_load(void **state)
{
	uint8_t b[10];
	uint64_t base;
	uint16_t limit;
	(void)state;
	memset(b, 0xEE, sizeof(b));
	assert_int_equal(desc_table_store(0xFFFF800012345678ULL, 0x7F, false, b), 6);
	assert_memory_equal(b, ((const uint8_t[]){ 0x7F, 0, 0x78, 0x56, 0x34, 0x12, 0xEE }), 7);
	assert_int_equal(desc_table_store(0xFFFF800012345678ULL, 0x1FF, true, b), 10);
	assert_memory_equal(b, ((const uint8_t[]){ 0xFF, 1, 0x78, 0x56, 0x34, 0x12, 0, 0x80, 0xFF, 0xFF }), 10);

	assert_int_equal(desc_table_load_bytes(false), 6);
	assert_int_equal(desc_table_load_bytes(true), 10);
	assert_true(desc_table_load(b, true, 1, 48, &base, &limit));
	assert_int_equal(base, 0xFFFF800012345678ULL);
	assert_int_equal(limit, 0x1FF);
	b[8] = 0x7F; /* 0x7FFF8000_12345678: not canonical for 48 bits, canonical for 57 */
	assert_false(desc_table_load(b, true, 1, 48, &base, &limit));
	assert_true(desc_table_load(b, true, 1, 57, &base, &limit));
	assert_true(desc_table_load(b, false, 1, 48, &base, &limit));
	assert_int_equal(base, 0x12345678);
	assert_true(desc_table_load(b, false, 0, 48, &base, &limit));
	assert_int_equal(base, 0x345678); /* 16-bit operand: 24 bits */
}

static void test_selector(void **state)
{
	uint32_t err;
	(void)state;
	assert_int_equal(desc_selector_fault(false, 0, 0x7F, false, &err), DESC_NULL_OK);
	assert_int_equal(desc_selector_fault(false, 3, 0x7F, true, &err), DESC_NULL_OK);
	assert_int_equal(desc_selector_fault(true, 2, 0x7F, false, &err), VECTOR_GP);
	assert_int_equal(err, 0);
	assert_int_equal(desc_selector_fault(true, 0x2F, 0x7F, false, &err), VECTOR_GP); /* TI */
	assert_int_equal(err, 0x2C);
	assert_int_equal(desc_selector_fault(false, 0x78, 0x7F, false, &err), 0);
	assert_int_equal(desc_selector_fault(false, 0x7B, 0x7F, true, &err), VECTOR_GP); /* 16 bytes past */
	assert_int_equal(err, 0x78);
	assert_int_equal(desc_selector_fault(true, 0x70, 0x7F, true, &err), 0);
	assert_int_equal(desc_selector_fault(true, 0x80, 0x7F, false, &err), VECTOR_GP);
	assert_int_equal(err, 0x80);
}

/* A system descriptor: base, limit (bytes, G clear), type, present. */
static uint64_t sysdesc(uint32_t base, uint32_t limit, unsigned type, bool present)
{
	return (limit & 0xFFFF) | (uint64_t)(base & 0xFFFFFF) << 16 | (uint64_t)type << 40 |
	       (uint64_t)present << 47 | (uint64_t)((limit >> 16) & 0xF) << 48 | (uint64_t)(base >> 24) << 56;
}

static void test_system(void **state)
{
	(void)state;
	uint64_t ldt = sysdesc(0x12345678, 0x3F, 2, true);
	uint64_t tss = sysdesc(0xABCD0000, 0x67, 9, true);
	assert_int_equal(desc_system_fault(false, ldt, 0, false, 48), 0);
	assert_int_equal(desc_system_fault(true, ldt, 0, false, 48), VECTOR_GP);
	assert_int_equal(desc_system_fault(true, tss, 0, false, 48), 0);
	assert_int_equal(desc_system_fault(false, tss, 0, false, 48), VECTOR_GP);
	assert_int_equal(desc_system_fault(true, tss | 2ULL << 40, 0, false, 48), VECTOR_GP); /* busy */
	assert_int_equal(desc_system_fault(true, sysdesc(0, 0x2B, 1, true), 0, false, 48), 0);
	assert_int_equal(desc_system_fault(true, sysdesc(0, 0x2B, 1, true), 0, true, 48), VECTOR_GP);
	assert_int_equal(desc_system_fault(false, sysdesc(0, 0x3F, 2, false), 0, false, 48), VECTOR_NP);
	assert_int_equal(desc_system_fault(false, 0x00CF93000000FFFFULL, 0, false, 48), VECTOR_GP); /* data */
	assert_int_equal(desc_system_fault(false, ldt, 0xFFFF8000ULL, true, 48), 0);
	assert_int_equal(desc_system_fault(false, ldt, 0x00007FFFULL, true, 48), 0);
	assert_int_equal(desc_system_fault(false, ldt, 0x00008000ULL, true, 48), VECTOR_GP); /* non-canonical */
	assert_int_equal(desc_system_fault(false, ldt, 1ULL << 40, true, 48), VECTOR_GP); /* upper type */
	/* Not present comes before the upper half's checks. */
	assert_int_equal(desc_system_fault(false, sysdesc(0, 0x3F, 2, false), 1ULL << 40, true, 48), VECTOR_NP);

	struct seg_state s = desc_system_state(false, 0x50, ldt, 0xFFFF8000ULL, true);
	assert_int_equal(s.selector, 0x50);
	assert_int_equal(s.base, 0xFFFF800012345678ULL);
	assert_int_equal(s.limit, 0x3F);
	assert_int_equal(s.ar, 0x82);
	s = desc_system_state(true, 0x58, tss | 1ULL << 55, 0, false); /* G: 4 KiB units */
	assert_int_equal(s.base, 0xABCD0000);
	assert_int_equal(s.limit, 0x67FFF);
	assert_int_equal(s.ar, 0x808B);
	/* The selector a register operand leaves: the register-write rules of 16/32/64 bits. */
	assert_int_equal(intercept_reg_write(0x1111222233334444ULL, 0x58, 0), 0x1111222233330058ULL);
	assert_int_equal(intercept_reg_write(0x1111222233334444ULL, 0x58, 1), 0x58);
	assert_int_equal(intercept_reg_write(0x1111222233334444ULL, 0x58, 2), 0x58);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_bytes), cmocka_unit_test(test_privilege),
		cmocka_unit_test(test_table_store_load), cmocka_unit_test(test_selector),
		cmocka_unit_test(test_system),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
