/* Unit tests: vmx/policy/init_state.c, the state both INIT paths load, against the INIT
 * column of SDM Vol. 3A, Table "IA-32 and Intel 64 Processor States Following
 * Power-up, Reset, or INIT". CR2, DR0-DR3, DR6 and XCR0 were left as the guest had them
 * before this table (issue 20, finding 8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmx/policy/init_state.h"

static void test_init_registers(void **state)
{
	(void)state;
	const struct init_state *s = &init_state_after_init;
	assert_int_equal(s->cr0, 0x60000010);
	assert_int_equal(s->cr2, 0);
	assert_int_equal(s->cr3, 0);
	assert_int_equal(s->cr4, 0);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(s->dr[i], 0);
	assert_int_equal(s->dr6, 0xFFFF0FF0);
	assert_int_equal(s->dr7, 0x400);
	assert_int_equal(s->xcr0, 1);
	assert_int_equal(s->rflags, 2);
	assert_int_equal(s->efer, 0);
}

static void test_init_execution_start(void **state)
{
	(void)state;
	const struct init_state *s = &init_state_after_init;
	/* CS selector F000H, base FFFF0000H, EIP 0000FFF0H: the first fetch at FFFFFFF0H. */
	assert_int_equal(s->cs_selector, 0xF000);
	assert_int_equal(s->cs_base + s->rip, 0xFFFFFFF0ULL);
	assert_int_equal(s->rsp, 0);
	assert_int_equal(s->seg_limit, 0xFFFF);
}

/* The BSP flag (IA32_APIC_BASE bit 8) decides: the BSP runs from FFFFFFF0H again, an AP
 * waits for SIPI (before: every INIT, the BSP's too, went to wait-for-SIPI). */
static void test_init_bsp_restarts(void **state)
{
	(void)state;
	assert_false(init_waits_for_sipi(0xFEE00900ULL)); /* BSP, enabled */
	assert_false(init_waits_for_sipi(0xFEE00100ULL)); /* BSP, APIC disabled */
	assert_true(init_waits_for_sipi(0xFEE00800ULL));  /* AP */
	assert_true(init_waits_for_sipi(0xFEE00C00ULL));  /* AP, x2APIC */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_registers),
		cmocka_unit_test(test_init_execution_start),
		cmocka_unit_test(test_init_bsp_restarts),
	};
	return cmocka_run_group_tests_name("init_state", tests, NULL, NULL);
}
