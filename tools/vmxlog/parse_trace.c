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

/* The reason's details as EXIT lines write them (key=value words). */
void vl_trace_detail_text(const struct trace_record *r, char *buf, size_t n)
{
	const union trace_detail *d = &r->detail;
	static const char *const access[4] = { "mov-to", "mov-from", "clts", "lmsw" };

	buf[0] = '\0';
	switch (trace_detail_kind(r->reason)) {
	case TRACE_KIND_CPUID:
		snprintf(buf, n, "leaf=0x%x subleaf=0x%x eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x", d->cpuid.leaf,
			 d->cpuid.subleaf, d->cpuid.eax, d->cpuid.ebx, d->cpuid.ecx, d->cpuid.edx);
		break;
	case TRACE_KIND_MSR: snprintf(buf, n, "msr=0x%x value=0x%016llx", d->msr.msr, (unsigned long long)d->msr.value); break;
	case TRACE_KIND_IO:
		snprintf(buf, n, "port=0x%04x size=%u dir=%s%s%s value=0x%x", d->io.port, d->io.size,
			 d->io.flags & TRACE_IO_IN ? "in" : "out", d->io.flags & TRACE_IO_STRING ? " string" : "",
			 d->io.flags & TRACE_IO_REP ? " rep" : "", d->io.value);
		break;
	case TRACE_KIND_CR:
		snprintf(buf, n, "cr=%u access=%s value=0x%016llx", d->cr.cr, access[d->cr.access & 3],
			 (unsigned long long)d->cr.value);
		break;
	case TRACE_KIND_XSETBV:
		snprintf(buf, n, "xcr=%u value=0x%llx", d->xsetbv.index, (unsigned long long)d->xsetbv.value);
		break;
	case TRACE_KIND_VMCALL:
		snprintf(buf, n, "function=%llu status=%lld", (unsigned long long)d->vmcall.function, (long long)d->vmcall.status);
		break;
	case TRACE_KIND_EPT: snprintf(buf, n, "gpa=0x%llx", (unsigned long long)d->ept.gpa); break;
	default: break;
	}
	if (r->injected) {
		size_t len = strlen(buf);
		snprintf(buf + len, n - len, "%sinjected=0x%x", len ? " " : "", r->injected);
	}
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
	vl_trace_detail_text(&t.r, detail, sizeof(detail));
	vl_add_exit(c, &e, detail);
	return true;
}

/* "end cpu=<i> apic=<id> records=<n> next=<n> lost=<n> read=<n> filtered=<n> open=<n>" */
static bool trace_end_line(struct vl_ctx *c, const char *p)
{
	static const char *const keys[] = { "cpu=", " apic=", " records=", " next=", " lost=", " read=", " filtered=", " open=" };
	struct vl_trace_end e = { .line = c->line };
	uint64_t *v[] = { &e.cpu, &e.apic, &e.records, &e.next, &e.lost, &e.read, &e.filtered, &e.open };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!tx_lit(&p, keys[i]) || !tx_dec(&p, v[i]))
			return false;
	if (!tx_at_end(p))
		return false;
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
		return true; /* "begin cpu=<i> apic=<id> record_bytes=64": the end line has the counts */
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
