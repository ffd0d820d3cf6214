test_emulate_rules_SRCS := vmx/policy/emulate_rules.c
