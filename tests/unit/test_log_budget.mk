test_log_budget_SRCS := drivers/log.c drivers/fmt.c
