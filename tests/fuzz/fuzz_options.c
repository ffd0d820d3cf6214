/* Fuzz target: boot/options.c, the parser of the load options (command line) and of
 * \EFI\vmxray\vmxray.cfg, both written by whoever set up the boot entry.
 *
 * Input: one mode byte (0 command line, 1 config file, 2 one key=value word), one byte
 * for the size of the error buffer, then the text.
 * Checks: no memory error; a rejected input leaves a NUL-terminated message in the error
 * buffer; a rejected word leaves the options unchanged; accepted options describe
 * themselves in one bounded line with NUL-terminated strings.
 */
// fuzz-srcs: boot/options.c vmx/policy/trace_filter.c vmx/study/trace_record.c vmx/policy/intercept.c vmx/caps/caps.c vmx/vmcs/controls.c vmx/decode/exit_reasons.c drivers/fmt.c drivers/log.c

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/options.h"
#include "tests/fuzz/fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_strings(const struct vmxray_options *o)
{
	if (!memchr(o->chain, 0, sizeof(o->chain)) || !memchr(o->trace, 0, sizeof(o->trace)) ||
	    !memchr(o->dump, 0, sizeof(o->dump)) || !memchr(o->test, 0, sizeof(o->test)))
		abort();
	if (o->log_level > LOG_TRACE || o->console > OPT_CONSOLE_OFF || o->recorder_depth > 1024)
		abort();
}

static void check_described(const struct vmxray_options *o)
{
	char line[4 * OPT_LIST_MAX + OPT_PATH_MAX + 256];
	size_t n = options_describe(o, line, sizeof(line));

	if (n >= sizeof(line) || strlen(line) != n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = fz_start(data, size);
	unsigned mode = fz_u8(&f) % 3;
	size_t errlen = 1 + fz_u8(&f) % OPT_ERROR_MAX; /* callers pass sizeof: never 0 */
	char *err = malloc(errlen); /* exactly errlen: a write past it is a heap overflow */
	char *text = malloc(f.n + 1);
	struct vmxray_options o, before;
	bool ok;

	memcpy(text, f.p, f.n);
	text[f.n] = '\0';
	memset(err, 0x5a, errlen);
	options_set_defaults(&o);
	before = o;
	if (mode == 0)
		ok = options_parse_cmdline(&o, text, err, errlen);
	else if (mode == 1)
		ok = options_parse_config(&o, text, f.n, err, errlen);
	else
		ok = options_parse_word(&o, text, f.n, err, errlen);
	if (!ok && (!memchr(err, 0, errlen) || (errlen > 1 && err[0] == '\0')))
		abort(); /* a rejection always says why */
	if (!ok && mode == 2 && memcmp(&o, &before, sizeof(o)) != 0)
		abort();
	check_strings(&o);
	check_described(&o);
	free(text);
	free(err);
	return 0;
}
