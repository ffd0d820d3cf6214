test_uart16550_SRCS := drivers/uart16550.c
