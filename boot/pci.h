/* Finding a 16550 on PCI. Pure: configuration space is read and written through an
 * injected accessor (boot/pci_hw.c: configuration mechanism #1, ports 0xCF8/0xCFC), so
 * host tests run the scan over a fake bus.
 *
 * Register offsets and bits from the PCI Local Bus Specification, "Configuration Space
 * Header" (type 0: devices, type 1: PCI-to-PCI bridges) and "Base Addresses"; class
 * codes from the "PCI Code and ID Assignment Specification". */
#ifndef VMXRAY_BOOT_PCI_H
#define VMXRAY_BOOT_PCI_H
#include <stdbool.h>
#include <stdint.h>

#include "drivers/uart16550.h"

#define PCI_CFG_VENDOR_DEVICE 0x00
#define PCI_CFG_COMMAND 0x04        /* low 16 bits; the status register above it */
#define PCI_CFG_CLASS_REVISION 0x08 /* class 31:24, subclass 23:16, prog-if 15:8 */
#define PCI_CFG_HEADER_TYPE 0x0C    /* header type in bits 23:16 */
#define PCI_CFG_BAR0 0x10
#define PCI_CFG_BAR1 0x14
#define PCI_CFG_BUS_NUMBERS 0x18    /* type 1: secondary bus number in bits 15:8 */

#define PCI_COMMAND_IO_SPACE (1u << 0)
#define PCI_COMMAND_MEMORY_SPACE (1u << 1)
#define PCI_HEADER_MULTIFUNCTION 0x80
#define PCI_HEADER_TYPE_BRIDGE 0x01

/* Base class 07h "Simple communication controllers", sub-class 00h "serial controller",
 * programming interface 02h "16550-compatible serial controller". */
#define PCI_CLASS_COMM 0x07
#define PCI_SUBCLASS_SERIAL 0x00
#define PCI_PROGIF_16550 0x02

#define PCI_SCAN_MAX_BUSES 32 /* bus 0 and the buses behind its bridges, breadth first */

struct pci_cfg {
	uint32_t (*read32)(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned off);
	void (*write32)(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v);
	void *ctx;
};

struct pci_bdf {
	uint8_t bus, dev, fn;
};

enum pci_bar_status {
	PCI_BAR_OK,
	PCI_BAR_UNASSIGNED,    /* base 0: the firmware gave it no address */
	PCI_BAR_BAD_TYPE,      /* memory BAR of the reserved type 01b or 11b */
};

/* The class/revision dword (offset 08h) names a 16550-compatible serial controller. */
bool pci_class_is_uart16550(uint32_t class_revision);
/* Decodes BAR0 (lo) and, for a 64-bit memory BAR, BAR1 (hi; ignored otherwise) into a
 * byte-stride UART description. */
enum pci_bar_status pci_bar_decode(uint32_t lo, uint32_t hi, struct uart_desc *out);
/* The command register bit that must be set for the device to decode `at`. */
uint32_t pci_command_decode_bit(const struct uart_desc *at);
/* The first 16550 on bus 0 or behind its bridges; false when there is none. */
bool pci_find_uart16550(const struct pci_cfg *c, struct pci_bdf *out);
/* The UART of function bdf from its BAR0; turns on its I/O or memory decoding when the
 * firmware left it off. */
enum pci_bar_status pci_uart_at(const struct pci_cfg *c, struct pci_bdf bdf, struct uart_desc *out);

#endif
