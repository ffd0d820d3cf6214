/* Finding a 16550 on PCI (boot/pci.h). */
#include "boot/pci.h"

static uint32_t pci_read(const struct pci_cfg *c, struct pci_bdf f, unsigned off)
{
	return c->read32(c->ctx, f.bus, f.dev, f.fn, off);
}

bool pci_class_is_uart16550(uint32_t class_revision)
{
	return (class_revision >> 24) == PCI_CLASS_COMM && ((class_revision >> 16) & 0xFF) == PCI_SUBCLASS_SERIAL &&
	       ((class_revision >> 8) & 0xFF) == PCI_PROGIF_16550;
}

/* "Base Addresses": bit 0 is 1 for I/O space (base in 31:2), 0 for memory space (type
 * in 2:1: 00b 32-bit, 10b 64-bit with the upper half in the next BAR; base in 31:4). */
enum pci_bar_status pci_bar_decode(uint32_t lo, uint32_t hi, struct uart_desc *out)
{
	struct uart_desc d = { UART_SPACE_IO, lo & ~3u, 1 };

	if (!(lo & 1)) {
		unsigned type = (lo >> 1) & 3;
		if (type != 0 && type != 2)
			return PCI_BAR_BAD_TYPE;
		d.space = UART_SPACE_MMIO;
		d.base = (lo & ~0xFu) | (type == 2 ? (uint64_t)hi << 32 : 0);
	}
	if (!d.base)
		return PCI_BAR_UNASSIGNED;
	*out = d;
	return PCI_BAR_OK;
}

uint32_t pci_command_decode_bit(const struct uart_desc *at)
{
	return at->space == UART_SPACE_IO ? PCI_COMMAND_IO_SPACE : PCI_COMMAND_MEMORY_SPACE;
}

struct pci_scan {
	uint8_t bus[PCI_SCAN_MAX_BUSES];
	unsigned count;
};

/* A bridge's secondary bus joins the scan (once, and only a higher number: no loops). */
static void pci_scan_bridge(const struct pci_cfg *c, struct pci_bdf f, struct pci_scan *s)
{
	uint8_t sec = (uint8_t)(pci_read(c, f, PCI_CFG_BUS_NUMBERS) >> 8);

	if (sec <= f.bus || s->count >= PCI_SCAN_MAX_BUSES)
		return;
	for (unsigned i = 0; i < s->count; i++)
		if (s->bus[i] == sec)
			return;
	s->bus[s->count++] = sec;
}

/* Visits one function; true when it is the UART. Sets *more to whether the device has
 * further functions. */
static bool pci_scan_function(const struct pci_cfg *c, struct pci_bdf f, struct pci_scan *s, bool *more)
{
	if ((pci_read(c, f, PCI_CFG_VENDOR_DEVICE) & 0xFFFF) == 0xFFFF) {
		*more = f.fn != 0; /* no function 0: no device */
		return false;
	}
	uint8_t header = (uint8_t)(pci_read(c, f, PCI_CFG_HEADER_TYPE) >> 16);
	if (f.fn == 0)
		*more = header & PCI_HEADER_MULTIFUNCTION;
	if ((header & 0x7F) == PCI_HEADER_TYPE_BRIDGE)
		pci_scan_bridge(c, f, s);
	return pci_class_is_uart16550(pci_read(c, f, PCI_CFG_CLASS_REVISION));
}

bool pci_find_uart16550(const struct pci_cfg *c, struct pci_bdf *out)
{
	struct pci_scan s = { { 0 }, 1 };

	for (unsigned b = 0; b < s.count; b++) {
		for (unsigned dev = 0; dev < 32; dev++) {
			bool more = false;
			for (unsigned fn = 0; fn < 8 && (fn == 0 || more); fn++) {
				struct pci_bdf f = { s.bus[b], (uint8_t)dev, (uint8_t)fn };
				if (pci_scan_function(c, f, &s, &more)) {
					*out = f;
					return true;
				}
			}
		}
	}
	return false;
}

enum pci_bar_status pci_uart_at(const struct pci_cfg *c, struct pci_bdf f, struct uart_desc *out)
{
	uint32_t lo = pci_read(c, f, PCI_CFG_BAR0);
	uint32_t hi = (lo & 7) == 4 ? pci_read(c, f, PCI_CFG_BAR1) : 0;
	enum pci_bar_status st = pci_bar_decode(lo, hi, out);
	if (st != PCI_BAR_OK)
		return st;
	uint32_t cmd = pci_read(c, f, PCI_CFG_COMMAND) & 0xFFFF;
	uint32_t bit = pci_command_decode_bit(out);
	/* Writing 0 to the status half leaves its write-1-to-clear bits alone. */
	if (!(cmd & bit))
		c->write32(c->ctx, f.bus, f.dev, f.fn, PCI_CFG_COMMAND, cmd | bit);
	return PCI_BAR_OK;
}
