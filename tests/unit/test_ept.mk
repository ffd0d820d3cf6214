test_ept_SRCS := ept/ept.c arch/mtrr.c
