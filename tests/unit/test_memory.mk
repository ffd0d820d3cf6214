test_memory_SRCS := arch/memory.c arch/paging.c arch/desc.c
