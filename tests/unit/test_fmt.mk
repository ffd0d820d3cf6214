test_fmt_SRCS := drivers/fmt.c drivers/log.c
