test_ipi_fanout_SRCS := vmx/policy/ipi_fanout.c vmx/decode/apic.c
