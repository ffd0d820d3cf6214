test_policy_SRCS := vmx/policy.c vmx/setup.c vmx/hypercall_check.c arch/memory.c vmx/caps.c vmx/controls.c drivers/fmt.c
