/* A small printf-style formatter for freestanding code. Pure.
 * Supports: %d %i %u %x %X %o %c %s %p %%, flags '-' '0' '#', width (number or '*'),
 * precision for %s ('.N' or '.*'), length modifiers hh h l ll z. */
#ifndef VMXRAY_DRIVERS_FMT_H
#define VMXRAY_DRIVERS_FMT_H
#include <stdarg.h>
#include <stddef.h>

/* Like vsnprintf: writes at most n-1 characters and a NUL (if n > 0);
 * returns the length the full output would have had. */
size_t fmt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
size_t fmt_snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
