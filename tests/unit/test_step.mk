test_step_SRCS := vmx/policy/step.c
