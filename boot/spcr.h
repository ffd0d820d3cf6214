/* The ACPI SPCR table: which UART the firmware redirects its console to. Pure: a byte
 * buffer in, a UART description out. Layout from Microsoft's "Serial Port Console
 * Redirection Table" specification (table "Serial Port Console Redirection Table
 * Format"); interface types from Microsoft's "Debug Port Table 2 (DBG2)" specification
 * (table "Serial Port Subtypes"). */
#ifndef VMXRAY_BOOT_SPCR_H
#define VMXRAY_BOOT_SPCR_H
#include <stddef.h>
#include <stdint.h>

#include "drivers/uart16550.h"

/* Every outcome of spcr_parse, with the words the serial line prints for it. */
#define SPCR_STATUS_LIST(X)                                                          \
	X(SPCR_OK, "SPCR names a 16550")                                             \
	X(SPCR_ABSENT, "no SPCR table")                                              \
	X(SPCR_TOO_SHORT, "SPCR table too short")                                    \
	X(SPCR_BAD_SIGNATURE, "SPCR signature wrong")                                \
	X(SPCR_BAD_LENGTH, "SPCR length field wrong")                                \
	X(SPCR_BAD_CHECKSUM, "SPCR checksum wrong")                                  \
	X(SPCR_UNSUPPORTED_TYPE, "SPCR names a UART that is not a 16550")            \
	X(SPCR_BAD_SPACE, "SPCR base address neither memory nor I/O")                \
	X(SPCR_BAD_WIDTH, "SPCR register width neither 8 nor 32 bits")              \
	X(SPCR_NO_ADDRESS, "SPCR base address 0 (console redirection off)")

enum spcr_status {
#define SPCR_ENUM(name, text) name,
	SPCR_STATUS_LIST(SPCR_ENUM)
#undef SPCR_ENUM
};

/* Interface Type (offset 36): DBG2 serial subtypes vmxray drives. */
#define SPCR_TYPE_16550 0x00      /* "Fully 16550-compatible" */
#define SPCR_TYPE_16550_GAS 0x12  /* "16550-compatible with parameter defined in Generic Address Structure" */

/* Offsets in the table (the 36-byte ACPI header first). */
#define SPCR_OFF_INTERFACE_TYPE 36
#define SPCR_OFF_BASE_ADDRESS 40  /* a 12-byte Generic Address Structure */
#define SPCR_MIN_LENGTH 80        /* revisions 1 and 2 are exactly 80 bytes */

/* Generic Address Structure (ACPI spec, "Generic Address Structure (GAS)"). */
#define GAS_SPACE_MEMORY 0
#define GAS_SPACE_IO 1

/* Parses the table in t[0..len) (len: the bytes readable there). */
enum spcr_status spcr_parse(const uint8_t *t, size_t len, struct uart_desc *out);
const char *spcr_status_text(enum spcr_status st);

#endif
