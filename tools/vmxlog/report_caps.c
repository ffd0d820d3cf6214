/* vmxlog caps: the capability matrix as tables. */
#include <string.h>

#include "tools/vmxlog/report.h"
#include "tools/vmxlog/table.h"
#include "tools/vmxlog/text.h"

#define FACT_WIDTH 72 /* summaries wrap at ", " */

bool vl_caps_seen(const struct vl_caps *caps)
{
	if (caps->blocks)
		return true;
	for (unsigned f = 0; f < VL_FACTS; f++)
		if (caps->has_fact[f])
			return true;
	for (unsigned g = 0; g < VL_CAPS_GROUPS; g++)
		if (caps->group[g].header || caps->group[g].absent || caps->group[g].listed)
			return true;
	return false;
}

/* ---- Facts: key=value pairs said in words ---- */

enum kv_show {
	KV_VALUE,  /* "label value" ("value" when the label is "") */
	KV_YES_NO, /* "label yes" or "label no" */
	KV_FLAG,   /* "label" when the value is 1, nothing when 0 */
};

struct kv_word {
	const char *key;
	const char *label;
	enum kv_show show;
};

static const struct kv_word cpu_words[] = {
	{ "vendor", "", KV_VALUE },      { "family", "family", KV_VALUE },
	{ "model", "model", KV_VALUE },  { "stepping", "stepping", KV_VALUE },
	{ "maxphyaddr", "MAXPHYADDR", KV_VALUE }, { "linaddr", "linear address bits", KV_VALUE },
	{ "vmx", "VMX", KV_FLAG },       { "smx", "SMX", KV_FLAG },
	{ "x2apic", "x2APIC", KV_FLAG }, { "xsave", "XSAVE", KV_FLAG },
	{ "osxsave", "OSXSAVE", KV_FLAG }, { "page1gb", "1-GByte pages", KV_FLAG },
	{ "hypervisor", "under a hypervisor", KV_FLAG },
};
static const struct kv_word feature_control_words[] = {
	{ "state", "", KV_VALUE },
	{ "lock", "lock", KV_YES_NO },
	{ "vmx_in_smx", "VMX in SMX", KV_YES_NO },
	{ "vmx_outside_smx", "VMX outside SMX", KV_YES_NO },
};
static const struct kv_word basic_words[] = {
	{ "revision", "VMCS revision", KV_VALUE },   { "vmcs_size", "size", KV_VALUE },
	{ "memtype", "memory type", KV_VALUE },      { "true_ctls", "TRUE_* MSRs", KV_YES_NO },
	{ "ins_outs_info", "INS/OUTS info", KV_YES_NO }, { "phys_addr_32", "32-bit addresses", KV_YES_NO },
	{ "dual_monitor", "dual-monitor SMM", KV_YES_NO }, { "no_errcode_check", "any error code", KV_YES_NO },
};
static const struct kv_word misc_words[] = {
	{ "activity", "activity states", KV_VALUE },
	{ "preemption_rate", "preemption timer rate", KV_VALUE },
	{ "cr3_targets", "CR3 targets", KV_VALUE },
	{ "max_msr_list", "MSR list max", KV_VALUE },
	{ "store_lma", "store LMA", KV_YES_NO },
	{ "pt_in_vmx", "PT in VMX", KV_YES_NO },
	{ "vmwrite_any", "VMWRITE to exit fields", KV_YES_NO },
	{ "inject_len0", "inject with length 0", KV_YES_NO },
};
static const struct kv_word vmfunc_words[] = { { "eptp_switching", "EPTP switching", KV_YES_NO } };
static const struct kv_word vmcs_enum_words[] = { { "max_index", "highest field index", KV_VALUE } };

static const char *kv_value(const struct kv_word *w, const char *v)
{
	if (w->show == KV_VALUE)
		return v;
	if (strcmp(v, "1") == 0)
		return w->show == KV_FLAG ? "" : "yes";
	if (strcmp(v, "0") == 0)
		return w->show == KV_FLAG ? NULL : "no";
	return v;
}

static void words(char *buf, size_t n, const char *text, const struct kv_word *w, size_t count)
{
	size_t len = 0;
	char v[VL_TEXT_MAX];

	buf[0] = '\0';
	for (size_t i = 0; i < count && len < n; i++) {
		if (!tx_kv(text, w[i].key, v, sizeof(v)))
			continue;
		const char *value = kv_value(&w[i], v);

		if (!value)
			continue;
		len += (size_t)snprintf(buf + len, n - len, "%s%s%s%s", len ? ", " : "", w[i].label,
					w[i].label[0] && value[0] ? " " : "", value);
	}
}

/* ---- CR0/CR4 fixed bits, by name ---- */

