test_relocate_SRCS := boot/relocate.c
