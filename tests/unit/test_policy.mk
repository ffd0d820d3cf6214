test_policy_SRCS := vmx/policy/policy.c vmx/launch/setup.c vmx/policy/hypercall_check.c arch/memory.c vmx/caps/caps.c vmx/caps/controls.c drivers/fmt.c
