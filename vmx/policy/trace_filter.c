/* trace_filter= (trace_filter.h). Pure. */
#include "vmx/policy/trace_filter.h"

#include "drivers/fmt.h"

#include <string.h>

static const char *const KEY_NAMES[TF_KEYS] = { "rip", "leaf", "msr", "port", "cr" };
static const uint64_t KEY_MAX[TF_KEYS] = { UINT64_MAX, UINT32_MAX, UINT32_MAX, 0xFFFF, 15 };

static bool parse_num(const char *v, size_t n, uint64_t *out)
{
	unsigned base = 10;
	uint64_t r = 0;

	if (n > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		base = 16;
		v += 2;
		n -= 2;
	}
	if (n == 0 || n > (base == 16 ? 16u : 19u))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 99;
		if (d >= base)
			return false;
		r = r * base + d;
	}
	*out = r;
	return true;
}

static int key_of(const char *s, size_t n)
{
	for (int k = 0; k < TF_KEYS; k++)
		if (strlen(KEY_NAMES[k]) == n && !memcmp(s, KEY_NAMES[k], n))
			return k;
	return -1;
}

static bool parse_item(struct trace_filter *f, const char *s, size_t n, char *err, size_t errlen)
{
	const char *colon = memchr(s, ':', n);
	int k = colon ? key_of(s, (size_t)(colon - s)) : -1;
	char item[48]; /* the item, NUL-terminated and cut, for the messages */

	memcpy(item, s, n < sizeof(item) ? n : sizeof(item) - 1);
	item[n < sizeof(item) ? n : sizeof(item) - 1] = '\0';
	if (k < 0) {
		fmt_snprintf(err, errlen, "'%s': not key:LO[-HI] with key rip, leaf, msr, port or cr", item);
		return false;
	}
	const char *v = colon + 1, *end = s + n, *dash = memchr(v, '-', (size_t)(end - v));
	uint64_t lo, hi;
	if (!parse_num(v, (size_t)((dash ? dash : end) - v), &lo) ||
	    (dash ? !parse_num(dash + 1, (size_t)(end - dash - 1), &hi) : (hi = lo, false))) {
		fmt_snprintf(err, errlen, "'%s': bad number (decimal or 0x hex)", item);
		return false;
	}
	if (lo > hi || hi > KEY_MAX[k]) {
		fmt_snprintf(err, errlen, "'%s': the range is empty or too wide for %s (at most 0x%lx)", item, KEY_NAMES[k],
			     KEY_MAX[k]);
		return false;
	}
	if (f->n[k] == TRACE_FILTER_RANGES) {
		fmt_snprintf(err, errlen, "more than %u ranges for %s", TRACE_FILTER_RANGES, KEY_NAMES[k]);
		return false;
	}
	f->range[k][f->n[k]].lo = lo;
	f->range[k][f->n[k]++].hi = hi;
	return true;
}

bool trace_filter_parse(struct trace_filter *f, const char *s, size_t n, char *err, size_t errlen)
{
	const char *end = s + n;

	memset(f, 0, sizeof(*f));
	if (n == 0) {
		fmt_snprintf(err, errlen, "empty filter");
		return false;
	}
	for (;;) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		size_t len = (size_t)((comma ? comma : end) - s);
		if (!parse_item(f, s, len, err, errlen))
			return false;
		if (!comma)
			return true;
		s = comma + 1;
	}
}

/* No ranges: everything passes. */
static bool in_ranges(const struct trace_filter *f, enum trace_filter_key k, uint64_t x)
{
	for (unsigned i = 0; i < f->n[k]; i++)
		if (x >= f->range[k][i].lo && x <= f->range[k][i].hi)
			return true;
	return f->n[k] == 0;
}

bool trace_filter_match(const struct trace_filter *f, const struct trace_record *r)
{
	if (!in_ranges(f, TF_RIP, r->rip))
		return false;
	switch (trace_detail_kind(r->reason)) {
	case TRACE_KIND_CPUID: return in_ranges(f, TF_LEAF, r->detail.cpuid.leaf);
	case TRACE_KIND_MSR: return in_ranges(f, TF_MSR, r->detail.msr.msr);
	case TRACE_KIND_IO: return in_ranges(f, TF_PORT, r->detail.io.port);
	case TRACE_KIND_CR: return in_ranges(f, TF_CR, r->detail.cr.cr);
	default: return true;
	}
}
