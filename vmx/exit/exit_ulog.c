/* The serial log's hardware edge (vmx/exit/ulog.h): the queue of drivers/ulog.h on the
 * log UART, the guest's accesses to that UART while the queue has a backlog, and the
 * drain at VM exits and on the VMX-preemption timer.
 *
 * Ports: while the queue is not empty every CPU's I/O bitmap (one pair, shared) has the
 * UART's eight bits set, and every vCPU's log_backlog (in the word vmx/exit/entry.asm
 * tests) sends its exits down the whole path, where exit_after_slow drains
 * (vmx/exit/exit.c). The flags go up before the bits and down after them, so an exit on
 * these ports always finds the flag set while there is a backlog. SDM Vol. 3C, 25.6.4
 * "I/O-Bitmap Addresses".
 *
 * Timer: SDM Vol. 3C, 26.5.1 "VMX-Preemption Timer": with "activate VMX-preemption
 * timer" set the timer counts down from the VMCS value at each VM entry at the TSC rate
 * shifted right by IA32_VMX_MISC[4:0], and its expiry is a VM exit (reason 52). Without
 * "save VMX-preemption timer value" each entry starts the count afresh, so it fires only
 * when the guest runs ULOG_TIMER_TICKS without another exit: exactly when no exit would
 * drain. Each CPU sets the control on its own VMCS at its exits while the backlog
 * exists, and clears it at the first exit after the backlog ends. With gdb= the stub
 * already runs the timer (vmx/debug/gdb.h): its exits drain too, and the control is its. */
#include "vmx/exit/ulog.h"

#include "arch/cpu.h"
#include "vmx/caps/caps.h"
#include "vmx/debug/gdb.h"
#include "vmx/hv.h"
#include "vmx/policy/setup.h"
#include "vmx/vmcs/controls.h"
#include "vmx/vmcs/vmcs.h"

/* 2^16 TSC ticks: in Bochs (a tick an instruction, ~4,350 per character at 115200 baud)
 * about the time the 16-byte FIFO takes; on a 3 GHz TSC 22 us, a fraction of one
 * character (the timer only fires when the guest makes no exit for that long). */
#define ULOG_TIMER_TICKS (1u << 16)

struct ulog g_ulog;
uint16_t g_ulog_port;
static char g_ulog_buf[ULOG_QUEUE_BYTES];

static struct {
	bool prepared;     /* ulog_prepare ran: the bitmaps exist */
	uint8_t preset;    /* the bits of the eight ports other policies set (intercept=io) */
	bool timer;        /* the preemption timer drains (gdb= off, the control allowed) */
	uint32_t timer_value;
} U;

