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

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	if (!log_enabled(level))
		return;
	spin_lock(&g_log.lock);
	size_t n = log_format_line(level, fmt, ap);
	for (unsigned i = 0; i < LOG_MAX_SINKS; i++)
		if (g_log.sinks[i].fn)
			g_log.sinks[i].fn(g_log.sinks[i].ctx, g_log.line, n);
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
