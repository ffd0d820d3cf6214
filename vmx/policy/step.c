/* Single-step policy: see vmx/policy/step.h. Pure. */
#include "vmx/policy/step.h"

static bool legacy_prefix(uint8_t b, bool mode64)
{
	return b == 0x66 || b == 0xF2 || b == 0xF3 || (mode64 && (b & 0xF0) == 0x40);
}

enum step_insn step_insn_classify(const uint8_t *b, unsigned n, bool mode64)
{
	unsigned i = 0;
	while (i < n && legacy_prefix(b[i], mode64))
		i++;
	if (i >= n)
		return STEP_INSN_OTHER;
	switch (b[i]) {
	case 0x9C:
		return STEP_INSN_PUSHF;
	case 0x9D:
	case 0xCF:
		return STEP_INSN_LOADS_FLAGS;
	case 0xFA:
	case 0xFB:
		return STEP_INSN_LOADS_IF;
	case 0xCD:
		return STEP_INSN_SAVES_FLAGS;
	case 0xF4:
		return STEP_INSN_WAITS;
	case 0x0F:
		if (i + 1 < n && (b[i + 1] == 0x05 || b[i + 1] == 0x34))
			return STEP_INSN_SAVES_FLAGS;
		if (i + 2 < n && b[i + 1] == 0x01 && (b[i + 2] == 0xC9 || b[i + 2] == 0xFB)) /* MWAIT, MWAITX */
			return STEP_INSN_WAITS;
		return STEP_INSN_OTHER;
	default:
		return STEP_INSN_OTHER;
	}
}

uint64_t step_rflags_arm(uint64_t rf, enum step_insn k)
{
	return k == STEP_INSN_WAITS ? rf | STEP_RFLAGS_TF : (rf | STEP_RFLAGS_TF) & ~STEP_RFLAGS_IF;
}

uint64_t step_rflags_done(uint64_t now, uint64_t before, enum step_insn k, bool iopl_ok)
{
	uint64_t from_insn = 0;
	if (k == STEP_INSN_LOADS_FLAGS)
		from_insn = STEP_RFLAGS_TF | (iopl_ok ? STEP_RFLAGS_IF : 0);
	else if (k == STEP_INSN_LOADS_IF && iopl_ok)
		from_insn = STEP_RFLAGS_IF;
	uint64_t mine = STEP_RFLAGS_TF | STEP_RFLAGS_IF;
	return (now & ~mine) | (now & from_insn) | (before & mine & ~from_insn);
}

uint8_t step_pushf_image_byte1(uint8_t byte1, uint64_t before)
{
	uint8_t mine = (uint8_t)((STEP_RFLAGS_TF | STEP_RFLAGS_IF) >> 8);
	return (uint8_t)((byte1 & ~mine) | ((before >> 8) & mine));
}

uint32_t step_intr_arm(uint32_t intr, bool *nmi_added)
{
	*nmi_added = !(intr & STEP_INTR_NMI);
	return (intr & ~(STEP_INTR_STI | STEP_INTR_MOV_SS)) | STEP_INTR_NMI;
}

bool step_mtf_blocks_irq(uint64_t rflags, uint32_t intr, uint32_t activity)
{
	return (rflags & STEP_RFLAGS_IF) && !(rflags & STEP_RFLAGS_TF) &&
	       !(intr & (STEP_INTR_STI | STEP_INTR_MOV_SS)) && activity == 0;
}

uint64_t step_db_guest_bits(uint64_t qual, bool guest_tf)
{
	return (qual & (STEP_DR6_B0_3 | STEP_DR6_BD)) | (guest_tf ? qual & STEP_DR6_BS : 0);
}

uint64_t step_fault_pending_db(uint64_t pending, uint32_t intr)
{
	return intr & (STEP_INTR_STI | STEP_INTR_MOV_SS) ? pending : 0;
}
