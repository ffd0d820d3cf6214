/* The serial log's hardware edge (vmx/exit/ulog.h): the queue of drivers/ulog.h on the
 * log UART, the guest's accesses to that UART while the queue has a backlog, and the
 * drain at VM exits and on the VMX-preemption timer.
 *
 * Ports: while the queue is not empty the I/O bitmap (one pair, shared by every CPU) has
 * the UART's eight bits set, so the guest's accesses there exit (fast paths leave those
 * ports to exit_io: io_fast_allowed, fast_io). SDM Vol. 3C, 25.6.4 "I/O-Bitmap Addresses".
 *
 * Drain points: every log call; every guest access to the UART's ports; and the
 * VMX-preemption timer. Not every VM exit: that would send each exit down the whole path
 * while a backlog exists (measured with tools/bench while the shell printed: CPUID 43 ->
 * 264 ticks of path), and a guest that prints keeps a backlog most of the time.
 *
 * Timer: SDM Vol. 3C, 26.5.1 "VMX-Preemption Timer": with "activate VMX-preemption
 * timer" set the timer counts down from the VMCS value at each VM entry at the TSC rate
 * shifted right by IA32_VMX_MISC[4:0], and its expiry is a VM exit (reason 52). Without
 * "save VMX-preemption timer value" each entry starts the count afresh, so it fires only
 * when the guest runs a whole period without another exit. A CPU sets the control on its
 * own VMCS only: the one that queued bytes (at the end of that exit: its log_backlog
 * flag, in the word vmx/exit/entry.asm tests, sends it to exit_after_slow), the one whose
 * guest wrote to the UART, and each CPU at launch while there is a backlog. A timer exit
 * that finds the queue empty clears it. The period adapts to the UART: a timer exit that
 * finds the transmitter still busy doubles it, one that finds it idle with a FIFO's worth
 * to send shortens it by a quarter. With gdb= the stub owns the timer (vmx/debug/gdb.h):
 * its exits drain too. */
#include "vmx/exit/ulog.h"

#include "arch/cpu.h"
#include "vmx/caps/caps.h"
#include "vmx/debug/gdb.h"
#include "vmx/hv.h"
#include "vmx/policy/setup.h"
#include "vmx/vmcs/controls.h"
#include "vmx/vmcs/vmcs.h"

/* The timer's first period: 2^16 TSC ticks, in Bochs (a tick an instruction, ~4,350 per
 * character at 115200 baud) about the time the 16-byte FIFO takes; then it adapts between
 * 2^12 and 2^26 ticks (~22 ms at 3 GHz, two FIFOs at 115200 baud). */
#define ULOG_TIMER_TICKS (1u << 16)
#define ULOG_TIMER_MIN (1u << 12)
#define ULOG_TIMER_MAX (1u << 26)

struct ulog g_ulog;
uint16_t g_ulog_port;
static char g_ulog_buf[ULOG_QUEUE_BYTES];

static struct {
	bool prepared;     /* ulog_prepare ran: the bitmaps exist */
	uint8_t preset;    /* the bits of the eight ports other policies set (intercept=io) */
	bool timer;        /* the preemption timer drains (gdb= off, the control allowed) */
	unsigned rate;     /* IA32_VMX_MISC[4:0] */
	uint32_t period;   /* TSC ticks; racy updates from several CPUs are harmless */
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

static void set_ports(bool on)
{
	for (unsigned p = 0; p < 8; p++)
		if (!(U.preset & (1u << p)))
			port_bit((uint16_t)(g_ulog_port + p), on);
}

/* The launched vCPU of the CPU running this (root mode: a launched CPU runs vmxray's
 * copy only in its exits), by APIC ID; NULL before launch. */
static struct vcpu *launched_vcpu_here(void)
{
	uint32_t id = cpu_apic_id();
	for (unsigned c = 0; c < HV_MAX_CPUS; c++) {
		struct vcpu *v = g_hv.vcpu[c];
		if (v && v->apic_id == id)
			return v->launched ? v : NULL;
	}
	return NULL;
}

/* drivers/ulog.h's hook, under its lock. */
static void on_backlog(bool on)
{
	if (!g_ulog_port || !U.prepared)
		return;
	set_ports(on);
	struct vcpu *v = on && U.timer ? launched_vcpu_here() : NULL;
	if (v) /* arm this CPU's timer at the end of this exit */
		__atomic_store_n(&v->log_backlog, true, __ATOMIC_RELEASE);
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
	U.rate = vmx_caps_preemption_timer_rate(&hv->caps);
	U.period = ULOG_TIMER_TICKS;
	spin_lock(&g_ulog.lock);
	U.prepared = true;
	if (g_ulog.backlog)
		set_ports(true);
	spin_unlock(&g_ulog.lock);
}

/* This CPU's timer on while the backlog exists, off after (its own VMCS only). */
static void timer_follow(bool on)
{
	uint32_t pin = vmcs_read32(PIN_BASED_VM_EXEC_CONTROL);
	uint32_t want = on ? pin | (uint32_t)PIN_BASED_VMX_PREEMPTION_TIMER : pin & ~(uint32_t)PIN_BASED_VMX_PREEMPTION_TIMER;
	if (want != pin) {
		if (on)
			vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, (U.period >> U.rate) ? U.period >> U.rate : 1);
		vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, want);
	}
}

void ulog_vcpu_launch(struct vcpu *v)
{
	(void)v;
	if (g_ulog_port && U.timer)
		timer_follow(ulog_backlog(&g_ulog));
}

void ulog_exit(struct vcpu *v)
{
	__atomic_store_n(&v->log_backlog, false, __ATOMIC_RELEASE);
	(void)ulog_drain(&g_ulog);
	if (U.timer)
		timer_follow(ulog_backlog(&g_ulog));
}

/* The period follows the transmitter: too early (still busy) doubles it, a FIFO's worth
 * sent at once (it may have idled) takes a quarter off. */
static void timer_adapt(unsigned sent, bool busy)
{
	uint32_t p = U.period;
	if (busy && p < ULOG_TIMER_MAX)
		p *= 2;
	else if (sent >= ULOG_FIFO_DEPTH && p > ULOG_TIMER_MIN)
		p -= p / 4;
	if (p != U.period) {
		U.period = p;
		vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, (p >> U.rate) ? p >> U.rate : 1);
	}
}

void ulog_timer_exit(struct vcpu *v)
{
	(void)v;
	if (!g_ulog_port)
		return;
	bool had = ulog_backlog(&g_ulog);
	unsigned sent = ulog_drain(&g_ulog);
	if (!U.timer)
		return; /* gdb='s timer: its exits only drain */
	if (had)
		timer_adapt(sent, sent == 0 && ulog_backlog(&g_ulog));
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
/* After the guest's access: what the transmitter takes, and this CPU's timer while
 * bytes are left (a guest that polls the LSR drains its own output this way too). */
static void after_access(void)
{
	(void)ulog_drain(&g_ulog);
	if (U.timer)
		timer_follow(ulog_backlog(&g_ulog));
}

uint32_t ulog_port_in(uint16_t port, unsigned bytes)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint32_t)reg_in((uint16_t)(port + i)) << (8 * i);
	after_access();
	return v;
}

void ulog_port_out(uint16_t port, unsigned bytes, uint32_t value)
{
	for (unsigned i = 0; i < bytes; i++)
		reg_out((uint16_t)(port + i), (uint8_t)(value >> (8 * i)));
	after_access();
}
