/* Width-checked VMCS accessors (model: Linux arch/x86/kvm/vmx/vmx_ops.h).
 * A field's width comes from its encoding, bits 14:13 (0 = 16-bit, 1 = 64-bit,
 * 2 = 32-bit, 3 = natural width), and bit 0 (1 = the high half of a 64-bit field);
 * SDM Vol. 3C, 25.11.2 "VMREAD, VMWRITE, and Encodings of VMCS Fields".
 * Using vmcs_read32() on a 64-bit field is a compile-time error. */
#ifndef VMXRAY_VMX_VMCS_H
#define VMXRAY_VMX_VMCS_H
#include <stdint.h>

#include "vmx/vmcs/vmcs_fields.h"

#define VMCS_ENC_WIDTH(enc) (((enc) >> 13) & 3)
#define VMCS_ENC_IS_HIGH(enc) ((enc) & 1)
#define VMCS_W16_BITS 0
#define VMCS_W64_BITS 1
#define VMCS_W32_BITS 2
#define VMCS_NW_BITS 3

/* Failure reports, out of line (vmx/vmcs/vmcs_hw.c): a failed VMREAD/VMWRITE is a broken
 * invariant (the field exists, the VMCS is current), logged with the field's name. */
uint64_t vmcs_read_failed(uint32_t field);
void vmcs_write_failed(uint32_t field, uint64_t value);

/* VMREAD/VMWRITE of the current VMCS, inline: on the exit path each is the instruction
 * and one conditional jump (VMfailInvalid sets CF, VMfailValid ZF: "jbe" catches both;
 * SDM Vol. 3C, "VMX Instruction Reference", "Conventions"). */
static inline uint64_t vmcs_read_raw(uint32_t field)
{
	uint64_t v;
	__asm__ goto("vmread %[f], %[v]\n\t"
		     "jbe %l[fail]"
		     : [v] "=r"(v)
		     : [f] "r"((uint64_t)field)
		     : "cc"
		     : fail);
	return v;
fail:
	return vmcs_read_failed(field);
}

/* VMREAD with no failure check, for the exit path's fixed fields right after a checked
 * VMREAD of the same VMCS succeeded: these fields exist on every processor with VMX,
 * so with the VMCS current no failure is possible. */
static inline uint64_t vmcs_read_raw_nocheck(uint32_t field)
{
	uint64_t v;
	__asm__ volatile("vmread %[f], %[v]" : [v] "=r"(v) : [f] "r"((uint64_t)field) : "cc");
	return v;
}
#define vmcs_read32_nocheck(f) (VMCS_CHECK_WIDTH(f, VMCS_W32_BITS), (uint32_t)vmcs_read_raw_nocheck(f))
#define vmcs_readnw_nocheck(f) (VMCS_CHECK_WIDTH(f, VMCS_NW_BITS), (uint64_t)vmcs_read_raw_nocheck(f))
#define vmcs_read64_nocheck(f) (VMCS_CHECK_WIDTH(f, VMCS_W64_BITS), (uint64_t)vmcs_read_raw_nocheck(f))

/* Only the width-checked vmcs_write16/32/64/nw() below call this: no other file writes a
 * field without its width checked (segments: vmx/vmcs/vmcs_segments.h). */
static inline void vmcs_write_raw(uint32_t field, uint64_t value)
{
	__asm__ goto("vmwrite %[v], %[f]\n\t"
		     "jbe %l[fail]"
		     :
		     : [f] "r"((uint64_t)field), [v] "r"(value)
		     : "cc", "memory"
		     : fail);
	return;
fail:
	vmcs_write_failed(field, value);
}

#define VMCS_CHECK_WIDTH(field, w)                                                   \
	((void)sizeof(struct {                                                       \
		_Static_assert(VMCS_ENC_WIDTH(field) == (w) && !VMCS_ENC_IS_HIGH(field), \
			       "VMCS field of the wrong width for this accessor");   \
		int dummy;                                                           \
	}))

#define vmcs_read16(f) (VMCS_CHECK_WIDTH(f, VMCS_W16_BITS), (uint16_t)vmcs_read_raw(f))
#define vmcs_read32(f) (VMCS_CHECK_WIDTH(f, VMCS_W32_BITS), (uint32_t)vmcs_read_raw(f))
#define vmcs_read64(f) (VMCS_CHECK_WIDTH(f, VMCS_W64_BITS), (uint64_t)vmcs_read_raw(f))
#define vmcs_readnw(f) (VMCS_CHECK_WIDTH(f, VMCS_NW_BITS), (uint64_t)vmcs_read_raw(f))
#define vmcs_write16(f, v) (VMCS_CHECK_WIDTH(f, VMCS_W16_BITS), vmcs_write_raw(f, (uint16_t)(v)))
#define vmcs_write32(f, v) (VMCS_CHECK_WIDTH(f, VMCS_W32_BITS), vmcs_write_raw(f, (uint32_t)(v)))
#define vmcs_write64(f, v) (VMCS_CHECK_WIDTH(f, VMCS_W64_BITS), vmcs_write_raw(f, (uint64_t)(v)))
#define vmcs_writenw(f, v) (VMCS_CHECK_WIDTH(f, VMCS_NW_BITS), vmcs_write_raw(f, (uint64_t)(v)))

#endif
