/* Unit tests: vmx/decode/apic.c, the ICR as vmxray reads it to take INIT and SIPI over:
 * decoding of the values Linux and EDK2 write (xAPIC and x2APIC), the encoding back,
 * the kind of IPI, and whom an IPI reaches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmx/decode/apic.h"

/* Linux's wakeup_secondary_cpu_via_init(), xAPIC: ICR_HIGH = APIC ID << 24, then ICR_LOW. */
#define LINUX_INIT_ASSERT   0x0000C500u /* APIC_INT_LEVELTRIG | APIC_INT_ASSERT | APIC_DM_INIT */
#define LINUX_INIT_DEASSERT 0x00008500u /* APIC_INT_LEVELTRIG | APIC_DM_INIT */
#define LINUX_STARTUP_9A    0x0000069Au /* APIC_DM_STARTUP | (0x9A000 >> 12) */
/* EDK2 SendInitSipiSipiAllExcludingSelf: shorthand 11b, INIT then STARTUP. */
#define EDK2_INIT_ALL_BUT_SELF 0x000C4500u
#define EDK2_SIPI_ALL_BUT_SELF 0x000C4687u

static void test_decode_linux_xapic(void **state)
{
	(void)state;
	struct apic_icr i = apic_icr_decode((uint64_t)0x01000000 << 32 | LINUX_INIT_ASSERT, false);
	assert_int_equal(i.delivery, APIC_DM_INIT);
	assert_true(i.assert);
	assert_true(i.level_triggered);
	assert_false(i.logical);
	assert_int_equal(i.shorthand, APIC_DEST_FIELD);
	assert_int_equal(i.dest, 1);
	assert_int_equal(apic_ipi_kind(&i), IPI_INIT);

	i = apic_icr_decode((uint64_t)0x01000000 << 32 | LINUX_INIT_DEASSERT, false);
	assert_false(i.assert);
	assert_int_equal(apic_ipi_kind(&i), IPI_INIT_DEASSERT);

	i = apic_icr_decode((uint64_t)0x03000000 << 32 | LINUX_STARTUP_9A, false);
	assert_int_equal(i.delivery, APIC_DM_STARTUP);
	assert_int_equal(i.vector, 0x9A);
	assert_int_equal(i.dest, 3);
	assert_int_equal(apic_ipi_kind(&i), IPI_SIPI);
}

static void test_decode_x2apic(void **state)
{
	(void)state;
	/* x2APIC: the destination is the whole high half (a 32-bit x2APIC ID). */
	struct apic_icr i = apic_icr_decode((uint64_t)0x00000123 << 32 | LINUX_STARTUP_9A, true);
	assert_int_equal(i.dest, 0x123);
	assert_int_equal(apic_ipi_kind(&i), IPI_SIPI);
	/* xAPIC reads only bits 63:56. */
	i = apic_icr_decode((uint64_t)0x00000123 << 32 | LINUX_STARTUP_9A, false);
	assert_int_equal(i.dest, 0);
}

static void test_kinds(void **state)
{
	(void)state;
	struct apic_icr fixed = apic_icr_decode(0x000040FDu, false); /* fixed, vector 0xFD */
	assert_int_equal(apic_ipi_kind(&fixed), IPI_OTHER);
	struct apic_icr nmi = apic_icr_decode(0x00004400u, false);
	assert_int_equal(nmi.delivery, APIC_DM_NMI);
	assert_int_equal(apic_ipi_kind(&nmi), IPI_NMI);
	/* Edge-triggered INIT with level 0 is still an INIT, not the de-assert message. */
	struct apic_icr init_edge = apic_icr_decode(0x00000500u, false);
	assert_int_equal(apic_ipi_kind(&init_edge), IPI_INIT);
}

