/* PCI configuration mechanism #1 (PCI Local Bus Specification, "Configuration
 * Mechanism #1"): CONFIG_ADDRESS at 0xCF8 = enable bit 31, bus 23:16, device 15:11,
 * function 10:8, dword register 7:2; the data at 0xCFC. CONFIG_ADDRESS is put back as
 * the firmware left it. */
#include "boot/pci_hw.h"

#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA 0xCFC

static uint32_t pci_port_in32(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void pci_port_out32(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

static uint32_t pci_mech1_address(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	return 0x80000000u | (bus & 0xFF) << 16 | (dev & 0x1F) << 11 | (fn & 7) << 8 | (off & 0xFC);
}

static uint32_t pci_mech1_read32(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	(void)ctx;
	uint32_t saved = pci_port_in32(PCI_CONFIG_ADDRESS);
	pci_port_out32(PCI_CONFIG_ADDRESS, pci_mech1_address(bus, dev, fn, off));
	uint32_t v = pci_port_in32(PCI_CONFIG_DATA);
	pci_port_out32(PCI_CONFIG_ADDRESS, saved);
	return v;
}

static void pci_mech1_write32(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v)
{
	(void)ctx;
	uint32_t saved = pci_port_in32(PCI_CONFIG_ADDRESS);
	pci_port_out32(PCI_CONFIG_ADDRESS, pci_mech1_address(bus, dev, fn, off));
	pci_port_out32(PCI_CONFIG_DATA, v);
	pci_port_out32(PCI_CONFIG_ADDRESS, saved);
}

const struct pci_cfg pci_cfg_mech1 = { pci_mech1_read32, pci_mech1_write32, NULL };
