test_caps_SRCS := vmx/caps/caps.c vmx/study/caps_matrix.c vmx/vmcs/controls.c drivers/fmt.c
