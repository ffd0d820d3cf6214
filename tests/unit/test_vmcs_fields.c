/* Unit tests: vmx/vmcs/vmcs_fields.c (the VMCS field table from vmx/vmcs/vmcs_fields.def, lookups,
 * snapshot helpers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "vmx/vmcs/vmcs_fields.h"

/* Every line of the .def: a deleted or duplicated line changes this. */
static void test_field_count(void **state)
{
	(void)state;
	assert_int_equal(VMCS_FIELD_COUNT, 181);
}

static void test_encodings_and_names_unique(void **state)
{
	(void)state;
	for (size_t i = 0; i < VMCS_FIELD_COUNT; i++) {
		for (size_t j = i + 1; j < VMCS_FIELD_COUNT; j++) {
			if (vmcs_field_table[i].encoding == vmcs_field_table[j].encoding)
				fail_msg("%s and %s share 0x%x", vmcs_field_table[i].name,
					 vmcs_field_table[j].name, vmcs_field_table[i].encoding);
			if (strcmp(vmcs_field_table[i].name, vmcs_field_table[j].name) == 0)
				fail_msg("%s listed twice", vmcs_field_table[i].name);
		}
	}
}

/* SDM Vol. 3C, 25.11.2: width in bits 14:13, type in 11:10, full access (bit 0 = 0). */
static void test_width_and_group_match_encoding(void **state)
{
	(void)state;
	for (size_t i = 0; i < VMCS_FIELD_COUNT; i++) {
		const struct vmcs_field_info *f = &vmcs_field_table[i];

		if (vmcs_encoding_width(f->encoding) != f->width)
			fail_msg("%s: width %d, encoding says %d", f->name, f->width,
				 vmcs_encoding_width(f->encoding));
		if (vmcs_encoding_group(f->encoding) != f->group)
			fail_msg("%s: group %d, encoding says %d", f->name, f->group,
				 vmcs_encoding_group(f->encoding));
		if (vmcs_encoding_is_high(f->encoding) || (f->encoding & ~0x6ffeu))
			fail_msg("%s: bad encoding 0x%x", f->name, f->encoding);
	}
}

static void test_encoding_helpers(void **state)
{
	(void)state;
	assert_int_equal(vmcs_encoding_width(0x0800), VMCS_W16);
	assert_int_equal(vmcs_encoding_width(0x2801), VMCS_W64);
	assert_int_equal(vmcs_encoding_width(0x4402), VMCS_W32);
	assert_int_equal(vmcs_encoding_width(0x681e), VMCS_NW);
	assert_int_equal(vmcs_encoding_group(0x4402), VMCS_GROUP_READONLY);
	assert_int_equal(vmcs_encoding_group(0x6c16), VMCS_GROUP_HOST);
	assert_true(vmcs_encoding_is_high(0x2801));
	assert_false(vmcs_encoding_is_high(0x2800));
	assert_int_equal(vmcs_width_mask(VMCS_W16), 0xffff);
	assert_int_equal(vmcs_width_mask(VMCS_W32), 0xffffffffULL);
	assert_int_equal(vmcs_width_mask(VMCS_W64), UINT64_MAX);
	assert_int_equal(vmcs_width_mask(VMCS_NW), UINT64_MAX);
}

struct known {
	uint32_t enc;
	uint32_t sdm; /* as printed in SDM Vol. 3C Appendix B */
	enum vmcs_width width;
	enum vmcs_group group;
};

