/* The real local APIC of this processor, in xAPIC (MMIO) or x2APIC (MSR) mode: sending an
 * IPI from root mode, and the INIT reset of its registers. Hardware edge. */
#include "vmx/exit/lapic_hw.h"

#include "arch/cpu.h"
#include "arch/msr.h"
#include "vmx/hv.h"

#define ICR_IDLE_SPINS 100000

bool apic_x2apic_mode(void)
{
	return cpu_rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_X2APIC;
}

/* Root mode reaches the xAPIC only at the page vmxray checked at launch (hv.apic_base),
 * and only while IA32_APIC_BASE says the APIC is enabled there: never at the base the
 * guest last wrote. With EN=0, or another base, that address is memory the guest chose,
 * possibly vmxray's own (vmx/decode/apic.h, apic_root_path). */
enum apic_root_path apic_path(void)
{
	return apic_root_path(cpu_rdmsr(MSR_IA32_APIC_BASE), g_hv.apic_base);
}

volatile uint32_t *apic_mmio(unsigned off)
{
	return (volatile uint32_t *)(uintptr_t)(g_hv.apic_base + off);
}

uint32_t apic_read(unsigned off)
{
	switch (apic_path()) {
	case APIC_ROOT_X2APIC:
		return (uint32_t)cpu_rdmsr(APIC_MSR_BASE + off / 16);
	case APIC_ROOT_XAPIC:
		return *apic_mmio(off);
	default:
		return 0;
	}
}

static void apic_write(unsigned off, uint32_t v)
{
	switch (apic_path()) {
	case APIC_ROOT_X2APIC:
		cpu_wrmsr(APIC_MSR_BASE + off / 16, v);
		break;
	case APIC_ROOT_XAPIC:
		*apic_mmio(off) = v;
		break;
	default:
		break;
	}
}

/* An IPI from root mode to one processor, physical destination; false when this CPU's
 * APIC is disabled or not at the checked page (no IPI can be sent). In xAPIC mode the
 * guest's ICR_HIGH is put back afterwards: the guest may write ICR_LOW again later and
 * expect its own destination there. */
bool apic_send(uint32_t dest, const struct apic_icr *how)
{
	struct apic_icr icr = *how;
	icr.dest = dest;
	icr.logical = false;
	icr.shorthand = APIC_DEST_FIELD;
	enum apic_root_path p = apic_path();
	if (p == APIC_ROOT_X2APIC) {
		cpu_wrmsr(APIC_MSR_ICR, apic_icr_encode(&icr, true));
		return true;
	}
	if (p != APIC_ROOT_XAPIC)
		return false;
	uint64_t v = apic_icr_encode(&icr, false);
	uint32_t guest_high = *apic_mmio(APIC_REG_ICR_HIGH);
	for (unsigned i = 0; i < ICR_IDLE_SPINS && (*apic_mmio(APIC_REG_ICR_LOW) & APIC_ICR_BUSY); i++)
		cpu_pause();
	*apic_mmio(APIC_REG_ICR_HIGH) = (uint32_t)(v >> 32);
	*apic_mmio(APIC_REG_ICR_LOW) = (uint32_t)v;
	*apic_mmio(APIC_REG_ICR_HIGH) = guest_high;
	return true;
}

/* What an INIT does to the local APIC (SDM Vol. 3A, "Local APIC State After an INIT
 * Reset"): as at power-up except the APIC ID; IRR and ISR cannot be written, so the ISR
 * is drained with EOIs, and what waits in the IRR stays until the guest enables the
 * APIC again. The APIC base and x2APIC mode do not change. */
void apic_init_reset(void)
{
	uint64_t base = cpu_rdmsr(MSR_IA32_APIC_BASE);
	if (!(base & APIC_BASE_ENABLE))
		return;
	bool x2 = base & APIC_BASE_X2APIC;
	unsigned max_lvt = (apic_read(APIC_REG_VERSION) >> 16) & 0xFF;
	static const unsigned lvts[] = { APIC_REG_LVT_TIMER, APIC_REG_LVT_THERMAL, APIC_REG_LVT_PERF,
					 APIC_REG_LVT_LINT0, APIC_REG_LVT_LINT1, APIC_REG_LVT_ERROR };
	for (unsigned i = 0; i < sizeof(lvts) / sizeof(lvts[0]); i++)
		apic_write(lvts[i], APIC_LVT_MASKED);
	if (max_lvt >= 6)
		apic_write(APIC_REG_LVT_CMCI, APIC_LVT_MASKED);
	apic_write(APIC_REG_TIMER_ICR, 0);
	apic_write(APIC_REG_TIMER_DCR, 0);
	apic_write(APIC_REG_TPR, 0);
	if (!x2) { /* read-only, or absent, in x2APIC mode */
		apic_write(APIC_REG_LDR, 0);
		apic_write(APIC_REG_DFR, 0xFFFFFFFFu);
	}
	for (unsigned n = 0; n < 256; n++) {
		bool in_service = false;
		for (unsigned r = 0; r < 8; r++)
			in_service |= apic_read(APIC_REG_ISR0 + r * 16) != 0;
		if (!in_service)
			break;
		apic_write(APIC_REG_EOI, 0);
	}
	apic_write(APIC_REG_ESR, 0);
	apic_write(APIC_REG_SVR, 0xFF); /* software-disabled, spurious vector 0xFF */
}
