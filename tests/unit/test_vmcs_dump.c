/* Unit tests: vmx/study/vmcs_dump.c (decoded VMCS dump, line format of vmx/study/vmcs_dump.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "arch/seg_ar.h"
#include "drivers/log.h"
#include "vmx/decode/decode.h"
#include "vmx/study/vmcs_dump.h"

#define MAX_LINES 1024

static char lines[MAX_LINES][VMCS_DUMP_LINE_MAX + 1];
static size_t nlines;

static void capture(void *ctx, const char *line)
{
	assert_ptr_equal(ctx, &nlines);
	assert_true(nlines < MAX_LINES);
	assert_true(strlen(line) <= VMCS_DUMP_LINE_MAX);
	snprintf(lines[nlines++], sizeof(lines[0]), "%s", line);
}

static void dump(const struct vmcs_snapshot *s, const char *title)
{
	nlines = 0;
	vmcs_dump(s, title, capture, &nlines);
}

static void assert_lines(const char *const *expected, size_t n)
{
	for (size_t i = 0; i < n && i < nlines; i++)
		assert_string_equal(lines[i], expected[i]);
	assert_int_equal(nlines, n);
}

static struct vmcs_snapshot snap;

static void set(uint32_t enc, uint64_t v)
{
	assert_true(vmcs_snapshot_set(&snap, enc, v));
}

static void test_empty_snapshot(void **state)
{
	(void)state;
	static const char *const expected[] = {
		"VMCS dump begin: empty",
		"VMCS group control",
		"VMCS group guest-state",
		"VMCS group host-state",
		"VMCS group exit-information",
		"VMCS dump end",
	};
	vmcs_snapshot_init(&snap);
	dump(&snap, "empty");
	assert_lines(expected, sizeof(expected) / sizeof(expected[0]));
}

/* A CR4 write exit of a 64-bit guest, as the hardware edge would have read it. */
static void test_small_snapshot(void **state)
{
	(void)state;
	static const char *const expected[] = {
		"VMCS dump begin: cpu0 exit 1",
		"VMCS group control",
		"VMCS VIRTUAL_PROCESSOR_ID             0x0000 = 0x0001",
		"VMCS EPT_POINTER                      0x201a = 0x000000001234505e",
		"VMCS   ~ EPT_POINTER: memtype=WB levels=4 ad=1 root=0x12345000",
		"VMCS CPU_BASED_VM_EXEC_CONTROL        0x4002 = 0x92000000",
		"VMCS   ~ CPU_BASED_VM_EXEC_CONTROL: Use I/O bitmaps | Use MSR bitmaps | Activate "
		"secondary controls",
		"VMCS EXCEPTION_BITMAP                 0x4004 = 0x00044000",
		"VMCS   ~ EXCEPTION_BITMAP: #PF | #MC",
		"VMCS VM_ENTRY_INTR_INFO_FIELD         0x4016 = 0x00000000",
		"VMCS   ~ VM_ENTRY_INTR_INFO_FIELD: not valid",
		"VMCS CR4_READ_SHADOW                  0x6006 = 0x0000000000000020",
		"VMCS group guest-state",
		"VMCS GUEST_CS_SELECTOR                0x0802 = 0x0010",
		"VMCS GUEST_IA32_EFER                  0x2806 = 0x0000000000000d01",
		"VMCS GUEST_CS_AR_BYTES                0x4816 = 0x0000a09b",
		"VMCS   ~ GUEST_CS_AR_BYTES: type=0xb S=1 DPL=0 P=1 L=1 D/B=0 G=1",
		"VMCS GUEST_TR_AR_BYTES                0x4822 = 0x0000008b",
		"VMCS   ~ GUEST_TR_AR_BYTES: type=0xb S=0 DPL=0 P=1 L=0 D/B=0 G=0",
		"VMCS GUEST_INTERRUPTIBILITY_INFO      0x4824 = 0x00000001",
		"VMCS   ~ GUEST_INTERRUPTIBILITY_INFO: Blocking by STI",
		"VMCS GUEST_ACTIVITY_STATE             0x4826 = 0x00000000",
		"VMCS   ~ GUEST_ACTIVITY_STATE: Active",
		"VMCS GUEST_RIP                        0x681e = 0x000000000e1dc5d7",
		"VMCS group host-state",
		"VMCS HOST_RIP                         0x6c16 = 0xffffffff81000000",
		"VMCS group exit-information",
		"VMCS VM_INSTRUCTION_ERROR             0x4400 = 0x00000000",
		"VMCS   ~ VM_INSTRUCTION_ERROR: none",
		"VMCS VM_EXIT_REASON                   0x4402 = 0x0000001c",
		"VMCS   ~ VM_EXIT_REASON: CR_ACCESS (28)",
		"VMCS VM_EXIT_INTR_INFO                0x4404 = 0x80000b0e",
		"VMCS   ~ VM_EXIT_INTR_INFO: vector=0x0e (#PF) type=hardware exception "
		"error_code_valid=1",
		"VMCS VM_EXIT_INSTRUCTION_LEN          0x440c = 0x00000003",
		"VMCS EXIT_QUALIFICATION               0x6400 = 0x0000000000000004",
		"VMCS   ~ EXIT_QUALIFICATION (CR_ACCESS): mov to cr4 from rax",
		"VMCS dump end",
	};
	vmcs_snapshot_init(&snap);
	set(GUEST_RIP, 0xe1dc5d7);
	set(GUEST_CS_SELECTOR, 0x10);
	set(GUEST_CS_AR_BYTES, 0xa09b);
	set(GUEST_TR_AR_BYTES, SEG_AR_TSS_BUSY);
	set(GUEST_IA32_EFER, 0xd01);
	set(GUEST_INTERRUPTIBILITY_INFO, 1);
	set(GUEST_ACTIVITY_STATE, 0);
	set(HOST_RIP, 0xffffffff81000000ULL);
	set(VIRTUAL_PROCESSOR_ID, 1);
	set(EPT_POINTER, 0x1234505e);
	set(CPU_BASED_VM_EXEC_CONTROL, 0x92000000);
	set(EXCEPTION_BITMAP, (1u << 14) | (1u << 18));
	set(VM_ENTRY_INTR_INFO_FIELD, 0);
	set(CR4_READ_SHADOW, 0x20);
	set(VM_INSTRUCTION_ERROR, 0);
	set(VM_EXIT_REASON, 28);
	set(VM_EXIT_INTR_INFO, 0x80000b0e);
	set(VM_EXIT_INSTRUCTION_LEN, 3);
	set(EXIT_QUALIFICATION, 4);
	dump(&snap, "cpu0 exit 1");
	assert_lines(expected, sizeof(expected) / sizeof(expected[0]));
}