static void test_encode_round_trip(void **state)
{
	(void)state;
	static const uint64_t x[] = { (uint64_t)0x01000000 << 32 | LINUX_INIT_ASSERT,
				      (uint64_t)0xFF000000 << 32 | LINUX_STARTUP_9A, EDK2_INIT_ALL_BUT_SELF,
				      EDK2_SIPI_ALL_BUT_SELF, 0x00000CFDu };
	for (size_t k = 0; k < sizeof(x) / sizeof(x[0]); k++) {
		struct apic_icr i = apic_icr_decode(x[k], false);
		assert_int_equal(apic_icr_encode(&i, false), x[k]);
	}
	struct apic_icr i = apic_icr_decode((uint64_t)0xABCD << 32 | LINUX_INIT_ASSERT, true);
	assert_int_equal(apic_icr_encode(&i, true), (uint64_t)0xABCD << 32 | LINUX_INIT_ASSERT);
	/* The NMI vmxray sends to make a CPU exit. */
	struct apic_icr kick = { .delivery = APIC_DM_NMI, .assert = true, .dest = 2 };
	assert_int_equal(apic_icr_encode(&kick, false), (uint64_t)0x02000000 << 32 | 0x4400);
	assert_int_equal(apic_icr_encode(&kick, true), (uint64_t)2 << 32 | 0x4400);
}

static void test_reaches(void **state)
{
	(void)state;
	struct apic_icr phys = apic_icr_decode((uint64_t)0x01000000 << 32 | LINUX_INIT_ASSERT, false);
	assert_true(apic_icr_reaches(&phys, false, 0, 1));
	assert_false(apic_icr_reaches(&phys, false, 0, 0));
	assert_false(apic_icr_reaches(&phys, false, 0, 2));

	struct apic_icr all_but = apic_icr_decode(EDK2_INIT_ALL_BUT_SELF, false);
	assert_false(apic_icr_reaches(&all_but, false, 0, 0));
	assert_true(apic_icr_reaches(&all_but, false, 0, 1));
	assert_true(apic_icr_reaches(&all_but, false, 0, 7));

	struct apic_icr all = apic_icr_decode(0x00084500u, false);
	assert_true(apic_icr_reaches(&all, false, 0, 0));
	assert_true(apic_icr_reaches(&all, false, 0, 1));

	struct apic_icr self = apic_icr_decode(0x00044500u, false);
	assert_true(apic_icr_reaches(&self, false, 3, 3));
	assert_false(apic_icr_reaches(&self, false, 3, 1));

	/* Physical broadcast: 0xFF in xAPIC mode, 0xFFFFFFFF in x2APIC mode. */
	struct apic_icr bc = apic_icr_decode((uint64_t)0xFF000000 << 32 | LINUX_INIT_ASSERT, false);
	assert_true(apic_icr_reaches(&bc, false, 0, 1));
	assert_true(apic_icr_reaches(&bc, false, 0, 0));
	struct apic_icr bc2 = apic_icr_decode((uint64_t)0xFF << 32 | LINUX_INIT_ASSERT, true);
	assert_false(apic_icr_reaches(&bc2, true, 0, 1)); /* 0xFF is an ordinary x2APIC ID */
	assert_true(apic_icr_reaches(&bc2, true, 0, 0xFF));
	bc2 = apic_icr_decode((uint64_t)0xFFFFFFFF << 32 | LINUX_INIT_ASSERT, true);
	assert_true(apic_icr_reaches(&bc2, true, 0, 1));

	/* Logical destinations are left to the hardware. */
	struct apic_icr logical = apic_icr_decode((uint64_t)0x01000000 << 32 | LINUX_INIT_ASSERT | (1u << 11), false);
	assert_true(logical.logical);
	assert_false(apic_icr_reaches(&logical, false, 0, 1));
	assert_false(apic_icr_reaches(&logical, false, 0, 0));
}

/* The escape from the issue tracker: EN=0 with the base on a vmxray page (OWNED_RANGES
 * says where), then an INIT to 0xFEE00300. The write of such a base is refused, and root
 * mode never reaches "the APIC" at an address other than the one it checked. */
