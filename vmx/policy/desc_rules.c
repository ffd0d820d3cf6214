/* Pure rules of intercept=desc: see desc_rules.h. */
#include "vmx/policy/desc_rules.h"

#include "arch/exceptions.h"
#include "vmx/policy/intercept_rules.h"
#include "vmx/policy/task_switch.h"

#define DESC_TYPE_LDT 0x2
#define DESC_TYPE_TSS16_AVAILABLE 0x1

bool desc_insn_decode(const uint8_t *insn, unsigned len, bool mode64, bool cs_d, struct desc_decoded *d)
{
	bool opsize = false;
	unsigned rex = 0, i = 0;
	while (i < len && intercept_legacy_prefix(insn[i])) {
		opsize |= insn[i] == 0x66;
		i++;
	}
	if (mode64 && i < len && (insn[i] & 0xF0) == 0x40)
		rex = insn[i++];
	if (i + 2 >= len || insn[i] != 0x0F || insn[i + 1] > 0x01)
		return false;
	uint8_t modrm = insn[i + 2];
	unsigned reg = (modrm >> 3) & 7;
	bool is_register = (modrm >> 6) == 3;
	if (reg > 3 || (insn[i + 1] == 0x01 && is_register)) /* 0F 01 with mod 3: VMCALL, SWAPGS, ... */
		return false;
	d->insn = (enum desc_insn)(insn[i + 1] == 0x01 ? reg : 4 + reg);
	d->osize = (rex & 8) ? 2 : (mode64 || cs_d) != opsize ? 1 : 0;
	d->is_register = is_register;
	d->reg = (modrm & 7) | ((rex & 1) << 3);
	return true;
}

bool desc_privilege_fault(enum desc_insn insn, unsigned cpl, bool umip)
{
	bool load = insn == DESC_LGDT || insn == DESC_LIDT || insn == DESC_LLDT || insn == DESC_LTR;
	return cpl > 0 && (load || umip);
}

unsigned desc_table_store(uint64_t base, uint16_t limit, bool mode64, uint8_t out[10])
{
	unsigned n = mode64 ? 10 : 6;
	out[0] = (uint8_t)limit;
	out[1] = (uint8_t)(limit >> 8);
	for (unsigned i = 2; i < n; i++)
		out[i] = (uint8_t)(base >> (8 * (i - 2)));
	return n;
}

unsigned desc_table_load_bytes(bool mode64)
{
	return mode64 ? 10 : 6;
}

bool desc_table_load(const uint8_t *in, bool mode64, unsigned osize, unsigned la_width, uint64_t *base,
		     uint16_t *limit)
{
	uint64_t b = 0;
	for (unsigned i = 2; i < desc_table_load_bytes(mode64); i++)
		b |= (uint64_t)in[i] << (8 * (i - 2));
	if (mode64 && !intercept_canonical(b, la_width))
		return false;
	if (!mode64 && osize == 0)
		b &= 0xFFFFFF;
	*base = b;
	*limit = (uint16_t)(in[0] | in[1] << 8);
	return true;
}

int desc_selector_fault(bool ltr, uint16_t sel, uint32_t gdt_limit, bool ia32e, uint32_t *error)
{
	*error = 0;
	if (!(sel & 0xFFFC))
		return ltr ? VECTOR_GP : DESC_NULL_OK;
	*error = sel & 0xFFFC;
	if ((sel & 4) || (uint32_t)(sel & ~7u) + (ia32e ? 15u : 7u) > gdt_limit)
		return VECTOR_GP;
	return 0;
}

int desc_system_fault(bool ltr, uint64_t lo, uint64_t hi, bool ia32e, unsigned la_width)
{
	unsigned type = (lo >> 40) & 0xF;
	bool s = (lo >> 44) & 1, present = (lo >> 47) & 1;
	bool ok = ltr ? type == DESC_TYPE_TSS32_AVAILABLE || (!ia32e && type == DESC_TYPE_TSS16_AVAILABLE)
		      : type == DESC_TYPE_LDT;
	if (s || !ok)
		return VECTOR_GP;
	if (!present)
		return VECTOR_NP;
	if (ia32e) {
		uint64_t base = desc_system_state(ltr, 0, lo, hi, true).base;
		if (((hi >> 40) & 0x1F) || !intercept_canonical(base, la_width))
			return VECTOR_GP;
	}
	return 0;
}

struct seg_state desc_system_state(bool ltr, uint16_t sel, uint64_t lo, uint64_t hi, bool ia32e)
{
	struct seg_state s = desc_to_seg_state(lo, sel);
	if (ia32e)
		s.base = (uint32_t)s.base | (uint64_t)(uint32_t)hi << 32;
	if (ltr)
		s.ar |= DESC_TYPE_BUSY_BIT;
	return s;
}
