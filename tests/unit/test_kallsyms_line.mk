test_kallsyms_line_SRCS := tools/symexport/kallsyms_line.c
