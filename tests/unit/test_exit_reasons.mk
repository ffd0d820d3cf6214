test_exit_reasons_SRCS := vmx/decode/exit_reasons.c vmx/vmcs/vm_insn_errors.c
