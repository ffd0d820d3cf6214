test_gdb_packet_SRCS := vmx/debug/gdb_packet.c vmx/debug/gdb_regs.c