struct bit_name {
	unsigned bit;
	const char *name;
};
static const struct bit_name cr0_bits[] = {
	{ 0, "PE" }, { 1, "MP" }, { 2, "EM" },  { 3, "TS" },  { 4, "ET" },  { 5, "NE" },
	{ 16, "WP" }, { 18, "AM" }, { 29, "NW" }, { 30, "CD" }, { 31, "PG" },
};
static const struct bit_name cr4_bits[] = {
	{ 0, "VME" },     { 1, "PVI" },         { 2, "TSD" },   { 3, "DE" },    { 4, "PSE" },
	{ 5, "PAE" },     { 6, "MCE" },         { 7, "PGE" },   { 8, "PCE" },   { 9, "OSFXSR" },
	{ 10, "OSXMMEXCPT" }, { 11, "UMIP" },   { 12, "LA57" }, { 13, "VMXE" }, { 14, "SMXE" },
	{ 16, "FSGSBASE" }, { 17, "PCIDE" },    { 18, "OSXSAVE" }, { 19, "KL" }, { 20, "SMEP" },
	{ 21, "SMAP" },   { 22, "PKE" },        { 23, "CET" },  { 24, "PKS" },  { 25, "UINTR" },
};

static size_t bit_names(char *buf, size_t n, uint64_t mask, const struct bit_name *b, size_t count)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < count && len < n; i++)
		if (mask >> b[i].bit & 1)
			len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? " " : "", b[i].name);
	if (!len)
		snprintf(buf, n, "none");
	return len;
}

/* "must be 1: PE NE PG; must be 0: none" (SDM Vol. 3C, A.7 and A.8: a bit set in FIXED0
 * is fixed to 1, a bit clear in FIXED1 is fixed to 0). Only named bits are listed. */
static void cr_fixed(char *buf, size_t n, const char *text, bool cr4)
{
	const struct bit_name *b = cr4 ? cr4_bits : cr0_bits;
	size_t count = cr4 ? sizeof(cr4_bits) / sizeof(cr4_bits[0]) : sizeof(cr0_bits) / sizeof(cr0_bits[0]);
	char v0[40], v1[40], ones[160], zeros[160];
	const char *p0 = v0, *p1 = v1;
	uint64_t f0, f1;

	if (!tx_kv(text, "fixed0", v0, sizeof(v0)) || !tx_kv(text, "fixed1", v1, sizeof(v1)) ||
	    !tx_hex(&p0, &f0, NULL) || !tx_hex(&p1, &f1, NULL)) {
		snprintf(buf, n, "%s", text);
		return;
	}
	bit_names(ones, sizeof(ones), f0, b, count);
	bit_names(zeros, sizeof(zeros), ~f1, b, count);
	snprintf(buf, n, "must be 1: %s; must be 0: %s", ones, zeros);
}

/* The MSR value at the start of a fact ("0x...: ..."), and the text after ": ". */
static const char *fact_split(const char *fact, char *value, size_t n)
{
	const char *colon = strstr(fact, ": ");

	value[0] = '\0';
	if (strncmp(fact, "0x", 2) != 0 || !colon)
		return fact;
	tx_copy(value, n, fact, (size_t)(colon - fact));
	return colon + 2;
}

static void fact_words(enum vl_caps_fact f, const char *rest, char *buf, size_t n)
{
	switch (f) {
	case VL_FACT_CPU:
		words(buf, n, rest, cpu_words, sizeof(cpu_words) / sizeof(cpu_words[0]));
		break;
	case VL_FACT_FEATURE_CONTROL:
		words(buf, n, rest, feature_control_words, 4);
		break;
	case VL_FACT_BASIC:
		words(buf, n, rest, basic_words, sizeof(basic_words) / sizeof(basic_words[0]));
		break;
	case VL_FACT_MISC:
		words(buf, n, rest, misc_words, sizeof(misc_words) / sizeof(misc_words[0]));
		break;
	case VL_FACT_VMFUNC:
		words(buf, n, rest, vmfunc_words, 1);
		break;
	case VL_FACT_VMCS_ENUM:
		words(buf, n, rest, vmcs_enum_words, 1);
		break;
	case VL_FACT_CR0:
	case VL_FACT_CR4:
		cr_fixed(buf, n, rest, f == VL_FACT_CR4);
		break;
	default:
		snprintf(buf, n, "%s", rest);
	}
	if (!buf[0])
		snprintf(buf, n, "%s", rest);
}


static void print_facts(const struct vl_caps *caps, FILE *out)
{
	static const char *const head[] = { "FACT", "MSR VALUE", "SUMMARY" };
	struct table t;

	table_init(&t, 3, head, "lll");
	for (unsigned f = 0; f < VL_FACTS; f++) {
		char value[40], text[TABLE_CELL_MAX];

		if (!caps->has_fact[f])
			continue;
		const char *rest = fact_split(caps->fact[f], value, sizeof(value));

		fact_words((enum vl_caps_fact)f, rest, text, sizeof(text));
		table_row(&t);
		table_cell(&t, "%s", vl_fact_tag(f));
		table_cell(&t, "%s", value);
		table_cell_wrapped(&t, text, ", ", FACT_WIDTH);
	}
	table_print(&t, out, 2);
	table_free(&t);
}

/* ---- Control groups ---- */

