/* INVEPT on this CPU when the shared EPT changed since its last flush. Hardware edge. */
#include "vmx/exit/exit.h"
#include "vmx/hv.h"
#include "vmx/vmcs/vmx_hw.h"

void vmx_invept_local(void)
{
	if (g_hv.invept_single)
		vmx_invept(INVEPT_SINGLE_CONTEXT, g_hv.eptp);
	else
		vmx_invept(INVEPT_ALL_CONTEXT, 0);
}

/* Changes to the shared EPT that can weaken a translation (memory types after an MTRR
 * write) bump hv.ept_generation; each CPU invalidates its EPT-derived translations the
 * next time it is in root mode (SDM Vol. 3C, 29.4.3.1 "Operations that Invalidate Cached
 * Mappings": INVEPT). */
void vmx_ept_flush_if_stale(void)
{
	struct vcpu *v = vcpu_current();
	/* The flag first, with a locked exchange (a full barrier), then the generation: a
	 * change whose flag this clears is in the generation read next (vmx_ept_changed). */
	(void)__atomic_exchange_n(&v->ept_stale, 0, __ATOMIC_SEQ_CST);
	uint64_t gen = __atomic_load_n(&g_hv.ept_generation, __ATOMIC_ACQUIRE);
	if (v->ept_generation == gen)
		return;
	vmx_invept_local();
	v->ept_generation = gen;
}

/* After a change to the shared EPT: the generation, then every CPU's ept_stale flag, which
 * lies in the word the exit path tests first (vmx/exit/entry.asm: one compare for every
 * reason to take the whole path), so each CPU's next exit goes there and INVEPTs. */
void vmx_ept_changed(void)
{
	__atomic_add_fetch(&g_hv.ept_generation, 1, __ATOMIC_SEQ_CST);
	for (unsigned c = 0; c < g_hv.cpu_count; c++)
		if (g_hv.vcpu[c])
			__atomic_store_n(&g_hv.vcpu[c]->ept_stale, 1, __ATOMIC_SEQ_CST);
}
