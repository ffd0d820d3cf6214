test_options_SRCS := boot/options.c vmx/policy/trace_filter.c vmx/study/trace_record.c vmx/policy/intercept.c vmx/caps/caps.c vmx/vmcs/controls.c vmx/decode/exit_reasons.c drivers/fmt.c drivers/log.c
