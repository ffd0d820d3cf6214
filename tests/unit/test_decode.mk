test_decode_SRCS := vmx/decode/decode.c vmx/caps/controls.c vmx/decode/exit_reasons.c drivers/fmt.c