/* A failed VMLAUNCH (VMfailValid) and a VM-entry failure, then fields whose text depends on
 * the exit reason. */
static void test_failures_and_reason_dependent_fields(void **state)
{
	(void)state;
	static const char *const expected[] = {
		"VMCS dump begin: entry failure",
		"VMCS group control",
		"VMCS group guest-state",
		"VMCS group host-state",
		"VMCS group exit-information",
		"VMCS VM_INSTRUCTION_ERROR             0x4400 = 0x00000007",
		"VMCS   ~ VM_INSTRUCTION_ERROR: VM entry with invalid control field(s)",
		"VMCS VM_EXIT_REASON                   0x4402 = 0x80000021",
		"VMCS   ~ VM_EXIT_REASON: INVALID_GUEST_STATE (33), VM-entry failure",
		"VMCS VMX_INSTRUCTION_INFO             0x440e = 0x00000000",
		"VMCS   ~ VMX_INSTRUCTION_INFO (INVALID_GUEST_STATE): 0x00000000",
		"VMCS EXIT_QUALIFICATION               0x6400 = 0x0000000000000003",
		"VMCS   ~ EXIT_QUALIFICATION (INVALID_GUEST_STATE): 0x3",
		"VMCS dump end",
	};
	vmcs_snapshot_init(&snap);
	set(VM_INSTRUCTION_ERROR, 7);
	set(VM_EXIT_REASON, 0x80000021);
	set(EXIT_QUALIFICATION, 3);
	set(VMX_INSTRUCTION_INFO, 0);
	dump(&snap, "entry failure");
	assert_lines(expected, sizeof(expected) / sizeof(expected[0]));

	/* A VMREAD exit: the instruction information is decoded for VMREAD. */
	static const char *const vmread[] = {
		"VMCS dump begin: vmread",
		"VMCS group control",
		"VMCS group guest-state",
		"VMCS group host-state",
		"VMCS group exit-information",
		"VMCS VM_EXIT_REASON                   0x4402 = 0x00000017",
		"VMCS   ~ VM_EXIT_REASON: VMREAD (23)",
		"VMCS VMX_INSTRUCTION_INFO             0x440e = 0x20058103",
		"VMCS   ~ VMX_INSTRUCTION_INFO (VMREAD): mem=ds:[rax+rcx*8] asize=64 reg2=rdx",
		"VMCS EXIT_QUALIFICATION               0x6400 = 0x0000000000000010",
		"VMCS   ~ EXIT_QUALIFICATION (VMREAD): displacement 0x10",
		"VMCS dump end",
	};
	vmcs_snapshot_init(&snap);
	set(VM_EXIT_REASON, 23);
	set(EXIT_QUALIFICATION, 0x10);
	set(VMX_INSTRUCTION_INFO, 0x20058103);
	dump(&snap, "vmread");
	assert_lines(vmread, sizeof(vmread) / sizeof(vmread[0]));
}

