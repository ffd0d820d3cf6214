test_nmi_source_SRCS := vmx/policy/nmi_source.c
