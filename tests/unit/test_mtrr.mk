test_mtrr_SRCS := arch/mtrr.c
