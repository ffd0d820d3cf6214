test_options_SRCS := boot/options.c vmx/decode/exit_reasons.c drivers/fmt.c drivers/log.c
