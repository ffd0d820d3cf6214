/* Fuzz target: vmx/policy/desc_rules.c desc_insn_decode, which reads the instruction behind a
 * descriptor-table exit (intercept=desc) from guest memory at CS:RIP: the bytes are whatever
 * the guest (or another vCPU rewriting that code) put there.
 *
 * Input: one byte whose bits 1:0 pick 64-bit mode (bit 0) and CS.D (bit 1), then the bytes of
 * the instruction, at the end of libFuzzer's buffer, so a read past them is a heap overflow.
 * Checks: no memory error; on success the identity is one of the eight, the operand size is
 * 0-2 and 64-bit (2) only in 64-bit mode, the register is below 16 (below 8 outside 64-bit
 * mode), and an 0F 01 form (SGDT, SIDT, LGDT, LIDT) never has a register operand; every
 * extra byte after the bytes decoded leaves the result the same. */
// fuzz-srcs: vmx/policy/desc_rules.c vmx/policy/intercept_rules.c vmx/policy/task_switch.c

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmx/policy/desc_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 64)
		return 0;
	bool mode64 = data[0] & 1, cs_d = data[0] & 2;
	size_t n = size - 1;
	uint8_t *insn = malloc(n ? n : 1);
	if (!insn)
		return 0;
	memcpy(insn, data + 1, n);
	struct desc_decoded d;
	memset(&d, 0, sizeof(d));
	if (desc_insn_decode(insn, (unsigned)n, mode64, cs_d, &d)) {
		if ((unsigned)d.insn > DESC_LTR || d.osize > 2 || (d.osize == 2 && !mode64) || d.reg >= 16 ||
		    (!mode64 && d.reg >= 8) || (d.insn <= DESC_LIDT && d.is_register))
			abort();
		uint8_t *more = malloc(n + 1);
		if (!more)
			abort();
		memcpy(more, insn, n);
		more[n] = 0x90;
		struct desc_decoded e;
		memset(&e, 0, sizeof(e));
		if (!desc_insn_decode(more, (unsigned)n + 1, mode64, cs_d, &e) || memcmp(&d, &e, sizeof(d)))
			abort();
		free(more);
	}
	free(insn);
	return 0;
}
