/* ACPI probe before launch: the PM1a control port (FADT), so power-off can be counted.
 * Boot side: UEFI configuration tables, PCI configuration ports. */
#include "boot/acpi.h"

#include <efi.h>
#include <efilib.h>

#include "arch/cpu.h"

#include <string.h>

struct __attribute__((packed)) acpi_header {
	char sig[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
};

#define FADT_PM1A_CNT_BLK 64

/* A table named by the XSDT (ACPI spec, "Extended System Description Table (XSDT)"),
 * found through the ACPI 2.0 RSDP in the EFI configuration table. */
static const struct acpi_header *find_table(const char sig[4])
{
	static EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	const uint8_t *rsdp = NULL;
	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++)
		if (!CompareGuid(&ST->ConfigurationTable[i].VendorGuid, &acpi20))
			rsdp = ST->ConfigurationTable[i].VendorTable;
	if (!rsdp || memcmp(rsdp, "RSD PTR ", 8) || rsdp[15] < 2)
		return NULL;
	uint64_t xsdt_pa;
	memcpy(&xsdt_pa, rsdp + 24, 8);
	const struct acpi_header *xsdt = (const void *)(uintptr_t)xsdt_pa;
	if (!xsdt || memcmp(xsdt->sig, "XSDT", 4))
		return NULL;
	unsigned n = (xsdt->length - sizeof(*xsdt)) / 8;
	for (unsigned i = 0; i < n; i++) {
		uint64_t pa;
		memcpy(&pa, (const uint8_t *)xsdt + sizeof(*xsdt) + 8 * i, 8);
		const struct acpi_header *t = (const void *)(uintptr_t)pa;
		if (t && !memcmp(t->sig, sig, 4))
			return t;
	}
	return NULL;
}

static const struct acpi_header *find_fadt(void)
{
	return find_table("FACP");
}

const uint8_t *acpi_find_table(const char sig[4], size_t *len)
{
	const struct acpi_header *t = find_table(sig);
	*len = t ? t->length : 0;
	return (const uint8_t *)t;
}

/* PCI configuration mechanism #1; CONFIG_ADDRESS is put back as the firmware left it. */
static uint32_t pci_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	uint32_t saved = cpu_inl(0xCF8);
	cpu_outl(0xCF8, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (off & 0xFC));
	uint32_t v = cpu_inl(0xCFC);
	cpu_outl(0xCF8, saved);
	return v;
}

#define PIIX4_PM_ID 0x71138086u /* device 7113h, vendor 8086h */

uint16_t acpi_find_pm1a_cnt(void)
{
	const struct acpi_header *fadt = find_fadt();
	if (fadt && fadt->length >= FADT_PM1A_CNT_BLK + 4) {
		uint32_t port;
		memcpy(&port, (const uint8_t *)fadt + FADT_PM1A_CNT_BLK, 4);
		if (port && port <= 0xFFFF)
			return (uint16_t)port;
	}
	if (pci_read32(0, 1, 3, 0) == PIIX4_PM_ID) {
		uint32_t pmba = pci_read32(0, 1, 3, 0x40) & 0xFFC0;
		if (pmba)
			return (uint16_t)(pmba + 4);
	}
	return 0;
}
