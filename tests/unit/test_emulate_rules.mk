test_emulate_rules_SRCS := vmx/emulate_rules.c
