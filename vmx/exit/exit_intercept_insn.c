/* The opt-in instruction intercepts (intercept=, vmx/policy/intercepts.def): HLT, RDTSC,
 * RDTSCP, RDPMC, INVLPG, INVPCID (which exits with INVLPG exiting when INVPCID is enabled),
 * PAUSE, WBINVD, RDRAND, RDSEED. Each does what the instruction does on the processor,
 * then advances RIP as the instruction would (vcpu_skip_instruction: STI/MOV-SS blocking
 * ends, RF clears, a single-step trap is left pending when RFLAGS.TF was set).
 * The faults that have priority over these VM exits (SDM Vol. 3C, 26.1.1 "Relative
 * Priority of Faults and VM Exits": #UD, privilege-level faults, ...) are the processor's;
 * the handlers check them again where the check is one compare, so a wrong exit never
 * runs a privileged instruction for CPL 3. */
#include "arch/cpu.h"
#include "arch/cr.h"
#include "arch/exception.h"
#include "arch/msr.h"
#include "drivers/fmt.h"
#include "vmx/caps/caps.h"
#include "vmx/decode/decode.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/guest_mem.h"
#include "vmx/exit/inject.h"
#include "vmx/hv.h"
#include "vmx/policy/intercept.h"
#include "vmx/policy/intercept_rules.h"
#include "vmx/vmcs/controls.h"
#include "vmx/vmcs/vmcs.h"
#include "vmx/vmcs/vmx_hw.h"

#define INVVPID_INDIVIDUAL_ADDRESS 0

/* CR4 as the guest sees it (the bits vmxray owns from the read shadow). */
uint64_t intercept_guest_cr4(void)
{
	uint64_t mask = vmcs_readnw(CR4_GUEST_HOST_MASK);
	return (vmcs_readnw(GUEST_CR4) & ~mask) | (vmcs_readnw(CR4_READ_SHADOW) & mask);
}

bool intercept_guest_mode64(void)
{
	return (vmcs_read32(VM_ENTRY_CONTROLS) & (uint32_t)VM_ENTRY_IA32E_MODE) &&
	       ((vmcs_read32(GUEST_CS_AR_BYTES) >> 13) & 1);
}

/* HLT: the instruction completes and the processor halts until an interrupt, NMI, SMI,
 * INIT or reset. The guest enters the HLT activity state (SDM Vol. 3C, 25.4.2 "Guest
 * Non-Register State"), so the processor itself waits in non-root mode and an interrupt
 * wakes it there, as on bare hardware: root mode never spins. A single-step trap that the
 * HLT leaves pending is delivered at VM entry and wakes it (27.7.3 "Delivery of Pending
 * Debug Exceptions after VM Entry"; 27.3.1.5 wants BS set for TF in the HLT state). The
 * activity state was checked at launch (intercept_refusal). */
void exit_intercept_hlt(struct vcpu *v, struct vmexit *e)
{
	(void)e;
	vcpu_skip_instruction(v);
	vmcs_write32(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_HLT);
}

static uint64_t guest_tsc(void)
{
	uint32_t proc = vmcs_read32(CPU_BASED_VM_EXEC_CONTROL);
	uint32_t proc2 = vmcs_read32(SECONDARY_VM_EXEC_CONTROL);
	bool offsetting = proc & (uint32_t)CPU_BASED_USE_TSC_OFFSETTING;
	bool scaling = (proc & (uint32_t)CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
		       (proc2 & (uint32_t)SECONDARY_EXEC_TSC_SCALING);
	return intercept_guest_tsc(cpu_rdtsc(), offsetting, offsetting ? vmcs_read64(TSC_OFFSET) : 0, scaling,
				   scaling ? vmcs_read64(TSC_MULTIPLIER) : 0);
}

/* RDTSC and RDTSCP with CR4.TSD at CPL > 0: #GP(0) (SDM Vol. 2B, RDTSC). */
static bool tsc_denied(void)
{
	return (intercept_guest_cr4() & CR4_TSD) && vcpu_guest_cpl() > 0;
}

static void tsc_result(struct vcpu *v, struct vmexit *e, uint64_t tsc)
{
	v->regs.gpr[GPR_RAX] = (uint32_t)tsc;
	v->regs.gpr[GPR_RDX] = tsc >> 32;
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "tsc=0x%lx", tsc);
	vcpu_skip_instruction(v);
}

void exit_intercept_rdtsc(struct vcpu *v, struct vmexit *e)
{
	if (tsc_denied()) {
		vcpu_inject_gp0(v);
		return;
	}
	tsc_result(v, e, guest_tsc());
}

/* RDTSCP exits only when "enable RDTSCP" is set (without it the processor raises #UD
 * first, SDM Vol. 3C, 26.3): ECX = IA32_TSC_AUX, which VM exits do not switch. */
