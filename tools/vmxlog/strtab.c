/* vmxlog: interned strings (exit reasons, EXIT details). FNV-1a, open addressing. */
#include <stdlib.h>
#include <string.h>

#include "tools/vmxlog/text.h"
#include "tools/vmxlog/vmxlog.h"

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* The slot holding s, or the empty slot where it would go. */
static size_t probe(const struct vl_strtab *t, const char *s, size_t n)
{
	size_t mask = t->nslots - 1;
	size_t i = (size_t)hash(s, n) & mask;

	for (;;) {
		uint32_t id = t->slot[i];

		if (!id)
			return i;
		const char *have = t->str[id - 1];

		if (strncmp(have, s, n) == 0 && have[n] == '\0')
			return i;
		i = (i + 1) & mask;
	}
}

static void rehash(struct vl_strtab *t)
{
	size_t nslots = t->nslots ? t->nslots * 2 : 64;
	uint32_t *old = t->slot;
	size_t old_n = t->nslots;

	t->slot = calloc(nslots, sizeof(*t->slot));
	if (!t->slot)
		vl_out_of_memory();
	t->nslots = nslots;
	for (size_t i = 0; i < old_n; i++) {
		if (!old[i])
			continue;
		const char *s = t->str[old[i] - 1];

		t->slot[probe(t, s, strlen(s))] = old[i];
	}
	free(old);
}

uint32_t vl_strtab_intern(struct vl_strtab *t, const char *s, size_t n)
{
	if ((t->count + 1) * 2 > t->nslots)
		rehash(t);
	size_t i = probe(t, s, n);

	if (t->slot[i])
		return t->slot[i] - 1;
	t->str = vl_grow(t->str, &t->cap, t->count + 1, sizeof(*t->str));
	t->str[t->count] = vl_strndup(s, n);
	t->slot[i] = (uint32_t)++t->count;
	return (uint32_t)(t->count - 1);
}

const char *vl_strtab_get(const struct vl_strtab *t, uint32_t id)
{
	return id < t->count ? t->str[id] : "?";
}

void vl_strtab_free(struct vl_strtab *t)
{
	for (size_t i = 0; i < t->count; i++)
		free(t->str[i]);
	free(t->str);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}
