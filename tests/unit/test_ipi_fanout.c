/* Unit tests: vmx/policy/ipi_fanout.c, which processors outside vmxray's table get the
 * guest's broadcast INIT, SIPI or NMI as a real IPI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmx/policy/ipi_fanout.h"

/* A machine of four processors, APIC IDs 0, 2, 4, 6; vmxray runs on 0 and 2. */
static const uint32_t madt[] = { 0, 2, 4, 6 };
static const uint32_t known[] = { 0, 2 };

static unsigned fan(enum apic_shorthand sh, uint32_t dest, bool x2apic, uint32_t self, uint32_t *out)
{
	struct apic_icr icr = { .delivery = APIC_DM_INIT, .assert = true, .shorthand = sh, .dest = dest };
	return ipi_fanout_outside(&icr, x2apic, self, madt, 4, known, 2, out, 8);
}

static void test_all_but_self(void **state)
{
	(void)state;
	uint32_t out[8] = { 0 };
	assert_int_equal(fan(APIC_DEST_ALL_BUT_SELF, 0, false, 0, out), 2);
	assert_int_equal(out[0], 4);
	assert_int_equal(out[1], 6);
	assert_int_equal(fan(APIC_DEST_ALL, 0, true, 2, out), 2);
	assert_int_equal(out[0], 4);
	assert_int_equal(out[1], 6);
}

static void test_physical(void **state)
{
	(void)state;
	uint32_t out[8] = { 0 };
	assert_int_equal(fan(APIC_DEST_FIELD, 0xFF, false, 0, out), 2); /* xAPIC broadcast */
	assert_int_equal(out[0], 4);
	assert_int_equal(fan(APIC_DEST_FIELD, 0xFFFFFFFF, true, 0, out), 2); /* x2APIC broadcast */
	assert_int_equal(fan(APIC_DEST_FIELD, 2, false, 0, out), 0); /* a vCPU: vmxray's */
	assert_int_equal(fan(APIC_DEST_FIELD, 4, false, 0, out), 1);  /* one outside, named */
	assert_int_equal(out[0], 4);
	assert_int_equal(fan(APIC_DEST_SELF, 0, false, 0, out), 0);
}

static void test_limits(void **state)
{
	(void)state;
	uint32_t out[8] = { 0 };
	struct apic_icr all = { .delivery = APIC_DM_NMI, .assert = true, .shorthand = APIC_DEST_ALL };
	/* xAPIC mode cannot name 0x100 (it would be sent to ID 0) */
	const uint32_t wide[] = { 0, 0x100, 0xFF, 5 };
	assert_int_equal(ipi_fanout_outside(&all, false, 0, wide, 4, known, 2, out, 8), 1);
	assert_int_equal(out[0], 5);
	assert_int_equal(ipi_fanout_outside(&all, true, 0, wide, 4, known, 2, out, 8), 3);
	assert_int_equal(out[0], 0x100);
	assert_int_equal(ipi_fanout_outside(&all, true, 0, wide, 4, known, 2, out, 1), 1); /* out_max */
	assert_int_equal(ipi_fanout_outside(&all, true, 0, wide, 4, wide, 4, out, 8), 0);
	struct apic_icr logical = { .delivery = APIC_DM_INIT, .logical = true, .dest = 0xFF };
	assert_int_equal(ipi_fanout_outside(&logical, false, 0, madt, 4, known, 2, out, 8), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_but_self),
		cmocka_unit_test(test_physical),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests_name("ipi_fanout", tests, NULL, NULL);
}
