/* Unit tests: boot/options.c (command line and vmxray.cfg). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
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

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(o.serial_port, 0x3F8);
	assert_int_equal(o.log_level, LOG_INFO);
	assert_int_equal(o.console, OPT_CONSOLE_AUTO);
	assert_string_equal(o.chain, "");
	assert_int_equal(o.recorder_depth, 0);
}

static void test_cmdline_skips_program_name(void **state)
{
	(void)state;
	assert_true(options_parse_cmdline(&o, "fs0:\\vmxray.efi serial=0x2f8  log=debug\tchain=\\EFI\\x.efi",
					  err, sizeof(err)));
	assert_int_equal(o.serial_port, 0x2F8);
	assert_int_equal(o.log_level, LOG_DEBUG);
	assert_string_equal(o.chain, "\\EFI\\x.efi");
}

static void test_cmdline_without_program_name(void **state)
{
	(void)state;
	assert_true(options_parse_cmdline(&o, "serial=none log=trace", err, sizeof(err)));
	assert_int_equal(o.serial_port, 0);
	assert_int_equal(o.log_level, LOG_TRACE);
	assert_true(options_parse_cmdline(&o, "", err, sizeof(err)));
}

static void test_bad_value_names_key_and_choices(void **state)
{
	(void)state;
	assert_false(options_parse_cmdline(&o, "vmxray.efi log=loud", err, sizeof(err)));
	assert_string_equal(err, "option 'log': invalid value 'loud' (valid: error, warn, info, debug, trace)");
	assert_int_equal(o.log_level, LOG_INFO); /* unchanged */
}

static void test_bad_serial_values(void **state)
{
	(void)state;
	const char *bad[] = { "serial=", "serial=0", "serial=0x", "serial=com1", "serial=0x10000",
			      "serial=0xfffff", "serial=0x3fg" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(options_parse_word(&o, bad[i], strlen(bad[i]), err, sizeof(err)));
		assert_non_null(strstr(err, "option 'serial': invalid value"));
	}
	assert_true(options_parse_word(&o, "serial=1016", 11, err, sizeof(err)));
	assert_int_equal(o.serial_port, 1016);
}

static void test_gdb_options(void **state)
{
	(void)state;
	char line[512];
	assert_int_equal(o.gdb_port, 0);
	assert_false(o.gdb_wait);
	assert_true(options_parse_cmdline(&o, "vmxray.efi gdb=0x2f8 gdb_wait=on", err, sizeof(err)));
	assert_int_equal(o.gdb_port, 0x2F8);
	assert_true(o.gdb_wait);
	options_describe(&o, line, sizeof(line));
	assert_non_null(strstr(line, " gdb=0x2f8 gdb_wait=on"));
	assert_false(options_parse_word(&o, "gdb=0", 5, err, sizeof(err)));
	assert_non_null(strstr(err, "option 'gdb': invalid value"));
	assert_false(options_parse_word(&o, "gdb_wait=yes", 12, err, sizeof(err)));
	assert_true(options_parse_word(&o, "gdb=none", 8, err, sizeof(err)));
	assert_int_equal(o.gdb_port, 0);
}

static void test_log_tx_option(void **state)
{
	(void)state;
	char line[512];
	assert_false(o.log_tx_sync); /* async by default */
	options_describe(&o, line, sizeof(line));
	assert_null(strstr(line, "log_tx"));
	assert_true(options_parse_cmdline(&o, "vmxray.efi log_tx=sync", err, sizeof(err)));
	assert_true(o.log_tx_sync);
	options_describe(&o, line, sizeof(line));
	assert_non_null(strstr(line, " log_tx=sync"));
	assert_false(options_parse_word(&o, "log_tx=later", 12, err, sizeof(err)));
	assert_non_null(strstr(err, "option 'log_tx': invalid value 'later'"));
	assert_true(o.log_tx_sync); /* a rejected word changes nothing */
	assert_true(options_parse_word(&o, "log_tx=async", 12, err, sizeof(err)));
	assert_false(o.log_tx_sync);
}

static void test_unknown_key_and_missing_equals(void **state)
{
	(void)state;
	assert_false(options_parse_cmdline(&o, "vmxray.efi colour=red", err, sizeof(err)));
	assert_non_null(strstr(err, "unknown option 'colour'; valid keys: serial, log, console, chain"));
	assert_false(options_parse_cmdline(&o, "vmxray.efi log=info verbose", err, sizeof(err)));
	assert_non_null(strstr(err, "option 'verbose' is not of the form key=value"));
}

