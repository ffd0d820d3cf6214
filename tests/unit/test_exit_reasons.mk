test_exit_reasons_SRCS := vmx/exit_reasons.c vmx/vm_insn_errors.c
