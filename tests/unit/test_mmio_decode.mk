test_mmio_decode_SRCS := vmx/decode/mmio_decode.c
