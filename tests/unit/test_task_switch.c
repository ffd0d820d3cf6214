/* Unit tests: vmx/policy/task_switch.c, the pure rules of the emulated task switch
 * (SDM Vol. 3A, 9.3 "Task Switching", 9.4 "Task Linking"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/exceptions.h"
#include "vmx/policy/task_switch.h"

/* vmxdiff's TSS B descriptor: base 0x8120, limit 0x67, available 32-bit TSS. */
#define DESC_TSS_B 0x0000890081200067ull

static void test_qualification(void **state)
{
	(void)state;
	assert_int_equal(task_switch_qual_selector(0x80000040), 0x40);        /* vmxdiff task_jmp */
	assert_int_equal(task_switch_qual_source(0x80000040), TASK_SWITCH_JMP);
	assert_int_equal(task_switch_qual_source(0x40000038), TASK_SWITCH_IRET);
	assert_int_equal(task_switch_qual_source(0xC0000040), TASK_SWITCH_GATE);
	assert_int_equal(task_switch_qual_source(0x00000040), TASK_SWITCH_CALL);
}

static void test_descriptor_decode(void **state)
{
	(void)state;
	struct seg_state s = desc_to_seg_state(DESC_TSS_B, 0x40);
	assert_int_equal(s.base, 0x8120);
	assert_int_equal(s.limit, 0x67);
	assert_int_equal(s.ar, 0x89); /* system: no accessed bit added */
	s = desc_to_seg_state(0x00CF9A000000FFFFull, 0x10); /* flat 32-bit code */
	assert_int_equal(s.base, 0);
	assert_int_equal(s.limit, 0xFFFFFFFF);
	assert_int_equal(s.ar, 0xC09B);
	s = desc_to_seg_state(0x12CF92345678FFFFull, 0x18); /* base 0x12345678, 4 GiB data */
	assert_int_equal(s.base, 0x12345678);
	assert_int_equal(s.ar, 0xC093);
}

static void test_checks_on_new_tss(void **state)
{
	(void)state;
	struct seg_state avail = desc_to_seg_state(DESC_TSS_B, 0x40);
	struct seg_state busy = avail, small = avail, absent = avail;
	busy.ar |= DESC_TYPE_BUSY_BIT;
	small.limit = 0x66;
	absent.ar &= ~0x80u;
	assert_int_equal(task_switch_check_new(TASK_SWITCH_JMP, &avail), 0);
	assert_int_equal(task_switch_check_new(TASK_SWITCH_CALL, &busy), VECTOR_GP);
	assert_int_equal(task_switch_check_new(TASK_SWITCH_IRET, &busy), 0);
	assert_int_equal(task_switch_check_new(TASK_SWITCH_IRET, &avail), VECTOR_TS);
	assert_int_equal(task_switch_check_new(TASK_SWITCH_GATE, &small), VECTOR_TS);
	assert_int_equal(task_switch_check_new(TASK_SWITCH_JMP, &absent), VECTOR_NP);
}

static void test_linking_and_busy(void **state)
{
	(void)state;
	assert_true(task_switch_links(TASK_SWITCH_CALL));
	assert_true(task_switch_links(TASK_SWITCH_GATE));
	assert_false(task_switch_links(TASK_SWITCH_JMP));
	assert_false(task_switch_links(TASK_SWITCH_IRET));
	assert_true(task_switch_clears_old_busy(TASK_SWITCH_JMP));
	assert_true(task_switch_clears_old_busy(TASK_SWITCH_IRET));
	assert_false(task_switch_clears_old_busy(TASK_SWITCH_CALL));
	assert_int_equal(task_switch_saved_eflags(TASK_SWITCH_IRET, 0x4002), 0x2);
	assert_int_equal(task_switch_saved_eflags(TASK_SWITCH_JMP, 0x4002), 0x4002);
}

/* The state written and read back: the fields at the offsets of Figure 9-2; CR3, the
 * LDT selector and the link are not written by the save. */
static void test_tss_image(void **state)
{
	(void)state;
	uint8_t img[TSS32_SIZE];
	struct tss32 t = { .eip = 0x8123, .eflags = 0x202 }, r;
	memset(img, 0xEE, sizeof(img));
	for (unsigned i = 0; i < 8; i++)
		t.gpr[i] = 0x1000 + i;
	for (unsigned i = 0; i < 6; i++)
		t.seg[i] = (uint16_t)(0x10 + 8 * i);
	tss32_write_state(img, &t);
	assert_int_equal(img[TSS32_EIP], 0x23);
	assert_int_equal(img[TSS32_EIP + 1], 0x81);
	assert_int_equal(img[TSS32_GPR + 4 * 4], 0x04); /* ESP */
	assert_int_equal(img[TSS32_SEG + 4], 0x18);     /* CS */
	assert_int_equal(img[TSS32_SEG + 6], 0xEE);     /* reserved half left alone */
	assert_int_equal(img[TSS32_CR3], 0xEE);
	tss32_read(img, &r);
	assert_int_equal(r.eip, t.eip);
	assert_int_equal(r.eflags, t.eflags);
	assert_int_equal(r.gpr[7], 0x1007);
	assert_int_equal(r.seg[5], 0x38);
	assert_int_equal(r.link, 0xEEEE);
}

