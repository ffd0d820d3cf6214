# tools/vmxlog on TRACE records (traces in memory): parsing, accounting, cost, tops, System.map, --format.
test_vmxlog_trace_SRCS := $(filter-out tools/vmxlog/main.c,$(wildcard tools/vmxlog/*.c)) vmx/study/trace_record.c drivers/fmt.c
