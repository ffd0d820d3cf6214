test_apic_SRCS := vmx/apic.c
