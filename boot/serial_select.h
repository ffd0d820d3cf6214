/* Which UART the log goes to, and why: serial= against what the machine has. Pure:
 * the ACPI lookup, the scratch-register probe and PCI configuration space come in
 * through struct serial_probe (boot/serial_hw.c on hardware, fakes in host tests).
 *
 * serial=auto tries, in order: the UART of the ACPI SPCR table (the one the firmware
 * redirects its console to), COM1 at 0x3f8, the first PCI 16550 (class 07/00/02) on bus
 * 0 or behind its bridges. A candidate counts only when its scratch register answers. */
#ifndef VMXRAY_BOOT_SERIAL_SELECT_H
#define VMXRAY_BOOT_SERIAL_SELECT_H
#include <stdbool.h>
#include <stddef.h>

#include "boot/options.h"
#include "boot/pci.h"
#include "boot/spcr.h"
#include "drivers/uart16550.h"

#define SERIAL_COM1_PORT 0x3F8
#define SERIAL_TEXT_MAX 224

struct serial_probe {
	/* The SPCR table's UART, or why there is none (SPCR_ABSENT: no table). */
	enum spcr_status (*spcr)(void *ctx, struct uart_desc *out);
	/* The scratch register of the UART at `at` keeps what is written to it. */
	bool (*answers)(void *ctx, const struct uart_desc *at);
	const struct pci_cfg *pci;
	void *ctx;
};

struct serial_choice {
	struct uart_desc at;         /* UART_SPACE_NONE: no UART, the log is in memory only */
	char text[SERIAL_TEXT_MAX];  /* "COM1 at 0x3f8 (auto: no SPCR table, COM1 answers)" */
};

void serial_select(const struct opt_serial *o, const struct serial_probe *p, struct serial_choice *out);

#endif
