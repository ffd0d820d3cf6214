/* Turns the parsed options into the hypervisor's settings (trace and dump masks, test
 * flags). Pure. */
#include "boot/options.h"
#include "drivers/log.h"
#include "vmx/decode/exit_reasons.h"
#include "vmx/hv.h"

#include <string.h>

static void mask_set(uint64_t mask[2], uint32_t r)
{
	mask[r / 64] |= 1ULL << (r % 64);
}

/* "a,b:3,c" -> calls fn for each item with its name and count (default 1). */
static void for_each_item(const char *list, void (*fn)(void *ctx, const char *s, size_t n, unsigned count),
			  void *ctx)
{
	while (*list) {
		const char *end = strchr(list, ',');
		size_t len = end ? (size_t)(end - list) : strlen(list);
		const char *colon = memchr(list, ':', len);
		unsigned count = 1;
		size_t name_len = colon ? (size_t)(colon - list) : len;
		if (colon) {
			count = 0;
			for (const char *p = colon + 1; p < list + len && *p >= '0' && *p <= '9'; p++)
				count = count * 10 + (unsigned)(*p - '0');
		}
		fn(ctx, list, name_len, count);
		list += len + (end ? 1 : 0);
	}
}

static void add_trace(void *ctx, const char *s, size_t n, unsigned count)
{
	struct hv_config *cfg = ctx;
	uint32_t r;
	(void)count;
	if (n == 3 && !memcmp(s, "all", 3)) {
		cfg->trace_mask[0] = cfg->trace_mask[1] = ~0ULL;
		return;
	}
	if (exit_reason_from_short(s, n, &r))
		mask_set(cfg->trace_mask, r);
	else
		log_warn("trace: unknown exit reason '%.*s' ignored", (int)n, s);
}

static void add_dump(void *ctx, const char *s, size_t n, unsigned count)
{
	struct hv_config *cfg = ctx;
	uint32_t r;
	if (exit_reason_from_short(s, n, &r) && r < VMX_EXIT_REASON_SLOTS) {
		mask_set(cfg->dump_mask, r);
		cfg->dump_count[r] = count;
	} else {
		log_warn("dump: unknown exit reason '%.*s' ignored", (int)n, s);
	}
}

/* test=<flag>[,<flag>...]: fault injection for the integration tests
 * (tests/integration/80-faults.sh); never for use on a machine that matters.
 *   bad-guest-state   breaks GUEST_CR0 (PG without PE) after the launch checker: the
 *                     first VM entry fails (INVALID_GUEST_STATE) and vmxray must fail
 *                     open, back to the firmware with the launch failed.
 *   root-exception    the guest's VMCALL with RAX = 0x7E57 (VMXRAY_HC_TEST_ROOT_EXCEPTION)
 *                     executes UD2 in root mode: the root-mode exception path (log,
 *                     VMCS dump, recorder), which stops that CPU.
 *   bad-resume-state  after the guest's VMCALL with RAX = 0x7E57, breaks GUEST_CR0 as
 *                     bad-guest-state does: with check=on the checker refuses the state
 *                     before VMRESUME; without it the VM entry fails. Both panic.
 * Used by tests/integration/85-failopen.sh:
 *   unexpected-exit   sets "RDPMC exiting" (when the CPU allows it), for which vmxray has
 *                     no handler: the guest's RDPMC (tests/guest/vmxcall.efi rdpmc) takes
 *                     the unexpected-exit policy (error line, VMCS dump, #UD to the guest).
 *   feature-control-locked
 *                     treats IA32_FEATURE_CONTROL as locked with VMX disabled (the value
 *                     read is replaced, the MSR is not touched): vmxray must refuse to
 *                     start and return to the firmware unchanged.
 *   no-memory         cuts the page pool to HV_TEST_NO_MEMORY_PAGES pages: the preparation
 *                     runs out of memory and vmxray returns to the firmware unchanged. */
static void add_test(void *ctx, const char *s, size_t n, unsigned count)
{
	struct hv_config *cfg = ctx;
	(void)count;
	if (n == 15 && !memcmp(s, "bad-guest-state", 15))
		cfg->test_flags |= HV_TEST_BAD_GUEST_STATE;
	else if (n == 14 && !memcmp(s, "root-exception", 14))
		cfg->test_flags |= HV_TEST_ROOT_EXCEPTION;
	else if (n == 16 && !memcmp(s, "bad-resume-state", 16))
		cfg->test_flags |= HV_TEST_BAD_RESUME_STATE;
	else if (n == 15 && !memcmp(s, "unexpected-exit", 15))
		cfg->test_flags |= HV_TEST_UNEXPECTED_EXIT;
	else if (n == 22 && !memcmp(s, "feature-control-locked", 22))
		cfg->test_flags |= HV_TEST_FEATURE_CONTROL_LOCKED;
	else if (n == 9 && !memcmp(s, "no-memory", 9))
		cfg->test_flags |= HV_TEST_NO_MEMORY;
	else
		log_warn("test: unknown fault injection '%.*s' ignored", (int)n, s);
}

void boot_config_apply(struct hv_config *cfg, const struct vmxray_options *o)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->check_every_entry = o->check_every_entry;
	cfg->recorder_depth = o->recorder_depth;
	cfg->ipi_hardware = o->ipi_hardware;
	cfg->caps_full = o->caps_full;
	for_each_item(o->trace, add_trace, cfg);
	for_each_item(o->dump, add_dump, cfg);
	for_each_item(o->test, add_test, cfg);
	cfg->exit_slow = cfg->check_every_entry || cfg->test_flags || cfg->trace_mask[0] || cfg->trace_mask[1] ||
			 cfg->dump_mask[0] || cfg->dump_mask[1];
}
