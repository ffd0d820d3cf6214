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

void log_vmsg(enum log_level level, const char *fmt, va_list ap);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_trace(...) log_msg(LOG_TRACE, __VA_ARGS__)

#endif
