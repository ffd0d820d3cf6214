test_decode_SRCS := vmx/decode.c vmx/controls.c vmx/exit_reasons.c drivers/fmt.c
