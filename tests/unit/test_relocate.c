/* Unit tests: boot/relocate.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "boot/relocate.h"

static uint8_t image[4096];

static void put_rela(unsigned at, uint64_t offset, uint32_t type, int64_t addend)
{
	struct elf64_rela r = { offset, type, addend };
	memcpy(image + at, &r, sizeof(r));
}

static void test_relative_entries_get_new_base(void **state)
{
	(void)state;
	memset(image, 0, sizeof(image));
	put_rela(0x800, 0x100, R_X86_64_RELATIVE, 0x40);
	put_rela(0x818, 0x108, R_X86_64_NONE, 0);
	put_rela(0x830, 0x110, R_X86_64_RELATIVE, 0xFF0);
	memset(image + 0x100, 0xEE, 8); /* the loader's old value is overwritten */
	struct elf64_dyn dyn[] = { { DT_RELA, 0x800 }, { DT_RELASZ, 3 * 24 }, { DT_RELAENT, 24 }, { DT_NULL, 0 } };
	assert_int_equal(reloc_apply(image, sizeof(image), dyn), 2);
	uint64_t v;
	memcpy(&v, image + 0x100, 8);
	assert_int_equal(v, (uint64_t)(uintptr_t)image + 0x40);
	memcpy(&v, image + 0x110, 8);
	assert_int_equal(v, (uint64_t)(uintptr_t)image + 0xFF0);
	memcpy(&v, image + 0x108, 8);
	assert_int_equal(v, 0);
}

static void test_bad_entries_are_refused(void **state)
{
	(void)state;
	memset(image, 0, sizeof(image));
	put_rela(0x800, 0xFFC, R_X86_64_RELATIVE, 0); /* runs past the image */
	struct elf64_dyn dyn[] = { { DT_RELA, 0x800 }, { DT_RELASZ, 24 }, { DT_NULL, 0 } };
	assert_int_equal(reloc_apply(image, sizeof(image), dyn), -1);
	put_rela(0x800, 0x10, 1 /* R_X86_64_64 */, 0);
	assert_int_equal(reloc_apply(image, sizeof(image), dyn), -1);
	struct elf64_dyn past[] = { { DT_RELA, 0xFF0 }, { DT_RELASZ, 48 }, { DT_NULL, 0 } };
	assert_int_equal(reloc_apply(image, sizeof(image), past), -1);
	struct elf64_dyn none[] = { { DT_NULL, 0 } };
	assert_int_equal(reloc_apply(image, sizeof(image), none), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relative_entries_get_new_base),
		cmocka_unit_test(test_bad_entries_are_refused),
	};
	return cmocka_run_group_tests_name("relocate", tests, NULL, NULL);
}
