test_ulog_SRCS := drivers/ulog.c drivers/uart16550.c
