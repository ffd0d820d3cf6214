/* PDPTE loading for emulated CR writes and task switches: see vmx/exit/pdpte.h. */
#include "vmx/exit/pdpte.h"

#include "arch/cr.h"
#include "arch/msr.h"
#include "vmx/exit/guest_mem.h"
#include "vmx/vmcs/vmcs.h"

void pdpte_load_if_pae(uint64_t cr3)
{
	uint64_t cr0 = vmcs_readnw(GUEST_CR0), cr4 = vmcs_readnw(GUEST_CR4);
	uint64_t pdpte[4] = { 0, 0, 0, 0 };

	if (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE) || (vmcs_read64(GUEST_IA32_EFER) & EFER_LMA))
		return;
	/* PAE paging: CR3 bits 31:5 locate the table (4.4.1). */
	uint64_t table = cr3 & 0xFFFFFFE0u;
	for (unsigned i = 0; i < 4; i++) {
		const volatile uint64_t *h = (const volatile uint64_t *)gpa_host(table + 8 * i);
		pdpte[i] = h ? *h : 0;
	}
	vmcs_write64(GUEST_PDPTR0, pdpte[0]);
	vmcs_write64(GUEST_PDPTR1, pdpte[1]);
	vmcs_write64(GUEST_PDPTR2, pdpte[2]);
	vmcs_write64(GUEST_PDPTR3, pdpte[3]);
}
