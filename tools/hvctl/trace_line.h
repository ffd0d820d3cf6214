/* hvctl trace: one trace record (VMXRAY_HC_TRACE_READ, vmx/study/trace_record.h) as one
 * line of text. Pure and freestanding (drivers/fmt.c), so any hvctl can use it: the UEFI
 * one here, a Linux one elsewhere. */
#ifndef VMXRAY_TOOLS_HVCTL_TRACE_LINE_H
#define VMXRAY_TOOLS_HVCTL_TRACE_LINE_H
#include <stddef.h>

#include "vmx/study/trace_record.h"

/* "cpu1 #1234 tsc=3021776411 CPUID rip=0xffffffff81035e2b qual=0x0 cycles=312 leaf=0x1 ...",
 * reason_name: the basic reason's name (NULL: "reason=<n>"). Returns the length the full
 * line has (like snprintf); buf always ends in a NUL when n > 0. */
size_t hvctl_trace_line(const struct trace_record *r, const char *reason_name, char *buf, size_t n);

#endif
