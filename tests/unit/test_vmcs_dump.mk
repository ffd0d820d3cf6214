test_vmcs_dump_SRCS := vmx/vmcs_dump.c vmx/vmcs_fields.c vmx/decode.c vmx/controls.c \
	vmx/exit_reasons.c vmx/vm_insn_errors.c drivers/fmt.c drivers/log.c
