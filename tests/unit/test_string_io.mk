test_string_io_SRCS := vmx/decode/string_io.c