static void test_known_encodings(void **state)
{
	(void)state;
	static const struct known k[] = {
		{ VIRTUAL_PROCESSOR_ID, 0x0000, VMCS_W16, VMCS_GROUP_CONTROL },
		{ POSTED_INTR_NV, 0x0002, VMCS_W16, VMCS_GROUP_CONTROL },
		{ GUEST_ES_SELECTOR, 0x0800, VMCS_W16, VMCS_GROUP_GUEST },
		{ GUEST_TR_SELECTOR, 0x080e, VMCS_W16, VMCS_GROUP_GUEST },
		{ GUEST_PML_INDEX, 0x0812, VMCS_W16, VMCS_GROUP_GUEST },
		{ HOST_CS_SELECTOR, 0x0c02, VMCS_W16, VMCS_GROUP_HOST },
		{ HOST_TR_SELECTOR, 0x0c0c, VMCS_W16, VMCS_GROUP_HOST },
		{ IO_BITMAP_A, 0x2000, VMCS_W64, VMCS_GROUP_CONTROL },
		{ IO_BITMAP_B, 0x2002, VMCS_W64, VMCS_GROUP_CONTROL },
		{ MSR_BITMAP, 0x2004, VMCS_W64, VMCS_GROUP_CONTROL },
		{ TSC_OFFSET, 0x2010, VMCS_W64, VMCS_GROUP_CONTROL },
		{ EPT_POINTER, 0x201a, VMCS_W64, VMCS_GROUP_CONTROL },
		{ TERTIARY_VM_EXEC_CONTROL, 0x2034, VMCS_W64, VMCS_GROUP_CONTROL },
		{ GUEST_PHYSICAL_ADDRESS, 0x2400, VMCS_W64, VMCS_GROUP_READONLY },
		{ VMCS_LINK_POINTER, 0x2800, VMCS_W64, VMCS_GROUP_GUEST },
		{ GUEST_IA32_DEBUGCTL, 0x2802, VMCS_W64, VMCS_GROUP_GUEST },
		{ GUEST_IA32_PAT, 0x2804, VMCS_W64, VMCS_GROUP_GUEST },
		{ GUEST_IA32_EFER, 0x2806, VMCS_W64, VMCS_GROUP_GUEST },
		{ GUEST_IA32_PERF_GLOBAL_CTRL, 0x2808, VMCS_W64, VMCS_GROUP_GUEST },
		{ GUEST_PDPTR0, 0x280a, VMCS_W64, VMCS_GROUP_GUEST },
		{ GUEST_PDPTR3, 0x2810, VMCS_W64, VMCS_GROUP_GUEST },
		{ HOST_IA32_PAT, 0x2c00, VMCS_W64, VMCS_GROUP_HOST },
		{ HOST_IA32_EFER, 0x2c02, VMCS_W64, VMCS_GROUP_HOST },
		{ PIN_BASED_VM_EXEC_CONTROL, 0x4000, VMCS_W32, VMCS_GROUP_CONTROL },
		{ CPU_BASED_VM_EXEC_CONTROL, 0x4002, VMCS_W32, VMCS_GROUP_CONTROL },
		{ EXCEPTION_BITMAP, 0x4004, VMCS_W32, VMCS_GROUP_CONTROL },
		{ CR3_TARGET_COUNT, 0x400a, VMCS_W32, VMCS_GROUP_CONTROL },
		{ VM_EXIT_CONTROLS, 0x400c, VMCS_W32, VMCS_GROUP_CONTROL },
		{ VM_ENTRY_CONTROLS, 0x4012, VMCS_W32, VMCS_GROUP_CONTROL },
		{ VM_ENTRY_INTR_INFO_FIELD, 0x4016, VMCS_W32, VMCS_GROUP_CONTROL },
		{ TPR_THRESHOLD, 0x401c, VMCS_W32, VMCS_GROUP_CONTROL },
		{ SECONDARY_VM_EXEC_CONTROL, 0x401e, VMCS_W32, VMCS_GROUP_CONTROL },
		{ VM_INSTRUCTION_ERROR, 0x4400, VMCS_W32, VMCS_GROUP_READONLY },
		{ VM_EXIT_REASON, 0x4402, VMCS_W32, VMCS_GROUP_READONLY },
		{ VM_EXIT_INTR_INFO, 0x4404, VMCS_W32, VMCS_GROUP_READONLY },
		{ IDT_VECTORING_INFO_FIELD, 0x4408, VMCS_W32, VMCS_GROUP_READONLY },
		{ VM_EXIT_INSTRUCTION_LEN, 0x440c, VMCS_W32, VMCS_GROUP_READONLY },
		{ VMX_INSTRUCTION_INFO, 0x440e, VMCS_W32, VMCS_GROUP_READONLY },
		{ GUEST_ES_LIMIT, 0x4800, VMCS_W32, VMCS_GROUP_GUEST },
		{ GUEST_IDTR_LIMIT, 0x4812, VMCS_W32, VMCS_GROUP_GUEST },
		{ GUEST_CS_AR_BYTES, 0x4816, VMCS_W32, VMCS_GROUP_GUEST },
		{ GUEST_TR_AR_BYTES, 0x4822, VMCS_W32, VMCS_GROUP_GUEST },
		{ GUEST_INTERRUPTIBILITY_INFO, 0x4824, VMCS_W32, VMCS_GROUP_GUEST },
		{ GUEST_ACTIVITY_STATE, 0x4826, VMCS_W32, VMCS_GROUP_GUEST },
		{ GUEST_SYSENTER_CS, 0x482a, VMCS_W32, VMCS_GROUP_GUEST },
		{ VMX_PREEMPTION_TIMER_VALUE, 0x482e, VMCS_W32, VMCS_GROUP_GUEST },
		{ HOST_IA32_SYSENTER_CS, 0x4c00, VMCS_W32, VMCS_GROUP_HOST },
		{ CR0_GUEST_HOST_MASK, 0x6000, VMCS_NW, VMCS_GROUP_CONTROL },
		{ CR4_READ_SHADOW, 0x6006, VMCS_NW, VMCS_GROUP_CONTROL },
		{ CR3_TARGET_VALUE3, 0x600e, VMCS_NW, VMCS_GROUP_CONTROL },
		{ EXIT_QUALIFICATION, 0x6400, VMCS_NW, VMCS_GROUP_READONLY },
		{ GUEST_LINEAR_ADDRESS, 0x640a, VMCS_NW, VMCS_GROUP_READONLY },
		{ GUEST_CR0, 0x6800, VMCS_NW, VMCS_GROUP_GUEST },
		{ GUEST_CR3, 0x6802, VMCS_NW, VMCS_GROUP_GUEST },
		{ GUEST_DR7, 0x681a, VMCS_NW, VMCS_GROUP_GUEST },
		{ GUEST_RSP, 0x681c, VMCS_NW, VMCS_GROUP_GUEST },
		{ GUEST_RIP, 0x681e, VMCS_NW, VMCS_GROUP_GUEST },
		{ GUEST_RFLAGS, 0x6820, VMCS_NW, VMCS_GROUP_GUEST },
		{ GUEST_SYSENTER_EIP, 0x6826, VMCS_NW, VMCS_GROUP_GUEST },
		{ HOST_CR0, 0x6c00, VMCS_NW, VMCS_GROUP_HOST },
		{ HOST_GS_BASE, 0x6c08, VMCS_NW, VMCS_GROUP_HOST },
		{ HOST_RSP, 0x6c14, VMCS_NW, VMCS_GROUP_HOST },
		{ HOST_RIP, 0x6c16, VMCS_NW, VMCS_GROUP_HOST },
	};
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		const struct vmcs_field_info *f = vmcs_field_by_encoding(k[i].sdm);

		assert_int_equal(k[i].enc, k[i].sdm);
		assert_non_null(f);
		assert_int_equal(f->encoding, k[i].sdm);
		assert_int_equal(f->width, k[i].width);
		assert_int_equal(f->group, k[i].group);
	}
}