static void test_config_file(void **state)
{
	(void)state;
	const char *cfg = "# vmxray config\r\n\n  log=debug  \r\nserial=0x2e8\n#chain=none\nrecorder=64";
	assert_true(options_parse_config(&o, cfg, strlen(cfg), err, sizeof(err)));
	assert_int_equal(o.log_level, LOG_DEBUG);
	assert_int_equal(o.serial_port, 0x2E8);
	assert_int_equal(o.recorder_depth, 64);
	assert_string_equal(o.chain, "");
}

static void test_config_error_has_line_number(void **state)
{
	(void)state;
	const char *cfg = "log=info\n\ncheck=maybe\n";
	assert_false(options_parse_config(&o, cfg, strlen(cfg), err, sizeof(err)));
	assert_string_equal(err, "vmxray.cfg line 3: option 'check': invalid value 'maybe' (valid: on, off)");
}

static void test_overlong_and_out_of_range(void **state)
{
	(void)state;
	char word[OPT_PATH_MAX + 16] = "chain=";
	memset(word + 6, 'a', OPT_PATH_MAX);
	word[6 + OPT_PATH_MAX] = 0;
	assert_false(options_parse_word(&o, word, strlen(word), err, sizeof(err)));
	assert_false(options_parse_word(&o, "recorder=1025", 13, err, sizeof(err)));
	assert_true(options_parse_word(&o, "recorder=1024", 13, err, sizeof(err)));
}

/* trace=, dump= and test= are checked item by item when parsed: a bad item stops vmxray
 * with the same kind of message as log=loud, and the option keeps its earlier value. */
static bool parse(const char *word)
{
	err[0] = 0;
	return options_parse_word(&o, word, strlen(word), err, sizeof(err));
}

static void test_lists_checked_when_parsed(void **state)
{
	static const char *const bad[] = {
		"trace=", "trace=cpuid,", "trace=,cpuid", "trace=cpuid,nonsense", "trace=all,bogus",
		"dump=cpuid:", "dump=cpuid:0", "dump=cpuid:4294967296", "dump=cpuid:0x10", "dump=cpuid:-1",
		"dump=hlt:99999999999", "dump=:5", "dump=cpuid:1000001", "dump=nonsense:1",
		"test=nope", "test=bad-guest-state,", "test=no-memory,nope",
	};
	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *eq = strchr(bad[i], '=');
		char head[48];
		snprintf(head, sizeof(head), "option '%.*s': invalid value '%s' (valid: ", (int)(eq - bad[i]), bad[i],
			 eq + 1);
		if (parse(bad[i]))
			fail_msg("'%s' was accepted", bad[i]);
		if (strncmp(err, head, strlen(head)) != 0)
			fail_msg("'%s': message '%s'", bad[i], err);
	}
	assert_string_equal(o.trace, "");
	assert_string_equal(o.dump, "");
	assert_string_equal(o.test, "");
	assert_true(parse("trace=cpuid,MSR_READ,all"));
	assert_true(parse("dump=cpuid:1000000,triple_fault"));
	assert_true(parse("test=unexpected-exit,feature-control-locked"));
	assert_string_equal(o.dump, "cpuid:1000000,triple_fault");
}

static void test_split_count(void **state)
{
	size_t name_len = 99;
	uint32_t count = 99;

	(void)state;
	assert_true(options_split_count("cpuid", 5, &name_len, &count));
	assert_int_equal(name_len, 5);
	assert_int_equal(count, 1);
	assert_true(options_split_count("cpuid:42", 8, &name_len, &count));
	assert_int_equal(name_len, 5);
	assert_int_equal(count, 42);
	assert_false(options_split_count("cpuid:4294967296", 16, &name_len, &count));
	assert_false(options_split_count("cpuid:", 6, &name_len, &count));
}

