/* Finding the ports through which a guest powers off or resets the machine, so that
 * vmxray can print its statistics first. */
#ifndef VMXRAY_BOOT_ACPI_H
#define VMXRAY_BOOT_ACPI_H
#include <stddef.h>
#include <stdint.h>

/* The ACPI PM1a control port: from the FADT (ACPI spec, "Fixed ACPI Description Table"),
 * or, with no ACPI tables (OVMF in Bochs), from an Intel PIIX4 power-management function
 * (PCI 00:01.3, PMBA at config offset 40h, PM1a_CNT = PMBA + 4). 0 when unknown. */
uint16_t acpi_find_pm1a_cnt(void);

/* The ACPI table with signature sig (e.g. "SPCR") and its header's length, or NULL
 * (len 0). Boot services must still be up (it reads the EFI configuration table). */
const uint8_t *acpi_find_table(const char sig[4], size_t *len);

#endif
