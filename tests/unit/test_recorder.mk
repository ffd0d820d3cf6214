test_recorder_SRCS := vmx/study/recorder.c vmx/decode/exit_reasons.c drivers/fmt.c
