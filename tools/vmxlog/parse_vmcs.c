/* vmxlog: VMCS dump lines, the format of vmx/study/vmcs_dump.h. Each CPU writes its own dump;
 * lines of two CPUs' dumps may alternate, so the open dump is kept per CPU. */
#include <stdlib.h>
#include <string.h>

#include "tools/vmxlog/parse_internal.h"

#define FIELDS_MAX 4096 /* far above the architecture's ~200 fields */

static struct vl_dump *new_dump(struct vl_ctx *c, const char *title)
{
	struct vl_log *log = c->log;
	struct vl_dump *d;

	log->dump = vl_grow(log->dump, &log->cap_dump, log->ndump + 1, sizeof(*log->dump));
	d = &log->dump[log->ndump];
	memset(d, 0, sizeof(*d));
	d->cpu = c->cpu_id;
	d->line = c->line;
	d->cur_group = VL_G_NONE;
	tx_copy(d->title, sizeof(d->title), title, strlen(title));
	c->cpu->open_dump = (long)log->ndump++;
	return d;
}

static struct vl_dump *open_dump(struct vl_ctx *c)
{
	long i = c->cpu->open_dump;

	return i >= 0 && (size_t)i < c->log->ndump ? &c->log->dump[i] : NULL;
}

/* The open dump, or a new one when its begin line was lost (broken by guest output). */
static struct vl_dump *current_dump(struct vl_ctx *c)
{
	struct vl_dump *d = open_dump(c);

	return d ? d : new_dump(c, "(begin line lost)");
}

static bool parse_group(struct vl_ctx *c, const char *name)
{
	struct vl_dump *d = current_dump(c);

	d->cur_group = VL_G_NONE;
	for (unsigned g = 0; g < VL_G_NONE; g++)
		if (strcmp(name, vl_vmcs_group_name((enum vl_vmcs_group)g)) == 0)
			d->cur_group = (uint8_t)g;
	return d->cur_group != VL_G_NONE;
}

/* "<NAME, padded> 0x<ENC> = 0x<VALUE>" */
static bool parse_field(struct vl_ctx *c, const char *p)
{
	struct vl_field f;
	uint64_t enc;
	unsigned digits;

	memset(&f, 0, sizeof(f));
	if (!tx_name(&p, f.name, sizeof(f.name)) || !tx_space(&p))
		return false;
	if (!tx_hex(&p, &enc, NULL) || enc > UINT32_MAX || !tx_lit(&p, " = "))
		return false;
	if (!tx_hex(&p, &f.value, &digits) || !tx_at_end(p))
		return false;
	struct vl_dump *d = current_dump(c);

	if (d->count >= FIELDS_MAX)
		return false;
	f.enc = (uint32_t)enc;
	f.digits = (uint8_t)digits;
	f.group = d->cur_group;
	d->field = vl_grow(d->field, &d->cap, d->count + 1, sizeof(*d->field));
	d->field[d->count++] = f;
	return true;
}

/* Label "NAME" or "NAME (NOTE)" of a detail line. */
static bool parse_label(const char *label, size_t len, char *name, char *note)
{
	char buf[2 * VL_NAME_MAX + 4];
	const char *p = buf;

	if (len >= sizeof(buf))
		return false;
	tx_copy(buf, sizeof(buf), label, len);
	note[0] = '\0';
	if (!tx_name(&p, name, VL_NAME_MAX))
		return false;
	if (!*p)
		return true;
	if (!tx_lit(&p, " (") || !tx_name(&p, note, VL_NAME_MAX))
		return false;
	return strcmp(p, ")") == 0;
}

static void append_detail(struct vl_field *f, const char *text)
{
	size_t have = strlen(f->detail), add = strlen(text);

	if (have + 3 + add >= VL_DETAIL_MAX)
		return;
	char *d = realloc(f->detail, have + 3 + add + 1);

	if (!d)
		vl_out_of_memory();
	memcpy(d + have, " | ", 3);
	memcpy(d + have + 3, text, add + 1);
	f->detail = d;
}

/* "~ <LABEL>: <text>": decodes the field line just before it; a second line with the same
 * label continues a " | " list. */
static bool parse_detail(struct vl_ctx *c, const char *p)
{
	struct vl_dump *d = open_dump(c);
	char name[VL_NAME_MAX], note[VL_NAME_MAX];
	const char *colon = strstr(p, ": ");

	if (!d || !d->count || !colon || !parse_label(p, (size_t)(colon - p), name, note))
		return false;
	struct vl_field *f = &d->field[d->count - 1];
	const char *text = colon + 2;

	if (strcmp(name, f->name) != 0)
		return false;
	if (!f->detail) {
		f->detail = vl_strndup(text, strnlen(text, VL_DETAIL_MAX - 1));
		tx_copy(f->note, sizeof(f->note), note, strlen(note));
		return true;
	}
	if (strcmp(note, f->note) != 0)
		return false;
	append_detail(f, text);
	return true;
}

static bool parse_end(struct vl_ctx *c)
{
	struct vl_dump *d = open_dump(c);

	if (!d)
		return false;
	d->complete = true;
	c->cpu->open_dump = -1;
	return true;
}

bool vl_parse_vmcs(struct vl_ctx *c, const char *text)
{
	const char *p = text;

	if (tx_lit(&p, "dump begin:")) {
		tx_skip_spaces(&p);
		new_dump(c, p);
		return true;
	}
	if (tx_lit(&p, "dump end"))
		return tx_at_end(p) && parse_end(c);
	if (tx_lit(&p, "group "))
		return parse_group(c, p);
	if (tx_space(&p))
		return tx_lit(&p, "~ ") && parse_detail(c, p);
	return parse_field(c, p);
}
