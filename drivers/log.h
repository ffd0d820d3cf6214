/* vmxray's log. Pure: output goes to sinks the caller registers (UART, UEFI console,
 * memory ring), the CPU number comes from a callback, so host tests capture it.
 *
 * Line format (documented in docs/ARCHITECTURE.md, parsed by tools/vmxlog):
 *     [vmxray/cpuN] LEVEL: text
 * where N is the APIC ID of the CPU that logged and LEVEL is one of
 * error, warn, info, debug, trace. Each line is emitted whole, under a lock. */
#ifndef VMXRAY_DRIVERS_LOG_H
#define VMXRAY_DRIVERS_LOG_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level {
	LOG_ERROR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
	LOG_TRACE = 4,
};

#define LOG_LINE_MAX 512
#define LOG_MAX_SINKS 4

typedef void (*log_sink_fn)(void *ctx, const char *line, size_t len);
typedef uint32_t (*log_cpu_fn)(void);

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
bool log_enabled(enum log_level level);
void log_set_cpu_fn(log_cpu_fn fn);
/* Returns false when all sink slots are taken. */
bool log_add_sink(log_sink_fn fn, void *ctx);
void log_remove_sink(log_sink_fn fn);
void log_remove_all_sinks(void);
const char *log_level_name(enum log_level level);
/* Runs fn(ctx) under the lock that keeps lines whole: for readers of a sink's memory
 * (the log ring) while other CPUs may log. */
void log_call_locked(void (*fn)(void *ctx), void *ctx);

/* ---- The per-exit budget ----
 * The UART is the guest's too: it can slow it down (a huge divisor), and a line costs
 * root-mode time under the log lock (and under the hypervisor's lock where a handler
 * logs holding it). So after launch each exit of a CPU may log `bytes` bytes; a line
 * that does not fit is dropped and counted, and the count is reported on the CPU's next
 * line after that exit (never silently), in the totals, and at power-off. Paths whose
 * output is the point (statistics, VMCS dumps, panics) lift the budget for their exit;
 * their callers are rate-limited or end the run. */
struct log_budget {
	uint64_t epoch;      /* the exit the budget is for (the CPU's exit count) */
	uint32_t used;       /* bytes logged in it */
	bool lifted;         /* no limit for the rest of this exit */
	uint64_t pending_lines, pending_bytes; /* dropped, not reported yet */
};
/* The calling CPU's budget and its current exit count; NULL: no budget (before launch). */
typedef struct log_budget *(*log_budget_fn)(uint64_t *epoch);
void log_set_budget(log_budget_fn fn, uint32_t bytes_per_exit);
/* This exit may log without limit (see above). */
void log_budget_lift(void);
/* Lines and bytes dropped over the budget since start, all CPUs. */
void log_dropped_totals(uint64_t *lines, uint64_t *bytes, uint32_t *budget);

/* Pure: may a line of len bytes go out in exit `epoch`? A new epoch starts a fresh
 * budget and hands over, in *report_lines/bytes, the drops of the earlier one(s) not yet
 * reported (0 when none). False: dropped and counted as pending. */
bool log_budget_take(struct log_budget *b, uint64_t epoch, size_t len, uint32_t limit, uint64_t *report_lines,
		     uint64_t *report_bytes);

/* ---- A rate limit for output a guest can ask for (DUMP_VMCS): a bucket of `burst`
 * events that refills one per `interval` ticks of a clock (the TSC); the refusals are
 * counted. Occasional callers (a user's hvctl dump, a fuzzer's rare call) are never
 * refused; a loop gets `burst` events, then one per interval. Pure. ---- */
struct rate_limit {
	bool started;
	uint32_t tokens;
	uint64_t last;       /* clock when the bucket last gained a token */
	uint64_t refused;    /* since the last allowed event */
};
/* True when an event may happen at `now`; then *refused_before holds how many were
 * refused since the last one (to be reported with it). */
bool rate_limit_allow(struct rate_limit *r, uint64_t now, uint64_t interval, uint32_t burst,
		      uint64_t *refused_before);

void log_vmsg(enum log_level level, const char *fmt, va_list ap);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_trace(...) log_msg(LOG_TRACE, __VA_ARGS__)

#endif
