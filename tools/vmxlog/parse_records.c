/* vmxlog: EXIT, STATS, RECORDER and CHECK lines (docs/LOGFORMAT.md). */
#include <stdio.h>
#include <string.h>

#include "tools/vmxlog/parse_internal.h"

#define STATS_ROWS_MAX 65536
#define STATS_PER_CPU_MAX 256 /* "cpu<N>=<count>" items on one STATS total row */
#define REC_ENTRIES_MAX 65536
#define REC_CHANGES_MAX 1024
#define DETAIL_KEEP 255

/* ---- EXIT ---- */

static bool is_key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
}

/* One "key=value" detail: a lower-case key, a value without spaces; a value written as
 * hex ("0x...") must be all hex, which catches guest output glued to it. */
static bool detail_token_ok(const char *s, size_t len)
{
	size_t k = 0;

	while (k < len && is_key_char(s[k]))
		k++;
	if (!k || k + 1 >= len || s[k] != '=')
		return false;
	const char *v = s + k + 1, *end = s + len;
	uint64_t x;

	if (end - v >= 2 && v[0] == '0' && v[1] == 'x')
		return tx_hex(&v, &x, NULL) && v == end;
	return true;
}

static bool details_ok(const char *p)
{
	while (*p) {
		size_t len = strcspn(p, " ");

		if (!detail_token_ok(p, len))
			return false;
		p += len;
		tx_skip_spaces(&p);
	}
	return true;
}

static bool parse_dropped(struct vl_ctx *c, const char *p)
{
	uint64_t n;

	if (!tx_dec(&p, &n) || !tx_at_end(p))
		return false;
	c->log->dropped += n;
	return true;
}

/* "rip=0x<16 hex>" */
static bool parse_rip(const char **p, uint64_t *rip)
{
	unsigned digits;

	return tx_lit(p, "rip=") && tx_hex(p, rip, &digits) && digits == 16;
}

static bool parse_reason(struct vl_ctx *c, const char **p, uint32_t *id)
{
	char name[VL_NAME_MAX];

	if (!tx_lit(p, "reason=") || !tx_name(p, name, sizeof(name)) || !vl_is_reason_name(name))
		return false;
	*id = vl_strtab_intern(&c->log->reasons, name, strlen(name));
	return true;
}

void vl_add_exit(struct vl_ctx *c, struct vl_exit *e, const char *detail)
{
	struct vl_log *log = c->log;
	size_t len = strnlen(detail, DETAIL_KEEP);

	while (len && detail[len - 1] == ' ')
		len--;
	e->detail = vl_strtab_intern(&log->details, detail, len);
	if (!e->timed)
		e->cpu = c->cpu_id;
	e->line = c->line;
	log->exit = vl_grow(log->exit, &log->cap_exit, log->nexit + 1, sizeof(*log->exit));
	log->exit[log->nexit++] = *e;
}

/* "seq=<n> reason=<NAME> rip=0x<16> len=<d> qual=0x<hex> [key=value ...]" */
bool vl_parse_exit(struct vl_ctx *c, const char *text)
{
	const char *p = text;
	struct vl_exit e;
	uint64_t len;

	if (tx_lit(&p, "dropped="))
		return parse_dropped(c, p);
	if (!tx_lit(&p, "seq=") || !tx_dec(&p, &e.seq) || !tx_space(&p))
		return false;
	if (!parse_reason(c, &p, &e.reason) || !tx_space(&p) || !parse_rip(&p, &e.rip))
		return false;
	if (!tx_lit(&p, " len=") || !tx_dec(&p, &len) || len > UINT32_MAX)
		return false;
	if (!tx_lit(&p, " qual=") || !tx_hex(&p, &e.qual, NULL))
		return false;
	if (*p && !tx_space(&p))
		return false;
	if (!details_ok(p))
		return false;
	e.len = (uint32_t)len;
	e.tsc = 0;
	e.timed = false;
	vl_add_exit(c, &e, p);
	return true;
}

/* ---- STATS ---- */

static struct vl_stats *open_stats(struct vl_ctx *c)
{
	long i = c->cpu->open_stats;

	return i >= 0 && (size_t)i < c->log->nstats ? &c->log->stats[i] : NULL;
}

/* "begin reason=<why> cpus=<n>[ tsc=<n>]" (tsc: when the block began; newer logs) */
static bool stats_begin(struct vl_ctx *c, const char *p)
{
	struct vl_log *log = c->log;
	struct vl_stats s;

	memset(&s, 0, sizeof(s));
	if (!tx_lit(&p, "reason=") || !tx_word(&p, s.why, sizeof(s.why)))
		return false;
	if (!tx_lit(&p, " cpus=") || !tx_dec(&p, &s.cpus))
		return false;
	if (tx_lit(&p, " tsc=") && !tx_dec(&p, &s.tsc))
		return false;
	if (!tx_at_end(p))
		return false;
	s.logcpu = c->cpu_id;
	s.line = c->line;
	log->stats = vl_grow(log->stats, &log->cap_stats, log->nstats + 1, sizeof(*log->stats));
	log->stats[log->nstats] = s;
	c->cpu->open_stats = (long)log->nstats++;
	return true;
}

