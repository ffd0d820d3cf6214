/* Unit tests: drivers/fmt.c (formatter) and drivers/log.c (line format, levels, sinks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "drivers/fmt.h"
#include "drivers/log.h"

static char buf[256];

static void test_fmt_integers(void **state)
{
	(void)state;
	fmt_snprintf(buf, sizeof(buf), "%d %i %u", -42, 7, 4000000000u);
	assert_string_equal(buf, "-42 7 4000000000");
	fmt_snprintf(buf, sizeof(buf), "%lld %llu", (long long)INT64_MIN, (unsigned long long)UINT64_MAX);
	assert_string_equal(buf, "-9223372036854775808 18446744073709551615");
	fmt_snprintf(buf, sizeof(buf), "%x %X %#x %016llx", 0xbeefu, 0xbeefu, 0x10u, 0x1234ULL);
	assert_string_equal(buf, "beef BEEF 0x10 0000000000001234");
	fmt_snprintf(buf, sizeof(buf), "[%5d][%-5d][%05d]", 42, 42, -42);
	assert_string_equal(buf, "[   42][42   ][-0042]");
	fmt_snprintf(buf, sizeof(buf), "%zu %hhu %hu", (size_t)12, 0x1FF, 0x1FFFF);
	assert_string_equal(buf, "12 255 65535");
}

static void test_fmt_strings(void **state)
{
	(void)state;
	fmt_snprintf(buf, sizeof(buf), "[%s][%8s][%-8s][%.3s][%.*s]", "abc", "abc", "abc", "abcdef", 2,
		     "xyz");
	assert_string_equal(buf, "[abc][     abc][abc     ][abc][xy]");
	const char *volatile nothing = NULL; /* volatile: hide the NULL from -Wformat-overflow */
	fmt_snprintf(buf, sizeof(buf), "%c%c %% %s", 'o', 'k', nothing);
	assert_string_equal(buf, "ok % (null)");
	fmt_snprintf(buf, sizeof(buf), "%p", (void *)0x1000);
	assert_string_equal(buf, "0x1000");
}

static void test_fmt_truncation(void **state)
{
	(void)state;
	char small[6];
	size_t n = fmt_snprintf(small, sizeof(small), "%s", "0123456789");
	assert_int_equal(n, 10);
	assert_string_equal(small, "01234");
	n = fmt_snprintf(NULL, 0, "%d", 12345);
	assert_int_equal(n, 5);
}

static char captured[1024];
static size_t captured_len;
static void capture_sink(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	memcpy(captured + captured_len, line, len);
	captured_len += len;
	captured[captured_len] = 0;
}
static uint32_t fake_cpu(void)
{
	return 3;
}

static void test_log_line_format_and_levels(void **state)
{
	(void)state;
	captured_len = 0;
	log_remove_all_sinks();
	assert_true(log_add_sink(capture_sink, NULL));
	log_set_cpu_fn(fake_cpu);
	log_set_level(LOG_INFO);
	log_info("hello %d", 5);
	log_debug("hidden");
	log_error("bad %s", "thing");
	assert_string_equal(captured, "[vmxray/cpu3] info: hello 5\n[vmxray/cpu3] error: bad thing\n");
	log_set_level(LOG_TRACE);
	captured_len = 0;
	log_trace("t");
	assert_string_equal(captured, "[vmxray/cpu3] trace: t\n");
	log_remove_all_sinks();
}

static void test_log_long_line_is_cut_with_newline(void **state)
{
	(void)state;
	char big[LOG_LINE_MAX * 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	captured_len = 0;
	log_add_sink(capture_sink, NULL);
	log_set_level(LOG_INFO);
	log_info("%s", big);
	assert_true(captured_len < LOG_LINE_MAX);
	assert_int_equal(captured[captured_len - 1], '\n');
	log_remove_all_sinks();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_integers),
		cmocka_unit_test(test_fmt_strings),
		cmocka_unit_test(test_fmt_truncation),
		cmocka_unit_test(test_log_line_format_and_levels),
		cmocka_unit_test(test_log_long_line_is_cut_with_newline),
	};
	return cmocka_run_group_tests_name("fmt_log", tests, NULL, NULL);
}
