/* vmxlog: System.map lookups (symmap.h). */
#include "tools/vmxlog/symmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/vmxlog/text.h"

static bool is_text_type(char t)
{
	return t == 'T' || t == 't' || t == 'W' || t == 'w';
}

/* One line: 16 hex digits, a blank, a type letter, a blank, a name of printable characters. */
static bool parse_line(const char *s, size_t n, uint64_t *addr, char *type, const char **name, size_t *nlen)
{
	uint64_t a = 0;
	size_t i = 0;

	for (; i < n && i < 16; i++) {
		char ch = s[i];
		unsigned d = ch >= '0' && ch <= '9' ? (unsigned)(ch - '0') : ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10) : 99;
		if (d > 15)
			break;
		a = a << 4 | d;
	}
	if (i == 0 || i + 3 > n || s[i] != ' ' || s[i + 2] != ' ')
		return false;
	*addr = a;
	*type = s[i + 1];
	*name = s + i + 3;
	*nlen = n - i - 3;
	if (*nlen == 0 || *nlen > 200)
		return false;
	for (size_t k = 0; k < *nlen; k++)
		if ((*name)[k] <= ' ' || (*name)[k] > '~')
			return false;
	return true;
}

static int by_addr(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

void symmap_parse(struct symmap *m, const char *data, size_t len)
{
	memset(m, 0, sizeof(*m));
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(data + at, '\n', len - at);
		size_t n = (nl ? (size_t)(nl - data) : len) - at, nlen;
		uint64_t addr;
		char type;
		const char *name;

		if (n && parse_line(data + at, n, &addr, &type, &name, &nlen)) {
			if (is_text_type(type)) {
				m->sym = vl_grow(m->sym, &m->cap, m->count + 1, sizeof(*m->sym));
				m->sym[m->count++] = (struct sym){ addr, vl_strndup(name, nlen) };
			}
		} else if (n) {
			m->skipped++;
		}
		at += n + 1;
	}
	if (m->count)
		qsort(m->sym, m->count, sizeof(*m->sym), by_addr);
}

bool symmap_load(struct symmap *m, const char *path, char *err, size_t n)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, len = 0;
	char *data = NULL;

	memset(m, 0, sizeof(*m));
	if (!f) {
		snprintf(err, n, "cannot read %s", path);
		return false;
	}
	for (;;) {
		data = vl_grow(data, &cap, len + 65536, 1);
		size_t got = fread(data + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	fclose(f);
	symmap_parse(m, data, len);
	free(data);
	if (!m->count) {
		snprintf(err, n, "%s holds no text symbols (not a System.map?)", path);
		return false;
	}
	return true;
}

void symmap_free(struct symmap *m)
{
	for (size_t i = 0; i < m->count; i++)
		free(m->sym[i].name);
	free(m->sym);
	memset(m, 0, sizeof(*m));
}

const char *symmap_lookup(const struct symmap *m, uint64_t addr, uint64_t *off)
{
	size_t lo = 0, hi = m->count;

	if (!m->count || addr < m->sym[0].addr || addr >= m->sym[m->count - 1].addr)
		return NULL;
	while (hi - lo > 1) { /* the last symbol at or below addr */
		size_t mid = lo + (hi - lo) / 2;
		if (m->sym[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*off = addr - m->sym[lo].addr;
	return m->sym[lo].name;
}
