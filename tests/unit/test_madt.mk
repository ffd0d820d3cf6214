test_madt_SRCS := boot/madt.c
