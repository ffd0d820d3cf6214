/* Unit tests: vmx/decode/exit_reasons.c (basic exit reasons from vmx/decode/exit_reasons.def) and
 * vmx/vmcs/vm_insn_errors.c (VM-instruction error numbers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "vmx/decode/exit_reasons.h"
#include "vmx/vmcs/vm_insn_errors.h"

struct known_reason {
	uint32_t constant;
	uint32_t sdm; /* number in SDM Vol. 3C Appendix C */
	const char *name;
	const char *short_name;
};

static void test_known_reasons(void **state)
{
	(void)state;
	static const struct known_reason k[] = {
		{ EXIT_REASON_EXCEPTION_NMI, 0, "EXCEPTION_NMI", "exception_nmi" },
		{ EXIT_REASON_EXTERNAL_INTERRUPT, 1, "EXTERNAL_INTERRUPT", "external_interrupt" },
		{ EXIT_REASON_TRIPLE_FAULT, 2, "TRIPLE_FAULT", "triple_fault" },
		{ EXIT_REASON_INIT_SIGNAL, 3, "INIT_SIGNAL", "init_signal" },
		{ EXIT_REASON_SIPI, 4, "SIPI", "sipi" },
		{ EXIT_REASON_INTERRUPT_WINDOW, 7, "INTERRUPT_WINDOW", "interrupt_window" },
		{ EXIT_REASON_TASK_SWITCH, 9, "TASK_SWITCH", "task_switch" },
		{ EXIT_REASON_CPUID, 10, "CPUID", "cpuid" },
		{ EXIT_REASON_HLT, 12, "HLT", "hlt" },
		{ EXIT_REASON_INVLPG, 14, "INVLPG", "invlpg" },
		{ EXIT_REASON_RDTSC, 16, "RDTSC", "rdtsc" },
		{ EXIT_REASON_VMCALL, 18, "VMCALL", "vmcall" },
		{ EXIT_REASON_VMXON, 27, "VMXON", "vmxon" },
		{ EXIT_REASON_CR_ACCESS, 28, "CR_ACCESS", "cr_access" },
		{ EXIT_REASON_DR_ACCESS, 29, "DR_ACCESS", "dr_access" },
		{ EXIT_REASON_IO_INSTRUCTION, 30, "IO_INSTRUCTION", "io_instruction" },
		{ EXIT_REASON_MSR_READ, 31, "MSR_READ", "msr_read" },
		{ EXIT_REASON_MSR_WRITE, 32, "MSR_WRITE", "msr_write" },
		{ EXIT_REASON_INVALID_GUEST_STATE, 33, "INVALID_GUEST_STATE", "invalid_guest_state" },
		{ EXIT_REASON_MSR_LOAD_FAIL, 34, "MSR_LOAD_FAIL", "msr_load_fail" },
		{ EXIT_REASON_MWAIT_INSTRUCTION, 36, "MWAIT_INSTRUCTION", "mwait_instruction" },
		{ EXIT_REASON_MONITOR_TRAP_FLAG, 37, "MONITOR_TRAP_FLAG", "monitor_trap_flag" },
		{ EXIT_REASON_MONITOR_INSTRUCTION, 39, "MONITOR_INSTRUCTION", "monitor_instruction" },
		{ EXIT_REASON_PAUSE_INSTRUCTION, 40, "PAUSE_INSTRUCTION", "pause_instruction" },
		{ EXIT_REASON_MCE_DURING_VMENTRY, 41, "MCE_DURING_VMENTRY", "mce_during_vmentry" },
		{ EXIT_REASON_TPR_BELOW_THRESHOLD, 43, "TPR_BELOW_THRESHOLD", "tpr_below_threshold" },
		{ EXIT_REASON_APIC_ACCESS, 44, "APIC_ACCESS", "apic_access" },
		{ EXIT_REASON_EOI_INDUCED, 45, "EOI_INDUCED", "eoi_induced" },
		{ EXIT_REASON_GDTR_IDTR, 46, "GDTR_IDTR", "gdtr_idtr" },
		{ EXIT_REASON_LDTR_TR, 47, "LDTR_TR", "ldtr_tr" },
		{ EXIT_REASON_EPT_VIOLATION, 48, "EPT_VIOLATION", "ept_violation" },
		{ EXIT_REASON_EPT_MISCONFIG, 49, "EPT_MISCONFIG", "ept_misconfig" },
		{ EXIT_REASON_PREEMPTION_TIMER, 52, "PREEMPTION_TIMER", "preemption_timer" },
		{ EXIT_REASON_WBINVD, 54, "WBINVD", "wbinvd" },
		{ EXIT_REASON_XSETBV, 55, "XSETBV", "xsetbv" },
		{ EXIT_REASON_APIC_WRITE, 56, "APIC_WRITE", "apic_write" },
		{ EXIT_REASON_VMFUNC, 59, "VMFUNC", "vmfunc" },
		{ EXIT_REASON_PML_FULL, 62, "PML_FULL", "pml_full" },
		{ EXIT_REASON_XRSTORS, 64, "XRSTORS", "xrstors" },
		{ EXIT_REASON_PCONFIG, 65, "PCONFIG", "pconfig" },
		{ EXIT_REASON_ENCLV, 70, "ENCLV", "enclv" },
		{ EXIT_REASON_ENQCMD_PASID_FAIL, 72, "ENQCMD_PASID_FAIL", "enqcmd_pasid_fail" },
		{ EXIT_REASON_BUS_LOCK, 74, "BUS_LOCK", "bus_lock" },
		{ EXIT_REASON_NOTIFY, 75, "NOTIFY", "notify" },
		{ EXIT_REASON_TDCALL, 77, "TDCALL", "tdcall" },
	};
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		assert_int_equal(k[i].constant, k[i].sdm);
		assert_true(exit_reason_defined(k[i].sdm));
		assert_string_equal(exit_reason_name(k[i].sdm), k[i].name);
		assert_string_equal(exit_reason_short(k[i].sdm), k[i].short_name);
	}
	assert_int_equal(EXIT_REASON_MAX, 78);
}

