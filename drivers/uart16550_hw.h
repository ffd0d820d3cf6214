/* The hardware edge of the 16550 driver: register accessors for I/O ports and MMIO. */
#ifndef VMXRAY_DRIVERS_UART16550_HW_H
#define VMXRAY_DRIVERS_UART16550_HW_H
#include "drivers/uart16550.h"

/* The accessor for a UART's address space and stride; NULL for UART_SPACE_NONE. */
const struct uart_io *uart16550_io_for(const struct uart_desc *at);
/* uart16550_attach with the accessor of uart16550_io_for. */
void uart16550_attach_hw(struct uart16550 *u, const struct uart_desc *at);

#endif
