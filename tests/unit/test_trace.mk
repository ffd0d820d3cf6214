test_trace_SRCS := vmx/study/trace_record.c vmx/study/tracering.c vmx/policy/trace_filter.c drivers/fmt.c
