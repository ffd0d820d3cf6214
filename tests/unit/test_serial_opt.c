/* Unit tests: the serial= forms of boot/options.c (auto, PORT, mmio:, pci:, none). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "boot/options.h"

static struct vmxray_options o;
static char err[OPT_ERROR_MAX];

static int setup(void **state)
{
	(void)state;
	options_set_defaults(&o);
	err[0] = 0;
	return 0;
}

static bool parse(const char *word)
{
	return options_parse_word(&o, word, strlen(word), err, sizeof(err));
}

static void test_default_is_auto(void **state)
{
	(void)state;
	assert_int_equal(o.serial.mode, OPT_SERIAL_AUTO);
	assert_int_equal(o.serial_port, 0x3F8);
	assert_true(parse("serial=none"));
	assert_true(parse("serial=auto"));
	assert_int_equal(o.serial.mode, OPT_SERIAL_AUTO);
	assert_int_equal(o.serial_port, 0x3F8);
}

static void test_port_form_as_before(void **state)
{
	(void)state;
	assert_true(parse("serial=0x2f8"));
	assert_int_equal(o.serial.mode, OPT_SERIAL_PORT);
	assert_int_equal(o.serial.at.space, UART_SPACE_IO);
	assert_int_equal(o.serial.at.base, 0x2F8);
	assert_int_equal(o.serial.at.stride, 1);
	assert_int_equal(o.serial_port, 0x2F8);
	assert_true(parse("serial=none"));
	assert_int_equal(o.serial.mode, OPT_SERIAL_NONE);
	assert_int_equal(o.serial_port, 0);
}

static void test_mmio_form(void **state)
{
	(void)state;
	assert_true(parse("serial=mmio:0xfe032000,4"));
	assert_int_equal(o.serial.mode, OPT_SERIAL_MMIO);
	assert_int_equal(o.serial.at.space, UART_SPACE_MMIO);
	assert_int_equal(o.serial.at.base, 0xFE032000);
	assert_int_equal(o.serial.at.stride, 4);
	assert_int_equal(o.serial_port, 0); /* COM1 is not touched */
	assert_true(parse("serial=mmio:0xfed00001"));
	assert_int_equal(o.serial.at.stride, 1);
	assert_int_equal(o.serial.at.base, 0xFED00001);
	assert_true(parse("serial=mmio:0x4000000000,1"));
	assert_int_equal(o.serial.at.base, 0x4000000000);
}

static void test_pci_form(void **state)
{
	(void)state;
	assert_true(parse("serial=pci:00:1e.0"));
	assert_int_equal(o.serial.mode, OPT_SERIAL_PCI);
	assert_int_equal(o.serial.bus, 0);
	assert_int_equal(o.serial.dev, 0x1E);
	assert_int_equal(o.serial.fn, 0);
	assert_true(parse("serial=pci:fF:1F.7"));
	assert_int_equal(o.serial.bus, 0xFF);
	assert_int_equal(o.serial.dev, 31);
	assert_int_equal(o.serial.fn, 7);
	assert_true(parse("serial=pci:3:2.1"));
	assert_int_equal(o.serial.bus, 3);
}

static void test_bad_values_name_key_and_forms(void **state)
{
	(void)state;
	const char *bad[] = {
		"serial=mmio:", "serial=mmio:0", "serial=mmio:0x1000,2", "serial=mmio:0x1002,4",
		"serial=mmio:0x1000,", "serial=mmio:zz", "serial=mmio:0x1000,4,4", "serial=mmio:0xfffffffffffffffc,4",
		"serial=pci:", "serial=pci:00:20.0", "serial=pci:00:1f.8", "serial=pci:100:00.0",
		"serial=pci:00.1f:0", "serial=pci:00:1f", "serial=pci::1f.0", "serial=pci:0x0:1f.0",
		"serial=pci:00:1f.", "serial=AUTO", "serial=auto,", "serial=0x10000", "serial=pci",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		options_set_defaults(&o);
		assert_false(parse(bad[i]));
		assert_non_null(strstr(err, "option 'serial': invalid value"));
		assert_non_null(strstr(err, "mmio:ADDR[,1|4], pci:BB:DD.F)"));
		assert_int_equal(o.serial.mode, OPT_SERIAL_AUTO); /* unchanged */
	}
}

static void test_message_is_complete(void **state)
{
	(void)state;
	assert_false(parse("serial=mmio:0x1000,3"));
	assert_string_equal(err, "option 'serial': invalid value 'mmio:0x1000,3' (valid: auto, none, an I/O port "
				 "such as 0x3f8 (1..0xfff8), mmio:ADDR[,1|4], pci:BB:DD.F)");
}

static void test_logbuf(void **state)
{
	(void)state;
	assert_int_equal(o.logbuf_kib, 0); /* 0: the default, LOG_RING_DEFAULT_KIB */
	assert_true(parse("logbuf=256"));
	assert_int_equal(o.logbuf_kib, 256);
	assert_true(parse("logbuf=4"));
	assert_true(parse("logbuf=1024"));
	const char *bad[] = { "logbuf=3", "logbuf=1025", "logbuf=0", "logbuf=", "logbuf=64k" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(parse(bad[i]));
		assert_non_null(strstr(err, "option 'logbuf': invalid value"));
		assert_non_null(strstr(err, "(valid: 4..1024 (KiB"));
	}
	assert_int_equal(o.logbuf_kib, 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_default_is_auto, setup),
		cmocka_unit_test_setup(test_port_form_as_before, setup),
		cmocka_unit_test_setup(test_mmio_form, setup),
		cmocka_unit_test_setup(test_pci_form, setup),
		cmocka_unit_test_setup(test_bad_values_name_key_and_forms, setup),
		cmocka_unit_test_setup(test_message_is_complete, setup),
		cmocka_unit_test_setup(test_logbuf, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
