/* The opt-in intercepts: see vmx/policy/intercept.h. Pure. */
#include "vmx/policy/intercept.h"

#include "arch/exceptions.h"
#include "drivers/fmt.h"

#include <string.h>

static const char *const exception_mnemonics[32] = {
#define EXCEPTION(vector, name, mnemonic, description, error_code, class) [vector] = mnemonic,
#include "arch/exceptions.def"
#undef EXCEPTION
};

uint32_t intercept_exception_vectors(void)
{
	uint32_t m = 0;
	for (unsigned v = 0; v < 32; v++)
		if (exception_mnemonics[v] && exception_mnemonics[v][0] == '#')
			m |= 1u << v;
	return m;
}

/* "pf" -> 14: the mnemonic of arch/exceptions.def without '#', in lower case. */
static int exception_vector(const char *s, size_t n)
{
	for (unsigned v = 0; v < 32; v++) {
		const char *m = exception_mnemonics[v];
		if (!m || m[0] != '#' || strlen(m + 1) != n)
			continue;
		size_t i = 0;
		while (i < n && (m[1 + i] | 0x20) == s[i])
			i++;
		if (i == n)
			return (int)v;
	}
	return -1;
}

static bool parse_hex(const char *s, size_t n, uint64_t *out)
{
	uint64_t x = 0;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
	}
	if (n == 0 || n > 16)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (unsigned)((c | 0x20) - 'a' + 10);
		else
			return false;
		x = x << 4 | d;
	}
	*out = x;
	return true;
}

/* ept:FIRST-LAST:w|x, hexadecimal addresses (0x optional), FIRST <= LAST, below 2^52
 * (the architectural MAXPHYADDR limit; SDM Vol. 3A, 4.1.4 "Enumeration of Paging
 * Features by CPUID"). One range per option. */
static bool parse_ept(struct intercept_set *s, const char *v, size_t n)
{
	const char *dash = memchr(v, '-', n);
	const char *colon = dash ? memchr(dash, ':', (size_t)(v + n - dash)) : NULL;
	uint64_t first, last;

	if (!dash || !colon || (size_t)(v + n - colon) != 2 || s->ept_access)
		return false;
	if (!parse_hex(v, (size_t)(dash - v), &first) || !parse_hex(dash + 1, (size_t)(colon - dash - 1), &last))
		return false;
	if (first > last || last >= (1ULL << 52))
		return false;
	if (colon[1] == 'w')
		s->ept_access = INTERCEPT_EPT_WRITE;
	else if (colon[1] == 'x')
		s->ept_access = INTERCEPT_EPT_EXEC;
	else
		return false;
	s->ept_first = first;
	s->ept_last = last;
	return true;
}

bool intercept_parse_item(struct intercept_set *s, const char *item, size_t n)
{
	if (n == 3 && !memcmp(item, "all", 3)) {
		s->rows_all = (1u << INTERCEPT_COUNT) - 1;
		s->exceptions = intercept_exception_vectors();
		return true;
	}
	if (n > 4 && !memcmp(item, "ept:", 4))
		return parse_ept(s, item + 4, n - 4);
	for (unsigned i = 0; i < INTERCEPT_COUNT; i++) {
		if (strlen(intercept_rows[i].name) == n && !memcmp(intercept_rows[i].name, item, n)) {
			s->rows |= 1u << i;
			return true;
		}
	}
	int v = exception_vector(item, n);
	if (v < 0)
		return false;
	s->exceptions |= 1u << v;
	return true;
}

bool intercept_parse_list(struct intercept_set *s, const char *list, size_t n)
{
	const char *end = list + n;
	if (n == 0)
		return false;
	for (;;) {
		const char *comma = memchr(list, ',', (size_t)(end - list));
		size_t len = comma ? (size_t)(comma - list) : (size_t)(end - list);
		if (len == 0 || !intercept_parse_item(s, list, len))
			return false;
		if (!comma)
			return true;
		list = comma + 1;
	}
}

void intercept_request(uint32_t rows, const struct intercept_set *s, struct vmx_ctrl_request *r)
{
	for (unsigned i = 0; i < INTERCEPT_COUNT; i++)
		if (rows >> i & 1)
			for (unsigned g = 0; g < VMX_CTRL_GROUP_COUNT; g++)
				r->required[g] |= intercept_rows[i].ctl[g];
	(void)s; /* intercept=ept needs no control: its step is RFLAGS.TF (vmx/policy/step.h) */
}

uint32_t intercept_rows_resolve(const struct vmx_caps *c, const struct intercept_set *s)
{
	uint32_t rows = s->rows;
	for (unsigned i = 0; i < INTERCEPT_COUNT; i++)
		if ((s->rows_all >> i & 1) && intercept_row_allowed(c, (enum intercept_id)i, NULL))
			rows |= 1u << i;
	return rows;
}

const char *intercept_refusal(const struct vmx_caps *c, const struct intercept_set *s, char *buf, size_t n)
{
	for (unsigned i = 0; i < INTERCEPT_COUNT; i++) {
		struct vmx_missing_bit m;
		if (!(s->rows >> i & 1) || intercept_row_allowed(c, (enum intercept_id)i, &m))
			continue;
		if (i == INTERCEPT_HLT && intercept_row_allowed(c, INTERCEPT_HLT, NULL) == false &&
		    intercept_bits_allowed(c, VMX_CTRL_PROC, CPU_BASED_HLT_EXITING, NULL)) {
			fmt_snprintf(buf, n, "intercept=hlt: this CPU has no HLT activity state (IA32_VMX_MISC bit 6)");
			return buf;
		}
		char what[120];
		vmx_missing_describe(&m, what, sizeof(what));
		fmt_snprintf(buf, n, "intercept=%s: this CPU cannot set %s", intercept_rows[i].name, what);
		return buf;
	}
	return NULL;
}
