#include "drivers/log.h"

#include "arch/spinlock.h"
#include "drivers/fmt.h"

struct log_sink {
	log_sink_fn fn;
	void *ctx;
};

static struct {
	enum log_level level;
	log_cpu_fn cpu_fn;
	struct log_sink sinks[LOG_MAX_SINKS];
	struct spinlock lock;
	char line[LOG_LINE_MAX];
	char note[LOG_LINE_MAX];
	log_budget_fn budget_fn;
	uint32_t budget_bytes;
	uint64_t dropped_lines, dropped_bytes;
} g_log = { .level = LOG_INFO };

static const char *const level_names[] = {
	[LOG_ERROR] = "error", [LOG_WARN] = "warn", [LOG_INFO] = "info",
	[LOG_DEBUG] = "debug", [LOG_TRACE] = "trace",
};

const char *log_level_name(enum log_level level)
{
	return (unsigned)level <= LOG_TRACE ? level_names[level] : "?";
}

void log_set_level(enum log_level level)
{
	g_log.level = level;
}

enum log_level log_get_level(void)
{
	return g_log.level;
}

bool log_enabled(enum log_level level)
{
	return level <= g_log.level;
}

void log_set_cpu_fn(log_cpu_fn fn)
{
	g_log.cpu_fn = fn;
}

bool log_add_sink(log_sink_fn fn, void *ctx)
{
	for (unsigned i = 0; i < LOG_MAX_SINKS; i++) {
		if (!g_log.sinks[i].fn) {
			g_log.sinks[i] = (struct log_sink){ fn, ctx };
			return true;
		}
	}
	return false;
}

void log_remove_sink(log_sink_fn fn)
{
	for (unsigned i = 0; i < LOG_MAX_SINKS; i++)
		if (g_log.sinks[i].fn == fn)
			g_log.sinks[i] = (struct log_sink){ 0 };
}

void log_remove_all_sinks(void)
{
	for (unsigned i = 0; i < LOG_MAX_SINKS; i++)
		g_log.sinks[i] = (struct log_sink){ 0 };
}

/* Formats "[vmxray/cpuN] level: text\n" into g_log.line; returns its length. */
static size_t log_format_line(enum log_level level, const char *fmt, va_list ap)
{
	size_t cap = sizeof(g_log.line) - 1; /* room for the newline */
	size_t n;

	if (g_log.cpu_fn)
		n = fmt_snprintf(g_log.line, cap, "[vmxray/cpu%u] %s: ", g_log.cpu_fn(),
				 log_level_name(level));
	else
		n = fmt_snprintf(g_log.line, cap, "[vmxray/cpu-] %s: ", log_level_name(level));
	if (n < cap)
		n += fmt_vsnprintf(g_log.line + n, cap - n, fmt, ap);
	if (n >= cap)
		n = cap - 1;
	g_log.line[n++] = '\n';
	g_log.line[n] = '\0';
	return n;
}

void log_set_budget(log_budget_fn fn, uint32_t bytes_per_exit)
{
	g_log.budget_bytes = bytes_per_exit;
	g_log.budget_fn = fn;
}

void log_budget_lift(void)
{
	uint64_t epoch;
	struct log_budget *b = g_log.budget_fn ? g_log.budget_fn(&epoch) : NULL;
	uint64_t lines, bytes;

	if (!b)
		return;
	if (b->epoch != epoch)
		(void)log_budget_take(b, epoch, 0, g_log.budget_bytes, &lines, &bytes);
	b->lifted = true;
}

void log_dropped_totals(uint64_t *lines, uint64_t *bytes, uint32_t *budget)
{
	*lines = __atomic_load_n(&g_log.dropped_lines, __ATOMIC_RELAXED);
	*bytes = __atomic_load_n(&g_log.dropped_bytes, __ATOMIC_RELAXED);
	*budget = g_log.budget_bytes;
}

bool log_budget_take(struct log_budget *b, uint64_t epoch, size_t len, uint32_t limit, uint64_t *report_lines,
		     uint64_t *report_bytes)
{
	*report_lines = *report_bytes = 0;
	if (b->epoch != epoch) {
		*report_lines = b->pending_lines;
		*report_bytes = b->pending_bytes;
		*b = (struct log_budget){ .epoch = epoch };
	}
	if (b->lifted || len <= (size_t)limit - b->used) {
		if (!b->lifted)
			b->used += (uint32_t)len;
		return true;
	}
	b->pending_lines++;
	b->pending_bytes += len;
	return false;
}

bool rate_limit_allow(struct rate_limit *r, uint64_t now, uint64_t interval, uint32_t burst,
		      uint64_t *refused_before)
{
	if (!r->started) {
		*r = (struct rate_limit){ .started = true, .tokens = burst, .last = now };
	} else if (interval && now - r->last >= interval) {
		uint64_t gained = (now - r->last) / interval;
		if (gained >= burst - r->tokens) {
			r->tokens = burst;
			r->last = now;
		} else {
			r->tokens += (uint32_t)gained;
			r->last += gained * interval;
		}
	}
	if (r->tokens == 0) {
		r->refused++;
		return false;
	}
	r->tokens--;
	*refused_before = r->refused;
	r->refused = 0;
	return true;
}

static void log_emit(const char *line, size_t n)
{
	for (unsigned i = 0; i < LOG_MAX_SINKS; i++)
		if (g_log.sinks[i].fn)
			g_log.sinks[i].fn(g_log.sinks[i].ctx, line, n);
}

/* Under the lock: the line in g_log.line goes out if the CPU's budget allows; the
 * drops of its earlier exits are reported first. */
static void log_emit_budgeted(enum log_level level, size_t n)
{
	uint64_t epoch, lines = 0, bytes = 0;
	struct log_budget *b = g_log.budget_fn ? g_log.budget_fn(&epoch) : NULL;

	if (!b) {
		log_emit(g_log.line, n);
		return;
	}
	bool ok = level == LOG_ERROR || log_budget_take(b, epoch, n, g_log.budget_bytes, &lines, &bytes);
	if (!ok) {
		g_log.dropped_lines++;
		g_log.dropped_bytes += n;
	}
	if (lines) {
		size_t m = fmt_snprintf(g_log.note, sizeof(g_log.note),
					"[vmxray/cpu%u] warn: log: %lu lines (%lu bytes) dropped over the per-exit "
					"budget of %u bytes (%lu in all)\n",
					g_log.cpu_fn ? g_log.cpu_fn() : 0, lines, bytes, g_log.budget_bytes,
					g_log.dropped_lines);
		log_emit(g_log.note, m < sizeof(g_log.note) ? m : sizeof(g_log.note) - 1);
	}
	if (ok)
		log_emit(g_log.line, n);
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	if (!log_enabled(level))
		return;
	spin_lock(&g_log.lock);
	size_t n = log_format_line(level, fmt, ap);
	log_emit_budgeted(level, n);
	spin_unlock(&g_log.lock);
}

void log_call_locked(void (*fn)(void *ctx), void *ctx)
{
	spin_lock(&g_log.lock);
	fn(ctx);
	spin_unlock(&g_log.lock);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
