test_serial_opt_SRCS := boot/options.c vmx/policy/trace_filter.c vmx/study/trace_record.c vmx/decode/exit_reasons.c drivers/fmt.c drivers/log.c
