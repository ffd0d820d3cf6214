/* Unit tests: the per-exit log budget and the rate limit of drivers/log.c (issue 20,
 * finding 9: a guest could make vmxray log without bound on a UART it slows down). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "drivers/log.h"

static void test_budget_take(void **state)
{
	(void)state;
	struct log_budget b = { 0 };
	uint64_t lines, bytes;

	assert_true(log_budget_take(&b, 1, 600, 1024, &lines, &bytes));
	assert_int_equal(lines, 0);
	assert_true(log_budget_take(&b, 1, 424, 1024, &lines, &bytes)); /* exactly full */
	assert_false(log_budget_take(&b, 1, 1, 1024, &lines, &bytes));
	assert_false(log_budget_take(&b, 1, 300, 1024, &lines, &bytes));
	assert_int_equal(b.pending_lines, 2);
	assert_int_equal(b.pending_bytes, 301);
	/* The next exit: a fresh budget, and the drops handed over for the report. */
	assert_true(log_budget_take(&b, 2, 100, 1024, &lines, &bytes));
	assert_int_equal(lines, 2);
	assert_int_equal(bytes, 301);
	assert_int_equal(b.used, 100);
	assert_true(log_budget_take(&b, 2, 100, 1024, &lines, &bytes));
	assert_int_equal(lines, 0); /* reported once */
	/* A line larger than the whole budget never fits. */
	assert_false(log_budget_take(&b, 3, 2000, 1024, &lines, &bytes));
	assert_int_equal(b.pending_lines, 1);
}

static void test_budget_lifted(void **state)
{
	(void)state;
	struct log_budget b = { 0 };
	uint64_t lines, bytes;
	assert_true(log_budget_take(&b, 7, 1000, 1024, &lines, &bytes));
	b.lifted = true; /* statistics or a dump in this exit */
	for (int i = 0; i < 100; i++)
		assert_true(log_budget_take(&b, 7, 500, 1024, &lines, &bytes));
	assert_false(log_budget_take(&b, 8, 2000, 1024, &lines, &bytes)); /* not in the next */
	assert_false(b.lifted);
}

/* The sink and the budget together: what is dropped is said, never silent. */
static char captured[8192];
static size_t ncaptured;
static void sink(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	if (ncaptured + len < sizeof(captured)) {
		memcpy(captured + ncaptured, line, len);
		ncaptured += len;
		captured[ncaptured] = 0;
	}
}
static struct log_budget cpu_budget;
static uint64_t cpu_epoch;
static struct log_budget *budget_fn(uint64_t *epoch)
{
	*epoch = cpu_epoch;
	return cpu_epoch ? &cpu_budget : NULL;
}

static void test_dropped_lines_reported(void **state)
{
	(void)state;
	log_remove_all_sinks();
	assert_true(log_add_sink(sink, NULL));
	log_set_budget(budget_fn, 100);
	cpu_epoch = 0; /* before launch: no limit */
	for (int i = 0; i < 10; i++)
		log_info("boot line %d with some words in it", i);
	assert_non_null(strstr(captured, "boot line 9"));
	ncaptured = 0;
	cpu_epoch = 5;
	for (int i = 0; i < 10; i++)
		log_info("exit line %d with some words in it", i);
	assert_non_null(strstr(captured, "exit line 0")); /* 54 bytes: one line of the 100 */
	assert_null(strstr(captured, "exit line 1"));
	assert_null(strstr(captured, "exit line 9"));
	log_error("errors always go out");
	assert_non_null(strstr(captured, "errors always go out"));
	cpu_epoch = 6;
	log_info("next exit");
	assert_non_null(strstr(captured, "warn: log: 9 lines ("));
	assert_non_null(strstr(captured, "dropped over the per-exit budget of 100 bytes"));
	assert_non_null(strstr(captured, "next exit"));
	uint64_t lines, bytes;
	uint32_t budget;
	log_dropped_totals(&lines, &bytes, &budget);
	assert_int_equal(lines, 9);
	assert_int_equal(budget, 100);
	log_set_budget(NULL, 0);
	log_remove_all_sinks();
}

static void test_rate_limit(void **state)
{
	(void)state;
	struct rate_limit r = { 0 };
	uint64_t refused = 99;
	/* A burst of 3, then one per 500 ticks. */
	assert_true(rate_limit_allow(&r, 1000, 500, 3, &refused));
	assert_int_equal(refused, 0);
	assert_true(rate_limit_allow(&r, 1001, 500, 3, &refused));
	assert_true(rate_limit_allow(&r, 1002, 500, 3, &refused));
	assert_false(rate_limit_allow(&r, 1003, 500, 3, &refused));
	assert_false(rate_limit_allow(&r, 1499, 500, 3, &refused));
	assert_true(rate_limit_allow(&r, 1500, 500, 3, &refused));
	assert_int_equal(refused, 2);
	assert_false(rate_limit_allow(&r, 1501, 500, 3, &refused));
	/* A long pause refills the bucket, never beyond the burst. */
	assert_true(rate_limit_allow(&r, 1000000, 500, 3, &refused));
	assert_int_equal(refused, 1);
	assert_true(rate_limit_allow(&r, 1000001, 500, 3, &refused));
	assert_true(rate_limit_allow(&r, 1000002, 500, 3, &refused));
	assert_false(rate_limit_allow(&r, 1000003, 500, 3, &refused));
	/* Two intervals give two tokens. */
	assert_true(rate_limit_allow(&r, 1001000, 500, 3, &refused));
	assert_true(rate_limit_allow(&r, 1001000, 500, 3, &refused));
	assert_false(rate_limit_allow(&r, 1001000, 500, 3, &refused));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_take),
		cmocka_unit_test(test_budget_lifted),
		cmocka_unit_test(test_dropped_lines_reported),
		cmocka_unit_test(test_rate_limit),
	};
	return cmocka_run_group_tests_name("log_budget", tests, NULL, NULL);
}
