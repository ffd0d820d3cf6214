/* Segment descriptors: decoding the firmware's GDT, building the host GDT/TSS/IDT. Pure. */
#include "arch/desc.h"

#include <string.h>

#include "arch/bits.h"
#include "arch/exceptions.h"
#include "arch/seg_ar.h"

static uint64_t read_u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

void desc_decode_segment(const uint8_t *gdt, uint16_t gdt_limit, uint16_t selector,
			 struct seg_state *out)
{
	unsigned index = selector >> 3;

	*out = (struct seg_state){ .selector = selector, .ar = SEG_AR_UNUSABLE };
	if (index == 0 || (selector & 4) || index * 8u + 7 > gdt_limit)
		return;
	uint64_t d = read_u64(gdt + index * 8);
	uint32_t limit = (uint32_t)(bits_get(d, 15, 0) | (bits_get(d, 51, 48) << 16));
	out->base = bits_get(d, 39, 16) | (bits_get(d, 63, 56) << 24);
	out->ar = (uint32_t)(bits_get(d, 47, 40) | (bits_get(d, 55, 52) << 12));
	out->limit = bit_test(d, 55) ? (limit << 12) | 0xFFF : limit;
	/* System descriptors (S = 0: TSS, LDT) are 16 bytes in IA-32e mode: the next
	 * slot holds base bits 63:32. */
	if (!bit_test(d, 44) && index * 8u + 15 <= gdt_limit)
		out->base |= bits_get(read_u64(gdt + index * 8 + 8), 31, 0) << 32;
	if (!bit_test(d, 47))
		out->ar |= SEG_AR_UNUSABLE; /* not present */
}

static uint64_t make_seg_desc(uint64_t type_s_dpl_p, uint64_t flags)
{
	/* base 0, limit 0xFFFFF; flags = G, D/B, L, AVL nibble */
	return 0xFFFFULL | (type_s_dpl_p << 40) | (0xFULL << 48) | (flags << 52);
}

static void set_gate(struct idt_gate *g, uint64_t handler, unsigned ist)
{
	/* 64-bit interrupt gate: type 0xE, P = 1, DPL 0 (SDM Vol. 3A, Figure 6-8). */
	g->lo = bits_get(handler, 15, 0) | ((uint64_t)HOST_SEL_CODE << 16) | ((uint64_t)ist << 32) |
		(0x8EULL << 40) | (bits_get(handler, 31, 16) << 48);
	g->hi = bits_get(handler, 63, 32);
}

uint64_t desc_idt_gate_offset(const struct idt_gate *g)
{
	return bits_get(g->lo, 15, 0) | (bits_get(g->lo, 63, 48) << 16) | (bits_get(g->hi, 31, 0) << 32);
}

void desc_build_host_tables(struct host_tables *t, const uint64_t isr[32], uint64_t ist_stack_top)
{
	memset(t, 0, sizeof(*t));
	t->gdt[HOST_SEL_CODE >> 3] = make_seg_desc(SEG_AR_CODE_RX_ACCESSED, 0xA); /* G=1 L=1 */
	t->gdt[HOST_SEL_DATA >> 3] = make_seg_desc(SEG_AR_DATA_RW_ACCESSED, 0xC); /* G=1 D/B=1 */
	uint64_t base = (uint64_t)(uintptr_t)&t->tss;
	uint64_t limit = sizeof(t->tss) - 1;
	t->gdt[HOST_SEL_TSS >> 3] = bits_get(limit, 15, 0) | (bits_get(base, 23, 0) << 16) |
				    ((uint64_t)SEG_AR_TSS_AVAILABLE << 40) | (bits_get(base, 31, 24) << 56);
	t->gdt[(HOST_SEL_TSS >> 3) + 1] = bits_get(base, 63, 32);
	t->tss.ist[HOST_IST_NMI - 1] = ist_stack_top;
	t->tss.iomap_base = sizeof(t->tss); /* no I/O permission bitmap */
	for (unsigned v = 0; v < 32; v++)
		set_gate(&t->idt[v], isr[v], (v == VECTOR_NMI || v == VECTOR_DF) ? HOST_IST_NMI : 0);
}