static void test_base_write_refuses_owned(void **state)
{
	(void)state;
	const struct mem_range owned[2] = { { 0xDD59000, 0x2B7000 }, { 0x7F000000, 0x1000 } };
	const uint64_t fee = 0xFEE00000;
	assert_false(apic_base_write_faults(fee | APIC_BASE_ENABLE | APIC_BASE_BSP, 39, owned, 2));
	assert_false(apic_base_write_faults(fee, 39, owned, 2));                       /* EN=0: allowed */
	assert_true(apic_base_write_faults(0xDD59000, 39, owned, 2));                  /* EN=0 on vmxray */
	assert_true(apic_base_write_faults(0xDD59000 | APIC_BASE_ENABLE, 39, owned, 2));
	assert_true(apic_base_write_faults(0xE00F000, 39, owned, 2));                  /* last owned page */
	assert_false(apic_base_write_faults(0xE010000, 39, owned, 2));                 /* just past it */
	assert_false(apic_base_write_faults(0xDD58000, 39, owned, 2));                /* just below */
	assert_true(apic_base_write_faults(0x7F000000 | APIC_BASE_ENABLE, 39, owned, 2));
	assert_true(apic_base_write_faults(fee | 0x1, 39, owned, 2));                  /* reserved bit 0 */
	assert_true(apic_base_write_faults(fee | (1ULL << 9), 39, owned, 2));          /* reserved bit 9 */
	assert_true(apic_base_write_faults(fee | (1ULL << 39), 39, owned, 2));         /* above MAXPHYADDR */
	assert_false(apic_base_write_faults(fee | (1ULL << 38), 39, owned, 0));
}

static void test_root_path(void **state)
{
	(void)state;
	const uint64_t fee = 0xFEE00000;
	assert_int_equal(apic_root_path(fee | APIC_BASE_ENABLE, fee), APIC_ROOT_XAPIC);
	assert_int_equal(apic_root_path(fee | APIC_BASE_ENABLE | APIC_BASE_X2APIC, fee), APIC_ROOT_X2APIC);
	assert_int_equal(apic_root_path(fee, fee), APIC_ROOT_NONE);                  /* EN=0: memory */
	assert_int_equal(apic_root_path(0xDD59000, fee), APIC_ROOT_NONE);
	assert_int_equal(apic_root_path(0x12345000 | APIC_BASE_ENABLE, fee), APIC_ROOT_NONE); /* moved */
}

/* x2APIC ICR writes with reserved bits: INIT with bit 12, 13, 16 or 31 set is no IPI for
 * vmxray to take (the processor's #GP decides; before, vmxray sent the INIT in software). */
static void test_x2apic_icr_reserved(void **state)
{
	(void)state;
	assert_false(apic_x2apic_icr_reserved((uint64_t)1 << 32 | 0x4500)); /* INIT to 1 */
	assert_false(apic_x2apic_icr_reserved((uint64_t)1 << 32 | 0x4609)); /* SIPI */
	assert_false(apic_x2apic_icr_reserved(0xC4500));                     /* all-but-self shorthand */
	assert_true(apic_x2apic_icr_reserved((uint64_t)1 << 32 | 0x5500));  /* bit 12 */
	assert_true(apic_x2apic_icr_reserved(0x6500));
	assert_true(apic_x2apic_icr_reserved(0x14500));
	assert_true(apic_x2apic_icr_reserved(0x80004500));
	assert_false(apic_x2apic_icr_reserved(0xFFFFFFFF00000000ULL | 0xCCFFF)); /* every bit that is not */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_linux_xapic), cmocka_unit_test(test_decode_x2apic),
		cmocka_unit_test(test_kinds),              cmocka_unit_test(test_encode_round_trip),
		cmocka_unit_test(test_reaches),
		cmocka_unit_test(test_base_write_refuses_owned), cmocka_unit_test(test_root_path),
		cmocka_unit_test(test_x2apic_icr_reserved),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
