test_vmcs_fields_SRCS := vmx/vmcs_fields.c
