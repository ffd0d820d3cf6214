/* The hardware side of choosing the UART (boot/serial_select.h): SPCR from the ACPI
 * tables, the scratch-register probe, PCI configuration mechanism #1. Before launch. */
#ifndef VMXRAY_BOOT_SERIAL_HW_H
#define VMXRAY_BOOT_SERIAL_HW_H
#include "boot/serial_select.h"

void serial_select_hw(const struct opt_serial *o, struct serial_choice *out);

#endif
