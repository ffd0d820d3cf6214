/* Loading the PDPTE registers of a PAE-paging guest after an emulated MOV to CR0, CR3 or
 * CR4, or a task switch. With EPT, VM entry loads the PDPTEs from the guest-state area
 * (SDM Vol. 3C, 27.3.2.4 "Loading Page-Directory-Pointer-Table Entries"), so a write that
 * vmxray emulates must put there what the instruction would have loaded: SDM Vol. 3A,
 * 4.4.1 "PDPTE Registers": "the processor loads them ... MOV to CR0 or MOV to CR4 ...
 * that results in PAE paging being enabled... MOV to CR3 when PAE paging is in use"
 * and task switches that load CR3. */
#ifndef VMXRAY_VMX_EXIT_PDPTE_H
#define VMXRAY_VMX_EXIT_PDPTE_H
#include <stdint.h>

/* When the guest state in the VMCS (CR0, CR4, IA32_EFER) is PAE paging, loads
 * GUEST_PDPTR0-3 from the 32-byte-aligned table at cr3. */
void pdpte_load_if_pae(uint64_t cr3);

#endif
