/* vmxlog's command line: subcommands, options, exit statuses. */
#include "tools/vmxlog/cli.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tools/vmxlog/report.h"
#include "tools/vmxlog/table.h"
#include "tools/vmxlog/text.h"
#include "tools/vmxlog/vmxlog.h"

static const char usage_text[] =
	"usage: vmxlog [COMMAND] LOG [OPTIONS]\n"
	"Reads a vmxray serial log (firmware and guest output may be mixed in) and prints its\n"
	"records as tables.\n"
	"\n"
	"commands:\n"
	"  summary LOG                  one screen: banner, CPUs, caps, exits, failures (the default)\n"
	"  caps LOG                     the capability matrix, per control group\n"
	"  dump LOG [--index N]         decoded VMCS dumps (N counts from 1; default: every dump)\n"
	"  diff LOG [A B]               fields that differ between dumps A and B (default: 1 and 2)\n"
	"  diff LOG1 LOG2               ... between the first dump of each log\n"
	"  stats LOG [--all]            the last STATS block (--all: every block), per CPU and total\n"
	"  trace LOG [--by reason|rip] [--top N]\n"
	"                               traced exits per reason and per guest RIP (top 20)\n"
	"  timeline LOG -o OUT.svg|OUT.html [--order]\n"
	"                               a picture of the traced exits: one lane per CPU, x = exit\n"
	"                               seq (--order: place in the log), a color per reason\n"
	"  recorder LOG                 flight-recorder blocks\n"
	"  records LOG [--system-map FILE] [--top N] [--tsc-hz HZ]\n"
	"                               TRACE records (trace=, kept in memory): the rings' counts\n"
	"                               against STATS, per reason count, root-mode cost (mean, p50,\n"
	"                               p99) and exits per guest second, the top guest RIPs (and\n"
	"                               kernel functions, from a System.map) of each reason (top 5)\n"
	"\n"
	"every command: --format text|jsonl|csv  (jsonl, csv: only the tables, each row with\n"
	"                               its table's name; docs/VMXLOG.md)\n"
	"\n"
	"exit status: 0 done, 1 the log holds none of the records asked for, 2 bad usage or\n"
	"an unreadable file. Log format: docs/LOGFORMAT.md; this tool: docs/VMXLOG.md.\n";

struct args {
	const char *pos[4];
	int npos;
	size_t index;     /* --index, 0 = every dump */
	bool all;         /* --all */
	enum trace_by by; /* --by */
	size_t top;       /* --top */
	const char *output; /* -o */
	bool order;       /* --order */
	bool help;
	bool top_given;   /* --top was given */
	const char *system_map; /* --system-map */
	double tsc_hz;    /* --tsc-hz, 0: from the log */
	enum table_format format; /* --format */
};

struct command {
	const char *name;
	const char *options; /* the options it takes, space-separated */
	int min_pos, max_pos;
	int (*run)(const struct args *a, FILE *out, FILE *err);
};

