/* Segment descriptors: decoding the firmware's GDT into VMCS guest-segment form, and
 * building vmxray's own host GDT/TSS/IDT. Pure.
 * SDM Vol. 3A, 3.4.5 "Segment Descriptors", 7.2.3 "TSS Descriptor in 64-bit mode",
 * 6.14.1 "64-Bit Mode IDT"; VMCS access-rights format: SDM Vol. 3C, 25.4.1
 * "Guest Register State" (Table 25-2, "Format of Access Rights"). */
#ifndef VMXRAY_ARCH_DESC_H
#define VMXRAY_ARCH_DESC_H
#include <stdbool.h>
#include <stdint.h>

/* VMCS access-rights: bits 7:0 = descriptor byte 5 (type, S, DPL, P), bits 15:12 =
 * the high nibble of byte 6 (AVL, L, D/B, G), bit 16 = segment unusable. */
#define SEG_AR_UNUSABLE (1u << 16)

struct seg_state {
	uint16_t selector;
	uint64_t base;
	uint32_t limit; /* scaled by G: a byte limit */
	uint32_t ar;
};

/* Decodes selector's descriptor in a GDT image (gdt_limit as in GDTR). A null
 * selector, or one beyond the limit, gives an unusable segment. The LDT is not
 * consulted (the firmware has none): a TI=1 selector is unusable. */
void desc_decode_segment(const uint8_t *gdt, uint16_t gdt_limit, uint16_t selector,
			 struct seg_state *out);

#define HOST_SEL_CODE 0x08
#define HOST_SEL_DATA 0x10
#define HOST_SEL_TSS 0x18
#define HOST_IST_NMI 1 /* NMIs and double faults run on their own stack */

struct __attribute__((packed)) tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
};
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes");

struct idt_gate {
	uint64_t lo, hi;
};

struct host_tables {
	uint64_t gdt[6];          /* null, code, data, TSS (2 slots), spare */
	struct tss64 tss;
	struct idt_gate idt[256];
};

/* Builds the host GDT (64-bit code, data, TSS), the TSS (IST1 = ist_stack_top) and an
 * IDT whose vectors 0..31 go to isr[vector] (interrupt gates, DPL 0). */
void desc_build_host_tables(struct host_tables *t, const uint64_t isr[32], uint64_t ist_stack_top);
uint64_t desc_idt_gate_offset(const struct idt_gate *g);

#endif