/* A 16-bit TSS descriptor: base 0x8200, limit 0x2B, available (type 1). */
#define DESC_TSS16 0x000081008200002Bull

static void test_checks_on_new_tss16(void **state)
{
	(void)state;
	struct seg_state avail = desc_to_seg_state(DESC_TSS16, 0x48);
	struct seg_state busy = avail, small = avail, absent = avail;
	assert_int_equal(avail.ar, 0x81);
	assert_int_equal(avail.limit, 0x2B);
	assert_true(tss_type_is16(avail.ar));
	assert_false(tss_type_is16(0x89));
	assert_int_equal(tss_image_size(avail.ar), 44);
	assert_int_equal(tss_image_size(0x8B), 104);
	busy.ar |= DESC_TYPE_BUSY_BIT;
	small.limit = 0x2A;
	absent.ar &= ~0x80u;
	assert_int_equal(task_switch_check_new(TASK_SWITCH_JMP, &avail), 0);
	assert_int_equal(task_switch_check_new(TASK_SWITCH_GATE, &avail), 0);
	assert_int_equal(task_switch_check_new(TASK_SWITCH_CALL, &busy), VECTOR_GP);
	assert_int_equal(task_switch_check_new(TASK_SWITCH_IRET, &busy), 0);
	assert_int_equal(task_switch_check_new(TASK_SWITCH_IRET, &avail), VECTOR_TS);
	assert_int_equal(task_switch_check_new(TASK_SWITCH_JMP, &small), VECTOR_TS);
	assert_int_equal(task_switch_check_new(TASK_SWITCH_JMP, &absent), VECTOR_NP);
	/* a 16-bit limit is too small for a 32-bit TSS */
	struct seg_state t32 = avail;
	t32.ar = 0x89;
	assert_int_equal(task_switch_check_new(TASK_SWITCH_JMP, &t32), VECTOR_TS);
}

/* Figure 9-11: words at 14 (IP), 16 (FLAGS), 18.. (AX..DI), 34.. (ES, CS, SS, DS), 42
 * (LDT); read widened as Bochs 2.7 does (see task_switch.h). */
static void test_tss16_image(void **state)
{
	(void)state;
	uint8_t img[TSS16_SIZE + 4];
	struct tss32 t = { .eip = 0x12345678, .eflags = 0x00254202 }, r;
	memset(img, 0xEE, sizeof(img));
	for (unsigned i = 0; i < 8; i++)
		t.gpr[i] = 0xABCD1000 + i;
	for (unsigned i = 0; i < 6; i++)
		t.seg[i] = (uint16_t)(0x10 + 8 * i);
	tss16_write_state(img, &t);
	assert_int_equal(img[14], 0x78);
	assert_int_equal(img[15], 0x56);
	assert_int_equal(img[16], 0x02);
	assert_int_equal(img[17], 0x42);
	assert_int_equal(img[18 + 2 * 4], 0x04); /* SP */
	assert_int_equal(img[18 + 2 * 4 + 1], 0x10);
	assert_int_equal(img[36], 0x18);          /* CS */
	assert_int_equal(img[40], 0x28);          /* DS */
	assert_int_equal(img[42], 0xEE);          /* LDT: not saved */
	assert_int_equal(img[0], 0xEE);           /* link: not saved */
	assert_int_equal(img[44], 0xEE);          /* nothing past the 16-bit TSS */
	img[42] = 0x50, img[43] = 0;
	img[0] = 0x38, img[1] = 0;
	tss16_read(img, &r);
	assert_int_equal(r.link, 0x38);
	assert_int_equal(r.eip, 0x5678);
	assert_int_equal(r.eflags, 0x4202);
	assert_int_equal(r.gpr[0], 0xFFFF1000);
	assert_int_equal(r.gpr[7], 0xFFFF1007);
	assert_int_equal(r.seg[1], 0x18);
	assert_int_equal(r.seg[3], 0x28);
	assert_int_equal(r.seg[4], 0); /* FS */
	assert_int_equal(r.seg[5], 0); /* GS */
	assert_int_equal(r.ldt, 0x50);
	assert_int_equal(r.cr3, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qualification),
		cmocka_unit_test(test_descriptor_decode),
		cmocka_unit_test(test_checks_on_new_tss),
		cmocka_unit_test(test_linking_and_busy),
		cmocka_unit_test(test_tss_image),
		cmocka_unit_test(test_checks_on_new_tss16),
		cmocka_unit_test(test_tss16_image),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
