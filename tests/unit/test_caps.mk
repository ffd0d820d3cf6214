test_caps_SRCS := vmx/caps/caps.c vmx/study/caps_matrix.c vmx/caps/controls.c drivers/fmt.c
