/* vmxlog: reads a vmxray serial log into records. Hosted C11.
 *
 * The log format is docs/LOGFORMAT.md (line prefix; EXIT, STATS, RECORDER, CHECK),
 * vmx/study/vmcs_dump.h (VMCS dumps) and vmx/study/caps_matrix.c (CAPS). The parser takes the whole
 * log as bytes and never trusts it: firmware escape sequences, carriage returns, guest
 * lines, vmxray lines broken by guest output, binary bytes and endless lines are all
 * expected. A line that does not parse as the record its keyword announces is skipped
 * and counted (vl_log.skipped); nothing else about the input is assumed.
 *
 * Memory: every array grows with the input (at most one element per line); fixed-size
 * text fields are cut, never overrun. */
#ifndef VMXRAY_TOOLS_VMXLOG_H
#define VMXRAY_TOOLS_VMXLOG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmx/study/trace_record.h"

#define VL_LINE_MAX 1024   /* characters of a cleaned line kept (vmxray's own are <= 511) */
#define VL_NAME_MAX 48     /* field, reason and control names */
#define VL_TEXT_MAX 256    /* one-line texts: titles, CAPS facts, reasons for a block */
#define VL_DETAIL_MAX 2048 /* a decoded VMCS field, continuation lines joined */
#define VL_CPU_SLOTS 256   /* distinct CPU numbers tracked; later ones share the last slot */
#define VL_CPU_NONE UINT32_MAX /* "[vmxray/cpu-]": before the CPU is known */

enum vl_level { VL_ERROR, VL_WARN, VL_INFO, VL_DEBUG, VL_TRACE };

/* Interned strings: exit-reason names and EXIT details, each kept once. */
struct vl_strtab {
	char **str;
	size_t count, cap;
	uint32_t *slot; /* open addressing: id + 1, 0 = empty */
	size_t nslots;
};

/* ---- CAPS (vmx/study/caps_matrix.c, format 1) ---- */

enum vl_caps_group { VL_PIN, VL_PROC, VL_PROC2, VL_PROC3, VL_EXIT, VL_ENTRY, VL_CAPS_GROUPS };

enum vl_caps_fact {
	VL_FACT_CPU,
	VL_FACT_FEATURE_CONTROL,
	VL_FACT_VMX, /* only "absent" */
	VL_FACT_BASIC,
	VL_FACT_MISC,
	VL_FACT_EPT,
	VL_FACT_VPID,
	VL_FACT_VMFUNC,
	VL_FACT_CR0,
	VL_FACT_CR4,
	VL_FACT_VMCS_ENUM,
	VL_FACT_INTERCEPTS,
	VL_FACTS
};
/* The tag of a CAPS fact line as vmx/study/caps_matrix.c writes it ("CPU", "BASIC", ...). */
const char *vl_fact_tag(unsigned fact);

struct vl_caps_bit {
	char name[VL_NAME_MAX];
	unsigned allowed0, allowed1;
	char request[12]; /* required | optional | - */
	char state[12];   /* used | unused | unavailable | available */
};

struct vl_caps_ctl_group {
	bool header, absent; /* a "msr=" line, or "absent" */
	char msr[VL_NAME_MAX];
	uint64_t raw, allowed0, allowed1, default1, value;
	bool value_set; /* value=0x... (after negotiation) rather than value=- */
	uint64_t listed;  /* bit i: bit[i] holds a line */
	struct vl_caps_bit bit[64];
};

struct vl_caps {
	unsigned blocks; /* CAPS BEGIN lines seen; the fields hold the last block */
	bool ended;
	unsigned format;
	uint32_t cpu;
	unsigned long line;
	bool has_fact[VL_FACTS];
	char fact[VL_FACTS][VL_TEXT_MAX]; /* the text after the tag: "0x00d8...: revision=..." */
	struct vl_caps_ctl_group group[VL_CAPS_GROUPS];
};

/* ---- VMCS dumps (vmx/study/vmcs_dump.h) ---- */

enum vl_vmcs_group { VL_G_CONTROL, VL_G_GUEST, VL_G_HOST, VL_G_EXIT, VL_G_NONE, VL_VMCS_GROUPS };

struct vl_field {
	char name[VL_NAME_MAX];
	uint32_t enc;
	uint64_t value;
	uint8_t digits; /* hex digits the value was written with: its width */
	uint8_t group;  /* enum vl_vmcs_group */
	char note[VL_NAME_MAX]; /* "CR_ACCESS" from "EXIT_QUALIFICATION (CR_ACCESS)" */
	char *detail;   /* decoded text, NULL when none */
};

struct vl_dump {
	uint32_t cpu;
	unsigned long line;
	char title[VL_TEXT_MAX];
	bool complete; /* "VMCS dump end" seen */
	uint8_t cur_group;
	struct vl_field *field;
	size_t count, cap;
};

/* ---- EXIT trace ---- */

struct vl_exit {
	uint64_t seq, rip, qual;
	uint64_t tsc;     /* the guest TSC at the exit (TRACE records only) */
	bool timed;       /* from a TRACE record: tsc is set */
	uint32_t cpu, reason, detail; /* reason, detail: ids in vl_log.reasons / .details */
	uint32_t len;
	unsigned long line;
};

/* ---- TRACE records (traces in memory: vmx/study/trace_record.h, docs/LOGFORMAT.md) ---- */

struct vl_trace {
	struct trace_record r;
	unsigned long line;
};

