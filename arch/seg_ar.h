/* Segment access-rights bytes, expanded from arch/seg_ar.def, and their type fields.
 * Pure, header-only: hypervisor, in-guest library and tests include it alike. */
#ifndef VMXRAY_ARCH_SEG_AR_H
#define VMXRAY_ARCH_SEG_AR_H

/* SEG_AR_CODE_RX_ACCESSED = 0x9B, ... SEG_AR_TSS_BUSY = 0x8B. */
enum seg_ar_byte {
#define SEG_AR(name, value) SEG_AR_##name = (value),
#include "arch/seg_ar.def"
#undef SEG_AR
};

/* Bits 4:0 of an access-rights byte: type and S; bits 7 and 4:0: P, S and type. */
#define SEG_AR_TYPE_S_MASK 0x1Fu
#define SEG_AR_P_TYPE_S_MASK 0x9Fu

/* The type and S bits of a named access-rights byte (e.g. busy 64-bit TSS: 0x0B). */
static inline unsigned seg_ar_type_s(enum seg_ar_byte ar)
{
	return (unsigned)ar & SEG_AR_TYPE_S_MASK;
}

#endif
