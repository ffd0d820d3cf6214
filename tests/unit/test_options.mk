test_options_SRCS := boot/options.c vmx/exit_reasons.c drivers/fmt.c drivers/log.c
