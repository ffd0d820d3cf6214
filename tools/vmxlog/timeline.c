/* vmxlog timeline: the traced exits as a picture. One lane per CPU, one row per exit
 * reason within a lane, a mark per exit at x = its seq (or its place in the log); the
 * eleven most frequent reasons get a color each, the rest share gray. Self-contained
 * SVG (styles inline, no fonts or scripts fetched), optionally inside an HTML page.
 * Marks that would land on the same pixel of the same row are drawn once, so the size
 * of the picture is bounded by its pixels, not by the number of exits. */
#include <stdlib.h>
#include <string.h>

#include "tools/vmxlog/report.h"
#include "tools/vmxlog/text.h"

#define PLOT_W 1000   /* pixels for the x range */
#define LEFT 80       /* lane labels */
#define RIGHT 20
#define TOP 40        /* title */
#define ROW_H 8       /* one reason's row within a lane */
#define LANE_PAD 6
#define AXIS_H 36
#define LEGEND_ROW 18
#define LEGEND_COLS 3
#define LEGEND_W 300
#define COLORS 11     /* the rest is "other" */
#define MAX_LANES 64

static const char *const palette[COLORS + 1] = {
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
	"#b07aa1", "#ff9da7", "#9c755f", "#17becf", "#bcbd22", "#bab0ac",
};

struct layout {
	uint32_t lane_cpu[MAX_LANES];
	unsigned lanes;
	bool lanes_full;    /* CPUs past MAX_LANES share the last lane, labelled "cpuN+" */
	uint8_t *class_of;  /* per reason id: 0..COLORS (COLORS = other) */
	struct reason_count *rc; /* reasons by count */
	size_t nreasons;
	unsigned classes;   /* rows per lane */
	uint64_t xmin, xmax;
	unsigned lane_h, width, height, legend_y;
	unsigned mark_w; /* wide marks when the exits are few, 2 pixels at least */
};

static void xml_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out);
		}
	}
}

/* Every exit from a TRACE record: x is the guest TSC at the exit (one clock for all CPUs).
 * Asked once per exit, so the answer is kept for the log last asked about (vmxlog is
 * single-threaded). */
static bool all_timed(const struct vl_log *log)
{
	static const struct vl_log *last;
	static size_t last_n;
	static bool answer;

	if (log == last && log->nexit == last_n)
		return answer;
	answer = log->nexit > 0;
	for (size_t i = 0; i < log->nexit && answer; i++)
		answer = log->exit[i].timed;
	last = log;
	last_n = log->nexit;
	return answer;
}

static uint64_t exit_x(const struct vl_log *log, size_t i, bool by_order)
{
	if (by_order)
		return i + 1;
	return all_timed(log) ? log->exit[i].tsc : log->exit[i].seq;
}

/* Lanes: the CPUs, ascending; exits of CPUs past MAX_LANES go to the last lane. */
static int lane_of(const struct layout *l, uint32_t cpu)
{
	for (unsigned i = 0; i < l->lanes; i++)
		if (l->lane_cpu[i] == cpu)
			return (int)i;
	return (int)l->lanes - 1;
}

static void add_lane(struct layout *l, uint32_t cpu)
{
	unsigned i = l->lanes;

	if (l->lanes && l->lane_cpu[lane_of(l, cpu)] == cpu)
		return;
	if (l->lanes == MAX_LANES) {
		l->lanes_full = true;
		return;
	}
	while (i > 0 && l->lane_cpu[i - 1] > cpu) {
		l->lane_cpu[i] = l->lane_cpu[i - 1];
		i--;
	}
	l->lane_cpu[i] = cpu;
	l->lanes++;
}

static void plan(const struct vl_log *log, struct layout *l, bool by_order)
{
	size_t cap = 0;

	memset(l, 0, sizeof(*l));
	l->xmin = UINT64_MAX;
	for (size_t i = 0; i < log->nexit; i++) {
		uint64_t x = exit_x(log, i, by_order);

		add_lane(l, log->exit[i].cpu);
		l->xmin = x < l->xmin ? x : l->xmin;
		l->xmax = x > l->xmax ? x : l->xmax;
	}
	if (!log->nexit)
		l->xmin = 0;
	l->nreasons = trace_counts(log, &l->rc);
	l->class_of = vl_grow(NULL, &cap, log->reasons.count + 1, 1);
	memset(l->class_of, COLORS, log->reasons.count + 1);
	for (size_t i = 0; i < l->nreasons && i < COLORS; i++)
		l->class_of[l->rc[i].reason] = (uint8_t)i;
	l->classes = l->nreasons > COLORS ? COLORS + 1 : (unsigned)l->nreasons;
	l->lane_h = l->classes * ROW_H + 2 * LANE_PAD;
	uint64_t range = l->xmax - l->xmin; /* can be UINT64_MAX: no "+ 1" before the check */
	uint64_t per_x = range >= PLOT_W ? 1 : PLOT_W / (range + 1);

	l->mark_w = per_x > 8 ? 8 : per_x < 2 ? 2 : (unsigned)per_x;
	l->width = LEFT + PLOT_W + RIGHT;
	l->legend_y = TOP + l->lanes * l->lane_h + AXIS_H;
	l->height = l->legend_y + (unsigned)((l->classes + LEGEND_COLS - 1) / LEGEND_COLS) * LEGEND_ROW + 10;
}

static unsigned x_pixel(const struct layout *l, uint64_t x)
{
	uint64_t range = l->xmax - l->xmin;

	if (!range)
		return PLOT_W / 2;
	return (unsigned)((double)(x - l->xmin) / (double)range * (PLOT_W - 1));
}

