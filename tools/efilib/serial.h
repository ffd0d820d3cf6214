/* Polled writes to COM1 for in-guest test programs. The port is the firmware's (and
 * vmxray's); it is written, never reprogrammed. */
#ifndef VMXRAY_TOOLS_EFILIB_SERIAL_H
#define VMXRAY_TOOLS_EFILIB_SERIAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIAL_COM1 0x3F8

/* False when nothing answers at the port (line status reads 0xFF): writes are dropped. */
bool serial_present(void);
/* Writes n bytes, "\n" as "\r\n". */
void serial_write(const char *s, size_t n);

#endif
