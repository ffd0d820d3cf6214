test_init_state_SRCS := vmx/policy/init_state.c
