/* Fuzz target: boot/config.c, which turns the trace=, dump= and test= lists of the options
 * into the hypervisor's masks and counts. The lists come from the user's command line or
 * vmxray.cfg through boot/options.c, so the input goes through options_parse_word() first,
 * exactly as at boot: "trace=...", "dump=..." and "test=..." words.
 *
 * Input: up to three words separated by '\n'; a word's key is chosen by the first byte
 * (so the fuzzer does not have to guess key names), the rest is its value.
 * Checks: no memory error; every bit in the masks is an exit reason that exists (dump
 * bits also inside the per-reason count table), unless trace=all; only known test flags;
 * the warnings for unknown names are whole log lines.
 */
// fuzz-srcs: boot/config.c boot/options.c vmx/policy/trace_filter.c vmx/study/trace_record.c vmx/policy/intercept.c vmx/caps/caps.c vmx/vmcs/controls.c vmx/decode/exit_reasons.c drivers/fmt.c drivers/log.c

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/options.h"
#include "drivers/log.h"
#include "tests/fuzz/fuzz_input.h"
#include "vmx/decode/exit_reasons.h"
#include "vmx/hv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void boot_config_apply(struct hv_config *cfg, const struct vmxray_options *o);

static void sink(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	if (len == 0 || len >= LOG_LINE_MAX || strlen(line) != len || line[len - 1] != '\n')
		abort();
}

static bool mask_test(const uint64_t mask[2], unsigned r)
{
	return (mask[r / 64] >> (r % 64)) & 1;
}

static void check_config(const struct hv_config *cfg, const struct vmxray_options *o)
{
	bool trace_all = cfg->trace_mask[0] == ~0ULL && cfg->trace_mask[1] == ~0ULL;

	for (unsigned r = 0; r < 128; r++) {
		if (mask_test(cfg->trace_mask, r) && !trace_all && !exit_reason_defined(r))
			abort();
		if (mask_test(cfg->dump_mask, r) && (!exit_reason_defined(r) || r >= VMX_EXIT_REASON_SLOTS))
			abort();
	}
	for (unsigned r = 0; r < VMX_EXIT_REASON_SLOTS; r++)
		if (cfg->dump_count[r] && !mask_test(cfg->dump_mask, r))
			abort();
	if (cfg->test_flags & ~(HV_TEST_BAD_GUEST_STATE | HV_TEST_ROOT_EXCEPTION | HV_TEST_BAD_RESUME_STATE |
				 HV_TEST_UNEXPECTED_EXIT | HV_TEST_FEATURE_CONTROL_LOCKED | HV_TEST_NO_MEMORY))
		abort();
	if (cfg->recorder_depth != o->recorder_depth || cfg->check_every_entry != o->check_every_entry)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "trace=", "dump=", "test=" };
	static bool init;
	struct vmxray_options o;
	struct hv_config cfg;
	char word[OPT_LIST_MAX + 8], err[OPT_ERROR_MAX];
	size_t i = 0;

	if (!init) {
		log_add_sink(sink, NULL);
		init = true;
	}
	options_set_defaults(&o);
	for (int w = 0; w < 3 && i < size; w++) {
		const char *key = keys[data[i++] % 3];
		size_t start = i, klen = strlen(key);

		while (i < size && data[i] != '\n')
			i++;
		size_t vlen = i - start < OPT_LIST_MAX ? i - start : OPT_LIST_MAX;
		memcpy(word, key, klen);
		memcpy(word + klen, data + start, vlen);
		options_parse_word(&o, word, klen + vlen, err, sizeof(err));
		i++; /* the '\n' */
	}
	boot_config_apply(&cfg, &o);
	check_config(&cfg, &o);
	return 0;
}