static void test_lookup_round_trips(void **state)
{
	(void)state;
	for (size_t i = 0; i < VMCS_FIELD_COUNT; i++) {
		const struct vmcs_field_info *f = &vmcs_field_table[i];

		assert_int_equal(vmcs_field_index(f->encoding), (int)i);
		assert_ptr_equal(vmcs_field_by_encoding(f->encoding), f);
		assert_ptr_equal(vmcs_field_by_name(f->name, strlen(f->name)), f);
		assert_string_equal(vmcs_field_name(f->encoding), f->name);
	}
	assert_int_equal(vmcs_field_index(GUEST_RIP), VMCS_IDX_GUEST_RIP);
	assert_string_equal(vmcs_field_table[VMCS_IDX_VM_EXIT_REASON].name, "VM_EXIT_REASON");
}

static void test_lookup_misses(void **state)
{
	(void)state;
	static const uint32_t not_fields[] = {
		0x2801, /* VMCS_LINK_POINTER high */
		0x201b, /* EPT_POINTER high */
		0x0001, 0x000a, 0x482c, 0x4c02, 0x6c1e, 0x640c, 0x2402,
		0x1000, /* reserved bit 12 */
		0x0001681e, 0x8000681e, 0xffffffff,
	};
	for (size_t i = 0; i < sizeof(not_fields) / sizeof(not_fields[0]); i++) {
		assert_int_equal(vmcs_field_index(not_fields[i]), -1);
		assert_null(vmcs_field_by_encoding(not_fields[i]));
		assert_string_equal(vmcs_field_name(not_fields[i]), "UNKNOWN");
	}
	assert_null(vmcs_field_by_name("GUEST_RI", 8));
	assert_null(vmcs_field_by_name("GUEST_RIPX", 10));
	assert_null(vmcs_field_by_name("guest_rip", 9));
	assert_null(vmcs_field_by_name("", 0));
	/* Only n characters count: a name inside a longer option string. */
	const struct vmcs_field_info *f = vmcs_field_by_name("GUEST_RIP,GUEST_RSP", 9);
	assert_non_null(f);
	assert_int_equal(f->encoding, 0x681e);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(vmcs_width_name(VMCS_W16), "16-bit");
	assert_string_equal(vmcs_width_name(VMCS_W64), "64-bit");
	assert_string_equal(vmcs_width_name(VMCS_W32), "32-bit");
	assert_string_equal(vmcs_width_name(VMCS_NW), "natural-width");
	assert_string_equal(vmcs_group_name(VMCS_GROUP_CONTROL), "control");
	assert_string_equal(vmcs_group_name(VMCS_GROUP_READONLY), "exit-information");
	assert_string_equal(vmcs_group_name(VMCS_GROUP_GUEST), "guest-state");
	assert_string_equal(vmcs_group_name(VMCS_GROUP_HOST), "host-state");
	assert_string_equal(vmcs_field_name(0x4402), "VM_EXIT_REASON");
}

