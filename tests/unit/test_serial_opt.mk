test_serial_opt_SRCS := boot/options.c drivers/fmt.c drivers/log.c
