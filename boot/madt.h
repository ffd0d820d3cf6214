/* The ACPI MADT ("Multiple APIC Description Table", signature "APIC"): the APIC IDs of
 * every processor the firmware describes, including the ones vmxray does not run on (a
 * CPU beyond HV_MAX_CPUS, one the firmware's MP services did not start, one whose launch
 * failed open). vmxray sends those the INIT, SIPI and NMI broadcasts it takes over for the
 * others (vmx/exit/soft_ipi.c). Pure: a byte buffer in, a list of IDs out.
 *
 * Layout from the ACPI specification (6.5), "Multiple APIC Description Table (MADT)":
 * the 36-byte table header, Local Interrupt Controller Address (4 bytes at 36), Flags (4
 * at 40), then interrupt controller structures, each Type (1 byte) and Length (1 byte)
 * first. vmxray reads two of them:
 *  - type 0, "Processor Local APIC Structure", length 8: ACPI Processor UID (byte 2),
 *    APIC ID (byte 3), Flags (4 bytes at 4);
 *  - type 9, "Processor Local x2APIC Structure", length 16: reserved (2), X2APIC ID (4
 *    bytes at 4), Flags (4 at 8), ACPI Processor UID (4 at 12).
 * Flags ("Local APIC Flags"): bit 0 Enabled, bit 1 Online Capable (from revision 5 on).
 * "If [Enabled] is clear and the Online Capable bit is set, system hardware supports
 * enabling this processor during OS runtime"; with both clear "this processor is
 * unusable, and OSPM shall ignore the contents": such entries are left out. */
#ifndef VMXRAY_BOOT_MADT_H
#define VMXRAY_BOOT_MADT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MADT_STATUS_LIST(X)                                                            \
	X(MADT_OK, "MADT read")                                                        \
	X(MADT_ABSENT, "no MADT")                                                      \
	X(MADT_TOO_SHORT, "MADT too short")                                            \
	X(MADT_BAD_SIGNATURE, "MADT signature wrong")                                  \
	X(MADT_BAD_LENGTH, "MADT length field wrong")                                  \
	X(MADT_BAD_CHECKSUM, "MADT checksum wrong")                                    \
	X(MADT_BAD_ENTRY, "MADT entry runs past the table, or shorter than its type")

enum madt_status {
#define MADT_ENUM(name, text) name,
	MADT_STATUS_LIST(MADT_ENUM)
#undef MADT_ENUM
};

#define MADT_OFF_LAPIC_ADDRESS 36
#define MADT_OFF_ENTRIES 44      /* also the shortest valid MADT */
#define MADT_TYPE_LOCAL_APIC 0
#define MADT_TYPE_LOCAL_X2APIC 9
#define MADT_LEN_LOCAL_APIC 8
#define MADT_LEN_LOCAL_X2APIC 16
#define MADT_FLAG_ENABLED (1u << 0)
#define MADT_FLAG_ONLINE_CAPABLE (1u << 1)
#define MADT_XAPIC_BROADCAST 0xFFu /* never a processor's APIC ID in xAPIC mode */
#define MADT_X2APIC_BROADCAST 0xFFFFFFFFu

#define MADT_MAX_IDS 512

struct madt_cpus {
	uint32_t lapic_address;   /* Local Interrupt Controller Address */
	uint32_t id[MADT_MAX_IDS]; /* each usable processor's APIC ID, once, in table order */
	unsigned count;
	unsigned entries;         /* interrupt controller structures walked */
	bool truncated;           /* more processors than MADT_MAX_IDS: the rest left out */
};

/* Parses the table in t[0..len) (len: the bytes readable there). On any status but
 * MADT_OK, *out is left with count 0. */
enum madt_status madt_parse(const uint8_t *t, size_t len, struct madt_cpus *out);
const char *madt_status_text(enum madt_status st);

#endif