static void test_gaps_and_out_of_range(void **state)
{
	(void)state;
	static const uint32_t gaps[] = { 35, 38, 42, 71, 78, 79, 0xffff, 0x10000, 0x8000000a,
					 UINT32_MAX };
	for (size_t i = 0; i < sizeof(gaps) / sizeof(gaps[0]); i++) {
		assert_false(exit_reason_defined(gaps[i]));
		assert_string_equal(exit_reason_name(gaps[i]), "UNKNOWN");
		assert_string_equal(exit_reason_short(gaps[i]), "unknown");
	}
	unsigned defined = 0;
	for (uint32_t r = 0; r < EXIT_REASON_MAX; r++)
		defined += exit_reason_defined(r);
	assert_int_equal(defined, 74); /* 0..77 less the 4 gaps */
}

/* The FACTS column (SDM Vol. 3C, 28.2 "Other VM-Exit Information"): instruction-caused
 * exits are the ones whose VM_EXIT_INSTRUCTION_LEN exit_unexpected may trust. */
static void test_facts(void **state)
{
	(void)state;
	static const uint32_t insn[] = { EXIT_REASON_CPUID, EXIT_REASON_HLT, EXIT_REASON_RDPMC,
					 EXIT_REASON_VMCALL, EXIT_REASON_IO_INSTRUCTION,
					 EXIT_REASON_MSR_WRITE, EXIT_REASON_XSETBV };
	static const uint32_t not_insn[] = { EXIT_REASON_EXCEPTION_NMI, EXIT_REASON_EXTERNAL_INTERRUPT,
					     EXIT_REASON_TRIPLE_FAULT, EXIT_REASON_INIT_SIGNAL,
					     EXIT_REASON_INVALID_GUEST_STATE, EXIT_REASON_EPT_VIOLATION,
					     EXIT_REASON_EPT_MISCONFIG, EXIT_REASON_PREEMPTION_TIMER,
					     EXIT_REASON_APIC_ACCESS, 35, 0xffff };
	for (size_t i = 0; i < sizeof(insn) / sizeof(insn[0]); i++)
		assert_true(exit_reason_is_instruction(insn[i]));
	for (size_t i = 0; i < sizeof(not_insn) / sizeof(not_insn[0]); i++)
		assert_false(exit_reason_is_instruction(not_insn[i]));
	assert_int_equal(exit_reason_facts(EXIT_REASON_EPT_VIOLATION), EXIT_QUAL | EXIT_GPA);
	assert_int_equal(exit_reason_facts(EXIT_REASON_EPT_MISCONFIG), EXIT_GPA);
	assert_int_equal(exit_reason_facts(EXIT_REASON_CR_ACCESS), EXIT_INSN | EXIT_QUAL);
	assert_int_equal(exit_reason_facts(EXIT_REASON_VMREAD), EXIT_INSN | EXIT_QUAL | EXIT_INFO);
	assert_int_equal(exit_reason_facts(42), EXIT_NONE);
}

