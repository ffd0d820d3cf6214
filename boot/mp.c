/* Running code on every processor through the UEFI MP services protocol (see boot/mp.h).
 * UEFI. */
#include "boot/mp.h"

#include <efilib.h>

EFI_MP_SERVICES_PROTOCOL *mp_enumerate(struct mp_cpus *cpus, uint32_t bsp_apic_id)
{
	static EFI_GUID guid = EFI_MP_SERVICES_PROTOCOL_GUID;
	EFI_MP_SERVICES_PROTOCOL *mp = NULL;
	UINTN n = 0, enabled = 0;

	cpus->count = 1;
	cpus->apic_id[0] = bsp_apic_id;
	cpus->number[0] = 0;
	if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &guid, NULL, (void **)&mp)) || !mp)
		return NULL;
	if (EFI_ERROR(uefi_call_wrapper(mp->GetNumberOfProcessors, 3, mp, &n, &enabled)))
		return NULL;
	for (UINTN i = 0; i < n && cpus->count < MP_MAX_CPUS; i++) {
		EFI_PROCESSOR_INFORMATION info;
		if (EFI_ERROR(uefi_call_wrapper(mp->GetProcessorInfo, 3, mp, i, &info)))
			continue;
		if ((info.StatusFlag & PROCESSOR_AS_BSP_BIT) || !(info.StatusFlag & PROCESSOR_ENABLED_BIT))
			continue;
		cpus->apic_id[cpus->count] = (uint32_t)info.ProcessorId;
		cpus->number[cpus->count] = i;
		cpus->count++;
	}
	return mp;
}
