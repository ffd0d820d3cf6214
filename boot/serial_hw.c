/* The hardware side of choosing the UART (boot/serial_hw.h). */
#include "boot/serial_hw.h"

#include "boot/acpi.h"
#include "boot/pci_hw.h"
#include "drivers/uart16550_hw.h"

static enum spcr_status serial_hw_spcr(void *ctx, struct uart_desc *out)
{
	size_t len;
	const uint8_t *t = acpi_find_table("SPCR", &len);

	(void)ctx;
	return spcr_parse(t, len, out);
}

static bool serial_hw_answers(void *ctx, const struct uart_desc *at)
{
	struct uart16550 u;

	(void)ctx;
	uart16550_attach_hw(&u, at);
	return uart16550_probe(&u);
}

void serial_select_hw(const struct opt_serial *o, struct serial_choice *out)
{
	const struct serial_probe p = { serial_hw_spcr, serial_hw_answers, &pci_cfg_mech1, NULL };

	serial_select(o, &p, out);
}
