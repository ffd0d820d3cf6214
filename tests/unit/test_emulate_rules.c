/* Unit tests: vmx/policy/emulate_rules.c, the VM-entry checks that a handler finishing an exit
 * must not break: error codes in real mode, RIP wrap outside 64-bit mode, BS under BTF. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch/cr.h"
#include "vmx/policy/emulate_rules.h"

/* `mov ecx, 0x480; rdmsr` on an AP right after SIPI: #GP(0) in real mode has no error
 * code, or VMRESUME fails (SDM Vol. 3C, 27.2.1.3). */
static void test_error_code_real_mode(void **state)
{
	(void)state;
	assert_false(inject_delivers_error_code(13, 0));                 /* #GP, CR0.PE = 0 */
	assert_false(inject_delivers_error_code(13, CR0_NE | CR0_ET));   /* still real mode */
	assert_false(inject_delivers_error_code(8, 0));                  /* #DF in real mode */
	assert_true(inject_delivers_error_code(13, CR0_PE));
	assert_true(inject_delivers_error_code(14, CR0_PE | CR0_PG));
	assert_true(inject_delivers_error_code(17, CR0_PE));
	assert_false(inject_delivers_error_code(6, CR0_PE));             /* #UD: never */
	assert_false(inject_delivers_error_code(1, CR0_PE));             /* #DB: never */
}

/* CPUID at EIP 0xFFFFFFFE in 32-bit code: the next EIP is 0, not 0x1_0000_0000. */
static void test_rip_wraps_outside_64bit(void **state)
{
	(void)state;
	assert_int_equal(rip_after_instruction(0xFFFFFFFEull, 2, false), 0);
	assert_int_equal(rip_after_instruction(0xFFFFFFFDull, 5, false), 2);
	assert_int_equal(rip_after_instruction(0x7C00, 2, false), 0x7C02);
	assert_int_equal(rip_after_instruction(0xFFFFFFFEull, 2, true), 0x100000000ull);
	assert_int_equal(rip_after_instruction(0xFFFFFFFF80001000ull, 3, true), 0xFFFFFFFF80001003ull);
}

/* TF alone: BS after an emulated instruction. TF with BTF: only branches trap, and an
 * emulated CPUID, RDMSR, OUT, ... is none (VM entry rejects BS with BTF under MOV SS). */
static void test_single_step_respects_btf(void **state)
{
	(void)state;
	assert_true(pending_dbg_single_step(RFLAGS_TF | RFLAGS_FIXED, 0));
	assert_false(pending_dbg_single_step(RFLAGS_TF | RFLAGS_FIXED, DEBUGCTL_BTF));
	assert_false(pending_dbg_single_step(RFLAGS_FIXED, 0));
	assert_false(pending_dbg_single_step(RFLAGS_FIXED, DEBUGCTL_BTF));
	assert_true(pending_dbg_single_step(RFLAGS_TF, 1ULL << 0)); /* LBR only */
}

/* 32-bit code after a switch out of 64-bit mode: bits 63:32 of the register hold junk
 * that MOV CR0, ESI ignores (vmxdiff's pm32.cr0_upper_junk: #GP under vmxray before). */
static void test_mov_cr_operand_32bit(void **state)
{
	(void)state;
	assert_int_equal(mov_cr_operand(0xA5A5A5A500010013ull, false), 0x10013);
	assert_int_equal(mov_cr_operand(0xA5A5A5A500010013ull, true), 0xA5A5A5A500010013ull);
	assert_int_equal(mov_cr_operand(0x80000011ull, false), 0x80000011ull);
}

/* A #DB trap (hardware exception, vector 1) whose delivery hit an EPT violation, and an
 * INT 0x40 (software interrupt): re-injected as they were, bit 12 (undefined in the
 * IDT-vectoring field) cleared; nothing when the field is not valid. */
static void test_reinject_idt_vectoring(void **state)
{
	(void)state;
	assert_int_equal(idt_vectoring_reinject_info(0x80000301u | (1u << 12)), 0x80000301u);
	assert_int_equal(idt_vectoring_reinject_info(0x80000B0Eu), 0x80000B0Eu); /* #PF with error code */
	assert_int_equal(idt_vectoring_reinject_info(0x00000301u), 0);
	assert_true(intr_type_needs_insn_len(0x80000440u));
	assert_true(intr_type_needs_insn_len(0x80000603u)); /* INT3 */
	assert_false(intr_type_needs_insn_len(0x80000301u));
	assert_false(intr_type_needs_insn_len(0x80000202u)); /* NMI */
}

/* An NMI held for the guest: injected when nothing blocks it; blocking by NMI or MOV SS
 * or an event already going in waits for the NMI window; blocking by STI alone waits for
 * the interrupt window (before: the NMI window, which Bochs opens inside the STI shadow,
 * so the guest never ran another instruction). */
static void test_nmi_delivery_decide(void **state)
{
	(void)state;
	assert_int_equal(nmi_delivery_decide(0, false), NMI_INJECT_NOW);
	assert_int_equal(nmi_delivery_decide(INTERRUPTIBILITY_STI, false), NMI_WAIT_INTR_WINDOW);
	assert_int_equal(nmi_delivery_decide(INTERRUPTIBILITY_MOV_SS, false), NMI_WAIT_NMI_WINDOW);
	assert_int_equal(nmi_delivery_decide(INTERRUPTIBILITY_NMI, false), NMI_WAIT_NMI_WINDOW);
	assert_int_equal(nmi_delivery_decide(INTERRUPTIBILITY_NMI | INTERRUPTIBILITY_STI, false), NMI_WAIT_NMI_WINDOW);
	assert_int_equal(nmi_delivery_decide(INTERRUPTIBILITY_STI, true), NMI_WAIT_NMI_WINDOW);
	assert_int_equal(nmi_delivery_decide(0, true), NMI_WAIT_NMI_WINDOW);
	assert_int_equal(nmi_delivery_decide(1u << 2, false), NMI_INJECT_NOW); /* blocking by SMI: not NMIs */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_code_real_mode),
		cmocka_unit_test(test_rip_wraps_outside_64bit),
		cmocka_unit_test(test_single_step_respects_btf),
		cmocka_unit_test(test_mov_cr_operand_32bit),
		cmocka_unit_test(test_reinject_idt_vectoring),
		cmocka_unit_test(test_nmi_delivery_decide),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
