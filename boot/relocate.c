/* Re-applying the image's R_X86_64_RELATIVE relocations to its copy (see
 * boot/relocate.h). Pure. */
#include "boot/relocate.h"

#include <string.h>

long reloc_apply(uint8_t *base, uint64_t size, const struct elf64_dyn *dyn)
{
	uint64_t rela_off = 0, rela_size = 0, rela_ent = sizeof(struct elf64_rela);

	for (; dyn->tag != DT_NULL; dyn++) {
		if (dyn->tag == DT_RELA)
			rela_off = dyn->val;
		else if (dyn->tag == DT_RELASZ)
			rela_size = dyn->val;
		else if (dyn->tag == DT_RELAENT)
			rela_ent = dyn->val;
	}
	if (rela_ent < sizeof(struct elf64_rela) || rela_off > size || rela_size > size - rela_off)
		return rela_size ? -1 : 0;
	long n = 0;
	for (uint64_t off = 0; off + rela_ent <= rela_size; off += rela_ent) {
		struct elf64_rela r;
		memcpy(&r, base + rela_off + off, sizeof(r));
		uint32_t type = (uint32_t)r.info;
		if (type == R_X86_64_NONE)
			continue;
		if (type != R_X86_64_RELATIVE || r.offset > size - 8)
			return -1;
		uint64_t v = (uint64_t)(uintptr_t)base + (uint64_t)r.addend;
		memcpy(base + r.offset, &v, sizeof(v));
		n++;
	}
	return n;
}
