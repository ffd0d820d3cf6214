/* Fuzz target: boot/madt.c, the ACPI MADT parser. The table comes from the firmware, so
 * its bytes are outside input.
 *
 * Input: a control byte, then the table's bytes. Bit 0 of the control byte makes the
 * harness write the table's own size into Length and fix the checksum, so that most
 * inputs reach the entry walk instead of stopping at the header checks. The table lives
 * in a heap block of exactly its size, so a read past it is a heap overflow.
 * Checks: no memory error; a known status; on failure count 0; on success at most
 * MADT_MAX_IDS IDs (truncated set when entries were left out), none twice, none the
 * xAPIC broadcast ID from a type-0 entry or the x2APIC broadcast ID, and at least as
 * many entries walked as IDs kept.
 */
// fuzz-srcs: boot/madt.c

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/madt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fix_header(uint8_t *t, size_t n)
{
	if (n < MADT_OFF_ENTRIES)
		return;
	memcpy(t, "APIC", 4);
	uint32_t len = (uint32_t)n;
	for (int i = 0; i < 4; i++)
		t[4 + i] = (uint8_t)(len >> (8 * i));
	uint8_t sum = 0;
	t[9] = 0;
	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + t[i]);
	t[9] = (uint8_t)-sum;
}

static void check(const struct madt_cpus *c)
{
	if (c->count > MADT_MAX_IDS || c->entries < c->count)
		abort();
	for (unsigned i = 0; i < c->count; i++) {
		if (c->id[i] == MADT_X2APIC_BROADCAST)
			abort();
		for (unsigned j = 0; j < i; j++)
			if (c->id[j] == c->id[i])
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t ctl = data[0];
	size_t n = size - 1;
	uint8_t *t = malloc(n ? n : 1);
	memcpy(t, data + 1, n);
	if (ctl & 1)
		fix_header(t, n);
	static struct madt_cpus c;
	enum madt_status st = madt_parse(n ? t : NULL, n, &c);
	if ((unsigned)st > MADT_BAD_ENTRY || !madt_status_text(st))
		abort();
	if (st != MADT_OK && c.count)
		abort();
	if (st == MADT_OK)
		check(&c);
	free(t);
	return 0;
}
