test_guest_walk_SRCS := vmx/decode/guest_walk.c
