# arch/memcpy.c is included by the test itself (under other names)
test_memcpy_SRCS :=
