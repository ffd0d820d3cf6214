/* Fuzz target: vmx/decode/decode.c, the pure decoders of VMX hardware words (exit reasons, exit
 * qualifications, interruption information, access rights, EPTP, instruction information,
 * control fields). The words come from the processor on every VM exit and are shaped by
 * the guest, so any value must decode.
 *
 * Input: a list of operations, each an op byte, a buffer-size byte and two 64-bit words
 * (the word and, where one is needed, the exit reason or control group).
 * Checks: no memory error; every *_format behaves like snprintf: with a big buffer it
 * returns strlen() of what it wrote; with a buffer of exactly n bytes (a heap block, so a
 * write past it is caught) it returns the same length and writes the first n-1
 * characters and a NUL; every *_decode field is within its bit range; every name
 * lookup answers a string.
 */
// fuzz-srcs: vmx/decode/decode.c vmx/vmcs/controls.c vmx/decode/exit_reasons.c drivers/fmt.c

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_input.h"
#include "vmx/decode/decode.h"
#include "vmx/decode/exit_reasons.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BIG 8192
#define NUM_FORMATS 15

/* Exit reasons: mostly near the defined ones, sometimes any 32-bit value. */
static uint32_t pick_reason(uint64_t w)
{
	return (w >> 63) ? (uint32_t)w : (uint32_t)(w % (EXIT_REASON_MAX + 4));
}

static size_t format(unsigned op, char *buf, size_t n, uint64_t v, uint64_t w)
{
	switch (op) {
	case 0:
		return exit_reason_format(buf, n, (uint32_t)v);
	case 1:
		return cr_access_qual_format(buf, n, v);
	case 2:
		return dr_access_qual_format(buf, n, v);
	case 3:
		return io_qual_format(buf, n, v);
	case 4:
		return ept_violation_qual_format(buf, n, v);
	case 5:
		return task_switch_qual_format(buf, n, v);
	case 6:
		return apic_access_qual_format(buf, n, v);
	case 7:
		return decode_exit_qualification(buf, n, pick_reason(w), v);
	case 8:
		return intr_info_format(buf, n, (uint32_t)v);
	case 9:
		return seg_ar_format(buf, n, (uint32_t)v);
	case 10:
		return interruptibility_format(buf, n, (uint32_t)v);
	case 11:
		return eptp_format(buf, n, v);
	case 12:
		return vmx_insn_info_format(buf, n, pick_reason(w), (uint32_t)v);
	case 13:
		return decode_controls(buf, n, (enum vmx_ctrl_group)(w % VMX_CTRL_GROUP_COUNT), v);
	default:
		return exception_bitmap_format(buf, n, (uint32_t)v);
	}
}

static void check_format(unsigned op, size_t n, uint64_t v, uint64_t w)
{
	static char big[BIG];
	char *small = malloc(n); /* exactly n bytes */
	size_t len = format(op, big, sizeof(big), v, w);

	if (len >= sizeof(big) || strlen(big) != len)
		abort();
	if (format(op, small, n, v, w) != len)
		abort();
	if (n) {
		size_t kept = len < n - 1 ? len : n - 1;

		if (memcmp(small, big, kept) != 0 || small[kept] != '\0')
			abort();
	}
	free(small);
}

#define WITHIN(x, bits) ((uint64_t)(x) < (1ULL << (bits)))

static void check_decoders(uint64_t v)
{
	uint32_t v32 = (uint32_t)v;
	struct cr_access_qual cr = cr_access_qual_decode(v);
	struct dr_access_qual dr = dr_access_qual_decode(v);
	struct io_qual io = io_qual_decode(v);
	struct task_switch_qual ts = task_switch_qual_decode(v);
	struct apic_access_qual ap = apic_access_qual_decode(v);
	struct intr_info ii = intr_info_decode(v32);
	struct seg_ar ar = seg_ar_decode(v32);
	struct eptp ep = eptp_decode(v);
	struct vmx_insn_info in = vmx_insn_info_decode(v32);

	(void)exit_reason_decode(v32);
	(void)ept_violation_qual_decode(v);
	(void)interruptibility_decode(v32);
	if (!WITHIN(cr.cr, 4) || !WITHIN(cr.access_type, 2) || !WITHIN(cr.gpr, 4) ||
	    !WITHIN(dr.dr, 3) || !WITHIN(dr.gpr, 4) || !WITHIN(io.size_code, 3) || io.bytes > 4 ||
	    !WITHIN(ts.source, 2) || !WITHIN(ap.offset, 12) || !WITHIN(ap.access_type, 4) ||
	    !WITHIN(ii.type, 3) || !WITHIN(ar.type, 4) || !WITHIN(ar.dpl, 2) || ar.s > 1 ||
	    ar.unusable > 1 || !WITHIN(ep.memtype, 3) || ep.levels < 1 || ep.levels > 8 ||
	    (ep.root & 0xfff) || !WITHIN(in.scaling, 2) || !WITHIN(in.reg1, 4) ||
	    !WITHIN(in.address_size, 3) || !WITHIN(in.segment, 3) || !WITHIN(in.index, 4) ||
	    !WITHIN(in.base, 4) || !WITHIN(in.identity, 2) || !WITHIN(in.reg2, 4))
		abort();
}

static void check_names(uint64_t v)
{
	unsigned u = (unsigned)v;
	enum vmx_ctrl_group g = (enum vmx_ctrl_group)((v >> 32) % (VMX_CTRL_GROUP_COUNT + 2));

	if (!gpr_name(u) || !intr_type_name(u) || !activity_state_name(u) ||
	    !exit_reason_name(u) || !exit_reason_short(u) || !vmx_ctrl_group_name(g))
		abort();
	(void)exception_name(u);
	(void)vmx_ctrl_text((enum vmx_ctrl_group)(g % VMX_CTRL_GROUP_COUNT), u % 64);
	(void)vmx_ctrl_name((enum vmx_ctrl_group)(g % VMX_CTRL_GROUP_COUNT), u % 64);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = fz_start(data, size);

	do {
		unsigned op = fz_u8(&f) % NUM_FORMATS;
		size_t n = fz_u8(&f);
		uint64_t v = fz_u64(&f), w = fz_u64(&f);

		check_format(op, n, v, w);
		check_decoders(v);
		check_names(v);
	} while (!fz_empty(&f));
	return 0;
}
