/* Fuzz target: vmx/policy/step.c step_insn_classify, which reads the instruction a single
 * step (gdb= stepi, intercept=ept) is about to run from guest memory at CS:RIP: the bytes
 * are whatever the guest put there. And the RFLAGS arithmetic of the step.
 *
 * Input: one byte whose bit 0 picks 64-bit mode, then the instruction's bytes, at the end of
 * libFuzzer's buffer, so a read past them is a heap overflow; the last 8 bytes also serve
 * as an RFLAGS value. Checks: no memory error; the class is one of the enum's; the step's
 * RFLAGS has TF set; after it, every bit other than TF and IF is the CPU's, and after an
 * instruction that loads neither, TF and IF are the guest's again. */
// fuzz-srcs: vmx/policy/step.c

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmx/policy/step.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 64)
		return 0;
	bool mode64 = data[0] & 1;
	size_t n = size - 1;
	uint8_t *insn = malloc(n ? n : 1);
	if (!insn)
		return 0;
	memcpy(insn, data + 1, n);
	enum step_insn k = step_insn_classify(insn, (unsigned)n, mode64);
	if ((unsigned)k > STEP_INSN_WAITS)
		abort();
	uint64_t rf = 0;
	memcpy(&rf, data + size - (size >= 9 ? 8 : size), size >= 9 ? 8 : size);
	uint64_t armed = step_rflags_arm(rf, k);
	if (!(armed & STEP_RFLAGS_TF))
		abort();
	uint64_t done = step_rflags_done(armed, rf, k, data[0] & 2);
	uint64_t mine = STEP_RFLAGS_TF | STEP_RFLAGS_IF;
	if ((done & ~mine) != (armed & ~mine))
		abort();
	if (k == STEP_INSN_OTHER && (done & mine) != (rf & mine))
		abort();
	free(insn);
	return 0;
}
