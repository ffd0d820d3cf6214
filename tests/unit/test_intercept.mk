test_intercept_SRCS := vmx/policy/intercept.c vmx/policy/intercept_rules.c vmx/caps/caps.c vmx/vmcs/controls.c drivers/fmt.c
