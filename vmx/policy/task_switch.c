/* Pure rules of a task switch to a 32-bit or 16-bit TSS: see vmx/policy/task_switch.h. */
#include "vmx/policy/task_switch.h"

#include "arch/exceptions.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void tss32_read(const uint8_t *tss, struct tss32 *t)
{
	t->link = (uint16_t)get32(tss + TSS32_LINK);
	t->cr3 = get32(tss + TSS32_CR3);
	t->eip = get32(tss + TSS32_EIP);
	t->eflags = get32(tss + TSS32_EFLAGS);
	for (unsigned i = 0; i < 8; i++)
		t->gpr[i] = get32(tss + TSS32_GPR + 4 * i);
	for (unsigned i = 0; i < 6; i++)
		t->seg[i] = (uint16_t)get32(tss + TSS32_SEG + 4 * i);
	t->ldt = (uint16_t)get32(tss + TSS32_LDT);
}

void tss32_write_state(uint8_t *tss, const struct tss32 *t)
{
	put32(tss + TSS32_EIP, t->eip);
	put32(tss + TSS32_EFLAGS, t->eflags);
	for (unsigned i = 0; i < 8; i++)
		put32(tss + TSS32_GPR + 4 * i, t->gpr[i]);
	for (unsigned i = 0; i < 6; i++) { /* the selector; the upper half is reserved */
		tss[TSS32_SEG + 4 * i] = (uint8_t)t->seg[i];
		tss[TSS32_SEG + 4 * i + 1] = (uint8_t)(t->seg[i] >> 8);
	}
}

void tss16_read(const uint8_t *tss, struct tss32 *t)
{
	t->link = get16(tss);
	t->cr3 = 0;
	t->eip = get16(tss + TSS16_IP);
	t->eflags = get16(tss + TSS16_FLAGS);
	for (unsigned i = 0; i < 8; i++)
		t->gpr[i] = 0xFFFF0000u | get16(tss + TSS16_GPR + 2 * i);
	for (unsigned i = 0; i < 4; i++)
		t->seg[i] = get16(tss + TSS16_SEG + 2 * i);
	t->seg[4] = t->seg[5] = 0; /* FS, GS */
	t->ldt = get16(tss + TSS16_LDT);
}

void tss16_write_state(uint8_t *tss, const struct tss32 *t)
{
	put16(tss + TSS16_IP, t->eip);
	put16(tss + TSS16_FLAGS, t->eflags);
	for (unsigned i = 0; i < 8; i++)
		put16(tss + TSS16_GPR + 2 * i, t->gpr[i]);
	for (unsigned i = 0; i < 4; i++)
		put16(tss + TSS16_SEG + 2 * i, t->seg[i]);
}

bool tss_type_is16(unsigned ar)
{
	unsigned type = ar & 0xF;
	return type == DESC_TYPE_TSS16_AVAILABLE || type == DESC_TYPE_TSS16_BUSY;
}

unsigned tss_image_size(unsigned ar)
{
	return tss_type_is16(ar) ? TSS16_SIZE : TSS32_SIZE;
}

uint32_t task_switch_saved_eflags(enum task_switch_source src, uint32_t eflags)
{
	return src == TASK_SWITCH_IRET ? eflags & ~EFLAGS_NT : eflags;
}

bool task_switch_clears_old_busy(enum task_switch_source src)
{
	return src == TASK_SWITCH_JMP || src == TASK_SWITCH_IRET;
}

bool task_switch_links(enum task_switch_source src)
{
	return src == TASK_SWITCH_CALL || src == TASK_SWITCH_GATE;
}

int task_switch_check_new(enum task_switch_source src, const struct seg_state *tss)
{
	unsigned type_s = tss->ar & 0x1F; /* type (3:0) and S (4): a system descriptor */
	bool is16 = tss_type_is16(tss->ar);
	unsigned want = src == TASK_SWITCH_IRET ? DESC_TYPE_TSS32_BUSY : DESC_TYPE_TSS32_AVAILABLE;

	if (is16) /* the 16-bit types differ from the 32-bit ones in type bit 3 only */
		want &= ~8u;
	if (type_s != want)
		return src == TASK_SWITCH_IRET ? VECTOR_TS : VECTOR_GP;
	if (!(tss->ar & 0x80)) /* P */
		return VECTOR_NP;
	if (tss->limit < (is16 ? TSS16_MIN_LIMIT : TSS32_MIN_LIMIT))
		return VECTOR_TS;
	return 0;
}

struct seg_state desc_to_seg_state(uint64_t d, uint16_t sel)
{
	struct seg_state s = { .selector = sel };
	s.base = ((d >> 16) & 0xFFFFFF) | ((d >> 56) & 0xFF) << 24; /* bits 39:16, 63:56 */
	s.limit = (uint32_t)((d & 0xFFFF) | ((d >> 48) & 0xF) << 16); /* bits 15:0, 51:48 */
	if (d & (1ULL << 55))                                          /* G */
		s.limit = s.limit << 12 | 0xFFF;
	s.ar = (uint32_t)(d >> 40) & 0xF0FF; /* bits 47:40 and 55:52 */
	if (s.ar & 0x10)                     /* S: code or data */
		s.ar |= 1;                   /* accessed */
	return s;
}
