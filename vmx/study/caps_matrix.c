/* The capability matrix: what this CPU's VMX offers, what vmxray asked for and what it
 * uses, one fact per line, printed at start. Pure; output through a callback.
 *
 * FORMAT, version 1. A host log tool parses these lines: keep them stable. New facts go
 * at the end of a line or on a new kind of line; nothing is renamed or reordered. The
 * same snapshot and request give the same lines, byte for byte. Every line starts with
 * "CAPS "; hex is lower case with "0x": 16 digits for MSR values, 8 for the 32-bit
 * control groups, 16 for the tertiary group; <b> is 0 or 1.
 *
 *   CAPS BEGIN format=1
 *   CAPS CPU vendor=<s> family=0x<x> model=0x<x> stepping=<d> maxphyaddr=<d> vmx=<b>
 *       smx=<b> x2apic=<b> xsave=<b> osxsave=<b> page1gb=<b> hypervisor=<b> linaddr=<d>
 *   CAPS FEATURE_CONTROL 0x<16>: lock=<b> vmx_in_smx=<b> vmx_outside_smx=<b>
 *       state=<unlocked|locked-enabled|locked-disabled>          or: CAPS FEATURE_CONTROL absent
 *   CAPS VMX absent                                  (no VMX: only END follows)
 *   CAPS BASIC 0x<16>: revision=0x<x> vmcs_size=<d> memtype=<UC|WB|d> true_ctls=<b>
 *       ins_outs_info=<b> phys_addr_32=<b> dual_monitor=<b> no_errcode_check=<b>
 *   then for each control group G = PIN PROC PROC2 PROC3 EXIT ENTRY (G padded to 5):
 *   CAPS G     msr=<MSR name> raw=0x<16> allowed0=0x<w> allowed1=0x<w> default1=0x<w>
 *       value=<0x<w> | ->                                        or: CAPS G     absent
 *   CAPS G     bit <n padded to 2> <name padded to 39> allowed0=<b> allowed1=<b> <request> <state>
 *       name:    the SDM name from vmx/vmcs/controls.def, or "(reserved)"
 *       request: required | optional | -
 *       state:   used | unused | unavailable         (after negotiation)
 *                available | unavailable             (before: no controls given)
 *       allowed0/allowed1 are the bits of the MSR halves as the SDM defines them:
 *       allowed0=1 means the bit is forced to 1, allowed1=0 that it is forced to 0.
 *       One line for each named control of a present group, each reserved bit with
 *       allowed0=1 or allowed1=1, and each requested bit (also in an absent group).
 *   CAPS MISC 0x<16>: activity=<HLT,SHUTDOWN,WAIT_FOR_SIPI | none> preemption_rate=<d>
 *       cr3_targets=<d> max_msr_list=<d> store_lma=<b> pt_in_vmx=<b> vmwrite_any=<b>
 *       inject_len0=<b> mseg_revision=0x<x>
 *   CAPS EPT 0x<16>: <the supported of: x-only 4-level 5-level WB UC 2M 1G INVEPT single
 *       all A/D adv-exit-info supervisor-shadow-stack, in this order>  or: CAPS EPT absent
 *   CAPS VPID 0x<16>: <the supported of: INVVPID individual single all single-globals>
 *                                                                  or: CAPS VPID absent
 *   CAPS VMFUNC 0x<16>: eptp_switching=<b>                           or: CAPS VMFUNC absent
 *   CAPS CR0 fixed0=0x<16> fixed1=0x<16>
 *   CAPS CR4 fixed0=0x<16> fixed1=0x<16>
 *   CAPS VMCS_ENUM 0x<16>: max_index=0x<x>
 *   CAPS END
 *   CAPS INTERCEPTS allowed=<names | -> not_allowed=<names | -> ept_range=<b>
 *       (vmx_caps_matrix_intercepts, printed after END where VMX is present, so that the
 *       block's lines keep their numbers for the recorded fixtures): the opt-in intercepts
 *       of vmx/policy/intercepts.def (intercept=) this CPU can or cannot do, comma
 *       separated; exceptions (intercept=pf,...) always can; ept_range: intercept=ept:...
 *       (the monitor trap flag steps the access)
 *
 * (The continuation lines above are wrapped for this comment; each fact is one line.)
 * Sources: SDM Vol. 3C, Appendix A "VMX Capability Reporting Facility". */
#include <stdarg.h>
#include <string.h>

#include "drivers/fmt.h"
#include "vmx/caps/caps.h"
#include "vmx/policy/intercept.h"

struct matrix {
	const struct vmx_caps *c;
	const struct vmx_ctrl_request *req; /* may be NULL */
	const struct vmx_controls *used;    /* may be NULL */
	bool full;                          /* every known bit, not only the requested ones */
	vmx_caps_emit_fn emit;
	void *ctx;
};

