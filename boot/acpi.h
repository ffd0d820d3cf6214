/* Finding the ports through which a guest powers off or resets the machine, so that
 * vmxray can print its statistics first. */
#ifndef VMXRAY_BOOT_ACPI_H
#define VMXRAY_BOOT_ACPI_H
#include <stdint.h>

/* The ACPI PM1a control port: from the FADT (ACPI spec, "Fixed ACPI Description Table"),
 * or, with no ACPI tables (OVMF in Bochs), from an Intel PIIX4 power-management function
 * (PCI 00:01.3, PMBA at config offset 40h, PM1a_CNT = PMBA + 4). 0 when unknown. */
uint16_t acpi_find_pm1a_cnt(void);

#endif
