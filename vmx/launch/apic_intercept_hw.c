/* Before launch, with more than one CPU and ipi=soft: the local APIC page becomes
 * read+execute in the EPT and the x2APIC ICR is intercepted in the MSR bitmap, so that
 * INIT and SIPI between processors exit (vmx/exit/exit_apic.c). Hardware edge: RDMSR. */
#include "vmx/launch/launch.h"

#include "arch/cpu.h"
#include "arch/msr.h"
#include "drivers/log.h"
#include "vmx/decode/apic.h"
#include "vmx/exit/exit.h"
#include "vmx/hv.h"
#include "vmx/policy/setup.h"

void apic_intercept_setup(struct hv *hv)
{
	uint64_t base = cpu_rdmsr(MSR_IA32_APIC_BASE);
	hv->apic_base = base & APIC_BASE_ADDR_MASK;
	if (hv->cfg.ipi_hardware || hv->cpu_count < 2 || !(base & APIC_BASE_ENABLE)) {
		log_info("IPI: INIT and SIPI reach the processors as signals (%s)",
			 hv->cfg.ipi_hardware ? "ipi=hardware" : hv->cpu_count < 2 ? "one processor" : "APIC disabled");
		return;
	}
	uint8_t type = mtrr_type_of(&hv->mtrr, hv->apic_base);
	if (ept_map_4k(&hv->ept, hv->apic_base, hv->apic_base, EPT_READ | EPT_EXECUTE, type, &hv->ept_alloc) != 0) {
		log_warn("IPI: no EPT memory to write-protect the APIC page; INIT and SIPI stay signals");
		return;
	}
	hv->apic_intercept = true;
	msr_bitmap_intercept(hv->msr_bitmap, APIC_MSR_ICR, false, true);
	log_info("IPI: INIT and SIPI between the %u processors in software (APIC page 0x%lx "
		 "write-protected, x2APIC ICR intercepted)", hv->cpu_count, hv->apic_base);
}
