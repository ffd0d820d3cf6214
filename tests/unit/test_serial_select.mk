test_serial_select_SRCS := boot/serial_select.c boot/pci.c boot/spcr.c boot/options.c drivers/fmt.c drivers/log.c
