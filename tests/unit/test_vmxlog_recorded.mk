# tools/vmxlog on serial logs recorded from real Bochs runs (tests/fixtures/bochs_*.log).
test_vmxlog_recorded_SRCS := $(filter-out tools/vmxlog/main.c,$(wildcard tools/vmxlog/*.c)) vmx/study/trace_record.c drivers/fmt.c