static void port_bit(uint16_t port, bool on)
{
	uint8_t *bm = port < 0x8000 ? g_hv.io_bitmap_a : g_hv.io_bitmap_b;
	unsigned bit = port & 0x7FFF;
	uint8_t m = (uint8_t)(1u << (bit % 8));
	if (on)
		__atomic_fetch_or(&bm[bit / 8], m, __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_and(&bm[bit / 8], (uint8_t)~m, __ATOMIC_SEQ_CST);
}

static void set_flags(bool on)
{
	for (unsigned c = 0; c < HV_MAX_CPUS; c++)
		if (g_hv.vcpu[c])
			__atomic_store_n(&g_hv.vcpu[c]->log_backlog, on, __ATOMIC_SEQ_CST);
}

static void set_ports(bool on)
{
	for (unsigned p = 0; p < 8; p++)
		if (!(U.preset & (1u << p)))
			port_bit((uint16_t)(g_ulog_port + p), on);
}

/* drivers/ulog.h's hook, under its lock: flags before bits up, bits before flags down. */
static void on_backlog(bool on)
{
	if (!g_ulog_port || !U.prepared)
		return;
	if (on) {
		set_flags(true);
		set_ports(true);
	} else {
		set_ports(false);
		set_flags(false);
	}
}

void ulog_start(struct uart16550 *u, bool async)
{
	if (g_ulog.uart)
		ulog_flush(&g_ulog);
	bool io = u->present && u->at.space == UART_SPACE_IO && u->at.stride == 1;
	g_ulog.on_backlog = on_backlog;
	ulog_init(&g_ulog, u, g_ulog_buf, sizeof(g_ulog_buf), async && io);
	g_ulog_port = async && io ? (uint16_t)u->at.base : 0;
}

static bool port_preset(uint16_t port)
{
	const uint8_t *bm = port < 0x8000 ? g_hv.io_bitmap_a : g_hv.io_bitmap_b;
	unsigned bit = port & 0x7FFF;
	return (bm[bit / 8] >> (bit % 8)) & 1;
}

void ulog_prepare(struct hv *hv)
{
	struct vmx_ctrl_allowed pin;
	if (!g_ulog_port)
		return;
	U.preset = 0;
	for (unsigned p = 0; p < 8; p++)
		if (port_preset((uint16_t)(g_ulog_port + p)))
			U.preset |= (uint8_t)(1u << p);
	U.timer = !g_gdb_on && vmx_caps_ctrl_allowed(&hv->caps, VMX_CTRL_PIN, &pin) &&
		  (pin.allowed1 & PIN_BASED_VMX_PREEMPTION_TIMER);
	unsigned rate = vmx_caps_preemption_timer_rate(&hv->caps);
	U.timer_value = ULOG_TIMER_TICKS >> rate ? ULOG_TIMER_TICKS >> rate : 1;
	spin_lock(&g_ulog.lock);
	U.prepared = true;
	if (g_ulog.backlog)
		on_backlog(true);
	spin_unlock(&g_ulog.lock);
}

/* This CPU's timer on while the backlog exists, off after (its own VMCS only). */
static void timer_follow(bool on)
{
	uint32_t pin = vmcs_read32(PIN_BASED_VM_EXEC_CONTROL);
	uint32_t want = on ? pin | (uint32_t)PIN_BASED_VMX_PREEMPTION_TIMER : pin & ~(uint32_t)PIN_BASED_VMX_PREEMPTION_TIMER;
	if (want != pin)
		vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, want);
}

void ulog_vcpu_launch(struct vcpu *v)
{
	if (!g_ulog_port)
		return;
	__atomic_store_n(&v->log_backlog, ulog_backlog(&g_ulog), __ATOMIC_SEQ_CST);
	if (!U.timer)
		return;
	vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, U.timer_value);
	timer_follow(ulog_backlog(&g_ulog));
}

void ulog_exit(struct vcpu *v)
{
	(void)v;
	(void)ulog_drain(&g_ulog);
	if (U.timer)
		timer_follow(ulog_backlog(&g_ulog));
}

void ulog_timer_exit(struct vcpu *v)
{
	/* With the backlog, exit_after_slow drains (log_backlog is set); after it, the
	 * control goes off here (log_backlog is clear: no exit_after_slow). */
	if (U.timer && !v->log_backlog)
		timer_follow(ulog_backlog(&g_ulog));
}

void ulog_flush_all(void)
{
	ulog_flush(&g_ulog);
}

/* ---- the guest's accesses, one byte register at a time ---- */

static uint8_t reg_in(uint16_t port)
{
	unsigned reg = (uint16_t)(port - g_ulog_port);
	if (reg >= 8)
		return cpu_inb(port);
	return ulog_view_read(reg, cpu_inb(port), ulog_backlog(&g_ulog));
}

static void reg_out(uint16_t port, uint8_t v)
{
	unsigned reg = (uint16_t)(port - g_ulog_port);
	if (reg >= 8) {
		cpu_outb(port, v);
		return;
	}
	switch (ulog_view_write(reg, cpu_inb((uint16_t)(g_ulog_port + ULOG_REG_LCR)))) {
	case ULOG_WRITE_QUEUE:
		ulog_guest_byte(&g_ulog, v);
		return;
	case ULOG_WRITE_DRAIN_PASS:
		ulog_flush(&g_ulog);
		break;
	case ULOG_WRITE_PASS:
		break;
	}
	cpu_outb(port, v);
}

/* A wider access is done a byte at a time, lowest port first (a 16550's registers are
 * bytes; the access of a word at base+0 writes THR, then IER). */
uint32_t ulog_port_in(uint16_t port, unsigned bytes)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint32_t)reg_in((uint16_t)(port + i)) << (8 * i);
	return v;
}

void ulog_port_out(uint16_t port, unsigned bytes, uint32_t value)
{
	for (unsigned i = 0; i < bytes; i++)
		reg_out((uint16_t)(port + i), (uint8_t)(value >> (8 * i)));
}