/* "TRACE end cpu=<i> records=<n> next=<n> lost=<n> read=<n> filtered=<n> open=<0|1>": one
 * ring's counts at the end of its dump (records + lost + read = next); apic from the
 * "TRACE begin cpu=<i> apic=<id> record_bytes=64" line before it. */
struct vl_trace_end {
	uint64_t cpu, apic, records, next, lost, read, filtered, open;
	unsigned long line;
};

/* ---- STATS ---- */

struct vl_stat_row {
	bool total;   /* "STATS total", else "STATS cpu<N>" */
	uint32_t cpu; /* N */
	uint32_t reason;
	uint64_t count;
};

/* "STATS port 0x<hex> in=<n> out=<n>" or "STATS port other ...": I/O exits by port. */
#define VL_PORT_OTHER 0x10000u
struct vl_stat_port {
	uint32_t port; /* VL_PORT_OTHER: the ports vmxray did not count one by one */
	uint64_t in, out;
};

struct vl_stats {
	uint32_t logcpu;
	unsigned long line;
	char why[VL_NAME_MAX];
	uint64_t cpus;
	uint64_t tsc; /* the TSC when the block began (0: not in the line) */
	bool complete;
	uint64_t end_exits;
	bool have_canaries; /* "canaries intact=<n> of <m>": root mode's own memory check */
	uint64_t canaries_intact, canaries;
	struct vl_stat_row *row;
	size_t count, cap;
	struct vl_stat_port *port;
	size_t nport, cap_port;
};

/* ---- RECORDER ---- */

struct vl_rec_change {
	char field[VL_NAME_MAX];
	uint64_t old, new_;
};

struct vl_rec_entry {
	uint64_t k, seq, rip, qual;
	uint32_t reason;
	struct vl_rec_change *chg;
	size_t count, cap;
};

struct vl_recorder {
	uint32_t logcpu;
	uint64_t cpu; /* from "begin cpu<N>" */
	unsigned long line;
	char why[VL_TEXT_MAX];
	uint64_t entries;
	bool complete;
	struct vl_rec_entry *entry;
	size_t count, cap;
};

/* ---- Messages worth showing: error and warn lines, CHECK fail ---- */

struct vl_msg {
	uint32_t cpu;
	unsigned long line;
	enum vl_level level;
	bool check; /* a "CHECK fail" record */
	char *text;
};

struct vl_cpu {
	uint32_t id;
	unsigned long lines;
	long open_dump, open_stats, open_rec; /* index of the block this CPU is writing, or -1 */
};

struct vl_log {
	unsigned long lines;        /* non-empty lines after cleaning */
	unsigned long vmxray_lines; /* with the "[vmxray/cpuN] level: " prefix */
	unsigned long skipped;      /* vmxray record lines that did not parse */
	unsigned long long_lines;   /* lines cut at VL_LINE_MAX */
	unsigned long checks_ok;
	uint64_t dropped; /* sum of "EXIT dropped=<n>" */
	bool has_banner;
	unsigned long banner_line;
	char banner[VL_TEXT_MAX];

	struct vl_cpu cpu[VL_CPU_SLOTS];
	unsigned ncpu, cpu_hint;

	struct vl_caps caps;
	struct vl_dump *dump;
	size_t ndump, cap_dump;
	struct vl_exit *exit;
	size_t nexit, cap_exit;
	struct vl_stats *stats;
	size_t nstats, cap_stats;
	struct vl_recorder *rec;
	size_t nrec, cap_rec;
	struct vl_msg *msg;
	size_t nmsg, cap_msg;
	struct vl_trace *trace;
	size_t ntrace, cap_trace;
	struct vl_trace_end *tend;
	size_t ntend, cap_tend;
	uint64_t trace_begin_cpu, trace_begin_apic; /* the last "TRACE begin" line */
	uint64_t dump_records, dump_ticks; /* "TRACE dump records=<n> ticks=<n>": what dumps cost */
	double tsc_mhz;   /* Linux's "tsc: Detected <f> MHz processor" (0: not seen) */
	char trace_opt[VL_TEXT_MAX]; /* trace= of the "options:" line ("" when absent) */

	struct vl_strtab reasons, details;
};

void vl_init(struct vl_log *log);
void vl_free(struct vl_log *log);
/* Parses a whole log; may be called once per vl_init(). */
void vl_parse(struct vl_log *log, const char *data, size_t len);
/* Reads and parses a file. False (log left empty, why in err) when it cannot be read. */
bool vl_load_file(struct vl_log *log, const char *path, char *err, size_t n);

/* The slot of a CPU; NULL when id was never seen. */
const struct vl_cpu *vl_cpu_find(const struct vl_log *log, uint32_t id);
/* "cpu3" or "cpu-". */
const char *vl_cpu_name(uint32_t id, char *buf, size_t n);
const char *vl_vmcs_group_name(enum vl_vmcs_group g);
const char *vl_caps_group_tag(enum vl_caps_group g);
const char *vl_level_name(enum vl_level level);

uint32_t vl_strtab_intern(struct vl_strtab *t, const char *s, size_t n);
const char *vl_strtab_get(const struct vl_strtab *t, uint32_t id);
void vl_strtab_free(struct vl_strtab *t);

/* TRACE records: the name of a basic exit reason (vmx/decode/exit_reasons.def; buf for
 * numbers it does not know). */
const char *vl_trace_reason_name(uint32_t basic, char *buf, size_t n);
/* Does trace= (a list of short names, or "all") name this basic reason? */
bool vl_trace_reason_traced(const char *trace_opt, uint32_t basic);

/* Index of the field named name in d, or -1. */
long vl_dump_find(const struct vl_dump *d, const char *name);

#endif
