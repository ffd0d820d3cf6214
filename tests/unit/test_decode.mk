test_decode_SRCS := vmx/decode/decode.c vmx/vmcs/controls.c vmx/decode/exit_reasons.c drivers/fmt.c
