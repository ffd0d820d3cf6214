/* ACPI SPCR parser (boot/spcr.h). */
#include "boot/spcr.h"

#include "boot/acpi_bytes.h"

#include <string.h>

static uint64_t spcr_read64(const uint8_t *p)
{
	return (uint64_t)acpi_le32(p) | (uint64_t)acpi_le32(p + 4) << 32;
}

/* ACPI spec, "System Description Table Header": "the entire table, including the
 * checksum field, must add to zero to be considered valid". */
static enum spcr_status spcr_check_header(const uint8_t *t, size_t len)
{
	if (len < SPCR_MIN_LENGTH)
		return SPCR_TOO_SHORT;
	if (memcmp(t, "SPCR", 4))
		return SPCR_BAD_SIGNATURE;
	uint32_t length = acpi_le32(t + 4);
	if (length < SPCR_MIN_LENGTH || length > len)
		return SPCR_BAD_LENGTH;
	return acpi_sum_is_zero(t, length) ? SPCR_OK : SPCR_BAD_CHECKSUM;
}

/* GAS: address space id, register bit width, register bit offset, access size, address. */
static enum spcr_status spcr_decode_gas(const uint8_t *gas, struct uart_desc *out)
{
	uint8_t space = gas[0], width = gas[1];

	if (space == GAS_SPACE_MEMORY)
		out->space = UART_SPACE_MMIO;
	else if (space == GAS_SPACE_IO)
		out->space = UART_SPACE_IO;
	else
		return SPCR_BAD_SPACE;
	/* Width 0 is what older tables with interface type 0 carry: byte registers. */
	if (width == 8 || width == 0)
		out->stride = 1;
	else if (width == 32)
		out->stride = 4;
	else
		return SPCR_BAD_WIDTH;
	out->base = spcr_read64(gas + 4);
	return out->base ? SPCR_OK : SPCR_NO_ADDRESS;
}

enum spcr_status spcr_parse(const uint8_t *t, size_t len, struct uart_desc *out)
{
	struct uart_desc d = { UART_SPACE_NONE, 0, 1 };

	if (!t)
		return SPCR_ABSENT;
	enum spcr_status st = spcr_check_header(t, len);
	if (st != SPCR_OK)
		return st;
	uint8_t type = t[SPCR_OFF_INTERFACE_TYPE];
	if (type != SPCR_TYPE_16550 && type != SPCR_TYPE_16550_GAS)
		return SPCR_UNSUPPORTED_TYPE;
	st = spcr_decode_gas(t + SPCR_OFF_BASE_ADDRESS, &d);
	if (st == SPCR_OK)
		*out = d;
	return st;
}

const char *spcr_status_text(enum spcr_status st)
{
	static const char *const text[] = {
#define SPCR_TEXT(name, words) [name] = words,
		SPCR_STATUS_LIST(SPCR_TEXT)
#undef SPCR_TEXT
	};
	return (unsigned)st < sizeof(text) / sizeof(text[0]) ? text[st] : "SPCR: ?";
}
