/* Re-applying vmxray's own ELF relocations to a copy of its image at a new base.
 * gnu-efi links the image as a shared object at base 0 and relocates it at load time
 * from its R_X86_64_RELATIVE entries (.rela, found through _DYNAMIC); the copy gets the
 * same treatment with its own base. Pure. */
#ifndef VMXRAY_BOOT_RELOCATE_H
#define VMXRAY_BOOT_RELOCATE_H
#include <stdint.h>

struct elf64_dyn {
	int64_t tag;
	uint64_t val;
};

struct elf64_rela {
	uint64_t offset;
	uint64_t info;
	int64_t addend;
};

#define DT_NULL 0
#define DT_RELA 7
#define DT_RELASZ 8
#define DT_RELAENT 9
#define R_X86_64_NONE 0
#define R_X86_64_RELATIVE 8

/* Relocates the image copy at `base` (mapped where it will run) whose dynamic section
 * is `dyn` (inside the copy). Every RELATIVE entry gets *(base + offset) = base +
 * addend. Returns the number of entries applied, or -1 for an entry of another type or
 * one that points outside [base, base + size). */
long reloc_apply(uint8_t *base, uint64_t size, const struct elf64_dyn *dyn);

#endif
