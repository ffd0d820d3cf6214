/* The guest's MTRRs: a virtual copy (g_hv.mtrr), never the hardware's.
 *
 * With EPT the MTRRs do not type the guest's accesses: "the EPT memory type takes the
 * place of the MTRR type" (SDM Vol. 3C, 29.3.7.2 "Memory Type Used for Translated
 * Guest-Physical Addresses"), and vmxray writes the guest's MTRR type of each page into
 * its EPT leaf with IPAT clear, so the guest's PAT combines with it as it would with
 * its MTRRs on bare hardware. The real MTRRs type only root mode's own accesses: its
 * code, the VMCS, the EPT and host page tables, which must be write-back (the EPTP and
 * the VMCS are read by the processor with the types of SDM Vol. 3C, 25.11.4 "Software
 * Access to Related Structures"). A guest that could write them would choose UC or WC
 * for vmxray's memory. So guest RDMSR/WRMSR of the MTRRs exit (vmx/policy/msr_policy.def)
 * and work on the copy; the hardware keeps the firmware's MTRRs, identical on all
 * processors as the SDM asks (12.11.8 "MTRR Considerations in MP Systems").
 *
 * A write is validated before anything changes: the value (reserved bits and types
 * #GP as on hardware, arch/mtrr.c), then the EPT pages the retype would take (one
 * PHYSMASK with holes splits every large page of the map). A retype that does not fit
 * the pool, less a reserve for the scratch mappings of owned pages (exit_ept.c), is
 * refused with #GP and a warning: the copy, the EPT and the hardware stay as they were. */
#include "arch/mtrr.h"
#include "arch/spinlock.h"
#include "drivers/log.h"
#include "ept/ept.h"
#include "vmx/exit/exit.h"
#include "vmx/hv.h"

/* Pool pages a retype must leave for exit_ept.c's scratch mappings. */
#define MTRR_RETYPE_POOL_RESERVE 64

bool mtrr_guest_read(uint32_t msr, uint64_t *value)
{
	spin_lock(&g_hv.lock);
	bool ok = mtrr_state_read(&g_hv.mtrr, msr, value);
	spin_unlock(&g_hv.lock);
	return ok;
}

/* Under g_hv.lock: whether the retype for `next` fits the pool (with the reserve). */
static bool retype_fits(const struct mtrr_state *next, uint64_t top, size_t *needed, size_t *free)
{
	struct ept_alloc *a = &g_hv.ept_alloc;
	size_t have = a->pages_free ? a->pages_free(a->ctx) : 0;

	*free = have > MTRR_RETYPE_POOL_RESERVE ? have - MTRR_RETYPE_POOL_RESERVE : 0;
	*needed = ept_memtypes_pages_needed(&g_hv.ept, next, 0, top, *free);
	return *needed <= *free;
}

/* A write that changes the copy: validated, counted, retyped (see the top of this file). */
static __attribute__((noinline)) bool mtrr_guest_retype(uint32_t msr, uint64_t value)
{
	uint64_t top = 1ULL << g_hv.ept.maxphyaddr;
	size_t needed = 0, free = 0;
	bool ok = true, fits = true;

	spin_lock(&g_hv.lock);
	struct mtrr_state next = g_hv.mtrr;
	ok = mtrr_state_write(&next, msr, value) && (fits = retype_fits(&next, top, &needed, &free));
	if (ok) {
		g_hv.mtrr = next;
		if (ept_update_memtypes(&g_hv.ept, &g_hv.mtrr, 0, top, &g_hv.ept_alloc) != 0)
			log_error("EPT memory types could not follow an MTRR write (invariant: counted first)");
		vmx_ept_changed();
	}
	spin_unlock(&g_hv.lock);
	if (!fits)
		log_warn("MTRR: WRMSR 0x%x = 0x%lx refused (#GP): its EPT retype needs %s%zu table pages, %zu free",
			 msr, value, needed > free ? "more than " : "", free, free);
	if (ok)
		vmx_ept_flush_if_stale(); /* this CPU now; the others at their next exit */
	return ok;
}

EXIT_FAST_FN bool mtrr_guest_write(uint32_t msr, uint64_t value)
{
	uint64_t old;

	/* Rewriting the value it already has (Linux does this for every MTRR on every CPU it
	 * brings up) changes no memory type: no retype (measured: 1.09M ticks each), and none
	 * of the retype's frame on this path. The copy's MSR is one aligned quadword, read
	 * whole without the lock: a retype by another CPU (which writes it under the lock)
	 * is then ordered before or after this WRMSR, as the two WRMSRs could have been. */
	bool same = mtrr_state_read(&g_hv.mtrr, msr, &old) && old == value;
	return same || mtrr_guest_retype(msr, value);
}
