test_task_switch_SRCS := vmx/policy/task_switch.c
