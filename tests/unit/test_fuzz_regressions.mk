# Regressions from host fuzzing (tools/fuzz) and the seed corpus of tests/fuzz/, run
# through the code of every fuzz target.
test_fuzz_regressions_SRCS := boot/options.c boot/config.c boot/relocate.c \
	vmx/decode.c vmx/controls.c vmx/exit_reasons.c vmx/vmcs_dump.c vmx/vmcs_fields.c \
	vmx/vm_insn_errors.c vmx/checker.c vmx/checker_host.c vmx/checker_guest.c \
	vmx/checker_seg.c vmx/caps.c vmx/caps_matrix.c arch/mtrr.c ept/ept.c \
	drivers/fmt.c drivers/log.c \
	$(filter-out tools/vmxlog/main.c,$(wildcard tools/vmxlog/*.c))
