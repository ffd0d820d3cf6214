/* Unit tests: boot/spcr.c, the ACPI SPCR parser, on good and malformed tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "boot/spcr.h"

static uint8_t t[96];

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void fix_checksum(void)
{
	uint8_t sum = 0;
	t[9] = 0;
	for (size_t i = 0; i < 80; i++)
		sum = (uint8_t)(sum + t[i]);
	t[9] = (uint8_t)-sum;
}

/* A revision-2 SPCR: interface type, GAS (space, width, address). */
static void build(uint8_t type, uint8_t space, uint8_t width, uint64_t addr)
{
	memset(t, 0, sizeof(t));
	memcpy(t, "SPCR", 4);
	put32(t + 4, 80);
	t[8] = 2;
	t[36] = type;
	t[40] = space;
	t[41] = width;
	t[43] = width == 32 ? 3 : 1; /* access size: dword, byte */
	put32(t + 44, (uint32_t)addr);
	put32(t + 48, (uint32_t)(addr >> 32));
	fix_checksum();
}

static void test_lpss_mmio_stride4(void **state)
{
	(void)state;
	struct uart_desc d = { 0 };
	build(SPCR_TYPE_16550_GAS, GAS_SPACE_MEMORY, 32, 0xFE032000);
	assert_int_equal(spcr_parse(t, 80, &d), SPCR_OK);
	assert_int_equal(d.space, UART_SPACE_MMIO);
	assert_int_equal(d.base, 0xFE032000);
	assert_int_equal(d.stride, 4);
}

static void test_com1_io_stride1(void **state)
{
	(void)state;
	struct uart_desc d = { 0 };
	build(SPCR_TYPE_16550, GAS_SPACE_IO, 8, 0x3F8);
	assert_int_equal(spcr_parse(t, sizeof(t), &d), SPCR_OK);
	assert_int_equal(d.space, UART_SPACE_IO);
	assert_int_equal(d.base, 0x3F8);
	assert_int_equal(d.stride, 1);
	build(SPCR_TYPE_16550, GAS_SPACE_MEMORY, 0, 0x100000000ULL); /* width 0: bytes */
	assert_int_equal(spcr_parse(t, 80, &d), SPCR_OK);
	assert_int_equal(d.base, 0x100000000ULL);
	assert_int_equal(d.stride, 1);
}

static void test_malformed_tables(void **state)
{
	(void)state;
	struct uart_desc d = { UART_SPACE_IO, 0x1234, 1 };

	assert_int_equal(spcr_parse(NULL, 0, &d), SPCR_ABSENT);
	build(0, GAS_SPACE_IO, 8, 0x3F8);
	assert_int_equal(spcr_parse(t, 79, &d), SPCR_TOO_SHORT);
	t[9]++;
	assert_int_equal(spcr_parse(t, 80, &d), SPCR_BAD_CHECKSUM);
	build(0, GAS_SPACE_IO, 8, 0x3F8);
	t[0] = 'X';
	assert_int_equal(spcr_parse(t, 80, &d), SPCR_BAD_SIGNATURE);
	build(0, GAS_SPACE_IO, 8, 0x3F8);
	put32(t + 4, 96); /* claims more than the buffer holds */
	fix_checksum();
	assert_int_equal(spcr_parse(t, 80, &d), SPCR_BAD_LENGTH);
	put32(t + 4, 40); /* shorter than the fixed layout */
	fix_checksum();
	assert_int_equal(spcr_parse(t, 80, &d), SPCR_BAD_LENGTH);
	build(0x0E, GAS_SPACE_MEMORY, 32, 0x9000000); /* ARM PL011 */
	assert_int_equal(spcr_parse(t, 80, &d), SPCR_UNSUPPORTED_TYPE);
	build(0, 2, 8, 0x3F8); /* PCI configuration space */
	assert_int_equal(spcr_parse(t, 80, &d), SPCR_BAD_SPACE);
	build(0x12, GAS_SPACE_MEMORY, 16, 0xFE032000);
	assert_int_equal(spcr_parse(t, 80, &d), SPCR_BAD_WIDTH);
	build(0, GAS_SPACE_IO, 8, 0);
	assert_int_equal(spcr_parse(t, 80, &d), SPCR_NO_ADDRESS);
	/* nothing written on any failure */
	assert_int_equal(d.base, 0x1234);
}

static void test_every_status_has_words(void **state)
{
	(void)state;
	for (int s = SPCR_OK; s <= SPCR_NO_ADDRESS; s++)
		assert_non_null(strstr(spcr_status_text((enum spcr_status)s), "SPCR"));
	assert_string_equal(spcr_status_text(SPCR_ABSENT), "no SPCR table");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lpss_mmio_stride4),
		cmocka_unit_test(test_com1_io_stride1),
		cmocka_unit_test(test_malformed_tables),
		cmocka_unit_test(test_every_status_has_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