/* The short name is the lower-case NAME, so an option can be guessed from a log line. */
static void test_short_is_lower_case_name(void **state)
{
	(void)state;
	for (uint32_t r = 0; r < EXIT_REASON_MAX; r++) {
		if (!exit_reason_defined(r))
			continue;
		const char *name = exit_reason_name(r), *s = exit_reason_short(r);

		assert_int_equal(strlen(name), strlen(s));
		for (size_t i = 0; name[i]; i++) {
			char lower = name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i];

			assert_int_equal(s[i], lower);
		}
	}
}

static void test_from_short(void **state)
{
	(void)state;
	uint32_t r = 999;

	assert_true(exit_reason_from_short("cpuid", 5, &r));
	assert_int_equal(r, 10);
	assert_true(exit_reason_from_short("MSR_WRITE", 9, &r));
	assert_int_equal(r, 32);
	assert_true(exit_reason_from_short("ept_violation,cpuid", 13, &r));
	assert_int_equal(r, 48);
	assert_true(exit_reason_from_short("exception_nmi", 13, &r));
	assert_int_equal(r, 0);
	r = 999;
	assert_false(exit_reason_from_short("cpui", 4, &r));
	assert_false(exit_reason_from_short("cpuidx", 6, &r));
	assert_false(exit_reason_from_short("", 0, &r));
	assert_false(exit_reason_from_short("unknown", 7, &r));
	assert_int_equal(r, 999);
	/* Every short name finds its own reason. */
	for (uint32_t i = 0; i < EXIT_REASON_MAX; i++) {
		if (!exit_reason_defined(i))
			continue;
		const char *s = exit_reason_short(i);
		assert_true(exit_reason_from_short(s, strlen(s), &r));
		assert_int_equal(r, i);
	}
}

static void test_vm_insn_errors(void **state)
{
	(void)state;
	assert_int_equal(VMXERR_ENTRY_INVALID_CONTROL_FIELD, 7);
	assert_int_equal(VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID, 28);
	assert_int_equal(VMXERR_MAX, 29);
	assert_string_equal(vm_insn_error_name(1), "VMCALL executed in VMX root operation");
	assert_string_equal(vm_insn_error_name(4), "VMLAUNCH with non-clear VMCS");
	assert_string_equal(vm_insn_error_name(5), "VMRESUME with non-launched VMCS");
	assert_string_equal(vm_insn_error_name(7), "VM entry with invalid control field(s)");
	assert_string_equal(vm_insn_error_name(8), "VM entry with invalid host-state field(s)");
	assert_string_equal(vm_insn_error_name(11),
			    "VMPTRLD with incorrect VMCS revision identifier");
	assert_string_equal(vm_insn_error_name(12),
			    "VMREAD/VMWRITE from/to unsupported VMCS component");
	assert_string_equal(vm_insn_error_name(13), "VMWRITE to read-only VMCS component");
	assert_string_equal(vm_insn_error_name(26), "VM entry with events blocked by MOV SS");
	assert_string_equal(vm_insn_error_name(28), "Invalid operand to INVEPT/INVVPID");
	static const uint32_t unknown[] = { 0, 14, 21, 27, 29, 1000, UINT32_MAX };
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		assert_string_equal(vm_insn_error_name(unknown[i]), "unknown VM-instruction error");
	unsigned named = 0;
	for (uint32_t e = 1; e <= 28; e++)
		named += strcmp(vm_insn_error_name(e), "unknown VM-instruction error") != 0;
	assert_int_equal(named, 25);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_reasons),
		cmocka_unit_test(test_gaps_and_out_of_range),
		cmocka_unit_test(test_facts),
		cmocka_unit_test(test_short_is_lower_case_name),
		cmocka_unit_test(test_from_short),
		cmocka_unit_test(test_vm_insn_errors),
	};
	return cmocka_run_group_tests_name("exit_reasons", tests, NULL, NULL);
}