static void test_describe(void **state)
{
	(void)state;
	char buf[512];
	assert_true(options_parse_cmdline(&o, "serial=none log=debug check=on trace=cpuid", err, sizeof(err)));
	options_describe(&o, buf, sizeof(buf));
	assert_string_equal(buf, "serial=none log=debug console=auto chain=(default) trace=cpuid trace_out=memory dump=none "
				 "check=on recorder=0 ipi=soft caps=short logbuf=64 user_hypercalls=off");
	assert_true(options_parse_cmdline(&o, "serial=mmio:0xfe030000,4 logbuf=16 user_hypercalls=on", err, sizeof(err)));
	options_describe(&o, buf, sizeof(buf));
	assert_non_null(strstr(buf, "serial=mmio:0xfe030000,4 "));
	assert_non_null(strstr(buf, " logbuf=16 user_hypercalls=on"));
	assert_false(options_parse_cmdline(&o, "user_hypercalls=yes", err, sizeof(err)));
	assert_non_null(strstr(err, "option 'user_hypercalls': invalid value 'yes'"));
	assert_true(options_parse_cmdline(&o, "serial=pci:00:1f.3", err, sizeof(err)));
	options_describe(&o, buf, sizeof(buf));
	assert_non_null(strstr(buf, "serial=pci:00:1f.3 "));
	assert_true(options_parse_cmdline(&o, "serial=0x2f8", err, sizeof(err)));
	options_describe(&o, buf, sizeof(buf));
	assert_non_null(strstr(buf, "serial=0x2f8 "));
	assert_true(options_parse_cmdline(&o, "ipi=hardware", err, sizeof(err)));
	assert_true(o.ipi_hardware);
	options_describe(&o, buf, sizeof(buf));
	assert_non_null(strstr(buf, " ipi=hardware"));
	assert_false(options_parse_cmdline(&o, "ipi=fast", err, sizeof(err)));
	assert_non_null(strstr(err, "soft"));
	assert_true(o.ipi_hardware); /* a refused value changes nothing */
}

static void test_trace_options(void **state)
{
	(void)state;
	char buf[512];

	assert_int_equal(o.trace_out, TRACE_OUT_MEMORY); /* records by default */
	assert_true(options_parse_cmdline(&o, "trace=cpuid,io_instruction trace_out=both tracebuf=8 "
					      "trace_filter=port:0x60-0x64,leaf:0x1", err, sizeof(err)));
	assert_int_equal(o.trace_out, TRACE_OUT_BOTH);
	assert_int_equal(o.tracebuf_kib, 8);
	assert_int_equal(o.trace_filter.n[TF_PORT], 1);
	assert_int_equal(o.trace_filter.range[TF_PORT][0].hi, 0x64);
	assert_int_equal(o.trace_filter.range[TF_LEAF][0].lo, 1);
	options_describe(&o, buf, sizeof(buf));
	assert_non_null(strstr(buf, "trace=cpuid,io_instruction trace_out=both dump="));
	assert_true(options_parse_cmdline(&o, "trace_out=stream", err, sizeof(err)));
	assert_int_equal(o.trace_out, TRACE_OUT_STREAM);

	assert_false(options_parse_cmdline(&o, "trace_out=uart", err, sizeof(err)));
	assert_non_null(strstr(err, "option 'trace_out': invalid value 'uart' (valid: memory"));
	assert_false(options_parse_cmdline(&o, "tracebuf=3", err, sizeof(err)));
	assert_false(options_parse_cmdline(&o, "tracebuf=1025", err, sizeof(err)));
	assert_non_null(strstr(err, "4..1024"));
	assert_int_equal(o.tracebuf_kib, 8); /* unchanged */
	assert_false(options_parse_cmdline(&o, "trace_filter=eax:1", err, sizeof(err)));
	assert_non_null(strstr(err, "option 'trace_filter': invalid value 'eax:1'"));
	assert_int_equal(o.trace_filter.n[TF_PORT], 1); /* a refused filter changes nothing */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, setup),
		cmocka_unit_test_setup(test_cmdline_skips_program_name, setup),
		cmocka_unit_test_setup(test_cmdline_without_program_name, setup),
		cmocka_unit_test_setup(test_bad_value_names_key_and_choices, setup),
		cmocka_unit_test_setup(test_bad_serial_values, setup),
		cmocka_unit_test_setup(test_gdb_options, setup),
		cmocka_unit_test_setup(test_log_tx_option, setup),
		cmocka_unit_test_setup(test_unknown_key_and_missing_equals, setup),
		cmocka_unit_test_setup(test_config_file, setup),
		cmocka_unit_test_setup(test_config_error_has_line_number, setup),
		cmocka_unit_test_setup(test_overlong_and_out_of_range, setup),
		cmocka_unit_test_setup(test_lists_checked_when_parsed, setup),
		cmocka_unit_test_setup(test_split_count, setup),
		cmocka_unit_test_setup(test_describe, setup),
		cmocka_unit_test_setup(test_trace_options, setup),
	};
	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
