/* intercept=movdr: MOV to and from DR0-DR7 exit ("MOV-DR exiting"). DR0-DR3 and DR6 keep
 * the guest's values in the processor across VM exits (root mode never uses them); DR7 is
 * the GUEST_DR7 field (VM exit loads 400H). The instruction's faults are raised here:
 * vmxicpt found Bochs taking the exit before the #UD for DR4 with CR4.DE (which SDM Vol. 3C,
 * 26.1.1 "Relative Priority of Faults and VM Exits" would let come first), so the #GP for
 * CPL > 0, that #UD and the general-detect #DB (DR7.GD, with DR6.BD and GD cleared as
 * delivery does) are all checked, in the order of the instruction's Operation section. Outside 64-bit mode the operand is 32 bits.
 * SDM Vol. 2B, MOV—Move to/from Debug Registers; Vol. 3A, 18.2 "Debug Registers". */
#include "arch/cpu.h"
#include "arch/cr.h"
#include "arch/exceptions.h"
#include "arch/msr.h"
#include "drivers/fmt.h"
#include "vmx/decode/decode.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/inject.h"
#include "vmx/policy/intercept_rules.h"
#include "vmx/vmcs/controls.h"
#include "vmx/vmcs/vmcs.h"

#define DR7_GD (1ULL << 13)
#define DR6_BD (1ULL << 13)

static uint64_t dr_read(unsigned dr)
{
	uint64_t v = 0;
	switch (dr) {
	case 0: __asm__ volatile("mov %%dr0, %0" : "=r"(v)); break;
	case 1: __asm__ volatile("mov %%dr1, %0" : "=r"(v)); break;
	case 2: __asm__ volatile("mov %%dr2, %0" : "=r"(v)); break;
	case 3: __asm__ volatile("mov %%dr3, %0" : "=r"(v)); break;
	case 6: v = cpu_read_dr6(); break;
	default: v = vmcs_readnw(GUEST_DR7); break;
	}
	return v;
}

static void dr_write(unsigned dr, uint64_t v)
{
	switch (dr) {
	case 0: __asm__ volatile("mov %0, %%dr0" ::"r"(v)); break;
	case 1: __asm__ volatile("mov %0, %%dr1" ::"r"(v)); break;
	case 2: __asm__ volatile("mov %0, %%dr2" ::"r"(v)); break;
	case 3: __asm__ volatile("mov %0, %%dr3" ::"r"(v)); break;
	case 6: cpu_write_dr6(v); break;
	default: vmcs_writenw(GUEST_DR7, v); break;
	}
}

void exit_intercept_dr(struct vcpu *v, struct vmexit *e)
{
	struct dr_access_qual q = dr_access_qual_decode(e->qual);
	uint64_t cr4_mask = vmcs_readnw(CR4_GUEST_HOST_MASK);
	uint64_t cr4 = (vmcs_readnw(GUEST_CR4) & ~cr4_mask) | (vmcs_readnw(CR4_READ_SHADOW) & cr4_mask);
	bool mode64 = (vmcs_read32(VM_ENTRY_CONTROLS) & (uint32_t)VM_ENTRY_IA32E_MODE) &&
		      ((vmcs_read32(GUEST_CS_AR_BYTES) >> 13) & 1);
	unsigned dr = intercept_dr_alias(q.dr, cr4 & CR4_DE);
	uint64_t value = 0;

	/* Bochs 2.7 takes the VM exit before these (KVM's handle_dr checks them too): CPL > 0
	 * #GP(0), DR4/DR5 with CR4.DE #UD, then DR7.GD (the order of the instruction's
	 * Operation section). */
	if (vcpu_guest_cpl() > 0) {
		vcpu_inject_gp0(v);
		return;
	}
	if ((q.dr == 4 || q.dr == 5) && (cr4 & CR4_DE)) {
		vcpu_inject_ud(v);
		return;
	}
	if (vmcs_readnw(GUEST_DR7) & DR7_GD) {
		cpu_write_dr6((cpu_read_dr6() & ~0xFULL) | DR6_BD);
		vmcs_writenw(GUEST_DR7, vmcs_readnw(GUEST_DR7) & ~DR7_GD);
		vcpu_inject_exception(v, VECTOR_DB, 0);
		return;
	}
	if (q.from_dr) {
		value = dr_read(dr);
		if (!mode64)
			value = (uint32_t)value;
		if (q.gpr == GPR_RSP)
			vmcs_writenw(GUEST_RSP, value);
		else
			v->regs.gpr[q.gpr] = value;
	} else {
		uint64_t src = q.gpr == GPR_RSP ? vmcs_readnw(GUEST_RSP) : v->regs.gpr[q.gpr];
		if (!mode64)
			src = (uint32_t)src;
		if (!intercept_dr_write_value(dr, src, &value)) {
			vcpu_inject_gp0(v);
			return;
		}
		dr_write(dr, value);
	}
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "dr%u %s value=0x%lx", dr, q.from_dr ? "read" : "write", value);
	vcpu_skip_instruction(v);
}
