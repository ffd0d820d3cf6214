/* The register file for gdb: see vmx/debug/gdb_regs.h. Layout and description come
 * from one table, vmx/debug/gdb_regs.def. */
#include "vmx/debug/gdb_regs.h"

#include <string.h>

enum gdb_feature { CORE, SSE, SEGMENTS, VMXRAY };

struct gdb_reg_desc {
	const char *name;
	uint8_t bytes;
	bool avail;
	enum gdb_feature feature;
	const char *type, *group;
};

static const struct gdb_reg_desc REGS[GDB_REG_COUNT] = {
#define GDB_REG(n, b, a, f, t, g) { #n, b, a, f, t, g },
#include "vmx/debug/gdb_regs.def"
#undef GDB_REG
};

/* gdb's feature names for the i386 family (GDB manual, "i386 Features"); vmxray's own
 * feature holds what gdb has no standard place for. */
static const char *const FEATURE_NAMES[] = {
	[CORE] = "org.gnu.gdb.i386.core",
	[SSE] = "org.gnu.gdb.i386.sse",
	[SEGMENTS] = "org.gnu.gdb.i386.segments",
	[VMXRAY] = "org.vmxray.vmx.control",
};

unsigned gdb_reg_size(unsigned regno)
{
	return regno < GDB_REG_COUNT ? REGS[regno].bytes : 0;
}

bool gdb_reg_available(unsigned regno)
{
	return regno < GDB_REG_COUNT && REGS[regno].avail;
}

static void pack_one(const struct gdb_regfile *r, unsigned i, struct gdb_out *o)
{
	if (REGS[i].avail) {
		gdb_out_hex_le(o, r->val[i], REGS[i].bytes);
		return;
	}
	for (unsigned b = 0; b < REGS[i].bytes; b++)
		gdb_out_str(o, "xx");
}

void gdb_regs_pack(const struct gdb_regfile *r, struct gdb_out *o)
{
	for (unsigned i = 0; i < GDB_REG_COUNT; i++)
		pack_one(r, i, o);
}

/* Little-endian hex of `bytes` bytes; "xx" pairs (unavailable) count as zero. */
static bool hex_le_value(const char *hex, unsigned bytes, uint64_t *v)
{
	uint64_t r = 0;
	for (unsigned b = 0; b < bytes; b++) {
		int hi = gdb_hex_digit(hex[2 * b]), lo = gdb_hex_digit(hex[2 * b + 1]);
		if (hex[2 * b] == 'x' && hex[2 * b + 1] == 'x')
			continue;
		if (hi < 0 || lo < 0)
			return false;
		if (b < 8)
			r |= (uint64_t)(hi << 4 | lo) << (8 * b);
	}
	*v = r;
	return true;
}

static void set_reg(struct gdb_regfile *r, unsigned i, uint64_t v)
{
	if (!REGS[i].avail || r->val[i] == v)
		return;
	r->val[i] = v;
	r->dirty |= 1ULL << i;
}

bool gdb_regs_unpack(struct gdb_regfile *r, const char *hex, size_t n)
{
	uint64_t vals[GDB_REG_COUNT];
	size_t off = 0;
	for (unsigned i = 0; i < GDB_REG_COUNT; i++) {
		if (off + 2u * REGS[i].bytes > n || !hex_le_value(hex + off, REGS[i].bytes, &vals[i]))
			return false;
		off += 2u * REGS[i].bytes;
	}
	if (off != n)
		return false;
	for (unsigned i = 0; i < GDB_REG_COUNT; i++)
		set_reg(r, i, vals[i]);
	return true;
}

bool gdb_reg_read(const struct gdb_regfile *r, unsigned regno, struct gdb_out *o)
{
	if (regno >= GDB_REG_COUNT)
		return false;
	pack_one(r, regno, o);
	return true;
}

bool gdb_reg_write(struct gdb_regfile *r, unsigned regno, const char *hex, size_t n)
{
	uint64_t v;
	if (regno >= GDB_REG_COUNT || n != 2u * REGS[regno].bytes || !hex_le_value(hex, REGS[regno].bytes, &v))
		return false;
	set_reg(r, regno, v);
	return true;
}

/* ---- the guest's state ---- */

#define RFLAGS_TF_BIT (1ULL << 8)
#define RFLAGS_FIXED1 (1ULL << 1)

static const enum gdb_reg SEG_REG[GDB_SEG_COUNT] = {
	GDB_REG_cs, GDB_REG_ss, GDB_REG_ds, GDB_REG_es, GDB_REG_fs, GDB_REG_gs,
};

/* SDM Vol. 3C, 25.6.6 "Guest/Host Masks and Read Shadows for CR0 and CR4": a guest read
 * of a host-owned bit returns the shadow's. */
static uint64_t cr_guest_view(uint64_t real, uint64_t mask, uint64_t shadow)
{
	return (real & ~mask) | (shadow & mask);
}

