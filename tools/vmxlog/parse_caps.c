/* vmxlog: CAPS lines, format 1 of vmx/study/caps_matrix.c. */
#include <string.h>

#include "tools/vmxlog/parse_internal.h"

static const char *const fact_tags[VL_FACTS] = {
	[VL_FACT_CPU] = "CPU",     [VL_FACT_FEATURE_CONTROL] = "FEATURE_CONTROL",
	[VL_FACT_VMX] = "VMX",     [VL_FACT_BASIC] = "BASIC",
	[VL_FACT_MISC] = "MISC",   [VL_FACT_EPT] = "EPT",
	[VL_FACT_VPID] = "VPID",   [VL_FACT_VMFUNC] = "VMFUNC",
	[VL_FACT_CR0] = "CR0",     [VL_FACT_CR4] = "CR4",
	[VL_FACT_VMCS_ENUM] = "VMCS_ENUM", [VL_FACT_INTERCEPTS] = "INTERCEPTS",
};

const char *vl_fact_tag(unsigned fact)
{
	return fact < VL_FACTS ? fact_tags[fact] : "?";
}

/* "0x<16 hex>: ..." or "absent". */
static bool msr_fact_ok(const char *rest)
{
	uint64_t v;
	unsigned digits;

	if (strcmp(rest, "absent") == 0)
		return true;
	return tx_hex(&rest, &v, &digits) && digits == 16 && rest[0] == ':';
}

static bool fact_ok(enum vl_caps_fact f, const char *rest)
{
	switch (f) {
	case VL_FACT_CPU:
		return strncmp(rest, "vendor=", 7) == 0;
	case VL_FACT_VMX:
		return strcmp(rest, "absent") == 0;
	case VL_FACT_INTERCEPTS:
		return strncmp(rest, "allowed=", 8) == 0;
	case VL_FACT_CR0:
	case VL_FACT_CR4:
		return strncmp(rest, "fixed0=0x", 9) == 0 && strstr(rest, " fixed1=0x") != NULL;
	default:
		return msr_fact_ok(rest);
	}
}

static bool parse_fact(struct vl_caps *caps, enum vl_caps_fact f, const char *rest)
{
	if (!fact_ok(f, rest))
		return false;
	caps->has_fact[f] = true;
	tx_copy(caps->fact[f], sizeof(caps->fact[f]), rest, strlen(rest));
	return true;
}

static bool parse_begin(struct vl_ctx *c, const char *p)
{
	struct vl_caps *caps = &c->log->caps;
	uint64_t format;

	if (!tx_lit(&p, "format=") || !tx_dec(&p, &format) || !tx_at_end(p))
		return false;
	unsigned blocks = caps->blocks;

	memset(caps, 0, sizeof(*caps));
	caps->blocks = blocks + 1;
	caps->format = (unsigned)format;
	caps->cpu = c->cpu_id;
	caps->line = c->line;
	return true;
}

/* "msr=<name> raw=0x.. allowed0=0x.. allowed1=0x.. default1=0x.. value=<0x.. | ->" */
static bool parse_group_header(struct vl_caps_ctl_group *g, const char *p)
{
	struct vl_caps_ctl_group h = *g;

	if (!tx_lit(&p, "msr=") || !tx_name(&p, h.msr, sizeof(h.msr)))
		return false;
	if (!tx_lit(&p, " raw=") || !tx_hex(&p, &h.raw, NULL))
		return false;
	if (!tx_lit(&p, " allowed0=") || !tx_hex(&p, &h.allowed0, NULL))
		return false;
	if (!tx_lit(&p, " allowed1=") || !tx_hex(&p, &h.allowed1, NULL))
		return false;
	if (!tx_lit(&p, " default1=") || !tx_hex(&p, &h.default1, NULL) || !tx_lit(&p, " value="))
		return false;
	h.value_set = !tx_lit(&p, "-");
	if (h.value_set && !tx_hex(&p, &h.value, NULL))
		return false;
	if (!tx_at_end(p))
		return false;
	h.header = true;
	*g = h;
	return true;
}

static bool parse_bit_tail(struct vl_caps_bit *b, const char *p)
{
	uint64_t a0, a1;

	if (!tx_lit(&p, " allowed0=") || !tx_dec(&p, &a0) || a0 > 1)
		return false;
	if (!tx_lit(&p, " allowed1=") || !tx_dec(&p, &a1) || a1 > 1 || !tx_space(&p))
		return false;
	if (!tx_word(&p, b->request, sizeof(b->request)) || !tx_space(&p))
		return false;
	if (!tx_word(&p, b->state, sizeof(b->state)) || !tx_at_end(p))
		return false;
	b->allowed0 = (unsigned)a0;
	b->allowed1 = (unsigned)a1;
	return true;
}

/* "bit <n> <name, padded> allowed0=<b> allowed1=<b> <request> <state>"; the name has
 * spaces of its own, so it ends at the last " allowed0=". */
static bool parse_bit(struct vl_caps_ctl_group *g, enum vl_caps_group grp, const char *p)
{
	struct vl_caps_bit b;
	uint64_t bit;
	const char *tail = NULL;

	if (!tx_lit(&p, "bit") || !tx_space(&p) || !tx_dec(&p, &bit) || !tx_space(&p))
		return false;
	if (bit >= (grp == VL_PROC3 ? 64u : 32u))
		return false;
	for (const char *s = strstr(p, " allowed0="); s; s = strstr(s + 1, " allowed0="))
		tail = s;
	if (!tail || tail == p)
		return false;
	size_t len = (size_t)(tail - p);

	while (len && p[len - 1] == ' ')
		len--;
	if (!len || len >= sizeof(b.name))
		return false;
	tx_copy(b.name, sizeof(b.name), p, len);
	if (!parse_bit_tail(&b, tail))
		return false;
	g->bit[bit] = b;
	g->listed |= 1ULL << bit;
	return true;
}

static bool parse_group(struct vl_caps *caps, enum vl_caps_group grp, const char *p)
{
	struct vl_caps_ctl_group *g = &caps->group[grp];

	if (strcmp(p, "absent") == 0) {
		g->absent = true;
		return true;
	}
	if (strncmp(p, "msr=", 4) == 0)
		return parse_group_header(g, p);
	return parse_bit(g, grp, p);
}

bool vl_parse_caps(struct vl_ctx *c, const char *text)
{
	struct vl_caps *caps = &c->log->caps;
	const char *p = text;
	char tag[24];

	if (tx_lit(&p, "BEGIN "))
		return parse_begin(c, p);
	if (strcmp(text, "END") == 0) {
		caps->ended = true;
		return true;
	}
	if (!tx_name(&p, tag, sizeof(tag)) || !tx_space(&p))
		return false;
	for (unsigned f = 0; f < VL_FACTS; f++)
		if (strcmp(tag, fact_tags[f]) == 0)
			return parse_fact(caps, (enum vl_caps_fact)f, p);
	for (unsigned g = 0; g < VL_CAPS_GROUPS; g++)
		if (strcmp(tag, vl_caps_group_tag((enum vl_caps_group)g)) == 0)
			return parse_group(caps, (enum vl_caps_group)g, p);
	return false;
}
