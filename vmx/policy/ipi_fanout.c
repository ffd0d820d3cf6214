/* The processors outside vmxray's table that a guest's IPI reaches (vmx/policy/ipi_fanout.h). */
#include "vmx/policy/ipi_fanout.h"

static bool id_known(uint32_t id, const uint32_t *known, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (known[i] == id)
			return true;
	return false;
}

bool ipi_fanout_needs(const struct apic_icr *icr, bool x2apic, uint32_t self, uint32_t id, const uint32_t *known,
		      unsigned known_count)
{
	if (!x2apic && id >= 0xFF)
		return false;
	return !id_known(id, known, known_count) && apic_icr_reaches(icr, x2apic, self, id);
}

unsigned ipi_fanout_outside(const struct apic_icr *icr, bool x2apic, uint32_t self, const uint32_t *madt_ids,
			    unsigned madt_count, const uint32_t *known, unsigned known_count, uint32_t *out,
			    unsigned out_max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < madt_count && n < out_max; i++)
		if (ipi_fanout_needs(icr, x2apic, self, madt_ids[i], known, known_count))
			out[n++] = madt_ids[i];
	return n;
}
