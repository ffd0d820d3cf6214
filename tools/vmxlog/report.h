/* vmxlog: the reports, one per subcommand. Each writes to out and assumes the log holds
 * the records it shows (the command line checks that first: see cli.c). */
#ifndef VMXRAY_TOOLS_VMXLOG_REPORT_H
#define VMXRAY_TOOLS_VMXLOG_REPORT_H
#include <stdbool.h>
#include <stdio.h>

#include "tools/vmxlog/symmap.h"
#include "tools/vmxlog/vmxlog.h"

/* ---- shared ---- */
/* An exit count for one reason (an id in vl_log.reasons). */
struct reason_count {
	uint32_t reason;
	uint64_t count;
};
/* Sorts by count, largest first, then by name. */
void reason_counts_sort(struct reason_count *rc, size_t n, const struct vl_strtab *names);

/* ---- caps ---- */
bool vl_caps_seen(const struct vl_caps *caps);
void report_caps(const struct vl_log *log, FILE *out);
/* "13 requested: 11 used, 2 optional unavailable (PROC2 17 Enable PML, ...); required
 * missing: none" */
void caps_request_summary(const struct vl_caps *caps, char *buf, size_t n);

/* ---- dump, diff ---- */
/* index: 1-based; 0 shows every dump. */
void report_dump(const struct vl_log *log, FILE *out, size_t index);
/* Fields whose value differs, and fields in one dump only. Returns the number of
 * differences. */
size_t report_diff(const struct vl_dump *a, const char *a_name, const struct vl_dump *b,
		   const char *b_name, FILE *out);
/* "dump 2 of 3 (cpu0, line 387): dump=vmcall on cpu0" */
void dump_describe(const struct vl_log *log, size_t i, char *buf, size_t n);

/* ---- stats ---- */
/* The last STATS block, or every one. */
void report_stats(const struct vl_log *log, FILE *out, bool all);
/* The last complete STATS block, or the last block when none is complete (nstats > 0). */
size_t stats_last_block(const struct vl_log *log);
/* A block's total counts per reason, largest first (the CPU rows summed when it has no
 * total rows); *rc is malloc'd. */
size_t stats_totals(const struct vl_log *log, size_t block, struct reason_count **rc);

/* ---- trace ---- */
enum trace_by { TRACE_BY_BOTH, TRACE_BY_REASON, TRACE_BY_RIP };
void report_trace(const struct vl_log *log, FILE *out, enum trace_by by, size_t top);
/* Traced exits per reason, largest first; *rc is malloc'd. */
size_t trace_counts(const struct vl_log *log, struct reason_count **rc);

/* ---- recorder ---- */
void report_recorder(const struct vl_log *log, FILE *out);

/* ---- records (TRACE lines) ---- */
struct records_opts {
	const struct symmap *map; /* NULL: no System.map */
	size_t top;               /* rows per reason in the top tables */
	double tsc_hz;            /* the guest TSC's rate */
	const char *tsc_source;   /* where tsc_hz comes from, in words */
};
void report_records(const struct vl_log *log, FILE *out, const struct records_opts *o);
/* HLT time per CPU (report_halts.c): nothing when no record is a HLT and trace= leaves
 * HLT out. */
void report_halts(const struct vl_log *log, FILE *out, const struct records_opts *o);

/* ---- summary ---- */
void report_summary(const struct vl_log *log, FILE *out, const char *name);

/* ---- timeline ---- */
struct timeline_opts {
	bool html;       /* an HTML page around the SVG */
	bool by_order;   /* x = order of appearance in the log, not the exit's seq */
	const char *title;
};
void report_timeline(const struct vl_log *log, FILE *out, const struct timeline_opts *o);

#endif