static void test_snapshot(void **state)
{
	(void)state;
	static struct vmcs_snapshot s;
	uint64_t v = 0x5a5a;

	memset(&s, 0xff, sizeof(s));
	vmcs_snapshot_init(&s);
	for (size_t i = 0; i < VMCS_FIELD_COUNT; i++)
		assert_int_equal(s.valid[i], 0);
	assert_false(vmcs_snapshot_has(&s, GUEST_RIP));
	assert_false(vmcs_snapshot_get(&s, GUEST_RIP, &v));
	assert_int_equal(v, 0x5a5a);

	assert_true(vmcs_snapshot_set(&s, GUEST_RIP, 0xffffffff8100a5d7ULL));
	assert_true(vmcs_snapshot_has(&s, GUEST_RIP));
	assert_true(vmcs_snapshot_get(&s, GUEST_RIP, &v));
	assert_int_equal(v, 0xffffffff8100a5d7ULL);
	assert_int_equal(s.value[VMCS_IDX_GUEST_RIP], 0xffffffff8100a5d7ULL);
	assert_int_equal(s.valid[VMCS_IDX_GUEST_RIP], 1);

	/* Values are cut to the field's width. */
	assert_true(vmcs_snapshot_set(&s, GUEST_CS_SELECTOR, 0x12345));
	assert_true(vmcs_snapshot_get(&s, GUEST_CS_SELECTOR, &v));
	assert_int_equal(v, 0x2345);
	assert_true(vmcs_snapshot_set(&s, VM_EXIT_REASON, 0x180000030ULL));
	assert_true(vmcs_snapshot_get(&s, VM_EXIT_REASON, &v));
	assert_int_equal(v, 0x80000030);
	assert_true(vmcs_snapshot_set(&s, EPT_POINTER, 0x800000001234505eULL));
	assert_true(vmcs_snapshot_get(&s, EPT_POINTER, &v));
	assert_int_equal(v, 0x800000001234505eULL);

	/* Not a field: nothing stored, *value untouched. */
	assert_false(vmcs_snapshot_set(&s, 0x2801, 1));
	assert_false(vmcs_snapshot_has(&s, 0x2801));
	v = 0x77;
	assert_false(vmcs_snapshot_get(&s, 0x2801, &v));
	assert_int_equal(v, 0x77);
	assert_false(vmcs_snapshot_has(&s, GUEST_RSP));

	size_t n = 0;
	for (size_t i = 0; i < VMCS_FIELD_COUNT; i++)
		n += s.valid[i];
	assert_int_equal(n, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_count),
		cmocka_unit_test(test_encodings_and_names_unique),
		cmocka_unit_test(test_width_and_group_match_encoding),
		cmocka_unit_test(test_encoding_helpers),
		cmocka_unit_test(test_known_encodings),
		cmocka_unit_test(test_lookup_round_trips),
		cmocka_unit_test(test_lookup_misses),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_snapshot),
	};
	return cmocka_run_group_tests_name("vmcs_fields", tests, NULL, NULL);
}