void exit_intercept_rdtscp(struct vcpu *v, struct vmexit *e)
{
	uint64_t aux = 0;
	if (tsc_denied()) {
		vcpu_inject_gp0(v);
		return;
	}
	uint64_t tsc = guest_tsc();
	if (msr_safe_read(MSR_IA32_TSC_AUX, &aux) != 0)
		aux = 0;
	v->regs.gpr[GPR_RCX] = (uint32_t)aux;
	tsc_result(v, e, tsc);
}

/* RDPMC: #GP(0) at CPL > 0 without CR4.PCE, and for a counter ECX does not name (SDM Vol.
 * 2B, RDPMC); the read is done in root mode, guarded: a #GP there is the guest's. The
 * counters keep their values across VM exits (IA32_PERF_GLOBAL_CTRL only stops them). */
void exit_intercept_rdpmc(struct vcpu *v, struct vmexit *e)
{
	uint64_t value;
	if (!(g_hv.cfg.intercept_rows & (1u << INTERCEPT_RDPMC))) { /* test=unexpected-exit sets it */
		exit_unexpected(v, e);
		return;
	}
	uint32_t ecx = (uint32_t)v->regs.gpr[GPR_RCX];
	if ((vcpu_guest_cpl() > 0 && !(intercept_guest_cr4() & CR4_PCE)) || rdpmc_safe(ecx, &value) != 0) {
		vcpu_inject_gp0(v);
		return;
	}
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "counter=0x%x value=0x%lx", ecx, value);
	v->regs.gpr[GPR_RAX] = (uint32_t)value;
	v->regs.gpr[GPR_RDX] = value >> 32;
	vcpu_skip_instruction(v);
}

/* The guest's TLB entries for one linear address, or all of its non-EPT entries. With
 * VPID on (VPID = CPU index + 1) VM entries and exits keep the guest's linear and
 * combined mappings, so INVVPID does what INVLPG would have done for that VPID: the
 * individual-address type where the CPU has it and the address is canonical, else the
 * whole context (more than INVLPG, which a TLB is always allowed to lose). Without VPID,
 * every VM entry and exit already invalidates the mappings of VPID 0000H (SDM Vol. 3C,
 * 29.4.3.1 "Operations that Invalidate Cached Mappings"): nothing is left to do. */
static void flush_guest_address(uint64_t la, bool one)
{
	if (!g_hv.vpid)
		return;
	uint16_t vpid = vmcs_read16(VIRTUAL_PROCESSOR_ID);
	uint64_t ept_vpid = vmx_caps_msr(&g_hv.caps, MSR_IA32_VMX_EPT_VPID_CAP);
	bool canonical = (uint64_t)((int64_t)(la << 16) >> 16) == la;
	if (one && canonical && (ept_vpid & VMX_VPID_INVVPID_ADDR) &&
	    vmx_invvpid(INVVPID_INDIVIDUAL_ADDRESS, vpid, la) == VMX_SUCCEED)
		return;
	vmx_invvpid(INVVPID_SINGLE_CONTEXT, vpid, 0);
}

/* INVLPG: the exit qualification is the linear address of the operand (SDM Vol. 3C,
 * Table 28-1; bits 63:32 clear outside 64-bit mode). */
void exit_intercept_invlpg(struct vcpu *v, struct vmexit *e)
{
	uint64_t la = intercept_guest_mode64() ? e->qual : (uint32_t)e->qual;
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "la=0x%lx", la);
	flush_guest_address(la, true);
	vcpu_skip_instruction(v);
}

/* PAUSE: a hint; nothing to do but complete it. WBINVD: done in root mode (the caches
 * are the processor's, shared by both modes). */
void exit_intercept_pause(struct vcpu *v, struct vmexit *e)
{
	(void)e;
	cpu_pause();
	vcpu_skip_instruction(v);
}

void exit_intercept_wbinvd(struct vcpu *v, struct vmexit *e)
{
	(void)e;
	__asm__ volatile("wbinvd" ::: "memory");
	vcpu_skip_instruction(v);
}

/* RDRAND and RDSEED: executed in root mode into the register the instruction-information
 * field names (bits 6:3), with the operand size of the instruction's bytes (the field's bits
 * 12:11 where the processor reports them right; Bochs 2.7 does not); CF says whether a value
 * came, the other status flags are cleared (SDM Vol. 2B, RDRAND, RDSEED; Vol. 3C, 28.2.5,
 * Table 28-15). A failed attempt writes 0, as the processor does. */
