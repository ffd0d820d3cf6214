test_string_io_SRCS := vmx/string_io.c