static void svg_head(const struct layout *l, FILE *out, const char *title)
{
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\" font-family=\"monospace\" font-size=\"12\">\n",
		l->width, l->height, l->width, l->height);
	fprintf(out, "<style>");
	for (unsigned c = 0; c <= COLORS; c++)
		fprintf(out, ".c%u{fill:%s}", c, palette[c]);
	fprintf(out, ".lane{fill:#f4f4f4}.axis{stroke:#888}</style>\n");
	fprintf(out, "<rect width=\"%u\" height=\"%u\" fill=\"#ffffff\"/>\n", l->width, l->height);
	fprintf(out, "<text x=\"%u\" y=\"24\" font-size=\"16\">", LEFT);
	xml_text(out, title);
	fprintf(out, "</text>\n");
}

static void svg_lanes(const struct layout *l, FILE *out)
{
	char name[16];

	for (unsigned i = 0; i < l->lanes; i++) {
		unsigned y = TOP + i * l->lane_h;

		fprintf(out, "<rect class=\"lane\" x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\"/>\n", LEFT, y,
			PLOT_W, l->lane_h - 2);
		fprintf(out, "<text x=\"8\" y=\"%u\">%s%s</text>\n", y + l->lane_h / 2 + 4,
			vl_cpu_name(l->lane_cpu[i], name, sizeof(name)),
			l->lanes_full && i + 1 == l->lanes ? "+" : "");
	}
}

static void svg_axis(const struct vl_log *log, const struct layout *l, FILE *out, bool by_order)
{
	unsigned y = TOP + l->lanes * l->lane_h;

	fprintf(out, "<line class=\"axis\" x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\"/>\n", LEFT, y,
		LEFT + PLOT_W, y);
	for (unsigned k = 0; k <= 4; k++) {
		uint64_t range = l->xmax - l->xmin;
		uint64_t x = l->xmin + range / 4 * k + range % 4 * k / 4; /* no overflow, no float */
		unsigned px = LEFT + x_pixel(l, x);

		fprintf(out, "<line class=\"axis\" x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\"/>\n", px, y, px, y + 5);
		fprintf(out, "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">%llu</text>\n", px, y + 18,
			(unsigned long long)x);
	}
	fprintf(out, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">%s</text>\n", LEFT + PLOT_W, y + 32,
		by_order ? "exit, in the order of the log" : all_timed(log) ? "guest TSC at the exit" : "exit seq (per CPU)");
}

/* One mark per (lane, row, pixel). */
static size_t svg_marks(const struct vl_log *log, const struct layout *l, FILE *out, bool by_order)
{
	size_t cells = (size_t)l->lanes * (l->classes ? l->classes : 1) * PLOT_W, drawn = 0;
	uint8_t *seen = calloc(cells, 1);

	if (!seen)
		vl_out_of_memory();
	for (size_t i = 0; i < log->nexit; i++) {
		const struct vl_exit *e = &log->exit[i];
		unsigned lane = (unsigned)lane_of(l, e->cpu), cls = l->class_of[e->reason];
		unsigned px = x_pixel(l, exit_x(log, i, by_order));
		unsigned row = cls < l->classes ? cls : l->classes - 1;
		size_t cell = ((size_t)lane * l->classes + row) * PLOT_W + px;

		if (seen[cell])
			continue;
		seen[cell] = 1;
		drawn++;
		fprintf(out, "<rect class=\"c%u\" x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\"/>\n", cls,
			LEFT + px, TOP + lane * l->lane_h + LANE_PAD + row * ROW_H, l->mark_w, ROW_H - 2);
	}
	free(seen);
	return drawn;
}

static void svg_legend(const struct vl_log *log, const struct layout *l, FILE *out)
{
	uint64_t other = 0;
	unsigned k = 0;

	for (size_t i = 0; i < l->nreasons; i++) {
		if (i >= COLORS) {
			other += l->rc[i].count;
			continue;
		}
		unsigned x = LEFT + (k % LEGEND_COLS) * LEGEND_W, y = l->legend_y + (k / LEGEND_COLS) * LEGEND_ROW;

		fprintf(out, "<rect class=\"c%u\" x=\"%u\" y=\"%u\" width=\"12\" height=\"12\"/>\n", k, x, y);
		fprintf(out, "<text x=\"%u\" y=\"%u\">", x + 18, y + 11);
		xml_text(out, vl_strtab_get(&log->reasons, l->rc[i].reason));
		fprintf(out, " %llu</text>\n", (unsigned long long)l->rc[i].count);
		k++;
	}
	if (!other)
		return;
	unsigned x = LEFT + (k % LEGEND_COLS) * LEGEND_W, y = l->legend_y + (k / LEGEND_COLS) * LEGEND_ROW;

	fprintf(out, "<rect class=\"c%u\" x=\"%u\" y=\"%u\" width=\"12\" height=\"12\"/>\n", COLORS, x, y);
	fprintf(out, "<text x=\"%u\" y=\"%u\">other %llu</text>\n", x + 18, y + 11, (unsigned long long)other);
}

void report_timeline(const struct vl_log *log, FILE *out, const struct timeline_opts *o)
{
	const char *title = o->title ? o->title : "vmxray exit timeline";
	struct layout l;

	plan(log, &l, o->by_order);
	if (o->html) {
		fprintf(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
		xml_text(out, title);
		fprintf(out, "</title></head>\n<body style=\"font-family:sans-serif\">\n");
	}
	svg_head(&l, out, title);
	svg_lanes(&l, out);
	svg_axis(log, &l, out, o->by_order);
	svg_marks(log, &l, out, o->by_order);
	svg_legend(log, &l, out);
	fprintf(out, "</svg>\n");
	if (o->html)
		fprintf(out, "</body></html>\n");
	free(l.class_of);
	free(l.rc);
}