/* Without VM_EXIT_REASON the exit qualification and the instruction information cannot be
 * decoded: no detail lines. Also: a NULL title, and .def order within a group (32-bit
 * VMX_INSTRUCTION_INFO before natural-width EXIT_QUALIFICATION). */
static void test_qualification_without_reason(void **state)
{
	(void)state;
	static const char *const expected[] = {
		"VMCS dump begin: ",
		"VMCS group control",
		"VMCS group guest-state",
		"VMCS group host-state",
		"VMCS group exit-information",
		"VMCS VMX_INSTRUCTION_INFO             0x440e = 0x20058103",
		"VMCS EXIT_QUALIFICATION               0x6400 = 0x0000000000000004",
		"VMCS dump end",
	};
	vmcs_snapshot_init(&snap);
	set(EXIT_QUALIFICATION, 4);
	set(VMX_INSTRUCTION_INFO, 0x20058103);
	dump(&snap, NULL);
	assert_lines(expected, sizeof(expected) / sizeof(expected[0]));
}

/* A list longer than a line continues on further detail lines with the same label. */
static void test_long_list_wraps(void **state)
{
	(void)state;
	static const char prefix[] = "VMCS   ~ SECONDARY_VM_EXEC_CONTROL: ";
	char whole[1024], joined[1024] = "";

	vmcs_snapshot_init(&snap);
	set(SECONDARY_VM_EXEC_CONTROL, 0xffffffff);
	dump(&snap, "wrap");
	decode_controls(whole, sizeof(whole), VMX_CTRL_PROC2, 0xffffffff);
	assert_true(strlen(whole) > VMCS_DUMP_LINE_MAX);

	assert_string_equal(lines[2], "VMCS SECONDARY_VM_EXEC_CONTROL        0x401e = 0xffffffff");
	size_t i = 3;
	for (; i < nlines && strncmp(lines[i], prefix, strlen(prefix)) == 0; i++) {
		const char *text = lines[i] + strlen(prefix);

		assert_true(strlen(text) > 0);
		assert_true(strncmp(text, " | ", 3) != 0);
		if (joined[0])
			strcat(joined, " | ");
		strcat(joined, text);
	}
	assert_int_equal(i - 3, 5); /* 32 items in 5 lines of at most 200 characters */
	assert_string_equal(joined, whole);
	assert_string_equal(lines[i], "VMCS group guest-state");
}

