/* Unit tests: tools/symexport/kallsyms_line.c (a /proc/kallsyms line as a System.map line). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "tools/symexport/kallsyms_line.h"

static char out[64];
static bool zero;

static const char *map(const char *line)
{
	memset(out, '#', sizeof(out));
	size_t n = kallsyms_map_line(line, out, sizeof(out) - 1, &zero);
	if (!n)
		return NULL;
	out[n] = '\0';
	return out;
}

static void test_text_symbols_kept(void **state)
{
	(void)state;
	assert_string_equal(map("ffffffff81000000 T _stext\n"), "ffffffff81000000 T _stext");
	assert_false(zero);
	assert_string_equal(map("ffffffff8103fc91 t native_safe_halt\n"), "ffffffff8103fc91 t native_safe_halt");
	assert_string_equal(map("ffffffff81234560 W arch_cpu_idle_enter\n"), "ffffffff81234560 W arch_cpu_idle_enter");
	assert_string_equal(map("ffffffff81234560 w weak_fn"), "ffffffff81234560 w weak_fn"); /* no newline */
	assert_string_equal(map("ffffffff8174fc00 t i8042_flush.cold\n"), "ffffffff8174fc00 t i8042_flush.cold");
}

static void test_module_dropped(void **state)
{
	(void)state;
	assert_string_equal(map("ffffffffc0a01000 t msr_open\t[msr]\n"), "ffffffffc0a01000 t msr_open");
}

static void test_other_types_refused(void **state)
{
	(void)state;
	assert_null(map("ffffffff82000000 D jiffies\n"));
	assert_null(map("ffffffff82000000 b bss_thing\n"));
	assert_null(map("ffffffff82000000 r rodata_thing\n"));
	assert_null(map("0000000000000000 A __per_cpu_start\n"));
}

static void test_malformed_refused(void **state)
{
	(void)state;
	assert_null(map(""));
	assert_null(map("\n"));
	assert_null(map("T name\n"));					/* no address */
	assert_null(map("ffffffff81000000 T\n"));			/* no name */
	assert_null(map("ffffffff81000000 T \n"));			/* empty name */
	assert_null(map("ffffffff81000000  T name\n"));			/* two blanks */
	assert_null(map("ffffffff81000000Tname\n"));			/* no blanks */
	assert_null(map("FFFFFFFF81000000 T upper_hex\n"));		/* kallsyms prints lower case */
	assert_null(map("1ffffffff81000000 T seventeen_digits\n"));	/* more than 64 bits */
	assert_null(map("ffffffff81000000 TT name\n"));
	assert_null(map("ffffffff81000000 T na\x01me\n"));		/* a control character */
	assert_null(map("ffffffff81000000 T na\xc3\xa9me\n"));		/* not ASCII */
	assert_null(map("ffffffff81000000 T name trailing\n"));	/* a blank after the name */
}

static void test_hidden_address_flagged(void **state)
{
	(void)state;
	assert_string_equal(map("0000000000000000 T _stext\n"), "0000000000000000 T _stext");
	assert_true(zero);
	assert_string_equal(map("0000000000001000 t low\n"), "0000000000001000 t low");
	assert_false(zero);
}

static void test_capacity_respected(void **state)
{
	char small[24];
	bool z;

	(void)state;
	memset(small, '#', sizeof(small));
	/* "ffffffff81000000 T " is 19 bytes: a 5-byte name fits 24 exactly, a 6-byte one does not */
	assert_int_equal(kallsyms_map_line("ffffffff81000000 T abcde\n", small, sizeof(small), &z), 24);
	assert_memory_equal(small, "ffffffff81000000 T abcde", 24);
	assert_int_equal(kallsyms_map_line("ffffffff81000000 T abcdef\n", small, sizeof(small), &z), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_symbols_kept),
		cmocka_unit_test(test_module_dropped),
		cmocka_unit_test(test_other_types_refused),
		cmocka_unit_test(test_malformed_refused),
		cmocka_unit_test(test_hidden_address_flagged),
		cmocka_unit_test(test_capacity_respected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
