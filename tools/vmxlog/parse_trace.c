/* vmxlog: TRACE lines, the traced exits vmxray kept in memory (vmx/study/trace_record.h;
 * docs/LOGFORMAT.md): "TRACE <record>" (a dump at power-off or panic, or trace_out=stream),
 * "TRACE begin ...", "TRACE end ..." (one ring's counts), "TRACE dump ..." (what the dump
 * cost). Each record is also an exit of log->exit, so `trace` and `timeline` show records
 * as they show EXIT lines, with the guest TSC. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/vmxlog/parse_internal.h"
#include "tools/vmxlog/text.h"
#include "tools/vmxlog/vmxlog.h"

static const char *const reason_names[] = {
#define EXIT_REASON(number, name, short_name, facts, handler) [number] = #name,
#include "vmx/decode/exit_reasons.def"
#undef EXIT_REASON
};

static const char *const reason_shorts[] = {
#define EXIT_REASON(number, name, short_name, facts, handler) [number] = short_name,
#include "vmx/decode/exit_reasons.def"
#undef EXIT_REASON
};

bool vl_trace_reason_traced(const char *trace_opt, uint32_t basic)
{
	size_t nr = sizeof(reason_shorts) / sizeof(reason_shorts[0]);
	const char *s = trace_opt;

	while (*s) {
		size_t n = strcspn(s, ",");
		if (n == 3 && !strncmp(s, "all", 3))
			return true;
		if (basic < nr && reason_shorts[basic] && strlen(reason_shorts[basic]) == n &&
		    !strncmp(s, reason_shorts[basic], n))
			return true;
		s += n + (s[n] == ',');
	}
	return false;
}

const char *vl_trace_reason_name(uint32_t basic, char *buf, size_t n)
{
	if (basic < sizeof(reason_names) / sizeof(reason_names[0]) && reason_names[basic])
		return reason_names[basic];
	snprintf(buf, n, "REASON_%u", basic);
	return buf;
}

static bool trace_record_line(struct vl_ctx *c, const char *p)
{
	struct vl_log *log = c->log;
	struct vl_trace t = { .line = c->line };
	char name[32], detail[256];

	if (!trace_record_decode(p, strlen(p), &t.r))
		return false;
	log->trace = vl_grow(log->trace, &log->cap_trace, log->ntrace + 1, sizeof(*log->trace));
	log->trace[log->ntrace++] = t;

	const char *rn = vl_trace_reason_name(t.r.reason, name, sizeof(name));
	struct vl_exit e = { .seq = t.r.seq, .rip = t.r.rip, .qual = t.r.qual, .tsc = t.r.tsc, .timed = true,
			     .cpu = t.r.cpu, .reason = vl_strtab_intern(&log->reasons, rn, strlen(rn)) };
	trace_record_detail_text(&t.r, detail, sizeof(detail));
	vl_add_exit(c, &e, detail);
	return true;
}

/* "begin cpu=<i> apic=<id> record_bytes=64": the APIC ID of the ring's CPU (STATS names
 * CPUs by it), kept for the end line. */
static bool trace_begin_line(struct vl_ctx *c, const char *p)
{
	uint64_t cpu, apic, bytes;

	if (!tx_lit(&p, "cpu=") || !tx_dec(&p, &cpu) || !tx_lit(&p, " apic=") || !tx_dec(&p, &apic) ||
	    !tx_lit(&p, " record_bytes=") || !tx_dec(&p, &bytes) || !tx_at_end(p) || bytes != TRACE_RECORD_BYTES)
		return false;
	c->log->trace_begin_cpu = cpu;
	c->log->trace_begin_apic = apic;
	return true;
}

/* "end cpu=<i> records=<n> next=<n> lost=<n> read=<n> filtered=<n> open=<n>" */
static bool trace_end_line(struct vl_ctx *c, const char *p)
{
	static const char *const keys[] = { "cpu=", " records=", " next=", " lost=", " read=", " filtered=", " open=" };
	struct vl_trace_end e = { .line = c->line };
	uint64_t *v[] = { &e.cpu, &e.records, &e.next, &e.lost, &e.read, &e.filtered, &e.open };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!tx_lit(&p, keys[i]) || !tx_dec(&p, v[i]))
			return false;
	if (!tx_at_end(p))
		return false;
	e.apic = e.cpu == c->log->trace_begin_cpu ? c->log->trace_begin_apic : e.cpu;
	c->log->tend = vl_grow(c->log->tend, &c->log->cap_tend, c->log->ntend + 1, sizeof(*c->log->tend));
	c->log->tend[c->log->ntend++] = e;
	return true;
}

/* "dump records=<n> ticks=<n>" */
static bool trace_dump_line(struct vl_ctx *c, const char *p)
{
	uint64_t records, ticks;

	if (!tx_lit(&p, "records=") || !tx_dec(&p, &records) || !tx_lit(&p, " ticks=") || !tx_dec(&p, &ticks) ||
	    !tx_at_end(p))
		return false;
	c->log->dump_records += records;
	c->log->dump_ticks += ticks;
	return true;
}

bool vl_parse_trace(struct vl_ctx *c, const char *text)
{
	const char *p = text;

	if (tx_lit(&p, "begin "))
		return trace_begin_line(c, p);
	if (tx_lit(&p, "end "))
		return trace_end_line(c, p);
	if (tx_lit(&p, "dump "))
		return trace_dump_line(c, p);
	return trace_record_line(c, text);
}

/* Linux: "tsc: Detected 49.986 MHz processor" (after a "[    0.000000] " time stamp). */
void vl_guest_line(struct vl_log *log, const char *line)
{
	const char *s = strstr(line, "tsc: Detected ");
	char *end;

	if (!s || log->tsc_mhz > 0)
		return;
	double mhz = strtod(s + 14, &end);
	if (end != s + 14 && strncmp(end, " MHz", 4) == 0 && mhz > 0 && mhz < 1e6)
		log->tsc_mhz = mhz;
}
