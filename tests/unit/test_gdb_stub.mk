test_gdb_stub_SRCS := vmx/debug/gdb_stub.c vmx/debug/gdb_packet.c vmx/debug/gdb_regs.c vmx/decode/guest_walk.c \
	vmx/decode/exit_reasons.c drivers/fmt.c tests/unit/gdb_fake.c
