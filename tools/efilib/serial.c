/* COM1, polled (PC16550D register map: LSR at +5, THR at +0). */
#include "tools/efilib/serial.h"

#include "arch/cpu.h"

#define UART_THR 0
#define UART_LSR 5
#define LSR_THRE 0x20
/* Bounded wait: a UART that never drains must not hang the test. */
#define SERIAL_SPIN_LIMIT 100000

bool serial_present(void)
{
	return cpu_inb(SERIAL_COM1 + UART_LSR) != 0xFF;
}

static void serial_putc(char c)
{
	for (unsigned i = 0; i < SERIAL_SPIN_LIMIT; i++) {
		if (cpu_inb(SERIAL_COM1 + UART_LSR) & LSR_THRE)
			break;
		cpu_pause();
	}
	cpu_outb(SERIAL_COM1 + UART_THR, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
	if (!serial_present())
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}