static void emitf(const struct matrix *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void emitf(const struct matrix *m, const char *fmt, ...)
{
	char line[VMX_CAPS_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	m->emit(m->ctx, line);
}

static unsigned b(uint64_t v, uint64_t mask)
{
	return (v & mask) != 0;
}

static unsigned long long ull(uint64_t v)
{
	return (unsigned long long)v;
}

struct flag_word {
	uint64_t mask;
	const char *word;
};

/* The words whose mask is set in v, separated by sep, or "none". */
static void flag_words(char *buf, size_t n, uint64_t v, const struct flag_word *w, size_t count,
		       const char *sep)
{
	size_t len = 0;

	buf[0] = 0;
	for (size_t i = 0; i < count; i++) {
		if (!(v & w[i].mask) || len >= n)
			continue;
		len += fmt_snprintf(buf + len, n - len, "%s%s", len ? sep : "", w[i].word);
	}
	if (!len)
		fmt_snprintf(buf, n, "none");
}

/* ---- CPU, feature control, BASIC ---- */

static void matrix_cpu(const struct matrix *m)
{
	const struct vmx_cpuid_info *i = &m->c->cpu;

	emitf(m,
	      "CAPS CPU vendor=%s family=0x%x model=0x%x stepping=%u maxphyaddr=%u vmx=%u smx=%u x2apic=%u xsave=%u osxsave=%u page1gb=%u hypervisor=%u linaddr=%u",
	      i->vendor[0] ? i->vendor : "?", i->family, i->model, i->stepping, i->maxphyaddr,
	      i->vmx, i->smx, i->x2apic, i->xsave, i->osxsave, i->page1gb, i->hypervisor,
	      i->linaddr_width);
}

static void matrix_feature_control(const struct matrix *m)
{
	uint64_t fc = m->c->feature_control;

	if (!m->c->feature_control_valid) {
		emitf(m, "CAPS FEATURE_CONTROL absent");
		return;
	}
	emitf(m, "CAPS FEATURE_CONTROL 0x%016llx: lock=%u vmx_in_smx=%u vmx_outside_smx=%u state=%s",
	      ull(fc), b(fc, FEATURE_CONTROL_LOCK), b(fc, FEATURE_CONTROL_VMX_IN_SMX),
	      b(fc, FEATURE_CONTROL_VMX_OUTSIDE_SMX),
	      vmx_feature_control_state_name(vmx_caps_feature_control_state(m->c)));
}

static const char *memtype_name(unsigned t, char *buf, size_t n)
{
	if (t == VMX_MEMTYPE_UC)
		return "UC";
	if (t == VMX_MEMTYPE_WB)
		return "WB";
	fmt_snprintf(buf, n, "%u", t);
	return buf;
}

static void matrix_basic(const struct matrix *m)
{
	uint64_t v = vmx_caps_msr(m->c, MSR_IA32_VMX_BASIC);
	char mt[8];

	emitf(m,
	      "CAPS BASIC 0x%016llx: revision=0x%x vmcs_size=%u memtype=%s true_ctls=%u ins_outs_info=%u phys_addr_32=%u dual_monitor=%u no_errcode_check=%u",
	      ull(v), vmx_caps_vmcs_revision(m->c), vmx_caps_vmcs_size(m->c),
	      memtype_name(vmx_caps_vmcs_memtype(m->c), mt, sizeof(mt)), b(v, VMX_BASIC_TRUE_CTLS),
	      b(v, VMX_BASIC_INS_OUTS_INFO), b(v, VMX_BASIC_PHYS_ADDR_32),
	      b(v, VMX_BASIC_DUAL_MONITOR), b(v, VMX_BASIC_NO_HW_ERRCODE_CHECK));
}

/* ---- Control groups ---- */

static const char *const group_tags[VMX_CTRL_GROUP_COUNT] = {
	[VMX_CTRL_PIN] = "PIN",     [VMX_CTRL_PROC] = "PROC", [VMX_CTRL_PROC2] = "PROC2",
	[VMX_CTRL_PROC3] = "PROC3", [VMX_CTRL_EXIT] = "EXIT", [VMX_CTRL_ENTRY] = "ENTRY",
};

static unsigned group_width(enum vmx_ctrl_group g)
{
	return g == VMX_CTRL_PROC3 ? 64 : 32;
}

static uint64_t requested(const struct matrix *m, enum vmx_ctrl_group g)
{
	return m->req ? m->req->required[g] | m->req->optional[g] : 0;
}

static const char *request_word(const struct matrix *m, enum vmx_ctrl_group g, unsigned bit)
{
	if (m->req && bit_test(m->req->required[g], bit))
		return "required";
	if (m->req && bit_test(m->req->optional[g], bit))
		return "optional";
	return "-";
}

static const char *state_word(const struct matrix *m, enum vmx_ctrl_group g,
			      const struct vmx_ctrl_allowed *a, unsigned bit)
{
	if (!bit_test(a->allowed1, bit))
		return "unavailable";
	if (!m->used)
		return "available";
	return bit_test(vmx_controls_get(m->used, g), bit) ? "used" : "unused";
}

static void group_header(const struct matrix *m, enum vmx_ctrl_group g,
			 const struct vmx_ctrl_allowed *a)
{
	int w = (int)group_width(g) / 4;
	char value[24] = "-";

	if (m->used)
		fmt_snprintf(value, sizeof(value), "0x%0*llx", w, ull(vmx_controls_get(m->used, g)));
	emitf(m, "CAPS %-5s msr=%s raw=0x%016llx allowed0=0x%0*llx allowed1=0x%0*llx default1=0x%0*llx value=%s",
	      group_tags[g], vmx_caps_msr_name(a->msr), ull(a->raw), w, ull(a->allowed0), w,
	      ull(a->allowed1), w, ull(a->default1), value);
}

static bool bit_listed(const struct matrix *m, enum vmx_ctrl_group g,
		       const struct vmx_ctrl_allowed *a, unsigned bit)
{
	if (bit_test(requested(m, g), bit))
		return true;
	if (!a->present || !m->full)
		return false;
	return vmx_ctrl_text(g, bit) || bit_test(a->allowed0 | a->allowed1, bit);
}

static void bit_line(const struct matrix *m, enum vmx_ctrl_group g,
		     const struct vmx_ctrl_allowed *a, unsigned bit)
{
	const char *text = vmx_ctrl_text(g, bit);

	emitf(m, "CAPS %-5s bit %-2u %-39s allowed0=%u allowed1=%u %s %s", group_tags[g], bit,
	      text ? text : "(reserved)", (unsigned)bit_test(a->allowed0, bit),
	      (unsigned)bit_test(a->allowed1, bit), request_word(m, g, bit), state_word(m, g, a, bit));
}

static void matrix_group(const struct matrix *m, enum vmx_ctrl_group g)
{
	struct vmx_ctrl_allowed a;

	if (vmx_caps_ctrl_allowed(m->c, g, &a))
		group_header(m, g, &a);
	else
		emitf(m, "CAPS %-5s absent", group_tags[g]);
	for (unsigned bit = 0; bit < group_width(g); bit++)
		if (bit_listed(m, g, &a, bit))
			bit_line(m, g, &a, bit);
}

/* ---- MISC, EPT/VPID, VMFUNC, fixed bits, VMCS_ENUM ---- */

static const struct flag_word activity_words[] = {
	{ VMX_MISC_ACTIVITY_HLT, "HLT" },
	{ VMX_MISC_ACTIVITY_SHUTDOWN, "SHUTDOWN" },
	{ VMX_MISC_ACTIVITY_WAIT_SIPI, "WAIT_FOR_SIPI" },
};

static void matrix_misc(const struct matrix *m)
{
	uint64_t v = vmx_caps_msr(m->c, MSR_IA32_VMX_MISC);
	char act[48];

	flag_words(act, sizeof(act), v, activity_words, ARRAY_SIZE(activity_words), ",");
	emitf(m,
	      "CAPS MISC 0x%016llx: activity=%s preemption_rate=%u cr3_targets=%u max_msr_list=%u store_lma=%u pt_in_vmx=%u vmwrite_any=%u inject_len0=%u mseg_revision=0x%llx",
	      ull(v), act, vmx_caps_preemption_timer_rate(m->c), vmx_caps_cr3_target_count(m->c),
	      vmx_caps_max_msr_list(m->c), b(v, VMX_MISC_STORE_LMA), b(v, VMX_MISC_PT_IN_VMX),
	      b(v, VMX_MISC_VMWRITE_ANY), b(v, VMX_MISC_INJECT_LEN0), ull(bits_get(v, 63, 32)));
}

static const struct flag_word ept_words[] = {
	{ VMX_EPT_EXECUTE_ONLY, "x-only" },     { VMX_EPT_PAGE_WALK_4, "4-level" },
	{ VMX_EPT_PAGE_WALK_5, "5-level" },     { VMX_EPT_MEMTYPE_WB, "WB" },
	{ VMX_EPT_MEMTYPE_UC, "UC" },           { VMX_EPT_PDE_2M, "2M" },
	{ VMX_EPT_PDPTE_1G, "1G" },             { VMX_EPT_INVEPT, "INVEPT" },
	{ VMX_EPT_INVEPT_SINGLE, "single" },    { VMX_EPT_INVEPT_ALL, "all" },
	{ VMX_EPT_AD, "A/D" },                  { VMX_EPT_ADV_EXIT_INFO, "adv-exit-info" },
	{ VMX_EPT_SUPER_SHSTK, "supervisor-shadow-stack" },
};

static const struct flag_word vpid_words[] = {
	{ VMX_VPID_INVVPID, "INVVPID" },
	{ VMX_VPID_INVVPID_ADDR, "individual" },
	{ VMX_VPID_INVVPID_SINGLE, "single" },
	{ VMX_VPID_INVVPID_ALL, "all" },
	{ VMX_VPID_INVVPID_SINGLE_GLOBALS, "single-globals" },
};

static void matrix_ept_vpid_line(const struct matrix *m, const char *tag, bool present,
				 const struct flag_word *w, size_t count)
{
	uint64_t v = vmx_caps_msr(m->c, MSR_IA32_VMX_EPT_VPID_CAP);
	char words[160];

	if (!present) {
		emitf(m, "CAPS %s absent", tag);
		return;
	}
	flag_words(words, sizeof(words), v, w, count, " ");
	emitf(m, "CAPS %s 0x%016llx: %s", tag, ull(v), words);
}

static void matrix_vmfunc(const struct matrix *m)
{
	uint64_t v = vmx_caps_msr(m->c, MSR_IA32_VMX_VMFUNC);

	if (!vmx_caps_msr_valid(m->c, MSR_IA32_VMX_VMFUNC)) {
		emitf(m, "CAPS VMFUNC absent");
		return;
	}
	emitf(m, "CAPS VMFUNC 0x%016llx: eptp_switching=%u", ull(v), b(v, VMX_VMFUNC_EPTP_SWITCHING));
}

static void matrix_fixed(const struct matrix *m)
{
	const struct vmx_caps *c = m->c;
	uint64_t vmcs_enum = vmx_caps_msr(c, MSR_IA32_VMX_VMCS_ENUM);

	emitf(m, "CAPS CR0 fixed0=0x%016llx fixed1=0x%016llx", ull(vmx_caps_cr0_fixed0(c)),
	      ull(vmx_caps_cr0_fixed1(c)));
	emitf(m, "CAPS CR4 fixed0=0x%016llx fixed1=0x%016llx", ull(vmx_caps_cr4_fixed0(c)),
	      ull(vmx_caps_cr4_fixed1(c)));
	emitf(m, "CAPS VMCS_ENUM 0x%016llx: max_index=0x%x", ull(vmcs_enum), vmx_caps_vmcs_max_index(c));
}

void vmx_caps_matrix_intercepts(const struct vmx_caps *c, vmx_caps_emit_fn emit, void *ctx)
{
	const struct matrix mm = { c, NULL, NULL, false, emit, ctx }, *m = &mm;
	char yes[200] = "", no[200] = "";
	size_t ny = 0, nn = 0;
	for (unsigned i = 0; i < INTERCEPT_COUNT; i++) {
		const char *name = intercept_rows[i].name;
		if (intercept_row_allowed(m->c, (enum intercept_id)i, NULL))
			ny += fmt_snprintf(yes + ny, sizeof(yes) - ny, "%s%s", ny ? "," : "", name);
		else
			nn += fmt_snprintf(no + nn, sizeof(no) - nn, "%s%s", nn ? "," : "", name);
	}
	emitf(m, "CAPS INTERCEPTS allowed=%s not_allowed=%s ept_range=%d", ny ? yes : "-", nn ? no : "-",
	      intercept_ept_allowed(m->c));
}

static void matrix_vmx(const struct matrix *m)
{
	matrix_basic(m);
	for (unsigned g = 0; g < VMX_CTRL_GROUP_COUNT; g++)
		matrix_group(m, (enum vmx_ctrl_group)g);
	matrix_misc(m);
	matrix_ept_vpid_line(m, "EPT", vmx_caps_ept(m->c), ept_words, ARRAY_SIZE(ept_words));
	matrix_ept_vpid_line(m, "VPID", vmx_caps_vpid(m->c), vpid_words, ARRAY_SIZE(vpid_words));
	matrix_vmfunc(m);
	matrix_fixed(m);
}

void vmx_caps_matrix(const struct vmx_caps *c, const struct vmx_ctrl_request *req,
		     const struct vmx_controls *used, bool full, vmx_caps_emit_fn emit, void *ctx)
{
	const struct matrix m = { c, req, used, full, emit, ctx };

	emitf(&m, "CAPS BEGIN format=1");
	matrix_cpu(&m);
	matrix_feature_control(&m);
	if (vmx_caps_has_vmx(c))
		matrix_vmx(&m);
	else
		emitf(&m, "CAPS VMX absent");
	emitf(&m, "CAPS END");
}
