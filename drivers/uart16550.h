/* 16550 UART on an I/O port, polled. Needs no UEFI service, so it works before and
 * after launch, in root mode and in the guest. */
#ifndef VMXRAY_DRIVERS_UART16550_H
#define VMXRAY_DRIVERS_UART16550_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uart16550 {
	uint16_t port;   /* 0: disabled */
	bool present;    /* scratch register answered at init */
};

/* Programs 115200 8N1, FIFOs on, interrupts off. Returns false (and disables the
 * device) when nothing answers at the port. */
bool uart16550_init(struct uart16550 *u, uint16_t port);
void uart16550_write(struct uart16550 *u, const char *s, size_t n);
/* log_sink_fn-compatible: ctx is a struct uart16550*. Turns "\n" into "\r\n". */
void uart16550_log_sink(void *ctx, const char *line, size_t len);

#endif
