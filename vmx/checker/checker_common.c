/* Helpers shared by the VM-entry checker's files: field access, failure records, address
 * and fixed-bit tests. Pure; see vmx/checker/checker_internal.h. */
#include "vmx/checker/checker.h"

#include <string.h>

#include "arch/bits.h"
#include "arch/cr.h"
#include "arch/exceptions.h"
#include "drivers/fmt.h"
#include "vmx/checker/checker_internal.h"

/* ---- Helpers ---- */

uint64_t check_get(const struct check *c, uint32_t field)
{
	uint64_t v = 0;

	vmcs_snapshot_get(c->s, field, &v);
	return v;
}

void check_fail(struct check *c, const char *section, const char *rule, uint32_t field,
		uint64_t bits)
{
	struct vmx_check_result *r = c->out;

	if (r->count == VMX_CHECK_MAX) {
		r->truncated = true;
		return;
	}
	r->item[r->count++] = (struct vmx_check_failure){ section, rule, field, check_get(c, field),
							   bits };
}

bool check_secondary(const struct check *c, uint64_t bits)
{
	return (c->proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) && (c->proc2 & bits);
}

bool check_canonical(const struct check *c, uint64_t addr)
{
	unsigned n = vmx_caps_linaddr_width(c->caps);
	uint64_t top;

	if (n == 0 || n >= 64)
		return true;
	top = addr >> (n - 1);
	return top == 0 || top == (~0ULL >> (n - 1));
}

bool check_phys_ok(const struct check *c, uint64_t addr)
{
	return (addr & check_phys_reserved(c)) == 0;
}

uint64_t check_phys_reserved(const struct check *c)
{
	unsigned n = vmx_caps_maxphyaddr(c->caps);

	return n >= 64 ? 0 : ~0ULL << n;
}

bool check_page_address(const struct check *c, uint64_t addr)
{
	return is_aligned(addr, PAGE_SIZE) && check_phys_ok(c, addr);
}

bool check_pat_valid(uint64_t pat)
{
	for (unsigned i = 0; i < 8; i++) {
		uint64_t type = bits_get(pat, 8 * i + 7, 8 * i);

		if (type == 2 || type == 3 || type > 7)
			return false;
	}
	return true;
}

uint64_t check_fixed_bits(uint64_t value, uint64_t fixed0, uint64_t fixed1)
{
	return (~value & fixed0) | (value & ~fixed1);
}