static void print_group_header(const struct vl_caps_ctl_group *g, enum vl_caps_group grp,
			       FILE *out)
{
	int w = grp == VL_PROC3 ? 16 : 8;

	fprintf(out, "\n%s", vl_caps_group_tag(grp));
	if (g->absent)
		fprintf(out, ": absent (the CPU has no such controls)");
	if (g->header) {
		fprintf(out, ": %s raw=0x%016llx\n  allowed0=0x%0*llx allowed1=0x%0*llx default1=0x%0*llx value=",
			g->msr, (unsigned long long)g->raw, w, (unsigned long long)g->allowed0, w,
			(unsigned long long)g->allowed1, w, (unsigned long long)g->default1);
		if (g->value_set)
			fprintf(out, "0x%0*llx", w, (unsigned long long)g->value);
		else
			fprintf(out, "- (not negotiated)");
	}
	fputc('\n', out);
}

static void print_group(const struct vl_caps_ctl_group *g, enum vl_caps_group grp, FILE *out)
{
	static const char *const head[] = { "BIT", "NAME", "ALLOWED0", "ALLOWED1", "REQUEST", "STATE" };
	struct table t;

	if (!g->header && !g->absent && !g->listed)
		return;
	print_group_header(g, grp, out);
	if (!g->listed)
		return;
	table_init(&t, 6, head, "rlrrll");
	for (unsigned bit = 0; bit < 64; bit++) {
		const struct vl_caps_bit *b = &g->bit[bit];

		if (!(g->listed >> bit & 1))
			continue;
		table_row(&t);
		table_cell(&t, "%u", bit);
		table_cell(&t, "%s", b->name);
		table_cell(&t, "%u", b->allowed0);
		table_cell(&t, "%u", b->allowed1);
		table_cell(&t, "%s", b->request);
		table_cell(&t, "%s", b->state);
	}
	table_print(&t, out, 2);
	table_free(&t);
}

/* ---- What was asked for and what came of it ---- */

struct request_tally {
	unsigned requested, used, available, optional_unavailable, missing;
	char optional_list[VL_TEXT_MAX], missing_list[VL_TEXT_MAX];
};

static void list_add(char *list, size_t n, enum vl_caps_group g, unsigned bit, const char *name)
{
	size_t len = strlen(list);

	if (len < n)
		snprintf(list + len, n - len, "%s%s bit %u %s", len ? ", " : "", vl_caps_group_tag(g),
			 bit, name);
}

static void tally_bit(struct request_tally *t, enum vl_caps_group g, unsigned bit,
		      const struct vl_caps_bit *b)
{
	bool required = strcmp(b->request, "required") == 0;
	bool ok = strcmp(b->state, "used") == 0 || strcmp(b->state, "available") == 0;

	if (!required && strcmp(b->request, "optional") != 0)
		return;
	t->requested++;
	t->used += strcmp(b->state, "used") == 0;
	t->available += strcmp(b->state, "available") == 0;
	if (ok)
		return;
	if (required) {
		t->missing++;
		list_add(t->missing_list, sizeof(t->missing_list), g, bit, b->name);
	} else {
		t->optional_unavailable++;
		list_add(t->optional_list, sizeof(t->optional_list), g, bit, b->name);
	}
}

void caps_request_summary(const struct vl_caps *caps, char *buf, size_t n)
{
	struct request_tally t;

	memset(&t, 0, sizeof(t));
	for (unsigned g = 0; g < VL_CAPS_GROUPS; g++)
		for (unsigned bit = 0; bit < 64; bit++)
			if (caps->group[g].listed >> bit & 1)
				tally_bit(&t, (enum vl_caps_group)g, bit, &caps->group[g].bit[bit]);
	size_t len;

	if (t.available) /* a matrix printed before negotiation */
		len = (size_t)snprintf(buf, n, "%u requested, %u available (not negotiated)", t.requested,
				       t.available);
	else
		len = (size_t)snprintf(buf, n, "%u requested, %u used", t.requested, t.used);

	if (t.optional_unavailable && len < n)
		len += (size_t)snprintf(buf + len, n - len, ", %u optional unavailable (%s)",
					t.optional_unavailable, t.optional_list);
	if (len < n)
		snprintf(buf + len, n - len, "; required missing: %s", t.missing ? t.missing_list : "none");
}

void report_caps(const struct vl_log *log, FILE *out)
{
	const struct vl_caps *caps = &log->caps;
	char cpu[16], req[2 * VL_TEXT_MAX];

	if (caps->blocks)
		fprintf(out, "Capability matrix: format %u, %s, line %lu", caps->format,
			vl_cpu_name(caps->cpu, cpu, sizeof(cpu)), caps->line);
	else
		fprintf(out, "Capability matrix (its BEGIN line is missing)");
	if (caps->blocks > 1)
		fprintf(out, " (the last of %u)", caps->blocks);
	if (!caps->ended)
		fprintf(out, " (no END line: cut short)");
	fprintf(out, "\n\n");
	print_facts(caps, out);
	for (unsigned g = 0; g < VL_CAPS_GROUPS; g++)
		print_group(&caps->group[g], (enum vl_caps_group)g, out);
	caps_request_summary(caps, req, sizeof(req));
	fprintf(out, "\nRequested controls: %s\n", req);
}
