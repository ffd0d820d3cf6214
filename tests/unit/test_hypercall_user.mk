test_hypercall_user_SRCS := vmx/policy/hypercall_user.c vmx/policy/hypercall_check.c vmx/decode/guest_walk.c arch/memory.c
