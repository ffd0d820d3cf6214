/* intercept=msr: every RDMSR and WRMSR exits (vmx/policy/setup.c fills the MSR bitmap).
 * The MSRs vmx/policy/msr_policy.def handles keep its policy (vmx/exit/exit_msr.c); an
 * MSR it passes is done on the hardware in root mode, except the ones VM entry and exit
 * switch through the VMCS, whose guest value is in the guest-state area and whose
 * register holds root mode's value now (SDM Vol. 3C, 27.3.2.1 "Loading Guest Control
 * Registers, Debug Registers, and MSRs"; 28.3.2 "Saving MSRs"; 28.5.1 "Loading Host
 * Control Registers, Debug Registers, MSRs"): they are read from and written to their
 * field, with the checks WRMSR makes (vmx/policy/intercept_rules.h). Without the
 * intercept none of these MSRs exits. */
#include "arch/cpu.h"
#include "arch/cr.h"
#include "arch/msr.h"
#include "vmx/exit/exit.h"
#include "vmx/hv.h"
#include "vmx/policy/intercept_rules.h"
#include "vmx/vmcs/controls.h"
#include "vmx/vmcs/vmcs.h"

#define CPUID_80000001_EDX_NX (1u << 20)

bool intercept_msr_guest_read(uint32_t msr, uint64_t *value)
{
	switch (msr) {
	case MSR_IA32_SYSENTER_CS: *value = vmcs_read32(GUEST_SYSENTER_CS); return true;
	case MSR_IA32_SYSENTER_ESP: *value = vmcs_readnw(GUEST_SYSENTER_ESP); return true;
	case MSR_IA32_SYSENTER_EIP: *value = vmcs_readnw(GUEST_SYSENTER_EIP); return true;
	case MSR_IA32_PAT: *value = vmcs_read64(GUEST_IA32_PAT); return true;
	case MSR_IA32_DEBUGCTL: *value = vmcs_read64(GUEST_IA32_DEBUGCTL); return true;
	case MSR_IA32_EFER: *value = vmcs_read64(GUEST_IA32_EFER); return true;
	case MSR_IA32_FS_BASE: *value = vmcs_readnw(GUEST_FS_BASE); return true;
	case MSR_IA32_GS_BASE: *value = vmcs_readnw(GUEST_GS_BASE); return true;
	case MSR_IA32_PERF_GLOBAL_CTRL:
		if (!(g_hv.ctls.entry & (uint32_t)VM_ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL))
			return false;
		*value = vmcs_read64(GUEST_IA32_PERF_GLOBAL_CTRL);
		return true;
	default:
		return false;
	}
}

static bool canonical(uint64_t v)
{
	return intercept_canonical(v, g_hv.caps.cpu.linaddr_width);
}

static bool efer_write(uint64_t value, bool *fault)
{
	uint64_t out;
	bool paging = vmcs_readnw(GUEST_CR0) & CR0_PG;
	bool nx = cpu_cpuid(0x80000001u, 0).edx & CPUID_80000001_EDX_NX;
	*fault = !intercept_efer_write(vmcs_read64(GUEST_IA32_EFER), value, paging, nx, &out);
	if (!*fault)
		vmcs_write64(GUEST_IA32_EFER, out);
	return true;
}

/* True when the MSR is one of these (fault says whether the write raises #GP). */
bool intercept_msr_guest_write(uint32_t msr, uint64_t value, bool *fault)
{
	*fault = false;
	switch (msr) {
	case MSR_IA32_SYSENTER_CS: vmcs_write32(GUEST_SYSENTER_CS, (uint32_t)value); return true;
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
	case MSR_IA32_FS_BASE:
	case MSR_IA32_GS_BASE:
		*fault = !canonical(value);
		if (*fault)
			return true;
		if (msr == MSR_IA32_SYSENTER_ESP)
			vmcs_writenw(GUEST_SYSENTER_ESP, value);
		else if (msr == MSR_IA32_SYSENTER_EIP)
			vmcs_writenw(GUEST_SYSENTER_EIP, value);
		else
			vmcs_writenw(msr == MSR_IA32_FS_BASE ? GUEST_FS_BASE : GUEST_GS_BASE, value);
		return true;
	case MSR_IA32_PAT:
		*fault = !intercept_pat_valid(value);
		if (!*fault)
			vmcs_write64(GUEST_IA32_PAT, value);
		return true;
	case MSR_IA32_EFER:
		return efer_write(value, fault);
	default:
		return false;
	}
}
