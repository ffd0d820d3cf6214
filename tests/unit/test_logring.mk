test_logring_SRCS := drivers/logring.c
