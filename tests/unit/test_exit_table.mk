test_exit_table_SRCS :=
