/* Width-checked writes of a whole guest segment register (selector, base, limit, access
 * rights), generated from vmx/vmcs/vmcs_segments.def. Hardware edge: VMWRITE. Every write
 * goes through the checked accessors of vmx/vmcs/vmcs.h, so a field of the wrong width
 * fails the build. */
#ifndef VMXRAY_VMX_VMCS_SEGMENTS_H
#define VMXRAY_VMX_VMCS_SEGMENTS_H

#include "arch/desc.h"
#include "vmx/vmcs/vmcs.h"

enum vmcs_segment {
#define VMCS_SEGMENT(name) VMCS_SEG_##name,
#include "vmx/vmcs/vmcs_segments.def"
#undef VMCS_SEGMENT
	VMCS_SEG_COUNT
};

static inline void vmcs_write_guest_segment(enum vmcs_segment seg, const struct seg_state *s)
{
	switch (seg) {
#define VMCS_SEGMENT(name)                                           \
	case VMCS_SEG_##name:                                        \
		vmcs_write16(GUEST_##name##_SELECTOR, s->selector);  \
		vmcs_writenw(GUEST_##name##_BASE, s->base);          \
		vmcs_write32(GUEST_##name##_LIMIT, s->limit);        \
		vmcs_write32(GUEST_##name##_AR_BYTES, s->ar);        \
		break;
#include "vmx/vmcs/vmcs_segments.def"
#undef VMCS_SEGMENT
	case VMCS_SEG_COUNT:
		break;
	}
}

#endif
