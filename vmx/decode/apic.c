/* Local APIC ICR decoding, pure: see vmx/decode/apic.h. */
#include "vmx/decode/apic.h"

#include "arch/bits.h"

struct apic_icr apic_icr_decode(uint64_t icr, bool x2apic)
{
	return (struct apic_icr){
		.vector = (uint8_t)icr,
		.delivery = (enum apic_delivery)bits_get(icr, 10, 8),
		.logical = (icr >> 11) & 1,
		.assert = (icr >> 14) & 1,
		.level_triggered = (icr >> 15) & 1,
		.shorthand = (enum apic_shorthand)bits_get(icr, 19, 18),
		.dest = x2apic ? (uint32_t)(icr >> 32) : (uint32_t)bits_get(icr, 63, 56),
	};
}

uint64_t apic_icr_encode(const struct apic_icr *i, bool x2apic)
{
	uint64_t v = i->vector | ((uint64_t)(i->delivery & 7) << 8) | ((uint64_t)i->logical << 11) |
		     ((uint64_t)i->assert << 14) | ((uint64_t)i->level_triggered << 15) |
		     ((uint64_t)(i->shorthand & 3) << 18);
	return v | (x2apic ? (uint64_t)i->dest << 32 : (uint64_t)(i->dest & 0xFF) << 56);
}

enum ipi_kind apic_ipi_kind(const struct apic_icr *icr)
{
	if (icr->delivery == APIC_DM_STARTUP)
		return IPI_SIPI;
	if (icr->delivery == APIC_DM_NMI)
		return IPI_NMI;
	if (icr->delivery != APIC_DM_INIT)
		return IPI_OTHER;
	/* INIT with level de-assert (level 0, trigger level): the "INIT level de-assert"
	 * synchronization message, which current processors do not act on. */
	return !icr->assert && icr->level_triggered ? IPI_INIT_DEASSERT : IPI_INIT;
}

bool apic_icr_reaches(const struct apic_icr *icr, bool x2apic, uint32_t self, uint32_t id)
{
	switch (icr->shorthand) {
	case APIC_DEST_SELF:
		return id == self;
	case APIC_DEST_ALL:
		return true;
	case APIC_DEST_ALL_BUT_SELF:
		return id != self;
	case APIC_DEST_FIELD:
	default:
		if (icr->logical)
			return false;
		return icr->dest == id || icr->dest == (x2apic ? 0xFFFFFFFFu : 0xFFu);
	}
}

static bool page_overlaps(uint64_t page, const struct mem_range *r)
{
	return page < r->base + r->size && r->base < page + 0x1000;
}

bool apic_base_write_faults(uint64_t value, unsigned maxphyaddr, const struct mem_range *owned,
			    unsigned owned_count)
{
	uint64_t above = maxphyaddr >= 64 ? 0 : ~0ULL << maxphyaddr;
	if (value & (APIC_BASE_RESERVED | above))
		return true;
	uint64_t page = value & APIC_BASE_ADDR_MASK;
	for (unsigned i = 0; i < owned_count; i++)
		if (page_overlaps(page, &owned[i]))
			return true;
	return false;
}

enum apic_root_path apic_root_path(uint64_t apic_base_msr, uint64_t checked_base)
{
	if (!(apic_base_msr & APIC_BASE_ENABLE))
		return APIC_ROOT_NONE;
	if (apic_base_msr & APIC_BASE_X2APIC)
		return APIC_ROOT_X2APIC;
	return (apic_base_msr & APIC_BASE_ADDR_MASK) == checked_base ? APIC_ROOT_XAPIC : APIC_ROOT_NONE;
}

bool apic_x2apic_icr_reserved(uint64_t icr)
{
	return (icr & APIC_X2APIC_ICR_RESERVED) != 0;
}
