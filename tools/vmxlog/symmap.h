/* vmxlog: a kernel's System.map ("<hex address> <type> <name>" per line, as Debian ships
 * it in /boot of the kernel package), for naming guest RIPs. Text symbols only (types
 * T, t, W, w). Lines that do not parse are counted and skipped. */
#ifndef VMXRAY_TOOLS_VMXLOG_SYMMAP_H
#define VMXRAY_TOOLS_VMXLOG_SYMMAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sym {
	uint64_t addr;
	char *name;
};

struct symmap {
	struct sym *sym; /* sorted by address */
	size_t count, cap;
	size_t skipped;  /* lines that did not parse */
};

void symmap_parse(struct symmap *m, const char *data, size_t len);
bool symmap_load(struct symmap *m, const char *path, char *err, size_t n);
void symmap_free(struct symmap *m);
/* The function holding addr: the text symbol at or below it, if addr lies below the
 * last text symbol (_etext and the like end the range); NULL otherwise. *off = addr - start. */
const char *symmap_lookup(const struct symmap *m, uint64_t addr, uint64_t *off);

#endif
