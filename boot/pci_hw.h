/* PCI configuration mechanism #1 (ports 0xCF8/0xCFC): the accessor for boot/pci.c. */
#ifndef VMXRAY_BOOT_PCI_HW_H
#define VMXRAY_BOOT_PCI_HW_H
#include "boot/pci.h"

extern const struct pci_cfg pci_cfg_mech1;

#endif
