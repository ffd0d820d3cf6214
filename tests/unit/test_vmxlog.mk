# tools/vmxlog: every file but main.c (the program's entry point).
test_vmxlog_SRCS := $(filter-out tools/vmxlog/main.c,$(wildcard tools/vmxlog/*.c)) vmx/study/trace_record.c drivers/fmt.c
