/* Exit-reason names and facts, expanded from vmx/decode/exit_reasons.def. Pure. */
#include "vmx/decode/exit_reasons.h"

#define EXIT_REASON(number, name, short_name, facts, handler)                            \
	_Static_assert((number) < EXIT_REASON_MAX,                                     \
		       #name ": exit_reasons.def is not in ascending order");
#include "vmx/decode/exit_reasons.def"
#undef EXIT_REASON

struct exit_reason_names {
	const char *name;
	const char *short_name;
	unsigned facts;
};

/* Indexed by basic exit reason; gaps stay { NULL, NULL }. A number listed twice initializes
 * an entry twice and fails the build under -Wextra (-Woverride-init). */
static const struct exit_reason_names names[EXIT_REASON_MAX] = {
#define EXIT_REASON(number, name, short_name, facts, handler) [number] = { #name, short_name, facts },
#include "vmx/decode/exit_reasons.def"
#undef EXIT_REASON
};

bool exit_reason_defined(uint32_t basic)
{
	return basic < EXIT_REASON_MAX && names[basic].name != NULL;
}

unsigned exit_reason_facts(uint32_t basic)
{
	return exit_reason_defined(basic) ? names[basic].facts : EXIT_NONE;
}

bool exit_reason_is_instruction(uint32_t basic)
{
	return (exit_reason_facts(basic) & EXIT_INSN) != 0;
}

const char *exit_reason_name(uint32_t basic)
{
	return exit_reason_defined(basic) ? names[basic].name : "UNKNOWN";
}

const char *exit_reason_short(uint32_t basic)
{
	return exit_reason_defined(basic) ? names[basic].short_name : "unknown";
}

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* True when the n characters at s spell the NUL-terminated lower-case word w. */
static bool equals_lower(const char *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i] == '\0' || ascii_lower(s[i]) != w[i])
			return false;
	return w[i] == '\0';
}

bool exit_reason_from_short(const char *s, size_t n, uint32_t *out)
{
	for (uint32_t r = 0; r < EXIT_REASON_MAX; r++) {
		if (names[r].short_name && equals_lower(s, n, names[r].short_name)) {
			*out = r;
			return true;
		}
	}
	return false;
}
