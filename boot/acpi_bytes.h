/* Pure helpers for reading ACPI tables from firmware bytes (boot/madt.c, boot/spcr.c). */
#ifndef VMXRAY_BOOT_ACPI_BYTES_H
#define VMXRAY_BOOT_ACPI_BYTES_H

#include <stdbool.h>
#include <stdint.h>

/* ACPI tables are little-endian and need not be aligned. */
static inline uint32_t acpi_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ACPI spec, "System Description Table Header": "the entire table, including the
 * checksum field, must add to zero to be considered valid". */
static inline bool acpi_sum_is_zero(const uint8_t *t, uint32_t length)
{
	uint8_t sum = 0;
	for (uint32_t i = 0; i < length; i++)
		sum = (uint8_t)(sum + t[i]);
	return sum == 0;
}

#endif
