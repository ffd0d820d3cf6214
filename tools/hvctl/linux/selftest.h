/* hvctl selftest (Linux): bad buffers from CPL 3 (tools/hvctl/linux/selftest.c). */
#ifndef VMXRAY_TOOLS_HVCTL_SELFTEST_H
#define VMXRAY_TOOLS_HVCTL_SELFTEST_H
#include "tools/hvctl/hvctl_cmd.h"

/* VMCALL, counted; the signal it raised (SIGILL for #UD), 0 when none. */
int hvctl_vmcall_signal(struct hvctl_regs *r);

enum hvctl_result hvctl_selftest(void);

#endif
