test_desc_rules_SRCS := vmx/policy/desc_rules.c vmx/policy/intercept_rules.c vmx/policy/task_switch.c
