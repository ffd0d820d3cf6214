/* ACPI MADT parser (boot/madt.h). */
#include "boot/madt.h"

#include "boot/acpi_bytes.h"

#include <string.h>

/* ACPI spec, "System Description Table Header": "the entire table, including the
 * checksum field, must add to zero to be considered valid". On success *length is the
 * header's Length, which the caller walks up to and never past. */
static enum madt_status madt_check_header(const uint8_t *t, size_t len, uint32_t *length)
{
	if (len < MADT_OFF_ENTRIES)
		return MADT_TOO_SHORT;
	if (memcmp(t, "APIC", 4))
		return MADT_BAD_SIGNATURE;
	*length = acpi_le32(t + 4);
	if (*length < MADT_OFF_ENTRIES || *length > len)
		return MADT_BAD_LENGTH;
	return acpi_sum_is_zero(t, *length) ? MADT_OK : MADT_BAD_CHECKSUM;
}

static bool madt_has(const struct madt_cpus *c, uint32_t id)
{
	for (unsigned i = 0; i < c->count; i++)
		if (c->id[i] == id)
			return true;
	return false;
}

/* One processor: usable (enabled, or online capable), a real ID (not the broadcast
 * one), and not already listed (a firmware may describe an x2APIC ID below 255 with
 * both a type 0 and a type 9 entry). */
static void madt_add(struct madt_cpus *c, uint32_t id, uint32_t flags, uint32_t broadcast)
{
	if (!(flags & (MADT_FLAG_ENABLED | MADT_FLAG_ONLINE_CAPABLE)) || id == broadcast || madt_has(c, id))
		return;
	if (c->count == MADT_MAX_IDS) {
		c->truncated = true;
		return;
	}
	c->id[c->count++] = id;
}

/* The interrupt controller structures from MADT_OFF_ENTRIES to length: each within the
 * table, at least 2 bytes (a length below 2 would never advance), at least its type's
 * length. Types other than 0 and 9 are stepped over. */
static enum madt_status madt_walk(const uint8_t *t, uint32_t length, struct madt_cpus *c)
{
	for (uint32_t off = MADT_OFF_ENTRIES; off < length;) {
		if (length - off < 2)
			return MADT_BAD_ENTRY;
		const uint8_t *e = t + off;
		uint8_t type = e[0], elen = e[1];
		if (elen < 2 || elen > length - off)
			return MADT_BAD_ENTRY;
		if (type == MADT_TYPE_LOCAL_APIC) {
			if (elen < MADT_LEN_LOCAL_APIC)
				return MADT_BAD_ENTRY;
			madt_add(c, e[3], acpi_le32(e + 4), MADT_XAPIC_BROADCAST);
		} else if (type == MADT_TYPE_LOCAL_X2APIC) {
			if (elen < MADT_LEN_LOCAL_X2APIC)
				return MADT_BAD_ENTRY;
			madt_add(c, acpi_le32(e + 4), acpi_le32(e + 8), MADT_X2APIC_BROADCAST);
		}
		c->entries++;
		off += elen;
	}
	return MADT_OK;
}

enum madt_status madt_parse(const uint8_t *t, size_t len, struct madt_cpus *out)
{
	memset(out, 0, sizeof(*out));
	if (!t)
		return MADT_ABSENT;
	uint32_t length;
	enum madt_status st = madt_check_header(t, len, &length);
	if (st != MADT_OK)
		return st;
	out->lapic_address = acpi_le32(t + MADT_OFF_LAPIC_ADDRESS);
	st = madt_walk(t, length, out);
	if (st != MADT_OK)
		memset(out, 0, sizeof(*out));
	return st;
}

const char *madt_status_text(enum madt_status st)
{
	static const char *const text[] = {
#define MADT_TEXT(name, words) [name] = words,
		MADT_STATUS_LIST(MADT_TEXT)
#undef MADT_TEXT
	};
	return (unsigned)st < sizeof(text) / sizeof(text[0]) ? text[st] : "MADT: ?";
}
