/* VMCS field table, lookups and snapshot helpers, expanded from vmx/vmcs/vmcs_fields.def. Pure. */
#include "vmx/vmcs/vmcs_fields.h"

#include <string.h>

/* Compile-time checks of every line of the .def against SDM Vol. 3C, 25.11.2 "VMREAD, VMWRITE,
 * and Encodings of VMCS Fields": the declared width is bits 14:13, the declared group is
 * bits 11:10, the field is named by its full encoding (bit 0 = 0), and the reserved bits
 * (12, 31:15) are 0. */
#define VMCS_FIELD(name, enc, width, group)                                                    \
	_Static_assert(VMCS_ENCODING_WIDTH(enc) == VMCS_##width, #name ": width != bits 14:13"); \
	_Static_assert(VMCS_ENCODING_GROUP(enc) == VMCS_GROUP_##group,                          \
		       #name ": group != bits 11:10");                                          \
	_Static_assert(VMCS_ENCODING_HIGH(enc) == 0, #name ": not a full encoding (bit 0)");     \
	_Static_assert(((enc) & ~0x6fffu) == 0, #name ": reserved encoding bits set");
#include "vmx/vmcs/vmcs_fields.def"
#undef VMCS_FIELD

const struct vmcs_field_info vmcs_field_table[] = {
#define VMCS_FIELD(name, enc, width, group) { #name, enc, VMCS_##width, VMCS_GROUP_##group },
#include "vmx/vmcs/vmcs_fields.def"
#undef VMCS_FIELD
};
_Static_assert(sizeof(vmcs_field_table) / sizeof(vmcs_field_table[0]) == VMCS_FIELD_COUNT,
	       "one table entry per field");

/* Encoding -> index in O(1): a slot per (width, type, index), index below 128 (Appendix B
 * uses at most 0x26), holding field index + 1 (0 = no field). A duplicated encoding in the
 * .def initializes a slot twice and fails the build under -Wextra (-Woverride-init). */
#define VMCS_SLOT_INDEX_BITS 7
#define VMCS_SLOT(enc)                                                                  \
	(((VMCS_ENCODING_WIDTH(enc) << 2 | VMCS_ENCODING_GROUP(enc)) << VMCS_SLOT_INDEX_BITS) | \
	 VMCS_ENCODING_INDEX(enc))
#define VMCS_SLOT_COUNT (16u << VMCS_SLOT_INDEX_BITS)

#define VMCS_FIELD(name, enc, width, group)                                             \
	_Static_assert(VMCS_ENCODING_INDEX(enc) < (1u << VMCS_SLOT_INDEX_BITS),          \
		       #name ": index too large for the slot table");
#include "vmx/vmcs/vmcs_fields.def"
#undef VMCS_FIELD
_Static_assert(VMCS_FIELD_COUNT < 255, "slot table holds index + 1 in a uint8_t");

static const uint8_t vmcs_slot[VMCS_SLOT_COUNT] = {
#define VMCS_FIELD(name, enc, width, group) [VMCS_SLOT(enc)] = VMCS_IDX_##name + 1,
#include "vmx/vmcs/vmcs_fields.def"
#undef VMCS_FIELD
};

int vmcs_field_index(uint32_t enc)
{
	if (enc & ~0x6ffeu)
		return -1; /* high access, reserved bits */
	if (VMCS_ENCODING_INDEX(enc) >= (1u << VMCS_SLOT_INDEX_BITS))
		return -1;
	return (int)vmcs_slot[VMCS_SLOT(enc)] - 1;
}

const struct vmcs_field_info *vmcs_field_by_encoding(uint32_t enc)
{
	int i = vmcs_field_index(enc);

	return i < 0 ? NULL : &vmcs_field_table[i];
}

const struct vmcs_field_info *vmcs_field_by_name(const char *s, size_t n)
{
	for (size_t i = 0; i < VMCS_FIELD_COUNT; i++) {
		const char *name = vmcs_field_table[i].name;

		if (strlen(name) == n && memcmp(name, s, n) == 0)
			return &vmcs_field_table[i];
	}
	return NULL;
}

const char *vmcs_field_name(uint32_t enc)
{
	const struct vmcs_field_info *f = vmcs_field_by_encoding(enc);

	return f ? f->name : "UNKNOWN";
}

const char *vmcs_width_name(enum vmcs_width w)
{
	static const char *const names[] = {
		[VMCS_W16] = "16-bit",
		[VMCS_W64] = "64-bit",
		[VMCS_W32] = "32-bit",
		[VMCS_NW] = "natural-width",
	};
	return (unsigned)w < 4 ? names[w] : "?";
}

const char *vmcs_group_name(enum vmcs_group g)
{
	static const char *const names[] = {
		[VMCS_GROUP_CONTROL] = "control",
		[VMCS_GROUP_READONLY] = "exit-information",
		[VMCS_GROUP_GUEST] = "guest-state",
		[VMCS_GROUP_HOST] = "host-state",
	};
	return (unsigned)g < VMCS_GROUP_COUNT ? names[g] : "?";
}

void vmcs_snapshot_init(struct vmcs_snapshot *s)
{
	memset(s, 0, sizeof(*s));
}

bool vmcs_snapshot_set(struct vmcs_snapshot *s, uint32_t enc, uint64_t value)
{
	int i = vmcs_field_index(enc);

	if (i < 0)
		return false;
	s->value[i] = value & vmcs_width_mask(vmcs_field_table[i].width);
	s->valid[i] = 1;
	return true;
}

bool vmcs_snapshot_get(const struct vmcs_snapshot *s, uint32_t enc, uint64_t *value)
{
	int i = vmcs_field_index(enc);

	if (i < 0 || !s->valid[i])
		return false;
	*value = s->value[i];
	return true;
}

bool vmcs_snapshot_has(const struct vmcs_snapshot *s, uint32_t enc)
{
	int i = vmcs_field_index(enc);

	return i >= 0 && s->valid[i];
}
