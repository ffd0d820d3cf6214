test_options_SRCS := boot/options.c drivers/fmt.c drivers/log.c
