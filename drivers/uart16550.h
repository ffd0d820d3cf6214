/* 16550 UART, polled, at an I/O port or in memory (MMIO), registers 1 or 4 bytes
 * apart. Needs no UEFI service, so it works before and after launch, in root mode and
 * in the guest.
 *
 * Pure: the register sequence (init, scratch-register probe, transmit) runs over an
 * injected register accessor (struct uart_io); drivers/uart16550_hw.c has the port and
 * MMIO accessors, and host tests pass a fake UART. */
#ifndef VMXRAY_DRIVERS_UART16550_H
#define VMXRAY_DRIVERS_UART16550_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum uart_space {
	UART_SPACE_NONE = 0,
	UART_SPACE_IO,   /* x86 I/O ports: IN/OUT */
	UART_SPACE_MMIO, /* memory-mapped registers */
};

/* Where a UART's registers are. stride 1: byte registers at base + n (the PC layout);
 * stride 4: register n at base + 4n, read and written as 32-bit accesses (the DesignWare
 * 8250 of Intel LPSS, and an SPCR Generic Address Structure of register bit width 32). */
struct uart_desc {
	enum uart_space space;
	uint64_t base;
	uint8_t stride;
};

struct uart16550;

/* Register access: reg is the 16550 register number (0..7), the accessor applies the
 * base, the stride and the access width. relax (may be NULL) runs in bounded waits. */
struct uart_io {
	uint8_t (*read)(const struct uart16550 *u, unsigned reg);
	void (*write)(const struct uart16550 *u, unsigned reg, uint8_t v);
	void (*relax)(void);
};

struct uart16550 {
	struct uart_desc at;
	const struct uart_io *io;
	void *ctx;      /* the accessor's own (host tests: the fake UART) */
	bool present;   /* scratch register answered at init */
	bool programmed; /* uart16550_init set it up: uart16550_write keeps it so */
	uint64_t reclaims;  /* lines before which its settings had to be put back */
};

/* Binds u to the registers at `at` through io; touches no register. */
void uart16550_attach(struct uart16550 *u, const struct uart_desc *at, const struct uart_io *io, void *ctx);
/* True when the scratch register keeps what is written to it (PC16550D: "Scratchpad
 * Register"): a UART answers there; an empty I/O port reads back 0xFF. */
bool uart16550_probe(struct uart16550 *u);
/* Probes, then programs 115200 8N1, FIFOs on, interrupts off. Returns false (and
 * disables the device) when nothing answers. */
bool uart16550_init(struct uart16550 *u);
/* Marks an attached UART as present without touching it (already programmed). */
void uart16550_adopt(struct uart16550 *u);
/* Writes n bytes. A UART that uart16550_init programmed is checked first: the guest
 * shares it and may have changed the line format or set loopback (then the guest would
 * read every line vmxray writes and the terminal none), or the divisor (a huge one
 * makes every character wait out the bounded spin: the first wait that runs out puts
 * it back). 115200 8N1 without loopback is put back, and stays: vmxray's lines are the
 * UART's first purpose once it logs there, and the guest's own console output follows
 * the same settings. Each character's wait stays bounded; how many characters one
 * exit may send is the log's per-exit budget (drivers/log.h). */
void uart16550_write(struct uart16550 *u, const char *s, size_t n);
/* uart16550_write without the "\n" to "\r\n" (the bytes of drivers/ulog.h's queue). */
void uart16550_write_raw(struct uart16550 *u, const char *s, size_t n);
/* Waits (bounded) until the last character has left the shift register (TEMT): before
 * the machine powers off or resets, or it would take the end of the last line along. */
void uart16550_wait_idle(struct uart16550 *u);
/* The settings check of uart16550_write alone: true when they had to be put back. */
bool uart16550_reclaim(struct uart16550 *u);
/* One register, as it is (drivers/ulog.c feeds the transmitter without waiting). */
uint8_t uart16550_read_reg(const struct uart16550 *u, unsigned reg);
void uart16550_write_reg(const struct uart16550 *u, unsigned reg, uint8_t v);
/* log_sink_fn-compatible: ctx is a struct uart16550*. Turns "\n" into "\r\n". */
void uart16550_log_sink(void *ctx, const char *line, size_t len);

#endif
