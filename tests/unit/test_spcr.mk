test_spcr_SRCS := boot/spcr.c