void exit_intercept_rdrand(struct vcpu *v, struct vmexit *e)
{
	struct vmx_insn_info ii = vmx_insn_info_decode(vmcs_read32(VMX_INSTRUCTION_INFO));
	uint8_t insn[15];
	bool mode64, db;
	unsigned n = guest_fetch_insn(insn, v->at_exit.len < 15 ? v->at_exit.len : 15, &mode64, &db);
	int osize = intercept_rdrand_osize(insn, n, mode64, db);
	if (osize < 0) /* the bytes changed under us (another CPU): run it again */
		return;
	ii.operand_size = (unsigned)osize; /* not the field's: see intercept_rdrand_osize */
	uint64_t value;
	bool ok = e->basic == EXIT_REASON_RDSEED ? cpu_rdseed(&value) : cpu_rdrand(&value);
	if (!ok)
		value = 0;
	uint64_t old = ii.reg1 == GPR_RSP ? vmcs_readnw(GUEST_RSP) : v->regs.gpr[ii.reg1];
	uint64_t reg = intercept_reg_write(old, value, ii.operand_size);
	if (ii.reg1 == GPR_RSP)
		vmcs_writenw(GUEST_RSP, reg);
	else
		v->regs.gpr[ii.reg1] = reg;
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "reg=%s ok=%d", gpr_name(ii.reg1), ok);
	vcpu_skip_instruction(v);
	vmcs_writenw(GUEST_RFLAGS, intercept_rdrand_rflags(vmcs_readnw(GUEST_RFLAGS), ok));
}

/* INVPCID exits when "INVLPG exiting" and "enable INVPCID" are both set (SDM Vol. 3C,
 * 25.6.2, Table 25-7), so intercept=invlpg brings it on CPUs where vmxray enables INVPCID.
 * The 16-byte descriptor is read through the guest's segments and paging (faults as the
 * instruction's), its type from the register of bits 31:28 (32 bits outside 64-bit mode),
 * then the rules of intercept_invpcid_faults; the invalidation is INVVPID of the guest's
 * VPID (one address for type 0, else the whole context: never less than INVPCID). */
void exit_intercept_invpcid(struct vcpu *v, struct vmexit *e)
{
	uint32_t info = vmcs_read32(VMX_INSTRUCTION_INFO);
	struct vmx_insn_info ii = vmx_insn_info_decode(info);
	uint64_t gpr[16], desc[2];
	bool mode64 = intercept_guest_mode64();
	for (unsigned i = 0; i < 16; i++)
		gpr[i] = i == GPR_RSP ? vmcs_readnw(GUEST_RSP) : v->regs.gpr[i];
	uint64_t offset = intercept_mem_offset(info, e->qual, gpr);
	if (!guest_mem_operand_read(v, ii.segment, ii.address_size, offset, desc, sizeof(desc)))
		return;
	uint64_t type = mode64 ? gpr[ii.reg2] : (uint32_t)gpr[ii.reg2];
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "type=%lu pcid=0x%lx la=0x%lx", type, desc[0] & 0xFFF, desc[1]);
	if (intercept_invpcid_faults(type, desc[0], desc[1], intercept_guest_cr4() & CR4_PCIDE, g_hv.caps.cpu.linaddr_width)) {
		vcpu_inject_gp0(v);
		return;
	}
	flush_guest_address(desc[1], type == 0);
	vcpu_skip_instruction(v);
}

/* MONITOR and MWAIT (intercept=monitor, intercept=mwait). The #UD for a CPU whose CPUID
 * hides MONITOR/MWAIT (vmxray passes CPUID.01H:ECX.MONITOR[3] as it is) and for CPL > 0
 * comes before the VM exit (SDM Vol. 3C, 26.1.1). MONITOR: ECX selects extensions, none
 * exist: #GP(0) unless 0; the address DS:RAX (segment override as the instruction's, here
 * DS) is checked and translated as a one-byte read, which raises the #GP, #SS or #PF the
 * instruction would; arming it has no effect a guest can see but on MWAIT. MWAIT: ECX bit 0
 * (interrupts break the wait even with IF = 0) where CPUID.05H:ECX[1] says so, other bits
 * #GP(0); then it completes at once, which the architecture allows ("the processor may
 * exit the monitor ... for implementation-dependent reasons", SDM Vol. 2B, MWAIT): root
 * mode never waits. */
#define STRING_IO_SEG_DS_VALUE 3
void exit_intercept_monitor(struct vcpu *v, struct vmexit *e)
{
	uint8_t byte;
	if ((uint32_t)v->regs.gpr[GPR_RCX] != 0) {
		vcpu_inject_gp0(v);
		return;
	}
	bool mode64 = intercept_guest_mode64();
	unsigned asize = mode64 ? 2 : (vmcs_read32(GUEST_CS_AR_BYTES) >> 14) & 1;
	uint64_t offset = v->regs.gpr[GPR_RAX] & (asize == 2 ? ~0ULL : asize == 1 ? 0xFFFFFFFFULL : 0xFFFFULL);
	if (!guest_mem_operand_read(v, STRING_IO_SEG_DS_VALUE, asize, offset, &byte, 1))
		return;
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "address=0x%lx", offset);
	vcpu_skip_instruction(v);
}

void exit_intercept_mwait(struct vcpu *v, struct vmexit *e)
{
	uint32_t ecx = (uint32_t)v->regs.gpr[GPR_RCX];
	uint32_t allowed = (cpu_cpuid(5, 0).ecx & 2) ? 1u : 0u;
	(void)e;
	if (ecx & ~allowed) {
		vcpu_inject_gp0(v);
		return;
	}
	vcpu_skip_instruction(v);
}
