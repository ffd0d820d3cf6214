test_vmcs_fields_SRCS := vmx/vmcs/vmcs_fields.c
