test_apic_SRCS := vmx/decode/apic.c
