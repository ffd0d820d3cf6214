/* 16550 UART driver. Register map from the PC16550D datasheet. */
#include "drivers/uart16550.h"

#include "arch/cpu.h"

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
/* Bounded wait: a UART that never drains must not hang the hypervisor. */
#define UART_SPIN_LIMIT 100000

bool uart16550_init(struct uart16550 *u, uint16_t port)
{
	u->port = port;
	u->present = false;
	if (!port)
		return false;
	cpu_outb(port + UART_SCR, 0x5A);
	if (cpu_inb(port + UART_SCR) != 0x5A) {
		u->port = 0;
		return false;
	}
	/* The firmware may still be sending on this UART (its console): let what it queued
	 * leave first, since the divisor change and the FIFO reset below would cut it off
	 * mid-character (a stray byte, or a lost one, in the log). Bounded, as every wait. */
	for (unsigned i = 0; i < UART_SPIN_LIMIT && !(cpu_inb(port + UART_LSR) & LSR_TEMT); i++)
		cpu_pause();
	cpu_outb(port + UART_IER, 0x00);
	cpu_outb(port + UART_LCR, LCR_DLAB);
	cpu_outb(port + UART_DLL, UART_CLOCK_DIVISOR_115200);
	cpu_outb(port + UART_DLM, 0);
	cpu_outb(port + UART_LCR, LCR_8N1);
	cpu_outb(port + UART_FCR, 0xC7); /* enable + clear FIFOs, 14-byte trigger */
	cpu_outb(port + UART_MCR, 0x03); /* DTR, RTS; OUT2 stays as is: no interrupts */
	u->present = true;
	return true;
}

static void uart16550_putc(struct uart16550 *u, char c)
{
	for (unsigned i = 0; i < UART_SPIN_LIMIT; i++) {
		if (cpu_inb(u->port + UART_LSR) & LSR_THRE)
			break;
		cpu_pause();
	}
	cpu_outb(u->port + UART_THR, (uint8_t)c);
}

void uart16550_write(struct uart16550 *u, const char *s, size_t n)
{
	if (!u->present)
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart16550_putc(u, '\r');
		uart16550_putc(u, s[i]);
	}
}

void uart16550_log_sink(void *ctx, const char *line, size_t len)
{
	uart16550_write(ctx, line, len);
}
