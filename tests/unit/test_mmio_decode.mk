test_mmio_decode_SRCS := vmx/mmio_decode.c
