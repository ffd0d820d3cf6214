/* The serial log's hardware edge (vmx/exit/exit_ulog.c): the queue of drivers/ulog.h
 * bound to the log UART, its eight I/O ports intercepted while it has a backlog, and
 * the drain at VM exits and on the VMX-preemption timer. */
#ifndef VMXRAY_VMX_EXIT_ULOG_H
#define VMXRAY_VMX_EXIT_ULOG_H
#include <stdbool.h>
#include <stdint.h>

#include "drivers/ulog.h"

struct hv;
struct vcpu;

extern struct ulog g_ulog;
extern uint16_t g_ulog_port; /* the log UART's first I/O port while async; 0: none */

/* Before launch (boot/efi_main.c, start_log): the queue over the UART u, async unless
 * log_tx=sync or the UART is not at I/O ports (MMIO, PCI BARs in memory: those stay
 * synchronous). Whatever an earlier start queued is drained first. */
void ulog_start(struct uart16550 *u, bool async);
/* hv_prepare, after the I/O bitmaps and gdb_prepare: which of the eight bits other
 * policies set (never cleared here), whether the preemption timer can drain. */
void ulog_prepare(struct hv *hv);
/* Each CPU before its VMLAUNCH (its VMCS current). */
void ulog_vcpu_launch(struct vcpu *v);
/* At the end of an exit that queued log bytes (vcpu->log_backlog, vmx/exit/exit.c):
 * drain, and arm this CPU's timer while bytes are left. */
void ulog_exit(struct vcpu *v);
/* A preemption-timer exit with gdb= off. */
void ulog_timer_exit(struct vcpu *v);
/* Everything queued, synchronously: power-off, reset, panic, return to the firmware. */
void ulog_flush_all(void);

/* The guest's I/O access of `bytes` at `port` touches the log UART's registers. */
static inline bool ulog_port_touched(uint16_t port, unsigned bytes)
{
	for (unsigned i = 0; g_ulog_port && i < bytes; i++)
		if ((uint16_t)(port + i - g_ulog_port) < 8)
			return true;
	return false;
}
uint32_t ulog_port_in(uint16_t port, unsigned bytes);
void ulog_port_out(uint16_t port, unsigned bytes, uint32_t value);

#endif
