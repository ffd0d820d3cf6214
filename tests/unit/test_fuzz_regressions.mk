# Regressions from host fuzzing (tools/fuzz) and the seed corpus of tests/fuzz/, run
# through the code of every fuzz target.
test_fuzz_regressions_SRCS := boot/options.c vmx/policy/trace_filter.c vmx/study/trace_record.c vmx/policy/intercept.c boot/config.c boot/madt.c boot/relocate.c \
	vmx/decode/decode.c vmx/vmcs/controls.c vmx/decode/exit_reasons.c vmx/study/vmcs_dump.c vmx/vmcs/vmcs_fields.c \
	vmx/vmcs/vm_insn_errors.c vmx/checker/checker.c vmx/checker/checker_common.c vmx/checker/checker_controls.c vmx/checker/checker_host.c vmx/checker/checker_guest.c \
	vmx/checker/checker_seg.c vmx/caps/caps.c vmx/study/caps_matrix.c arch/mtrr.c ept/ept.c \
	drivers/fmt.c drivers/log.c \
	$(filter-out tools/vmxlog/main.c,$(wildcard tools/vmxlog/*.c))