static int fail_usage(FILE *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail_usage(FILE *err, const char *fmt, ...)
{
	va_list ap;

	fprintf(err, "vmxlog: ");
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fprintf(err, "\n(vmxlog --help for usage)\n");
	return VMXLOG_USAGE;
}

static int no_records(FILE *err, const char *path, const char *what)
{
	fprintf(err, "vmxlog: %s: %s\n", path, what);
	return VMXLOG_NO_RECORDS;
}

/* A count from 1 to 1e9. */
static bool parse_count(const char *s, size_t *v)
{
	const char *p = s;
	uint64_t x;

	if (!tx_dec(&p, &x) || *p || x == 0 || x > 1000000000)
		return false;
	*v = (size_t)x;
	return true;
}

static bool load(struct vl_log *log, const char *path, FILE *err)
{
	char why[512];

	vl_init(log);
	if (vl_load_file(log, path, why, sizeof(why)))
		return true;
	fprintf(err, "vmxlog: %s\n", why);
	return false;
}

static bool readable_file(const char *path)
{
	FILE *f = fopen(path, "rb");

	if (f)
		fclose(f);
	return f != NULL;
}

/* ---- Subcommands ---- */

static int run_summary(const struct args *a, FILE *out, FILE *err)
{
	struct vl_log log;

	if (!load(&log, a->pos[0], err))
		return VMXLOG_USAGE;
	int rc = VMXLOG_OK;

	if (!log.vmxray_lines)
		rc = no_records(err, a->pos[0], "no vmxray lines (none starts with \"[vmxray/cpu\")");
	else
		report_summary(&log, out, a->pos[0]);
	vl_free(&log);
	return rc;
}

static int run_caps(const struct args *a, FILE *out, FILE *err)
{
	struct vl_log log;
	int rc = VMXLOG_OK;

	if (!load(&log, a->pos[0], err))
		return VMXLOG_USAGE;
	if (!vl_caps_seen(&log.caps))
		rc = no_records(err, a->pos[0], "no CAPS lines (vmxray prints the capability matrix at start)");
	else
		report_caps(&log, out);
	vl_free(&log);
	return rc;
}

static int run_dump(const struct args *a, FILE *out, FILE *err)
{
	struct vl_log log;
	int rc = VMXLOG_OK;
	char why[96];

	if (!load(&log, a->pos[0], err))
		return VMXLOG_USAGE;
	snprintf(why, sizeof(why), "no VMCS dump %zu: the log holds %zu", a->index, log.ndump);
	if (!log.ndump)
		rc = no_records(err, a->pos[0], "no VMCS dumps");
	else if (a->index > log.ndump)
		rc = no_records(err, a->pos[0], why);
	else
		report_dump(&log, out, a->index);
	vl_free(&log);
	return rc;
}

/* Dump i (1-based) of a log, or a message and false. */
static bool pick_dump(const struct vl_log *log, const char *path, size_t i, FILE *err)
{
	if (i >= 1 && i <= log->ndump)
		return true;
	if (!log->ndump)
		fprintf(err, "vmxlog: %s: no VMCS dumps\n", path);
	else
		fprintf(err, "vmxlog: %s: no VMCS dump %zu: the log holds %zu\n", path, i, log->ndump);
	return false;
}

static int diff_two(const struct vl_log *la, const char *pa, size_t ia, const struct vl_log *lb,
		    const char *pb, size_t ib, FILE *out, FILE *err)
{
	char da[2 * VL_TEXT_MAX], db[2 * VL_TEXT_MAX], na[3 * VL_TEXT_MAX], nb[3 * VL_TEXT_MAX];

	if (!pick_dump(la, pa, ia, err) || !pick_dump(lb, pb, ib, err))
		return VMXLOG_NO_RECORDS;
	dump_describe(la, ia - 1, da, sizeof(da));
	dump_describe(lb, ib - 1, db, sizeof(db));
	snprintf(na, sizeof(na), "%.200s %s", pa, da);
	snprintf(nb, sizeof(nb), "%.200s %s", pb, db);
	report_diff(&la->dump[ia - 1], na, &lb->dump[ib - 1], nb, out);
	return VMXLOG_OK;
}

static int diff_in_one(const struct args *a, FILE *out, FILE *err)
{
	struct vl_log log;
	size_t ia = 1, ib = 2;

	if (a->npos == 3 && !parse_count(a->pos[1], &ia))
		return fail_usage(err, "diff LOG A B: A and B are dump numbers, from 1 (got '%s')", a->pos[1]);
	if (a->npos == 3 && !parse_count(a->pos[2], &ib))
		return fail_usage(err, "diff LOG A B: A and B are dump numbers, from 1 (got '%s')", a->pos[2]);
	if (!load(&log, a->pos[0], err))
		return VMXLOG_USAGE;
	int rc = diff_two(&log, a->pos[0], ia, &log, a->pos[0], ib, out, err);

	vl_free(&log);
	return rc;
}

static int diff_two_logs(const struct args *a, FILE *out, FILE *err)
{
	struct vl_log la, lb;
	int rc = VMXLOG_USAGE;

	if (!load(&la, a->pos[0], err))
		return VMXLOG_USAGE;
	if (load(&lb, a->pos[1], err)) {
		rc = diff_two(&la, a->pos[0], 1, &lb, a->pos[1], 1, out, err);
		vl_free(&lb);
	}
	vl_free(&la);
	return rc;
}

static int run_diff(const struct args *a, FILE *out, FILE *err)
{
	size_t n;

	if (a->npos == 2 && parse_count(a->pos[1], &n) && !readable_file(a->pos[1]))
		return fail_usage(err, "diff LOG A B takes two dump numbers (or diff LOG1 LOG2: two logs)");
	if (a->npos == 2)
		return diff_two_logs(a, out, err);
	return diff_in_one(a, out, err);
}

static int run_stats(const struct args *a, FILE *out, FILE *err)
{
	struct vl_log log;
	int rc = VMXLOG_OK;

	if (!load(&log, a->pos[0], err))
		return VMXLOG_USAGE;
	if (!log.nstats)
		rc = no_records(err, a->pos[0], "no STATS blocks (vmxray prints them at power-off, reset or on request)");
	else
		report_stats(&log, out, a->all);
	vl_free(&log);
	return rc;
}

static int run_trace(const struct args *a, FILE *out, FILE *err)
{
	struct vl_log log;
	int rc = VMXLOG_OK;

	if (!load(&log, a->pos[0], err))
		return VMXLOG_USAGE;
	if (!log.nexit)
		rc = no_records(err, a->pos[0], "no EXIT trace lines (vmxray traces exits with the trace= option)");
	else
		report_trace(&log, out, a->by, a->top);
	vl_free(&log);
	return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int write_timeline(const struct vl_log *log, const struct args *a, FILE *out, FILE *err)
{
	struct timeline_opts o = { ends_with(a->output, ".html") || ends_with(a->output, ".htm"),
				   a->order, NULL };
	char title[2 * VL_TEXT_MAX];
	bool to_stdout = strcmp(a->output, "-") == 0;
	FILE *f = to_stdout ? out : fopen(a->output, "w");

	if (!f) {
		fprintf(err, "vmxlog: cannot write %s\n", a->output);
		return VMXLOG_USAGE;
	}
	snprintf(title, sizeof(title), "vmxray exit timeline: %s", a->pos[0]);
	o.title = title;
	report_timeline(log, f, &o);
	if (to_stdout)
		return VMXLOG_OK;
	if (fclose(f) != 0) {
		fprintf(err, "vmxlog: cannot write %s\n", a->output);
		return VMXLOG_USAGE;
	}
	fprintf(out, "wrote %s: %zu traced exits\n", a->output, log->nexit);
	return VMXLOG_OK;
}

static int run_timeline(const struct args *a, FILE *out, FILE *err)
{
	struct vl_log log;
	int rc;

	if (!a->output)
		return fail_usage(err, "timeline needs -o OUT.svg or -o OUT.html");
	if (!load(&log, a->pos[0], err))
		return VMXLOG_USAGE;
	if (!log.nexit)
		rc = no_records(err, a->pos[0], "no EXIT trace lines to draw (vmxray traces exits with the trace= option)");
	else
		rc = write_timeline(&log, a, out, err);
	vl_free(&log);
	return rc;
}

static int run_recorder(const struct args *a, FILE *out, FILE *err)
{
	struct vl_log log;
	int rc = VMXLOG_OK;

	if (!load(&log, a->pos[0], err))
		return VMXLOG_USAGE;
	if (!log.nrec)
		rc = no_records(err, a->pos[0], "no RECORDER blocks");
	else
		report_recorder(&log, out);
	vl_free(&log);
	return rc;
}

/* The TSC rate: --tsc-hz, else Linux's "tsc: Detected" line, else Bochs's ips= as
 * tools/run sets it (clock: sync=none: the TSC counts instructions, ips per second). */
#define BOCHS_IPS 50000000.0
static void tsc_rate(const struct vl_log *log, const struct args *a, struct records_opts *o)
{
	if (a->tsc_hz > 0) {
		o->tsc_hz = a->tsc_hz;
		o->tsc_source = "--tsc-hz";
	} else if (log->tsc_mhz > 0) {
		o->tsc_hz = log->tsc_mhz * 1e6;
		o->tsc_source = "Linux's \"tsc: Detected\" line";
	} else {
		o->tsc_hz = BOCHS_IPS;
		o->tsc_source = "Bochs's ips=50000000 of tools/run (no rate in the log)";
	}
}

static int run_records(const struct args *a, FILE *out, FILE *err)
{
	struct vl_log log;
	struct symmap map;
	struct records_opts o = { NULL, a->top_given ? a->top : 5, 0, "" };
	char why[512];
	int rc = VMXLOG_OK;

	if (a->system_map && !symmap_load(&map, a->system_map, why, sizeof(why))) {
		fprintf(err, "vmxlog: %s\n", why);
		return VMXLOG_USAGE;
	}
	o.map = a->system_map ? &map : NULL;
	if (load(&log, a->pos[0], err)) {
		tsc_rate(&log, a, &o);
		if (!log.ntrace)
			rc = no_records(err, a->pos[0], "no TRACE records (vmxray keeps them with trace=, dumps them at power-off)");
		else
			report_records(&log, out, &o);
		vl_free(&log);
	} else {
		rc = VMXLOG_USAGE;
	}
	if (o.map)
		symmap_free(&map);
	return rc;
}

static const struct command commands[] = {
	{ "summary", "", 1, 1, run_summary },
	{ "caps", "", 1, 1, run_caps },
	{ "dump", "--index", 1, 1, run_dump },
	{ "diff", "", 1, 3, run_diff },
	{ "stats", "--all", 1, 1, run_stats },
	{ "trace", "--by --top", 1, 1, run_trace },
	{ "timeline", "-o --output --order", 1, 1, run_timeline },
	{ "recorder", "", 1, 1, run_recorder },
	{ "records", "--system-map --top --tsc-hz", 1, 1, run_records },
};

/* ---- Options ---- */

static bool takes(const struct command *c, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *s = strstr(c->options, opt); s; s = strstr(s + 1, opt))
		if ((s == c->options || s[-1] == ' ') && (s[n] == ' ' || s[n] == '\0'))
			return true;
	return false;
}

static int option_value(struct args *a, const char *opt, const char *v, FILE *err)
{
	if (!v)
		return fail_usage(err, "%s needs a value", opt);
	if (strcmp(opt, "--index") == 0 && !parse_count(v, &a->index))
		return fail_usage(err, "--index takes a dump number, from 1 (got '%s')", v);
	if (strcmp(opt, "--top") == 0 && !parse_count(v, &a->top))
		return fail_usage(err, "--top takes a count, from 1 (got '%s')", v);
	a->top_given |= strcmp(opt, "--top") == 0;
	if (strcmp(opt, "--system-map") == 0)
		a->system_map = v;
	if (strcmp(opt, "--tsc-hz") == 0) {
		char *end;
		a->tsc_hz = strtod(v, &end);
		if (end == v || *end || !(a->tsc_hz >= 1000 && a->tsc_hz <= 1e12))
			return fail_usage(err, "--tsc-hz takes the TSC's rate in Hz, 1000..1e12 (got '%s')", v);
	}
	if (strcmp(opt, "--format") == 0) {
		if (!strcmp(v, "text"))
			a->format = TABLE_TEXT;
		else if (!strcmp(v, "jsonl"))
			a->format = TABLE_JSONL;
		else if (!strcmp(v, "csv"))
			a->format = TABLE_CSV;
		else
			return fail_usage(err, "--format takes text, jsonl or csv (got '%s')", v);
	}
	if (strcmp(opt, "--by") == 0) {
		if (strcmp(v, "reason") != 0 && strcmp(v, "rip") != 0)
			return fail_usage(err, "--by takes reason or rip (got '%s')", v);
		a->by = strcmp(v, "reason") == 0 ? TRACE_BY_REASON : TRACE_BY_RIP;
	}
	if (strcmp(opt, "-o") == 0 || strcmp(opt, "--output") == 0)
		a->output = v;
	return VMXLOG_OK;
}

/* One option at argv[*i]; *i moves past its value. */
static int parse_option(const struct command *c, struct args *a, int argc, char **argv, int *i,
			FILE *err)
{
	const char *opt = argv[*i];

	if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
		a->help = true;
		return VMXLOG_OK;
	}
	if (!takes(c, opt) && strcmp(opt, "--format") != 0)
		return fail_usage(err, "unknown option '%s' for this command", opt);
	if (strcmp(opt, "--all") == 0) {
		a->all = true;
		return VMXLOG_OK;
	}
	if (strcmp(opt, "--order") == 0) {
		a->order = true;
		return VMXLOG_OK;
	}
	(*i)++;
	return option_value(a, opt, *i < argc ? argv[*i] : NULL, err);
}

