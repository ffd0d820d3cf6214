/* Generates build/gen/offsets.inc: structure offsets for the assembly files, so no
 * offset is ever typed by hand. Compiled to assembly only (never linked); each
 * OFFSET() line becomes "%define NAME value" in the .inc. */
#include <stddef.h>
#include <stdint.h>

#include "arch/cr.h"
#include "arch/exceptions.h"
#include "boot/handoff.h"
#include "vmx/decode/exit_reasons.h"
#include "vmx/hv.h"
#include "vmx/policy/hypercall_abi.h"
#include "vmx/policy/policy.h"
#include "vmx/vcpu.h"
#include "vmx/vmcs/vmcs.h"

#define OFFSET(name, type, member) \
	__asm__ volatile("\n.ascii \"@@@%%define " #name " %c0@@@\"" ::"i"(offsetof(type, member)))
/* Four characters of a signature string as the register CPUID returns them in. */
#define CPUID_SIG_WORD(s, i) \
	((uint32_t)(uint8_t)(s)[i] | (uint32_t)(uint8_t)(s)[(i) + 1] << 8 | \
	 (uint32_t)(uint8_t)(s)[(i) + 2] << 16 | (uint32_t)(uint8_t)(s)[(i) + 3] << 24)
#define VALUE(name, v) __asm__ volatile("\n.ascii \"@@@%%define " #name " %c0@@@\"" ::"i"(v))

void asm_offsets(void);
void asm_offsets(void)
{
	/* Bit v: vector v pushes an error code (arch/exceptions.def), for the ISR stubs. */
	VALUE(EXCEPTION_ERROR_CODE_MASK, EXCEPTION_ERROR_CODE_MASK);

	OFFSET(HANDOFF_GUEST_RSP, struct handoff, guest_rsp);
	OFFSET(HANDOFF_GUEST_RIP, struct handoff, guest_rip);
	OFFSET(HANDOFF_GUEST_RFLAGS, struct handoff, guest_rflags);

	OFFSET(VCPU_RAX, struct vcpu, regs.gpr[GPR_RAX]);
	OFFSET(VCPU_RCX, struct vcpu, regs.gpr[GPR_RCX]);
	OFFSET(VCPU_RDX, struct vcpu, regs.gpr[GPR_RDX]);
	OFFSET(VCPU_RBX, struct vcpu, regs.gpr[GPR_RBX]);
	OFFSET(VCPU_RBP, struct vcpu, regs.gpr[GPR_RBP]);
	OFFSET(VCPU_RSI, struct vcpu, regs.gpr[GPR_RSI]);
	OFFSET(VCPU_RDI, struct vcpu, regs.gpr[GPR_RDI]);
	OFFSET(VCPU_R8, struct vcpu, regs.gpr[GPR_R8]);
	OFFSET(VCPU_R9, struct vcpu, regs.gpr[GPR_R9]);
	OFFSET(VCPU_R10, struct vcpu, regs.gpr[GPR_R10]);
	OFFSET(VCPU_R11, struct vcpu, regs.gpr[GPR_R11]);
	OFFSET(VCPU_R12, struct vcpu, regs.gpr[GPR_R12]);
	OFFSET(VCPU_R13, struct vcpu, regs.gpr[GPR_R13]);
	OFFSET(VCPU_R14, struct vcpu, regs.gpr[GPR_R14]);
	OFFSET(VCPU_R15, struct vcpu, regs.gpr[GPR_R15]);
	OFFSET(VCPU_LAUNCHED, struct vcpu, launched);
	OFFSET(VCPU_FAST_OFF, struct vcpu, fast_off);
	OFFSET(VCPU_EXIT_COUNT, struct vcpu, exit_count);

	/* What the CPUID fast path of vmx/exit/entry.asm reads, writes and tests. */
	VALUE(EXIT_REASON_CPUID, EXIT_REASON_CPUID);
	VALUE(FIELD_VM_EXIT_REASON, VM_EXIT_REASON);
	VALUE(FIELD_VM_EXIT_INSTRUCTION_LEN, VM_EXIT_INSTRUCTION_LEN);
	VALUE(FIELD_GUEST_RIP, GUEST_RIP);
	VALUE(FIELD_GUEST_RFLAGS, GUEST_RFLAGS);
	VALUE(FIELD_GUEST_INTERRUPTIBILITY_INFO, GUEST_INTERRUPTIBILITY_INFO);
	VALUE(RFLAGS_RF_TF, RFLAGS_RF | RFLAGS_TF);
	/* The leaves below 32 that cpuid_policy_apply changes; 0x4xxxxxxx is tested apart. */
	VALUE(CPUID_POLICY_LOW_LEAVES, CPUID_POLICY_LOW_LEAVES);
	VALUE(CPUID_LEAF_EXT_FEATURES, CPUID_LEAF_EXT_FEATURES);
	/* The policy leaves, done there too (cpuid_policy_apply, vmx/policy/policy.c, is the
	 * model; tests/unit/test_policy.c checks it, the integration tests the assembly). */
	VALUE(FIELD_GUEST_CR4, GUEST_CR4);
	/* VMCALL VERSION, done there as well (vmx/exit/exit_hypercall.c is the model). */
	VALUE(EXIT_REASON_VMCALL, EXIT_REASON_VMCALL);
	VALUE(EXIT_REASON_EPT_VIOLATION, EXIT_REASON_EPT_VIOLATION);
	/* The plain IN and OUT the C path has marked for it (fast_port_io in vmx/exit/exit.c
	 * is the model), done there too: the masked qualification and the port counter of
	 * each direction. */
	VALUE(EXIT_REASON_IO_INSTRUCTION, EXIT_REASON_IO_INSTRUCTION);
	VALUE(FIELD_EXIT_QUALIFICATION, EXIT_QUALIFICATION);
	VALUE(IO_QUAL_IN, 1u << 3);
	VALUE(IO_QUAL_FAST_MASK, IO_QUAL_FAST_MASK);
	OFFSET(VCPU_IO_FAST_QUAL_OUT, struct vcpu, io_fast_qual[0]);
	OFFSET(VCPU_IO_FAST_QUAL_IN, struct vcpu, io_fast_qual[1]);
	OFFSET(VCPU_IO_FAST_COUNT_OUT, struct vcpu, io_fast_count[0]);
	OFFSET(VCPU_IO_FAST_COUNT_IN, struct vcpu, io_fast_count[1]);
	VALUE(FIELD_GUEST_SS_AR_BYTES, GUEST_SS_AR_BYTES);
	VALUE(AR_DPL_MASK, 3u << 5);
	VALUE(VMXRAY_HC_VERSION, VMXRAY_HC_VERSION);
	VALUE(VMXRAY_HC_OK, VMXRAY_HC_OK);
	VALUE(CPUID1_ECX_HIDDEN, CPUID1_ECX_HIDDEN);
	VALUE(CPUID1_ECX_HYPERVISOR_BIT, CPUID1_ECX_HYPERVISOR_BIT); /* CPUID1_ECX_SHOWN */
	VALUE(CPUID1_EDX_HIDDEN, CPUID1_EDX_HIDDEN);
	VALUE(CPUID1_ECX_XSAVE_BIT, CPUID1_ECX_XSAVE_BIT);
	VALUE(CPUID1_ECX_OSXSAVE, 1u << CPUID1_ECX_OSXSAVE_BIT);
	VALUE(CR4_OSXSAVE, CR4_OSXSAVE);
	VALUE(CR4_OSXSAVE_TO_CPUID1, CPUID1_ECX_OSXSAVE_BIT - __builtin_ctzll(CR4_OSXSAVE));
	VALUE(CPUID7_EBX_HIDDEN, CPUID7_EBX_HIDDEN);
	VALUE(CPUID7_ECX_PKU_BIT, CPUID7_ECX_PKU_BIT);
	VALUE(CPUID7_ECX_OSPKE, 1u << CPUID7_ECX_OSPKE_BIT);
	VALUE(CR4_PKE_TO_CPUID7, __builtin_ctzll(CR4_PKE) - CPUID7_ECX_OSPKE_BIT);
	VALUE(CPUID_LEAF_INTEL_PT, CPUID_LEAF_INTEL_PT);
	VALUE(VMXRAY_CPUID_LEAF_BASE, VMXRAY_CPUID_LEAF_BASE);
	VALUE(VMXRAY_CPUID_LEAF_VERSION, VMXRAY_CPUID_LEAF_VERSION);
	VALUE(VMXRAY_CPUID_MAX_LEAF, VMXRAY_CPUID_MAX_LEAF);
	VALUE(VMXRAY_VERSION, (VMXRAY_VERSION_MAJOR << 16) | VMXRAY_VERSION_MINOR);
	VALUE(VMXRAY_CPUID_SIGNATURE_EBX, CPUID_SIG_WORD(VMXRAY_CPUID_SIGNATURE, 0));
	VALUE(VMXRAY_CPUID_SIGNATURE_ECX, CPUID_SIG_WORD(VMXRAY_CPUID_SIGNATURE, 4));
	VALUE(VMXRAY_CPUID_SIGNATURE_EDX, CPUID_SIG_WORD(VMXRAY_CPUID_SIGNATURE, 8));

	OFFSET(FW_RIP, struct fw_state, rip);
	OFFSET(FW_RSP, struct fw_state, rsp);
	OFFSET(FW_RFLAGS, struct fw_state, rflags);
	OFFSET(FW_RAX, struct fw_state, rax);
	OFFSET(FW_CS, struct fw_state, cs);
	OFFSET(FW_SS, struct fw_state, ss);
	VALUE(HOST_STACK_VCPU_SLOT, HOST_STACK_VCPU_SLOT_OFFSET);
}
