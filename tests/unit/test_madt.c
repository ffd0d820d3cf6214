/* Unit tests: boot/madt.c, the ACPI MADT parser, on good and malformed tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "boot/madt.h"

static uint8_t t[4096];
static size_t tlen;
static struct madt_cpus cpus;

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void fix(void)
{
	put32(t + 4, (uint32_t)tlen);
	uint8_t sum = 0;
	t[9] = 0;
	for (size_t i = 0; i < tlen; i++)
		sum = (uint8_t)(sum + t[i]);
	t[9] = (uint8_t)-sum;
}

static void start(void)
{
	memset(t, 0, sizeof(t));
	memcpy(t, "APIC", 4);
	t[8] = 5;
	put32(t + 36, 0xFEE00000);
	put32(t + 40, 1); /* PCAT_COMPAT */
	tlen = MADT_OFF_ENTRIES;
	fix();
}

static void lapic(uint8_t uid, uint8_t id, uint32_t flags)
{
	uint8_t *e = t + tlen;
	e[0] = MADT_TYPE_LOCAL_APIC;
	e[1] = MADT_LEN_LOCAL_APIC;
	e[2] = uid;
	e[3] = id;
	put32(e + 4, flags);
	tlen += MADT_LEN_LOCAL_APIC;
	fix();
}

static void x2apic(uint32_t id, uint32_t flags, uint32_t uid)
{
	uint8_t *e = t + tlen;
	e[0] = MADT_TYPE_LOCAL_X2APIC;
	e[1] = MADT_LEN_LOCAL_X2APIC;
	put32(e + 4, id);
	put32(e + 8, flags);
	put32(e + 12, uid);
	tlen += MADT_LEN_LOCAL_X2APIC;
	fix();
}

static void raw(uint8_t type, uint8_t len) /* another structure (I/O APIC, override, ...) */
{
	t[tlen] = type;
	t[tlen + 1] = len;
	tlen += len;
	fix();
}

/* What Bochs's MADT from tests/guest/acpitables.c looks like: two local APICs, the I/O
 * APIC (type 1, 12 bytes) and an interrupt source override (type 2, 10 bytes). */
static void test_two_cpus_and_others(void **state)
{
	(void)state;
	start();
	lapic(0, 0, MADT_FLAG_ENABLED);
	lapic(1, 1, MADT_FLAG_ENABLED);
	raw(1, 12);
	raw(2, 10);
	assert_int_equal(madt_parse(t, tlen, &cpus), MADT_OK);
	assert_int_equal(cpus.count, 2);
	assert_int_equal(cpus.id[0], 0);
	assert_int_equal(cpus.id[1], 1);
	assert_int_equal(cpus.entries, 4);
	assert_int_equal(cpus.lapic_address, 0xFEE00000);
	assert_false(cpus.truncated);
}

static void test_flags(void **state)
{
	(void)state;
	start();
	lapic(0, 0, MADT_FLAG_ENABLED);
	lapic(1, 2, MADT_FLAG_ONLINE_CAPABLE); /* may be brought up later: listed */
	lapic(2, 4, 0);                        /* unusable: ignored */
	lapic(3, 0xFF, MADT_FLAG_ENABLED);     /* the broadcast ID is no processor */
	x2apic(0x100, MADT_FLAG_ENABLED, 4);
	x2apic(0x101, 0, 5);
	x2apic(0xFFFFFFFF, MADT_FLAG_ENABLED, 6);
	x2apic(2, MADT_FLAG_ENABLED, 1);       /* the same processor twice: once */
	assert_int_equal(madt_parse(t, tlen, &cpus), MADT_OK);
	assert_int_equal(cpus.count, 3);
	assert_int_equal(cpus.id[0], 0);
	assert_int_equal(cpus.id[1], 2);
	assert_int_equal(cpus.id[2], 0x100);
	assert_int_equal(cpus.entries, 8);
}

