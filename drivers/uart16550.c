/* 16550 UART driver, pure over its register accessor. Register map and bits from the
 * PC16550D datasheet ("Register Addresses", "Line Status Register"). */
#include "drivers/uart16550.h"

enum {
	UART_THR = 0, /* transmit holding (DLAB=0) */
	UART_DLL = 0, /* divisor latch low (DLAB=1) */
	UART_IER = 1,
	UART_DLM = 1,
	UART_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_SCR = 7,
};

#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define LSR_THRE 0x20
#define LSR_TEMT 0x40 /* transmitter empty: holding register, FIFO and shift register */
#define UART_CLOCK_DIVISOR_115200 1
#define UART_SCRATCH_PATTERN 0x5A
/* Bounded wait: a UART that never drains must not hang the hypervisor. */
#define UART_SPIN_LIMIT 100000

void uart16550_attach(struct uart16550 *u, const struct uart_desc *at, const struct uart_io *io, void *ctx)
{
	u->at = *at;
	u->io = io;
	u->ctx = ctx;
	u->present = false;
	u->programmed = false;
	u->reclaims = 0;
}

static void uart_out(const struct uart16550 *u, unsigned reg, uint8_t v)
{
	u->io->write(u, reg, v);
}

static uint8_t uart_in(const struct uart16550 *u, unsigned reg)
{
	return u->io->read(u, reg);
}

bool uart16550_probe(struct uart16550 *u)
{
	if (u->at.space == UART_SPACE_NONE || !u->at.base || !u->io)
		return false;
	uart_out(u, UART_SCR, UART_SCRATCH_PATTERN);
	return uart_in(u, UART_SCR) == UART_SCRATCH_PATTERN;
}

bool uart16550_init(struct uart16550 *u)
{
	u->present = false;
	if (!uart16550_probe(u))
		return false;
	/* The firmware may still be sending on this UART (its console): let what it queued
	 * leave first, since the divisor change and the FIFO reset below would cut it off
	 * mid-character (a stray byte, or a lost one, in the log). Bounded, as every wait. */
	for (unsigned i = 0; i < UART_SPIN_LIMIT && !(uart_in(u, UART_LSR) & LSR_TEMT); i++)
		if (u->io->relax)
			u->io->relax();
	uart_out(u, UART_IER, 0x00);
	uart_out(u, UART_LCR, LCR_DLAB);
	uart_out(u, UART_DLL, UART_CLOCK_DIVISOR_115200);
	uart_out(u, UART_DLM, 0);
	uart_out(u, UART_LCR, LCR_8N1);
	uart_out(u, UART_FCR, 0xC7); /* enable + clear FIFOs, 14-byte trigger */
	uart_out(u, UART_MCR, 0x03); /* DTR, RTS; OUT2 stays as is: no interrupts */
	u->present = true;
	u->programmed = true;
	return true;
}

#define MCR_LOOP 0x10

/* Whether the line format is still the one uart16550_init made and loopback is off:
 * two reads, no DLAB. The divisor is not read here: that needs DLAB set, and a
 * character the guest writes on another CPU meanwhile would land in the divisor latch
 * (measured in Bochs: the rest of a guest line lost). A changed divisor shows as a
 * wait that runs out (uart16550_write). */
static bool settings_intact(const struct uart16550 *u)
{
	return uart_in(u, UART_LCR) == LCR_8N1 && !(uart_in(u, UART_MCR) & MCR_LOOP);
}

static void settings_restore(struct uart16550 *u)
{
	uint8_t mcr = uart_in(u, UART_MCR);
	uart_out(u, UART_LCR, LCR_DLAB);
	uart_out(u, UART_DLL, UART_CLOCK_DIVISOR_115200);
	uart_out(u, UART_DLM, 0);
	uart_out(u, UART_LCR, LCR_8N1);
	uart_out(u, UART_MCR, (uint8_t)(mcr & ~MCR_LOOP));
	u->reclaims++;
}

void uart16550_adopt(struct uart16550 *u)
{
	u->present = u->at.space != UART_SPACE_NONE && u->at.base && u->io;
}

/* Waits (bounded) until the transmitter takes a character, then sends c. A wait that
 * runs out still sends: with FIFOs on, THRE says the FIFO is empty, not that it is
 * full, and an emulated UART (Bochs times characters in emulated time) can need about
 * the whole bound to empty 16 of them; giving lines up there lost text (measured in
 * 10-haswell-shell). What the guest can do to slow the UART down, uart16550_write
 * undoes first; what is left is bounded per exit by the log budget (drivers/log.h). */
static bool uart16550_putc(struct uart16550 *u, char c)
{
	bool drained = false;
	for (unsigned i = 0; i < UART_SPIN_LIMIT; i++) {
		if (uart_in(u, UART_LSR) & LSR_THRE) {
			drained = true;
			break;
		}
		if (u->io->relax)
			u->io->relax();
	}
	uart_out(u, UART_THR, (uint8_t)c);
	return drained;
}

static void uart16550_write_as(struct uart16550 *u, const char *s, size_t n, bool crlf)
{
	bool restored = false;

	if (!u->present)
		return;
	if (u->programmed && !settings_intact(u)) {
		settings_restore(u);
		restored = true;
	}
	for (size_t i = 0; i < n; i++) {
		bool drained = !crlf || s[i] != '\n' || uart16550_putc(u, '\r');
		drained = uart16550_putc(u, s[i]) && drained;
		/* A wait that ran out: perhaps the guest set a huge divisor (with the line
		 * format as it was). Once a line, the divisor is put back too. */
		if (!drained && u->programmed && !restored) {
			settings_restore(u);
			restored = true;
		}
	}
}

void uart16550_write(struct uart16550 *u, const char *s, size_t n)
{
	uart16550_write_as(u, s, n, true);
}

void uart16550_write_raw(struct uart16550 *u, const char *s, size_t n)
{
	uart16550_write_as(u, s, n, false);
}

void uart16550_wait_idle(struct uart16550 *u)
{
	for (unsigned i = 0; u->present && i < UART_SPIN_LIMIT && !(uart_in(u, UART_LSR) & LSR_TEMT); i++)
		if (u->io->relax)
			u->io->relax();
}

bool uart16550_reclaim(struct uart16550 *u)
{
	if (!u->programmed || settings_intact(u))
		return false;
	settings_restore(u);
	return true;
}

uint8_t uart16550_read_reg(const struct uart16550 *u, unsigned reg)
{
	return uart_in(u, reg);
}

void uart16550_write_reg(const struct uart16550 *u, unsigned reg, uint8_t v)
{
	uart_out(u, reg, v);
}

void uart16550_log_sink(void *ctx, const char *line, size_t len)
{
	uart16550_write(ctx, line, len);
}