static int parse_args(const struct command *c, struct args *a, int argc, char **argv, FILE *err)
{
	memset(a, 0, sizeof(*a));
	a->top = 20;
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			int rc = parse_option(c, a, argc, argv, &i, err);

			if (rc != VMXLOG_OK)
				return rc;
			continue;
		}
		if (a->npos == c->max_pos)
			return fail_usage(err, "too many arguments ('%s')", argv[i]);
		a->pos[a->npos++] = argv[i];
	}
	if (!a->help && a->npos < c->min_pos)
		return fail_usage(err, "%s needs a LOG file", c->name);
	return VMXLOG_OK;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int run_command(const struct command *c, int argc, char **argv, FILE *out, FILE *err)
{
	struct args a;
	int rc = parse_args(c, &a, argc, argv, err);

	if (rc != VMXLOG_OK)
		return rc;
	if (a.help) {
		fputs(usage_text, out);
		return VMXLOG_OK;
	}
	if (a.format == TABLE_TEXT)
		return c->run(&a, out, err);
	/* jsonl, csv: the tables go to out, the report's prose nowhere */
	FILE *prose = fopen("/dev/null", "w");
	if (!prose) {
		fprintf(err, "vmxlog: cannot open /dev/null\n");
		return VMXLOG_USAGE;
	}
	table_set_format(a.format, out, c->name);
	rc = c->run(&a, prose, err);
	table_set_format(TABLE_TEXT, NULL, "table");
	fclose(prose);
	return rc;
}

int vmxlog_main(int argc, char **argv, FILE *out, FILE *err)
{
	if (argc < 2) {
		fputs(usage_text, err);
		return VMXLOG_USAGE;
	}
	const char *first = argv[1];

	if (strcmp(first, "-h") == 0 || strcmp(first, "--help") == 0 || strcmp(first, "help") == 0) {
		fputs(usage_text, out);
		return VMXLOG_OK;
	}
	const struct command *c = find_command(first);

	if (c)
		return run_command(c, argc - 2, argv + 2, out, err);
	if (first[0] != '-' && readable_file(first))
		return run_command(find_command("summary"), argc - 1, argv + 1, out, err);
	if (first[0] == '-')
		return fail_usage(err, "unknown option '%s'", first);
	return fail_usage(err, "'%s' is neither a command nor a readable file", first);
}