static bool stats_end(struct vl_ctx *c, const char *p)
{
	struct vl_stats *s = open_stats(c);
	uint64_t exits;

	if (!s || !tx_lit(&p, "exits=") || !tx_dec(&p, &exits) || !tx_at_end(p))
		return false;
	s->end_exits = exits;
	s->complete = true;
	c->cpu->open_stats = -1;
	return true;
}

static void stats_add_row(struct vl_stats *s, struct vl_stat_row r)
{
	s->row = vl_grow(s->row, &s->cap, s->count + 1, sizeof(*s->row));
	s->row[s->count++] = r;
}

static bool stats_has_cpu_row(const struct vl_stats *s, uint32_t reason)
{
	for (size_t i = 0; i < s->count; i++)
		if (!s->row[i].total && s->row[i].reason == reason)
			return true;
	return false;
}

/* "<NAME> <count>" after "cpu<N> "; after "total ", "<NAME> <count>[ cpu<N>=<count>...]":
 * the per-CPU counts become cpu rows, as older logs wrote them ("STATS cpu<N> <NAME>
 * <count>" lines). A total row of a one-CPU block with no counts after it is that CPU's
 * (the one that printed it), unless a cpu row already said so. */
static bool stats_row(struct vl_ctx *c, struct vl_stat_row r, const char *p)
{
	struct vl_stats *s = open_stats(c);
	char name[VL_NAME_MAX];
	struct vl_stat_row per[STATS_PER_CPU_MAX];
	size_t nper = 0;

	if (!s || s->count >= STATS_ROWS_MAX)
		return false;
	if (!tx_name(&p, name, sizeof(name)) || !vl_is_reason_name(name) || !tx_space(&p))
		return false;
	if (!tx_dec(&p, &r.count))
		return false;
	while (r.total && tx_lit(&p, " cpu")) {
		uint64_t cpu, n;
		if (!tx_dec(&p, &cpu) || cpu >= VL_CPU_NONE || !tx_lit(&p, "=") || !tx_dec(&p, &n) ||
		    nper == STATS_PER_CPU_MAX)
			return false;
		per[nper++] = (struct vl_stat_row){ false, (uint32_t)cpu, 0, n };
	}
	if (!tx_at_end(p) || s->count + 1 + nper > STATS_ROWS_MAX)
		return false;
	r.reason = vl_strtab_intern(&c->log->reasons, name, strlen(name));
	if (r.total && nper == 0 && s->cpus == 1 && !stats_has_cpu_row(s, r.reason))
		per[nper++] = (struct vl_stat_row){ false, s->logcpu, 0, r.count };
	for (size_t i = 0; i < nper; i++) {
		per[i].reason = r.reason;
		stats_add_row(s, per[i]);
	}
	stats_add_row(s, r);
	return true;
}

/* "intact=<n> of <m>" after "canaries " */
static bool stats_canaries(struct vl_ctx *c, const char *p)
{
	struct vl_stats *s = open_stats(c);
	uint64_t intact, all;

	if (!s || !tx_lit(&p, "intact=") || !tx_dec(&p, &intact) || !tx_lit(&p, " of ") || !tx_dec(&p, &all) ||
	    !tx_at_end(p) || intact > all)
		return false;
	s->have_canaries = true;
	s->canaries_intact = intact;
	s->canaries = all;
	return true;
}

/* "0x<hex> in=<n> out=<n>" or "other in=<n> out=<n>" after "port " */
static bool stats_port(struct vl_ctx *c, const char *p)
{
	struct vl_stats *s = open_stats(c);
	struct vl_stat_port r;
	uint64_t port;
	unsigned digits;

	if (!s || s->nport >= STATS_ROWS_MAX)
		return false;
	if (tx_lit(&p, "other"))
		port = VL_PORT_OTHER;
	else if (!tx_hex(&p, &port, &digits) || port > 0xFFFF)
		return false;
	r.port = (uint32_t)port;
	if (!tx_lit(&p, " in=") || !tx_dec(&p, &r.in) || !tx_lit(&p, " out=") || !tx_dec(&p, &r.out) ||
	    !tx_at_end(p))
		return false;
	s->port = vl_grow(s->port, &s->cap_port, s->nport + 1, sizeof(*s->port));
	s->port[s->nport++] = r;
	return true;
}

bool vl_parse_stats(struct vl_ctx *c, const char *text)
{
	const char *p = text;
	struct vl_stat_row r = { false, 0, 0, 0 };
	uint64_t cpu;

	if (tx_lit(&p, "begin "))
		return stats_begin(c, p);
	if (tx_lit(&p, "end "))
		return stats_end(c, p);
	if (tx_lit(&p, "canaries "))
		return stats_canaries(c, p);
	if (tx_lit(&p, "port "))
		return stats_port(c, p);
	if (tx_lit(&p, "total ")) {
		r.total = true;
		return stats_row(c, r, p);
	}
	if (!tx_lit(&p, "cpu") || !tx_dec(&p, &cpu) || cpu >= VL_CPU_NONE || !tx_space(&p))
		return false;
	r.cpu = (uint32_t)cpu;
	return stats_row(c, r, p);
}

