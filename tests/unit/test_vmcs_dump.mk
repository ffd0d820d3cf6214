test_vmcs_dump_SRCS := vmx/study/vmcs_dump.c vmx/vmcs/vmcs_fields.c vmx/decode/decode.c vmx/vmcs/controls.c \
	vmx/decode/exit_reasons.c vmx/vmcs/vm_insn_errors.c drivers/fmt.c drivers/log.c
