/* Fuzz target: the VM-entry checker, vmx/checker*.c: every rule of SDM Vol. 3C, 27.2 and
 * 27.3.1 run over a VMCS snapshot and a capability snapshot. Both come from the machine
 * (and the guest state from the guest), so the checker must survive any pair.
 *
 * Input: a flags byte; then CPUID leaves and MSR values in the order vmx_caps_collect()
 * reads them (tests/fuzz/fuzz_caps_source.h); then (field-index byte, 64-bit value)
 * pairs stored with vmcs_snapshot_set(). Flags bit 0 first writes the controls that
 * vmx_negotiate() gives for a request taken from the input, so that runs get past the
 * control checks into the guest-state ones as vmxray's own entries do.
 * Checks: no memory error; at most VMX_CHECK_MAX failures, "truncated" only when full;
 * each failure names a section, a rule and an architectural field, and formats like
 * snprintf (into an exact-size heap buffer too).
 */
// fuzz-srcs: vmx/checker/checker.c vmx/checker/checker_common.c vmx/checker/checker_controls.c vmx/checker/checker_host.c vmx/checker/checker_guest.c vmx/checker/checker_seg.c vmx/caps/caps.c vmx/vmcs/controls.c vmx/decode/decode.c vmx/decode/exit_reasons.c vmx/vmcs/vmcs_fields.c drivers/fmt.c

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_caps_source.h"
#include "tests/fuzz/fuzz_input.h"
#include "vmx/checker/checker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t control_fields[VMX_CTRL_GROUP_COUNT] = {
	[VMX_CTRL_PIN] = PIN_BASED_VM_EXEC_CONTROL,
	[VMX_CTRL_PROC] = CPU_BASED_VM_EXEC_CONTROL,
	[VMX_CTRL_PROC2] = SECONDARY_VM_EXEC_CONTROL,
	[VMX_CTRL_PROC3] = TERTIARY_VM_EXEC_CONTROL,
	[VMX_CTRL_EXIT] = VM_EXIT_CONTROLS,
	[VMX_CTRL_ENTRY] = VM_ENTRY_CONTROLS,
};

static void write_negotiated(struct fz *f, const struct vmx_caps *caps, struct vmcs_snapshot *s)
{
	struct vmx_ctrl_request req;
	struct vmx_controls ctls;
	struct vmx_missing missing;

	for (int g = 0; g < VMX_CTRL_GROUP_COUNT; g++) {
		req.required[g] = fz_u64(f) & fz_u64(f); /* sparse */
		req.optional[g] = fz_u64(f);
	}
	vmx_negotiate(caps, &req, &ctls, &missing);
	for (int g = 0; g < VMX_CTRL_GROUP_COUNT; g++)
		vmcs_snapshot_set(s, control_fields[g], vmx_controls_get(&ctls, (enum vmx_ctrl_group)g));
}

static void check_failure(const struct vmx_check_failure *fl)
{
	static char big[4096];
	size_t len = vmx_check_failure_format(fl, big, sizeof(big));
	size_t n = len / 2;
	char *small = malloc(n);

	if (!fl->section || !fl->rule || vmcs_field_index(fl->field) < 0)
		abort();
	if (len >= sizeof(big) || strlen(big) != len)
		abort();
	if (vmx_check_failure_format(fl, small, n) != len)
		abort();
	if (n && (memcmp(small, big, n - 1) != 0 || small[n - 1] != '\0'))
		abort();
	free(small);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmx_caps caps;
	static struct vmcs_snapshot s;
	static struct vmx_check_result out;
	struct fz f = fz_start(data, size);
	uint8_t flags = fz_u8(&f);

	fz_caps(&f, &caps);
	vmcs_snapshot_init(&s);
	if (flags & 1)
		write_negotiated(&f, &caps, &s);
	while (!fz_empty(&f)) {
		uint8_t idx = fz_u8(&f);

		vmcs_snapshot_set(&s, vmcs_field_table[idx % VMCS_FIELD_COUNT].encoding, fz_u64(&f));
	}
	memset(&out, 0x5a, sizeof(out));
	unsigned n = vmx_check_entry(&caps, &s, &out);

	if (n != out.count || n > VMX_CHECK_MAX || (out.truncated && n != VMX_CHECK_MAX))
		abort();
	for (unsigned i = 0; i < n; i++)
		check_failure(&out.item[i]);
	return 0;
}