/* ---- RECORDER ---- */

static struct vl_recorder *open_rec(struct vl_ctx *c)
{
	long i = c->cpu->open_rec;

	return i >= 0 && (size_t)i < c->log->nrec ? &c->log->rec[i] : NULL;
}

/* "begin cpu<N> why=<text, may hold spaces> entries=<n>" */
static bool rec_begin(struct vl_ctx *c, const char *p)
{
	struct vl_log *log = c->log;
	struct vl_recorder r;
	const char *tail = NULL;

	memset(&r, 0, sizeof(r));
	if (!tx_lit(&p, "cpu") || !tx_dec(&p, &r.cpu) || !tx_lit(&p, " why="))
		return false;
	for (const char *s = strstr(p, " entries="); s; s = strstr(s + 1, " entries="))
		tail = s;
	if (!tail)
		return false;
	tx_copy(r.why, sizeof(r.why), p, (size_t)(tail - p));
	p = tail;
	if (!tx_lit(&p, " entries=") || !tx_dec(&p, &r.entries) || !tx_at_end(p))
		return false;
	r.logcpu = c->cpu_id;
	r.line = c->line;
	log->rec = vl_grow(log->rec, &log->cap_rec, log->nrec + 1, sizeof(*log->rec));
	log->rec[log->nrec] = r;
	c->cpu->open_rec = (long)log->nrec++;
	return true;
}

/* "seq=<n> reason=<NAME> rip=0x<16> qual=0x<hex>" after "#<k> " */
static bool rec_entry(struct vl_ctx *c, struct vl_recorder *r, uint64_t k, const char *p)
{
	struct vl_rec_entry e;

	memset(&e, 0, sizeof(e));
	e.k = k;
	if (!tx_lit(&p, "seq=") || !tx_dec(&p, &e.seq) || !tx_space(&p))
		return false;
	if (!parse_reason(c, &p, &e.reason) || !tx_space(&p) || !parse_rip(&p, &e.rip))
		return false;
	if (!tx_lit(&p, " qual=") || !tx_hex(&p, &e.qual, NULL) || !tx_at_end(p))
		return false;
	if (r->count >= REC_ENTRIES_MAX)
		return false;
	r->entry = vl_grow(r->entry, &r->cap, r->count + 1, sizeof(*r->entry));
	r->entry[r->count++] = e;
	return true;
}

/* "<FIELD> 0x<old> -> 0x<new>" after "#<k>   ", for the entry #k just read */
static bool rec_change(struct vl_recorder *r, uint64_t k, const char *p)
{
	struct vl_rec_change ch;

	if (!r->count || r->entry[r->count - 1].k != k)
		return false;
	struct vl_rec_entry *e = &r->entry[r->count - 1];

	if (!tx_name(&p, ch.field, sizeof(ch.field)) || !tx_space(&p) || !tx_hex(&p, &ch.old, NULL))
		return false;
	if (!tx_lit(&p, " -> ") || !tx_hex(&p, &ch.new_, NULL) || !tx_at_end(p))
		return false;
	if (e->count >= REC_CHANGES_MAX)
		return false;
	e->chg = vl_grow(e->chg, &e->cap, e->count + 1, sizeof(*e->chg));
	e->chg[e->count++] = ch;
	return true;
}

bool vl_parse_recorder(struct vl_ctx *c, const char *text)
{
	const char *p = text;
	struct vl_recorder *r;
	uint64_t k;

	if (tx_lit(&p, "begin "))
		return rec_begin(c, p);
	r = open_rec(c);
	if (!r)
		return false;
	if (tx_lit(&p, "end")) {
		r->complete = tx_at_end(p);
		c->cpu->open_rec = r->complete ? -1 : c->cpu->open_rec;
		return r->complete;
	}
	if (!tx_lit(&p, "#") || !tx_dec(&p, &k) || !tx_space(&p))
		return false;
	if (strncmp(p, "seq=", 4) == 0)
		return rec_entry(c, r, k, p);
	return rec_change(r, k, p);
}

/* ---- CHECK ---- */

/* "fail <section number and title>: <condition>" or "ok <n> checks" */
bool vl_parse_check(struct vl_ctx *c, const char *text)
{
	const char *p = text;
	uint64_t n;

	if (tx_lit(&p, "fail ")) {
		char msg[VL_LINE_MAX / 2];

		if (!(*p >= '0' && *p <= '9') || !strstr(p, ": "))
			return false;
		snprintf(msg, sizeof(msg), "CHECK %s", text);
		vl_add_msg(c, msg, true);
		return true;
	}
	if (!tx_lit(&p, "ok ") || !tx_dec(&p, &n) || !tx_lit(&p, " checks") || !tx_at_end(p))
		return false;
	c->log->checks_ok++;
	return true;
}
