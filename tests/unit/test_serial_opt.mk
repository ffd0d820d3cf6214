test_serial_opt_SRCS := boot/options.c vmx/decode/exit_reasons.c drivers/fmt.c drivers/log.c
