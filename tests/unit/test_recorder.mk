test_recorder_SRCS := vmx/recorder.c vmx/exit_reasons.c drivers/fmt.c
