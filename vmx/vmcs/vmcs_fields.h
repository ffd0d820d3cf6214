/* VMCS field encodings, widths and names, expanded from vmx/vmcs/vmcs_fields.def, and a pure
 * snapshot of field values (filled by the hardware edge, vmx/vmcs/vmcs_hw.c). Pure.
 *
 * Encoding of a VMCS component (SDM Vol. 3C, 25.11.2 "VMREAD, VMWRITE, and Encodings of VMCS
 * Fields", Table "Structure of VMCS Component Encoding"):
 *   bit  0      access type (0 = full, 1 = high 32 bits of a 64-bit field)
 *   bits 9:1    index
 *   bits 11:10  type (0 control, 1 VM-exit information, 2 guest state, 3 host state)
 *   bit  12     reserved (0)
 *   bits 14:13  width (0 16-bit, 1 64-bit, 2 32-bit, 3 natural width)
 *   bits 31:15  reserved (0) */
#ifndef VMXRAY_VMX_VMCS_FIELDS_H
#define VMXRAY_VMX_VMCS_FIELDS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Values are the encoding's bits 14:13. */
enum vmcs_width {
	VMCS_W16 = 0,
	VMCS_W64 = 1,
	VMCS_W32 = 2,
	VMCS_NW = 3,
};

/* Values are the encoding's bits 11:10 ("type"). */
enum vmcs_group {
	VMCS_GROUP_CONTROL = 0,
	VMCS_GROUP_READONLY = 1, /* VM-exit information */
	VMCS_GROUP_GUEST = 2,
	VMCS_GROUP_HOST = 3,
	VMCS_GROUP_COUNT = 4,
};

/* Constant-expression forms, for _Static_assert and the width-checked accessors. */
#define VMCS_ENCODING_WIDTH(enc) (((enc) >> 13) & 3u)
#define VMCS_ENCODING_GROUP(enc) (((enc) >> 10) & 3u)
#define VMCS_ENCODING_INDEX(enc) (((enc) >> 1) & 0x1ffu)
#define VMCS_ENCODING_HIGH(enc) ((enc) & 1u)

/* The field encodings: GUEST_RIP = 0x681e, ... */
enum vmcs_field {
#define VMCS_FIELD(name, enc, width, group) name = enc,
#include "vmx/vmcs/vmcs_fields.def"
#undef VMCS_FIELD
};

/* Dense index of each field, in .def order: VMCS_IDX_GUEST_RIP, ...; VMCS_FIELD_COUNT fields. */
enum vmcs_field_index {
#define VMCS_FIELD(name, enc, width, group) VMCS_IDX_##name,
#include "vmx/vmcs/vmcs_fields.def"
#undef VMCS_FIELD
	VMCS_FIELD_COUNT
};

struct vmcs_field_info {
	const char *name; /* "GUEST_RIP" */
	uint32_t encoding; /* full encoding, bit 0 = 0 */
	enum vmcs_width width;
	enum vmcs_group group;
};

/* VMCS_FIELD_COUNT entries, indexed by enum vmcs_field_index. */
extern const struct vmcs_field_info vmcs_field_table[];

static inline enum vmcs_width vmcs_encoding_width(uint32_t enc)
{
	return (enum vmcs_width)VMCS_ENCODING_WIDTH(enc);
}

static inline enum vmcs_group vmcs_encoding_group(uint32_t enc)
{
	return (enum vmcs_group)VMCS_ENCODING_GROUP(enc);
}

/* True for the "high" encoding of a 64-bit field (its upper 32 bits). */
static inline bool vmcs_encoding_is_high(uint32_t enc)
{
	return VMCS_ENCODING_HIGH(enc) != 0;
}

/* Bits a field of this width can hold (natural width: 64 bits on x86-64). */
static inline uint64_t vmcs_width_mask(enum vmcs_width w)
{
	return w == VMCS_W16 ? 0xffffULL : w == VMCS_W32 ? 0xffffffffULL : ~0ULL;
}

/* Index of the field with this full encoding, or -1 when it is no architectural field
 * (a "high" encoding included). O(1). */
int vmcs_field_index(uint32_t enc);
/* NULL when not an architectural field. */
const struct vmcs_field_info *vmcs_field_by_encoding(uint32_t enc);
/* Exact, case-sensitive match of the n characters at s against a field name; NULL if none. */
const struct vmcs_field_info *vmcs_field_by_name(const char *s, size_t n);
/* "GUEST_RIP", or "UNKNOWN". */
const char *vmcs_field_name(uint32_t enc);
/* "16-bit", "64-bit", "32-bit", "natural-width". */
const char *vmcs_width_name(enum vmcs_width w);
/* "control", "exit-information", "guest-state", "host-state". */
const char *vmcs_group_name(enum vmcs_group g);

/* One value per field, as the hardware edge read it with VMREAD; valid[i] says whether
 * value[i] was read (a field the processor does not support reads as VMfail). */
struct vmcs_snapshot {
	uint64_t value[VMCS_FIELD_COUNT];
	uint8_t valid[VMCS_FIELD_COUNT];
};

/* Marks every field not read. */
void vmcs_snapshot_init(struct vmcs_snapshot *s);
/* Stores value, masked to the field's width, and marks it read. False (nothing stored)
 * when enc is no architectural field. */
bool vmcs_snapshot_set(struct vmcs_snapshot *s, uint32_t enc, uint64_t value);
/* False when enc is no architectural field or was not read; *value is then left alone. */
bool vmcs_snapshot_get(const struct vmcs_snapshot *s, uint32_t enc, uint64_t *value);
bool vmcs_snapshot_has(const struct vmcs_snapshot *s, uint32_t enc);

#endif
