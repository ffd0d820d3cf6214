test_policy_SRCS := vmx/policy/policy.c vmx/policy/setup.c vmx/policy/hypercall_check.c arch/memory.c vmx/caps/caps.c vmx/vmcs/controls.c drivers/fmt.c
