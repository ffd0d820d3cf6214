/* The single-step policy (vmx/policy/step.c) shared by the GDB stub and intercept=ept:
 * which instruction touches RFLAGS.TF/IF how, the flags and interruptibility a TF step
 * runs with and what the guest gets back, the guest's own #DB bits, Bochs's stale BS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmx/policy/step.h"

#define TF STEP_RFLAGS_TF
#define IF STEP_RFLAGS_IF

static enum step_insn cls(const char *b, unsigned n, bool mode64)
{
	return step_insn_classify((const uint8_t *)b, n, mode64);
}

static void test_insn_classify(void **state)
{
	(void)state;
	assert_int_equal(cls("\x9c", 1, true), STEP_INSN_PUSHF);
	assert_int_equal(cls("\x66\x9c", 2, false), STEP_INSN_PUSHF);
	assert_int_equal(cls("\x48\x9d", 2, true), STEP_INSN_LOADS_FLAGS);  /* REX.W POPFQ */
	assert_int_equal(cls("\x48\xcf", 2, true), STEP_INSN_LOADS_FLAGS);  /* IRETQ */
	assert_int_equal(cls("\x48\x9d", 2, false), STEP_INSN_OTHER);       /* DEC EAX, then POPF */
	assert_int_equal(cls("\xfa", 1, true), STEP_INSN_LOADS_IF);         /* CLI */
	assert_int_equal(cls("\xfb", 1, false), STEP_INSN_LOADS_IF);        /* STI */
	assert_int_equal(cls("\xcd\x80", 2, false), STEP_INSN_SAVES_FLAGS); /* INT 0x80 */
	assert_int_equal(cls("\x0f\x05", 2, true), STEP_INSN_SAVES_FLAGS);  /* SYSCALL */
	assert_int_equal(cls("\x0f\x34", 2, false), STEP_INSN_SAVES_FLAGS); /* SYSENTER */
	assert_int_equal(cls("\x0f\xa2", 2, true), STEP_INSN_OTHER);        /* CPUID */
	assert_int_equal(cls("\xf4", 1, true), STEP_INSN_WAITS);            /* HLT */
	assert_int_equal(cls("\x0f\x01\xc9", 3, true), STEP_INSN_WAITS);    /* MWAIT */
	assert_int_equal(cls("\x0f\x01\xc8", 3, true), STEP_INSN_OTHER);    /* MONITOR */
	assert_int_equal(cls("\xf3\xaa", 2, true), STEP_INSN_OTHER);        /* REP STOSB */
	assert_int_equal(cls("\x90\x9c", 2, true), STEP_INSN_OTHER);
	assert_int_equal(cls("\x0f", 1, true), STEP_INSN_OTHER);            /* cut off */
	assert_int_equal(cls("\x66", 1, true), STEP_INSN_OTHER);
	assert_int_equal(step_insn_classify(NULL, 0, true), STEP_INSN_OTHER);
}

static void test_rflags(void **state)
{
	(void)state;
	assert_int_equal(step_rflags_arm(0x202, STEP_INSN_OTHER), 0x102);   /* TF on, IF off */
	assert_int_equal(step_rflags_arm(0x302, STEP_INSN_PUSHF), 0x102);
	assert_int_equal(step_rflags_arm(0x202, STEP_INSN_WAITS), 0x302);   /* HLT: an interrupt must wake it */
	/* an ordinary instruction: the guest's TF and IF back, the rest as the CPU left it */
	assert_int_equal(step_rflags_done(0x1d7, 0x202, STEP_INSN_OTHER, true), 0x2d7);
	assert_int_equal(step_rflags_done(0x102, 0x302, STEP_INSN_OTHER, true), 0x302);
	/* POPF/IRET: TF loaded; IF loaded where CPL <= IOPL, else the guest's stays */
	assert_int_equal(step_rflags_done(0x002, 0x202, STEP_INSN_LOADS_FLAGS, true), 0x002);
	assert_int_equal(step_rflags_done(0x302, 0x002, STEP_INSN_LOADS_FLAGS, true), 0x302);
	assert_int_equal(step_rflags_done(0x102, 0x202, STEP_INSN_LOADS_FLAGS, false), 0x302);
	/* CLI/STI: IF set by it, TF the guest's */
	assert_int_equal(step_rflags_done(0x302, 0x002, STEP_INSN_LOADS_IF, true), 0x202);
	assert_int_equal(step_rflags_done(0x102, 0x202, STEP_INSN_LOADS_IF, true), 0x002);
	assert_int_equal(step_rflags_done(0x102, 0x202, STEP_INSN_LOADS_IF, false), 0x202);
	/* a PUSHF image: byte 1 holds TF (bit 0) and IF (bit 1) */
	assert_int_equal(step_pushf_image_byte1(0x01, 0x202), 0x02);
	assert_int_equal(step_pushf_image_byte1(0x81, 0x002), 0x80);
	assert_int_equal(step_pushf_image_byte1(0x01, 0x302), 0x03);
}

static void test_intr(void **state)
{
	(void)state;
	bool added = false;
	assert_int_equal(step_intr_arm(0, &added), STEP_INTR_NMI);
	assert_true(added);
	assert_int_equal(step_intr_arm(STEP_INTR_STI, &added), STEP_INTR_NMI); /* no STI blocking with TF */
	assert_int_equal(step_intr_arm(STEP_INTR_MOV_SS | STEP_INTR_NMI, &added), STEP_INTR_NMI);
	assert_false(added); /* the guest's own NMI blocking stays after the step */
	assert_true(step_mtf_blocks_irq(0x202, 0, 0));
	assert_false(step_mtf_blocks_irq(0x002, 0, 0));                /* IF clear: nothing to block */
	assert_false(step_mtf_blocks_irq(0x302, 0, 0));                /* guest TF: BS would be needed */
	assert_false(step_mtf_blocks_irq(0x202, STEP_INTR_MOV_SS, 0)); /* both blockings: invalid */
	assert_false(step_mtf_blocks_irq(0x202, STEP_INTR_STI, 0));    /* already blocked */
	assert_false(step_mtf_blocks_irq(0x202, 0, 1));                /* HLT: must be active */
}

static void test_db(void **state)
{
	(void)state;
	assert_int_equal(step_db_guest_bits(STEP_DR6_BS, false), 0);               /* the step's */
	assert_int_equal(step_db_guest_bits(STEP_DR6_BS, true), STEP_DR6_BS);      /* the guest's TF */
	assert_int_equal(step_db_guest_bits(STEP_DR6_BS | 0x2, false), 0x2);       /* its DR1 hit */
	assert_int_equal(step_db_guest_bits(STEP_DR6_BD, false), STEP_DR6_BD);
	assert_int_equal(step_fault_pending_db(STEP_DR6_BS, 0), 0);                         /* Bochs's stale BS */
	assert_int_equal(step_fault_pending_db(STEP_DR6_BS, STEP_INTR_MOV_SS), STEP_DR6_BS); /* held by MOV SS */
	assert_int_equal(step_fault_pending_db(STEP_DR6_BS, STEP_INTR_STI), STEP_DR6_BS);    /* entry needs it */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insn_classify),
		cmocka_unit_test(test_rflags),
		cmocka_unit_test(test_intr),
		cmocka_unit_test(test_db),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