/* Every field read: one field line each, in .def order per group, all well formed. */
static void test_every_field(void **state)
{
	(void)state;
	static const enum vmcs_group order[] = { VMCS_GROUP_CONTROL, VMCS_GROUP_GUEST,
						 VMCS_GROUP_HOST, VMCS_GROUP_READONLY };
	size_t field_lines = 0, next = 0;

	vmcs_snapshot_init(&snap);
	for (size_t i = 0; i < VMCS_FIELD_COUNT; i++)
		set(vmcs_field_table[i].encoding, 0x8000000000000000ULL | i);
	dump(&snap, "all");
	assert_string_equal(lines[0], "VMCS dump begin: all");
	assert_string_equal(lines[nlines - 1], "VMCS dump end");
	for (size_t l = 1; l < nlines - 1; l++) {
		const char *line = lines[l];

		assert_memory_equal(line, "VMCS ", 5);
		if (strncmp(line, "VMCS group ", 11) == 0 || strncmp(line, "VMCS   ~ ", 9) == 0)
			continue;
		/* Next field in the expected order. */
		/* next runs over (group in order) x (field in .def order) */
		while (vmcs_field_table[next % VMCS_FIELD_COUNT].group !=
		       order[next / VMCS_FIELD_COUNT])
			next++;
		const struct vmcs_field_info *f = &vmcs_field_table[next % VMCS_FIELD_COUNT];
		char name[64];
		unsigned enc;
		unsigned long long value;

		assert_int_equal(sscanf(line, "VMCS %63s 0x%x = 0x%llx", name, &enc, &value), 3);
		assert_string_equal(name, f->name);
		assert_int_equal(enc, f->encoding);
		assert_int_equal(value, snap.value[next % VMCS_FIELD_COUNT]);
		assert_int_equal(line[5 + VMCS_DUMP_NAME_WIDTH], ' ');
		assert_int_equal(line[5 + VMCS_DUMP_NAME_WIDTH + 1], '0');
		field_lines++;
		next++;
	}
	assert_int_equal(field_lines, VMCS_FIELD_COUNT);
}

static char logged[4096];
static void log_capture(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	strncat(logged, line, len);
}

static void test_emit_log(void **state)
{
	(void)state;
	enum log_level info = LOG_INFO;

	logged[0] = '\0';
	log_remove_all_sinks();
	log_set_cpu_fn(NULL);
	log_set_level(LOG_INFO);
	assert_true(log_add_sink(log_capture, NULL));
	vmcs_snapshot_init(&snap);
	set(GUEST_RIP, 0xfff0);
	vmcs_dump(&snap, "log", vmcs_dump_emit_log, &info);
	assert_string_equal(logged,
			    "[vmxray/cpu-] info: VMCS dump begin: log\n"
			    "[vmxray/cpu-] info: VMCS group control\n"
			    "[vmxray/cpu-] info: VMCS group guest-state\n"
			    "[vmxray/cpu-] info: VMCS GUEST_RIP                        0x681e = "
			    "0x000000000000fff0\n"
			    "[vmxray/cpu-] info: VMCS group host-state\n"
			    "[vmxray/cpu-] info: VMCS group exit-information\n"
			    "[vmxray/cpu-] info: VMCS dump end\n");
	logged[0] = '\0';
	vmcs_dump_emit_log(NULL, "VMCS x");
	assert_string_equal(logged, "[vmxray/cpu-] error: VMCS x\n");
	log_remove_all_sinks();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_snapshot),
		cmocka_unit_test(test_small_snapshot),
		cmocka_unit_test(test_failures_and_reason_dependent_fields),
		cmocka_unit_test(test_qualification_without_reason),
		cmocka_unit_test(test_long_list_wraps),
		cmocka_unit_test(test_every_field),
		cmocka_unit_test(test_emit_log),
	};
	return cmocka_run_group_tests_name("vmcs_dump", tests, NULL, NULL);
}
