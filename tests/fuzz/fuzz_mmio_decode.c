/* Fuzz target: vmx/decode/mmio_decode.c, the decoder of the store behind an EPT violation on a
 * device page. Its bytes are fetched from guest memory at CS:RIP, so they are whatever
 * the guest (or another vCPU rewriting that code) put there.
 *
 * Input: one byte that picks the mode (16, 32, 64, or an invalid 0), then the bytes of
 * the instruction, at the end of libFuzzer's buffer, so a read past them is a heap
 * overflow.
 * Checks: no memory error; on MMIO_DECODE_OK, 1 <= len <= n and len <= 15, size is 1,
 * 2, 4 or 8, reg < 16, high8 only on a byte store from registers 0-3, an immediate fits
 * its size (an 8-byte one is a sign-extended imm32) and comes with no register, XCHG
 * comes with a register, and the name is not "unsupported"; the same first len bytes
 * alone (in a block of exactly len bytes) decode to the same result, and every shorter
 * cut is MMIO_DECODE_TRUNCATED. On any other status *out is all zeros and the name is
 * "unsupported".
 */
// fuzz-srcs: vmx/decode/mmio_decode.c

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmx/decode/mmio_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum mmio_cpu_mode modes[4] = { MMIO_MODE_16, MMIO_MODE_32, MMIO_MODE_64,
					     (enum mmio_cpu_mode)0 };

static void check_failed(const struct mmio_insn *in)
{
	static const struct mmio_insn zero;

	if (in->len || in->size || in->src != zero.src || in->reg || in->high8 || in->imm || in->xchg ||
	    in->opcode || strcmp(mmio_insn_name(in), "unsupported") != 0)
		abort();
}

static bool imm_fits(const struct mmio_insn *in)
{
	if (in->size == 8)
		return in->imm < 0x80000000ULL || in->imm >= 0xFFFFFFFF80000000ULL;
	return (in->imm >> (8 * in->size)) == 0;
}

static void check_ok(const struct mmio_insn *in, size_t n)
{
	bool size_ok = in->size == 1 || in->size == 2 || in->size == 4 || in->size == 8;

	if (in->len < 1 || in->len > n || in->len > MMIO_INSN_MAX_LEN || !size_ok || in->reg >= 16)
		abort();
	if (in->high8 && (in->size != 1 || in->src != MMIO_SRC_REG || in->reg >= 4))
		abort();
	if (in->src == MMIO_SRC_IMM && (in->reg || in->xchg || !imm_fits(in)))
		abort();
	if (in->src == MMIO_SRC_REG && in->imm)
		abort();
	if (in->src != MMIO_SRC_REG && in->src != MMIO_SRC_IMM)
		abort();
	if (strcmp(mmio_insn_name(in), "unsupported") == 0)
		abort();
}

static bool same(const struct mmio_insn *a, const struct mmio_insn *b)
{
	return a->len == b->len && a->size == b->size && a->src == b->src && a->reg == b->reg &&
	       a->high8 == b->high8 && a->imm == b->imm && a->xchg == b->xchg && a->opcode == b->opcode;
}

/* The instruction's own bytes, alone in a block of exactly len bytes, decode the same;
 * each shorter cut asks for more. */
static void check_cuts(const uint8_t *bytes, enum mmio_cpu_mode mode, const struct mmio_insn *whole)
{
	uint8_t *exact = malloc(whole->len);
	struct mmio_insn in;

	memcpy(exact, bytes, whole->len);
	if (mmio_decode_write(exact, whole->len, mode, &in) != MMIO_DECODE_OK ||
	    !same(&in, whole))
		abort();
	for (unsigned k = 0; k < whole->len; k++) {
		if (mmio_decode_write(exact, k, mode, &in) != MMIO_DECODE_TRUNCATED)
			abort();
		check_failed(&in);
	}
	free(exact);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum mmio_cpu_mode mode;
	struct mmio_insn in;
	enum mmio_decode_status st;

	if (size == 0)
		return 0;
	mode = modes[data[0] & 3];
	memset(&in, 0xA5, sizeof(in));
	st = mmio_decode_write(data + 1, size - 1, mode, &in);
	switch (st) {
	case MMIO_DECODE_OK:
		check_ok(&in, size - 1);
		check_cuts(data + 1, mode, &in);
		break;
	case MMIO_DECODE_TRUNCATED:
	case MMIO_DECODE_UNSUPPORTED:
		check_failed(&in);
		break;
	default:
		abort();
	}
	return 0;
}