void gdb_regs_from_guest(const struct gdb_guest_state *s, bool stub_tf, bool guest_tf, struct gdb_regfile *r)
{
	uint64_t *v = r->val;
	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < 16; i++)
		v[i] = s->gpr[i];
	v[GDB_REG_rip] = s->rip;
	v[GDB_REG_eflags] = stub_tf ? (s->rflags & ~RFLAGS_TF_BIT) | (guest_tf ? RFLAGS_TF_BIT : 0) : s->rflags;
	for (unsigned i = 0; i < GDB_SEG_COUNT; i++)
		v[SEG_REG[i]] = s->sel[i];
	v[GDB_REG_fs_base] = s->fs_base;
	v[GDB_REG_gs_base] = s->gs_base;
	v[GDB_REG_cr0] = cr_guest_view(s->cr0, s->cr0_mask, s->cr0_shadow);
	v[GDB_REG_cr2] = s->cr2;
	v[GDB_REG_cr3] = s->cr3;
	v[GDB_REG_cr4] = cr_guest_view(s->cr4, s->cr4_mask, s->cr4_shadow);
	v[GDB_REG_efer] = s->efer;
}

static bool written(const struct gdb_regfile *r, enum gdb_reg i)
{
	return r->dirty & (1ULL << i);
}

void gdb_regs_to_guest(const struct gdb_regfile *r, struct gdb_guest_state *s, bool stub_tf, bool *guest_tf)
{
	const uint64_t *v = r->val;
	for (unsigned i = 0; i < 16; i++)
		if (written(r, (enum gdb_reg)i))
			s->gpr[i] = v[i];
	if (written(r, GDB_REG_rip))
		s->rip = v[GDB_REG_rip];
	if (written(r, GDB_REG_eflags)) {
		s->rflags = v[GDB_REG_eflags] | RFLAGS_FIXED1;
		if (stub_tf) {
			*guest_tf = s->rflags & RFLAGS_TF_BIT;
			s->rflags |= RFLAGS_TF_BIT;
		}
	}
	for (unsigned i = 0; i < GDB_SEG_COUNT; i++)
		if (written(r, SEG_REG[i]))
			s->sel[i] = (uint16_t)v[SEG_REG[i]];
	if (written(r, GDB_REG_fs_base)) s->fs_base = v[GDB_REG_fs_base];
	if (written(r, GDB_REG_gs_base)) s->gs_base = v[GDB_REG_gs_base];
	if (written(r, GDB_REG_cr0)) {
		s->cr0 = (v[GDB_REG_cr0] & ~s->cr0_mask) | (s->cr0 & s->cr0_mask);
		s->cr0_shadow = v[GDB_REG_cr0];
	}
	if (written(r, GDB_REG_cr4)) {
		s->cr4 = (v[GDB_REG_cr4] & ~s->cr4_mask) | (s->cr4 & s->cr4_mask);
		s->cr4_shadow = v[GDB_REG_cr4];
	}
	if (written(r, GDB_REG_cr2)) s->cr2 = v[GDB_REG_cr2];
	if (written(r, GDB_REG_cr3)) s->cr3 = v[GDB_REG_cr3];
	if (written(r, GDB_REG_efer)) s->efer = v[GDB_REG_efer];
}

/* ---- target description ---- */

#define XML_MAX 8192
static char xml[XML_MAX];
static size_t xml_len;

static void xml_add(const char *s)
{
	size_t n = strlen(s);
	if (xml_len + n < XML_MAX) {
		memcpy(xml + xml_len, s, n);
		xml_len += n;
		xml[xml_len] = '\0';
	}
}

static void xml_add_num(unsigned v)
{
	char tmp[12];
	unsigned n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	char out[12];
	for (unsigned i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	xml_add(out);
}

static void xml_add_reg(unsigned i)
{
	xml_add("<reg name=\"");
	xml_add(REGS[i].name);
	xml_add("\" bitsize=\"");
	xml_add_num(REGS[i].bytes * 8u);
	xml_add("\" regnum=\"");
	xml_add_num(i);
	xml_add("\" type=\"");
	xml_add(REGS[i].type);
	xml_add("\" group=\"");
	xml_add(REGS[i].group);
	xml_add("\"/>");
}

static void xml_build(void)
{
	xml_len = 0;
	xml_add("<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
		"<target version=\"1.0\"><architecture>i386:x86-64</architecture>");
	for (unsigned i = 0; i < GDB_REG_COUNT; i++) {
		if (i == 0 || REGS[i].feature != REGS[i - 1].feature) {
			if (i)
				xml_add("</feature>");
			xml_add("<feature name=\"");
			xml_add(FEATURE_NAMES[REGS[i].feature]);
			xml_add("\">");
		}
		xml_add_reg(i);
	}
	xml_add("</feature></target>");
}

const char *gdb_target_xml(void)
{
	if (!xml_len)
		xml_build();
	return xml;
}

bool gdb_target_xml_slice(const char *annex, uint64_t off, uint64_t len, struct gdb_out *o)
{
	if (strcmp(annex, "target.xml"))
		return false;
	const char *doc = gdb_target_xml();
	if (off >= xml_len) {
		gdb_out_str(o, "l");
		return true;
	}
	uint64_t left = xml_len - off;
	uint64_t room = GDB_PACKET_MAX / 2; /* escapes may double a byte on the wire */
	uint64_t n = len < left ? len : left;
	n = n < room ? n : room;
	gdb_out_str(o, n == left ? "l" : "m");
	gdb_out_mem(o, doc + off, (size_t)n);
	return true;
}
