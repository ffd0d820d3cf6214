test_serial_select_SRCS := boot/serial_select.c boot/pci.c boot/spcr.c boot/options.c vmx/policy/intercept.c vmx/caps/caps.c vmx/vmcs/controls.c vmx/decode/exit_reasons.c drivers/fmt.c drivers/log.c
