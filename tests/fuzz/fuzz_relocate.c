/* Fuzz target: boot/relocate.c, which walks the ELF dynamic section and the RELA table of
 * vmxray's own image copy. The image comes from the ESP, so its bytes are outside input.
 *
 * Input: a count byte, that many dynamic entries (each a selector byte and a value: the
 * selector picks DT_RELA, DT_RELASZ, DT_RELAENT or a raw tag, and a small or a full
 * 64-bit value), then the image's bytes. The image lives in a heap block of exactly its
 * size, so a read or write outside [base, base + size) is a heap overflow; the dynamic
 * array gets its DT_NULL terminator from the harness (reloc_apply trusts _DYNAMIC's).
 * Checks: no memory error; the result is -1 or at most the number of entries the table
 * holds; bytes no RELATIVE entry names are left alone, and each one named holds base +
 * addend (checked against a reference walk when the result is not -1).
 */
// fuzz-srcs: boot/relocate.c

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/relocate.h"
#include "tests/fuzz/fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_DYN 16

static int64_t dyn_tag(uint8_t sel, struct fz *f)
{
	switch (sel & 3) {
	case 0:
		return DT_RELA;
	case 1:
		return DT_RELASZ;
	case 2:
		return DT_RELAENT;
	default:
		return (int64_t)fz_u64(f) | 1; /* never DT_NULL: the harness terminates */
	}
}

static void read_dyn(struct fz *f, struct elf64_dyn *dyn)
{
	unsigned n = fz_u8(f) % MAX_DYN;

	for (unsigned i = 0; i < n; i++) {
		uint8_t sel = fz_u8(f);

		dyn[i].tag = dyn_tag(sel, f);
		dyn[i].val = (sel & 4) ? fz_u64(f) : fz_u16(f);
	}
	dyn[n] = (struct elf64_dyn){ DT_NULL, 0 };
}

/* The entries a successful reloc_apply wrote, replayed on the original bytes. */
static void check_against_reference(const uint8_t *orig, const uint8_t *img, uint64_t size,
				    const struct elf64_dyn *dyn, long n)
{
	uint64_t off = 0, sz = 0, ent = sizeof(struct elf64_rela);
	uint8_t *ref = malloc(size ? size : 1);
	long applied = 0;

	for (; dyn->tag != DT_NULL; dyn++) {
		if (dyn->tag == DT_RELA)
			off = dyn->val;
		else if (dyn->tag == DT_RELASZ)
			sz = dyn->val;
		else if (dyn->tag == DT_RELAENT)
			ent = dyn->val;
	}
	memcpy(ref, orig, size);
	for (uint64_t i = 0; n > 0 && i + ent <= sz; i += ent) {
		struct elf64_rela r;

		memcpy(&r, ref + off + i, sizeof(r)); /* later entries see earlier writes */
		if ((uint32_t)r.info == R_X86_64_NONE)
			continue;
		uint64_t v = (uint64_t)(uintptr_t)img + (uint64_t)r.addend;
		memcpy(ref + r.offset, &v, 8);
		applied++;
	}
	if (applied != n || memcmp(ref, img, size) != 0)
		abort();
	free(ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = fz_start(data, size);
	struct elf64_dyn dyn[MAX_DYN + 1];

	read_dyn(&f, dyn);
	uint64_t img_size = f.n;
	uint8_t *img = malloc(img_size ? img_size : 1);
	uint8_t *orig = malloc(img_size ? img_size : 1);

	memcpy(img, f.p, img_size);
	memcpy(orig, f.p, img_size);
	long n = reloc_apply(img, img_size, dyn);

	if (n < -1 || (n > 0 && (uint64_t)n > img_size / sizeof(struct elf64_rela)))
		abort();
	if (n >= 0) /* a refused table may have been applied in part: nothing to compare */
		check_against_reference(orig, img, img_size, dyn, n);
	free(orig);
	free(img);
	return 0;
}
