test_caps_SRCS := vmx/caps.c vmx/caps_matrix.c vmx/controls.c drivers/fmt.c
