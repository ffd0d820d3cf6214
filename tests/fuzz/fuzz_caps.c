/* Fuzz target: vmx/caps/caps.c and vmx/study/caps_matrix.c, the capability snapshot (CPUID and the
 * VMX capability MSRs, as vmx_caps_collect() reads them), the control negotiation and the
 * capability matrix printed at start. The numbers come from the processor, or from the
 * hypervisor below when vmxray runs nested, so any values must work.
 *
 * Input: a flags byte; CPUID leaves and MSR values in the order vmx_caps_collect() asks
 * for them (tests/fuzz/fuzz_caps_source.h); then a request (required and optional bits
 * per control group). Flags bit 0 prints the matrix before negotiation (no request).
 * Checks: no memory error; every matrix line starts with "CAPS " and fits its buffer;
 * where an MSR's allowed-0 bits are a subset of its allowed-1 bits, the negotiated value
 * of a present group breaks no allowed setting; a successful negotiation sets every
 * required bit; a failed one lists missing bits (at most VMX_MISSING_MAX), each described
 * like snprintf.
 */
// fuzz-srcs: vmx/caps/caps.c vmx/study/caps_matrix.c vmx/vmcs/controls.c drivers/fmt.c

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_caps_source.h"
#include "tests/fuzz/fuzz_input.h"
#include "vmx/caps/caps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void emit(void *ctx, const char *line)
{
	(void)ctx;
	if (strnlen(line, VMX_CAPS_LINE_MAX) >= VMX_CAPS_LINE_MAX || strncmp(line, "CAPS ", 5) != 0)
		abort();
}

static void check_group(const struct vmx_caps *c, const struct vmx_controls *v, enum vmx_ctrl_group g)
{
	struct vmx_ctrl_allowed a;
	uint64_t value = vmx_controls_get(v, g);
	bool present = vmx_caps_ctrl_allowed(c, g, &a);

	if (!present) {
		if (value != 0)
			abort();
		return;
	}
	if ((g == VMX_CTRL_PROC2 && !(v->proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)) ||
	    (g == VMX_CTRL_PROC3 && !(v->proc & CPU_BASED_ACTIVATE_TERTIARY_CONTROLS))) {
		if (value != 0)
			abort();
		return;
	}
	if ((a.allowed0 & ~a.allowed1) == 0 && vmx_caps_ctrl_bad_bits(c, g, value) != 0)
		abort();
}

static void check_missing(const struct vmx_missing *m, bool ok)
{
	static char big[512];

	if (m->count > VMX_MISSING_MAX || ok != (m->count == 0) ||
	    (m->truncated && m->count != VMX_MISSING_MAX))
		abort();
	for (unsigned i = 0; i < m->count; i++) {
		size_t len = vmx_missing_describe(&m->item[i], big, sizeof(big));
		size_t n = len / 2;
		char *small = malloc(n);

		if (len >= sizeof(big) || strlen(big) != len || m->item[i].bit > 63 ||
		    vmx_missing_describe(&m->item[i], small, n) != len)
			abort();
		if (n && (memcmp(small, big, n - 1) != 0 || small[n - 1] != '\0'))
			abort();
		free(small);
	}
}

/* Every predicate and field accessor, for the sanitizers. */
static void ask_everything(const struct vmx_caps *c)
{
	volatile unsigned sink = 0;

	sink += vmx_caps_has_vmx(c) + vmx_caps_feature_control_state(c);
	sink += (unsigned)vmx_caps_feature_control_enable_value(c);
	sink += vmx_caps_unusable_reason(c) != NULL;
	sink += vmx_caps_vmcs_revision(c) + vmx_caps_vmcs_size(c) + vmx_caps_vmcs_memtype(c);
	sink += vmx_caps_true_ctls(c) + vmx_caps_activity_states(c);
	for (unsigned s = 0; s < 8; s++)
		sink += vmx_caps_activity_supported(c, s);
	sink += vmx_caps_preemption_timer_rate(c) + vmx_caps_cr3_target_count(c);
	sink += vmx_caps_max_msr_list(c) + vmx_caps_vmcs_max_index(c);
	sink += vmx_caps_maxphyaddr(c) + vmx_caps_linaddr_width(c);
	sink += vmx_caps_ept(c) + vmx_caps_ept_4level(c) + vmx_caps_ept_5level(c) +
		vmx_caps_ept_execute_only(c) + vmx_caps_ept_2m(c) + vmx_caps_ept_1g(c) +
		vmx_caps_ept_wb(c) + vmx_caps_ept_uc(c) + vmx_caps_ept_ad(c) +
		vmx_caps_invept_single(c) + vmx_caps_invept_all(c) + vmx_caps_vpid(c) +
		vmx_caps_invvpid_addr(c) + vmx_caps_invvpid_single(c) + vmx_caps_invvpid_all(c) +
		vmx_caps_unrestricted(c);
	for (uint32_t msr = MSR_IA32_VMX_FIRST - 1; msr <= MSR_IA32_VMX_LAST + 1; msr++)
		sink += vmx_caps_msr_name(msr) != NULL;
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmx_caps caps;
	struct fz f = fz_start(data, size);
	uint8_t flags = fz_u8(&f);
	struct vmx_ctrl_request req;
	struct vmx_controls ctls;
	struct vmx_missing missing;

	fz_caps(&f, &caps);
	if (flags & 1)
		vmx_caps_matrix(&caps, NULL, NULL, true, emit, NULL);
	for (int g = 0; g < VMX_CTRL_GROUP_COUNT; g++) {
		req.required[g] = fz_u64(&f);
		req.optional[g] = fz_u64(&f);
	}
	bool ok = vmx_negotiate(&caps, &req, &ctls, &missing);

	for (int g = 0; g < VMX_CTRL_GROUP_COUNT; g++) {
		check_group(&caps, &ctls, (enum vmx_ctrl_group)g);
		if (ok && (req.required[g] & ~vmx_controls_get(&ctls, (enum vmx_ctrl_group)g)))
			abort();
	}
	check_missing(&missing, ok);
	vmx_caps_matrix(&caps, &req, &ctls, true, emit, NULL);
	ask_everything(&caps);
	return 0;
}
