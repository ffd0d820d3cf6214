test_checker_SRCS := vmx/checker.c vmx/checker_host.c vmx/checker_guest.c vmx/checker_seg.c vmx/caps.c vmx/controls.c vmx/decode.c vmx/exit_reasons.c vmx/vmcs_fields.c drivers/fmt.c
