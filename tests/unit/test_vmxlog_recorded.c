/* tools/vmxlog on logs recorded from real Bochs runs of vmxray (not generated):
 *   tests/fixtures/bochs_haswell_shell.log  shell, vmxray dump=cpuid:1 trace=cpuid,vmcall, vmxtest
 *   tests/fixtures/bochs_linux_vmxray.log   acpitables, vmxray, Debian's Linux 6.1, power-off
 * The expected numbers were read from the logs with grep (e.g. "STATS end exits=4369"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "tools/vmxlog/vmxlog.h"

static struct vl_log *load(const char *path)
{
	struct vl_log *log = calloc(1, sizeof(*log));
	char err[256];
	vl_init(log);
	if (!vl_load_file(log, path, err, sizeof(err)))
		fail_msg("cannot load %s: %s", path, err);
	return log;
}

static uint64_t total_of(const struct vl_log *log, const char *reason)
{
	const struct vl_stats *s = &log->stats[log->nstats - 1];
	for (size_t i = 0; i < s->count; i++)
		if (s->row[i].total && !strcmp(vl_strtab_get(&log->reasons, s->row[i].reason), reason))
			return s->row[i].count;
	return 0;
}

static uint64_t sum_of_totals(const struct vl_stats *s)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < s->count; i++)
		if (s->row[i].total)
			sum += s->row[i].count;
	return sum;
}

static void test_haswell_shell(void **state)
{
	(void)state;
	struct vl_log *log = load("tests/fixtures/bochs_haswell_shell.log");
	assert_true(log->has_banner);
	assert_non_null(strstr(log->banner, "vmxray 0.1 ("));
	assert_int_equal(log->ncpu, 1);
	assert_int_equal(log->caps.blocks, 1);
	/* two dumps: dump=cpuid:1 and the DUMP_VMCS hypercall of vmxtest */
	assert_int_equal(log->ndump, 2);
	assert_string_equal(log->dump[0].title, "dump=cpuid on cpu0");
	assert_true(log->dump[0].complete);
	long i = vl_dump_find(&log->dump[0], "VM_EXIT_REASON");
	assert_true(i >= 0);
	assert_int_equal(log->dump[0].field[i].value, 10); /* CPUID */
	assert_true(vl_dump_find(&log->dump[0], "GUEST_RIP") >= 0);
	/* trace=cpuid,vmcall: the first 200 exits of the window */
	assert_int_equal(log->nexit, 200);
	for (size_t k = 0; k < log->nexit; k++) {
		const char *r = vl_strtab_get(&log->reasons, log->exit[k].reason);
		assert_true(!strcmp(r, "CPUID") || !strcmp(r, "VMCALL"));
	}
	assert_int_equal(log->nstats, 1);
	assert_true(log->stats[0].complete);
	assert_string_equal(log->stats[0].why, "power-off");
	assert_int_equal(log->stats[0].end_exits, 4369);
	assert_int_equal(sum_of_totals(&log->stats[0]), 4369);
	assert_int_equal(total_of(log, "CPUID"), 3214);
	assert_int_equal(total_of(log, "EPT_VIOLATION"), 700);
	vl_free(log);
	free(log);
}

static void test_linux_under_vmxray(void **state)
{
	(void)state;
	struct vl_log *log = load("tests/fixtures/bochs_linux_vmxray.log");
	assert_true(log->has_banner);
	assert_int_equal(log->ndump, 0);
	assert_int_equal(log->nexit, 0);
	assert_int_equal(log->nstats, 1);
	assert_string_equal(log->stats[0].why, "power-off");
	assert_int_equal(log->stats[0].end_exits, 20056);
	assert_int_equal(sum_of_totals(&log->stats[0]), 20056);
	assert_int_equal(total_of(log, "CPUID"), 5421);
	vl_free(log);
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_haswell_shell),
		cmocka_unit_test(test_linux_under_vmxray),
	};
	return cmocka_run_group_tests_name("vmxlog_recorded", tests, NULL, NULL);
}
