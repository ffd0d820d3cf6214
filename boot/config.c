/* Turns the parsed options into the hypervisor's settings (trace and dump masks, test
 * flags). Pure. */
#include "boot/options.h"
#include "vmx/decode/exit_reasons.h"
#include "vmx/hv.h"
#include "vmx/policy/intercept.h"

#include <string.h>

static void mask_set(uint64_t mask[2], uint32_t r)
{
	mask[r / 64] |= 1ULL << (r % 64);
}

_Static_assert(OPT_EXIT_REASON_SLOTS == VMX_EXIT_REASON_SLOTS, "options and the hypervisor agree on dump slots");

/* The lists were checked item by item when they were parsed (boot/options.c): here every
 * name is known and every count in range. */
static void add_trace(void *ctx, const char *s, size_t n)
{
	struct hv_config *cfg = ctx;
	uint32_t r;

	if (n == 3 && !memcmp(s, "all", 3))
		cfg->trace_mask[0] = cfg->trace_mask[1] = ~0ULL;
	else if (exit_reason_from_short(s, n, &r))
		mask_set(cfg->trace_mask, r);
}

static void add_dump(void *ctx, const char *s, size_t n)
{
	struct hv_config *cfg = ctx;
	size_t name_len;
	uint32_t r, count;

	if (options_split_count(s, n, &name_len, &count) && exit_reason_from_short(s, name_len, &r) &&
	    r < VMX_EXIT_REASON_SLOTS) {
		mask_set(cfg->dump_mask, r);
		cfg->dump_count[r] = count;
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
static const uint32_t TEST_FLAG_BITS[] = {
#define TEST_FLAG(name, suffix) HV_TEST_##suffix,
#include "boot/test_flags.def"
#undef TEST_FLAG
};

static void add_test(void *ctx, const char *s, size_t n)
{
	struct hv_config *cfg = ctx;
	int i = options_test_flag(s, n);

	if (i >= 0)
		cfg->test_flags |= TEST_FLAG_BITS[i];
}

void boot_config_apply(struct hv_config *cfg, const struct vmxray_options *o)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->check_every_entry = o->check_every_entry;
	cfg->recorder_depth = o->recorder_depth;
	cfg->ipi_hardware = o->ipi_hardware;
	cfg->caps_full = o->caps_full;
	cfg->gdb_port = o->gdb_port;
	cfg->gdb_wait = o->gdb_wait;
	cfg->log_port = o->serial_port;
	cfg->user_hypercalls = o->user_hypercalls;
	options_for_each_item(o->trace, strlen(o->trace), add_trace, cfg);
	cfg->trace_out = o->trace_out;
	cfg->trace_lines = o->trace_out == TRACE_OUT_SERIAL || o->trace_out == TRACE_OUT_BOTH;
	cfg->tracebuf_kib = o->tracebuf_kib ? o->tracebuf_kib : TRACEBUF_DEFAULT_KIB;
	cfg->trace_filter = o->trace_filter;
	options_for_each_item(o->dump, strlen(o->dump), add_dump, cfg);
	options_for_each_item(o->test, strlen(o->test), add_test, cfg);
	struct intercept_set is = { 0 };
	if (intercept_parse_list(&is, o->intercept, strlen(o->intercept))) { /* checked when parsed */
		cfg->intercept_rows = is.rows;
		cfg->intercept_rows_all = is.rows_all;
		cfg->intercept_exceptions = is.exceptions;
		cfg->intercept_ept = is.ept_access;
		cfg->intercept_ept_first = is.ept_first;
		cfg->intercept_ept_last = is.ept_last;
	}
	cfg->exit_slow = cfg->check_every_entry || cfg->test_flags || cfg->trace_mask[0] || cfg->trace_mask[1] ||
			 cfg->dump_mask[0] || cfg->dump_mask[1];
}