static void test_header_errors(void **state)
{
	(void)state;
	assert_int_equal(madt_parse(NULL, 0, &cpus), MADT_ABSENT);
	start();
	lapic(0, 0, MADT_FLAG_ENABLED);
	assert_int_equal(madt_parse(t, MADT_OFF_ENTRIES - 1, &cpus), MADT_TOO_SHORT);
	assert_int_equal(madt_parse(t, tlen - 1, &cpus), MADT_BAD_LENGTH); /* Length past the buffer */
	t[10] ^= 1;
	assert_int_equal(madt_parse(t, tlen, &cpus), MADT_BAD_CHECKSUM);
	assert_int_equal(cpus.count, 0);
	start();
	memcpy(t, "APIX", 4);
	assert_int_equal(madt_parse(t, tlen, &cpus), MADT_BAD_SIGNATURE);
	start();
	put32(t + 4, 40); /* Length shorter than the fixed part */
	assert_int_equal(madt_parse(t, sizeof(t), &cpus), MADT_BAD_LENGTH);
}

/* Entries are read within the header's Length only, never up to the buffer's end. */
static void test_entry_errors(void **state)
{
	(void)state;
	start();
	lapic(0, 0, MADT_FLAG_ENABLED);
	t[tlen] = MADT_TYPE_LOCAL_APIC; /* a second entry past Length: not read */
	t[tlen + 1] = MADT_LEN_LOCAL_APIC;
	t[tlen + 3] = 7;
	t[tlen + 4] = 1;
	assert_int_equal(madt_parse(t, sizeof(t), &cpus), MADT_OK);
	assert_int_equal(cpus.count, 1);

	start();
	raw(1, 1); /* length 1: would never advance */
	assert_int_equal(madt_parse(t, tlen, &cpus), MADT_BAD_ENTRY);
	start();
	raw(0, 6); /* a local APIC shorter than its type */
	assert_int_equal(madt_parse(t, tlen, &cpus), MADT_BAD_ENTRY);
	start();
	raw(9, 12); /* an x2APIC entry shorter than its type */
	assert_int_equal(madt_parse(t, tlen, &cpus), MADT_BAD_ENTRY);
	start();
	lapic(0, 0, MADT_FLAG_ENABLED);
	t[tlen - MADT_LEN_LOCAL_APIC + 1] = 9; /* its length runs past the table */
	fix();
	assert_int_equal(madt_parse(t, tlen, &cpus), MADT_BAD_ENTRY);
	assert_int_equal(cpus.count, 0);
	start();
	tlen += 1; /* one byte of an entry: no room for type and length */
	fix();
	assert_int_equal(madt_parse(t, tlen, &cpus), MADT_BAD_ENTRY);
}

static void test_truncated(void **state)
{
	(void)state;
	static uint8_t big[MADT_OFF_ENTRIES + (MADT_MAX_IDS + 2) * MADT_LEN_LOCAL_X2APIC];
	memset(big, 0, sizeof(big));
	memcpy(big, "APIC", 4);
	put32(big + 4, sizeof(big));
	for (unsigned i = 0; i < MADT_MAX_IDS + 2; i++) {
		uint8_t *e = big + MADT_OFF_ENTRIES + i * MADT_LEN_LOCAL_X2APIC;
		e[0] = MADT_TYPE_LOCAL_X2APIC;
		e[1] = MADT_LEN_LOCAL_X2APIC;
		put32(e + 4, 0x1000 + i);
		put32(e + 8, MADT_FLAG_ENABLED);
	}
	uint8_t sum = 0;
	for (size_t i = 0; i < sizeof(big); i++)
		sum = (uint8_t)(sum + big[i]);
	big[9] = (uint8_t)-sum;
	assert_int_equal(madt_parse(big, sizeof(big), &cpus), MADT_OK);
	assert_int_equal(cpus.count, MADT_MAX_IDS);
	assert_true(cpus.truncated);
	assert_int_equal(cpus.id[MADT_MAX_IDS - 1], 0x1000 + MADT_MAX_IDS - 1);
}

static void test_status_text(void **state)
{
	(void)state;
	assert_string_equal(madt_status_text(MADT_BAD_CHECKSUM), "MADT checksum wrong");
	assert_string_equal(madt_status_text((enum madt_status)99), "MADT: ?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_cpus_and_others),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_entry_errors),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_status_text),
	};
	return cmocka_run_group_tests_name("madt", tests, NULL, NULL);
}
