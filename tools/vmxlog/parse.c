/* vmxlog: the line prefix, the record keywords, and the log as a whole. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/vmxlog/parse_internal.h"

static const char *const level_names[] = {
	[VL_ERROR] = "error", [VL_WARN] = "warn", [VL_INFO] = "info",
	[VL_DEBUG] = "debug", [VL_TRACE] = "trace",
};

const char *vl_level_name(enum vl_level level)
{
	return (unsigned)level <= VL_TRACE ? level_names[level] : "?";
}

static bool parse_level(const char **p, enum vl_level *level)
{
	for (unsigned i = 0; i <= VL_TRACE; i++) {
		if (tx_lit(p, level_names[i])) {
			*level = (enum vl_level)i;
			return true;
		}
	}
	return false;
}

/* "[vmxray/cpuN] LEVEL: text" (docs/LOGFORMAT.md); *text points after ": ". */
static bool parse_prefix(const char *s, uint32_t *cpu, enum vl_level *level, const char **text)
{
	const char *p = s;
	uint64_t id;

	if (!tx_lit(&p, "[vmxray/cpu"))
		return false;
	if (tx_lit(&p, "-"))
		id = VL_CPU_NONE;
	else if (!tx_dec(&p, &id) || id >= VL_CPU_NONE)
		return false;
	if (!tx_lit(&p, "] ") || !parse_level(&p, level) || !tx_lit(&p, ": "))
		return false;
	*cpu = (uint32_t)id;
	*text = p;
	return true;
}

/* The slot of a CPU; the slot of the previous line first, as runs of lines from one CPU
 * are the rule. CPUs past VL_CPU_SLOTS share the last slot. */
static struct vl_cpu *cpu_slot(struct vl_log *log, uint32_t id)
{
	struct vl_cpu *c;

	if (log->cpu_hint < log->ncpu && log->cpu[log->cpu_hint].id == id)
		return &log->cpu[log->cpu_hint];
	for (unsigned i = 0; i < log->ncpu; i++) {
		if (log->cpu[i].id == id) {
			log->cpu_hint = i;
			return &log->cpu[i];
		}
	}
	if (log->ncpu == VL_CPU_SLOTS)
		return &log->cpu[VL_CPU_SLOTS - 1];
	c = &log->cpu[log->ncpu++];
	*c = (struct vl_cpu){ id, 0, -1, -1, -1 };
	return c;
}

void vl_add_msg(struct vl_ctx *c, const char *text, bool check)
{
	struct vl_log *log = c->log;
	struct vl_msg *m;

	log->msg = vl_grow(log->msg, &log->cap_msg, log->nmsg + 1, sizeof(*log->msg));
	m = &log->msg[log->nmsg++];
	m->cpu = c->cpu_id;
	m->line = c->line;
	m->level = c->level;
	m->check = check;
	m->text = vl_strndup(text, strlen(text));
}

bool vl_is_reason_name(const char *s)
{
	if (!(*s >= 'A' && *s <= 'Z'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static const struct {
	const char *keyword;
	bool (*parse)(struct vl_ctx *c, const char *text);
} records[] = {
	{ "CAPS ", vl_parse_caps },     { "VMCS ", vl_parse_vmcs },
	{ "EXIT ", vl_parse_exit },     { "STATS ", vl_parse_stats },
	{ "RECORDER ", vl_parse_recorder }, { "CHECK ", vl_parse_check },
	{ "TRACE ", vl_parse_trace },
};

/* A line that is no record: remember the banner, errors and warnings. */
static void plain_line(struct vl_ctx *c, const char *text)
{
	struct vl_log *log = c->log;

	if (!log->has_banner && strncmp(text, "vmxray ", 7) == 0) {
		log->has_banner = true;
		log->banner_line = c->line;
		tx_copy(log->banner, sizeof(log->banner), text, strlen(text));
	}
	if (c->level <= VL_WARN)
		vl_add_msg(c, text, false);
	if (!log->trace_opt[0] && strncmp(text, "options: ", 9) == 0)
		tx_kv(text + 9, "trace", log->trace_opt, sizeof(log->trace_opt));
}

static void vmxray_line(struct vl_log *log, uint32_t cpu, enum vl_level level, const char *text,
			unsigned long line_no)
{
	struct vl_ctx c = { log, cpu_slot(log, cpu), cpu, level, line_no };

	log->vmxray_lines++;
	c.cpu->lines++;
	for (size_t i = 0; i < sizeof(records) / sizeof(records[0]); i++) {
		const char *p = text;

		if (!tx_lit(&p, records[i].keyword))
			continue;
		if (!records[i].parse(&c, p))
			log->skipped++;
		return;
	}
	plain_line(&c, text);
}

void vl_parse(struct vl_log *log, const char *data, size_t len)
{
	char line[VL_LINE_MAX];
	struct vl_reader r;
	bool cut;

	vl_reader_init(&r, data, len);
	while (vl_reader_next(&r, line, sizeof(line), &cut)) {
		uint32_t cpu;
		enum vl_level level;
		const char *text;

		log->lines++;
		if (cut)
			log->long_lines++;
		if (parse_prefix(line, &cpu, &level, &text))
			vmxray_line(log, cpu, level, text, r.line_no);
		else
			vl_guest_line(log, line);
	}
}

/* ---- Files ---- */

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 0, n = 0;
	char *buf = NULL;

	for (;;) {
		buf = vl_grow(buf, &cap, n + 65536, 1);
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0)
			break;
	}
	*len = n;
	return buf;
}

bool vl_load_file(struct vl_log *log, const char *path, char *err, size_t n)
{
	FILE *f = fopen(path, "rb");
	size_t len;
	char *data;

	if (!f) {
		snprintf(err, n, "cannot open %s: %s", path, strerror(errno));
		return false;
	}
	data = read_all(f, &len);
	if (ferror(f)) {
		snprintf(err, n, "cannot read %s: %s", path, strerror(errno));
		fclose(f);
		free(data);
		return false;
	}
	fclose(f);
	vl_parse(log, data, len);
	free(data);
	return true;
}
