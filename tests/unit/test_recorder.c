/* Unit tests: vmx/study/recorder.c (the flight recorder's ring and its RECORDER block, format
 * in vmx/study/recorder.h and docs/LOGFORMAT.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "vmx/decode/exit_reasons.h"
#include "vmx/study/recorder.h"

#define MAX_LINES 64

static char lines[MAX_LINES][RECORDER_LINE_MAX];
static size_t nlines;

static void capture(void *ctx, const char *line)
{
	assert_ptr_equal(ctx, &nlines);
	assert_true(nlines < MAX_LINES);
	assert_true(strlen(line) < RECORDER_LINE_MAX);
	snprintf(lines[nlines++], sizeof(lines[0]), "%s", line);
}

static void format(const struct recorder *r, uint32_t cpu, const char *why)
{
	nlines = 0;
	recorder_format(r, cpu, why, capture, &nlines);
}

static void assert_lines(const char *const *expected, size_t n)
{
	for (size_t i = 0; i < n && i < nlines; i++)
		assert_string_equal(lines[i], expected[i]);
	assert_int_equal(nlines, n);
}

#define ASSERT_LINES(expected) assert_lines(expected, sizeof(expected) / sizeof(expected[0]))

static struct recorder_entry ring[8];
static struct recorder rec;

/* An exit with every field set from one base value, as the dispatcher would fill it. */
static struct recorder_entry *push(uint64_t seq, uint32_t reason, uint64_t rip)
{
	struct recorder_entry *e = recorder_push(&rec, seq, reason, 0);
	assert_non_null(e);
	e->field[REC_GUEST_RIP] = rip;
	e->field[REC_GUEST_RSP] = 0x7fe8e7a8;
	e->field[REC_GUEST_RFLAGS] = 0x246;
	e->field[REC_GUEST_CR0] = 0x80010033;
	e->field[REC_GUEST_CR3] = 0x7fc01000;
	e->field[REC_GUEST_CR4] = 0x2668;
	e->field[REC_GUEST_INTERRUPTIBILITY] = 0;
	for (unsigned f = REC_RAX; f <= REC_RBX; f++)
		e->field[f] = 0;
	return e;
}

static void test_empty(void **state)
{
	(void)state;
	static const char *const expected[] = {
		"RECORDER begin cpu3 why=root-mode exception entries=0",
		"RECORDER end",
	};
	recorder_init(&rec, ring, 4);
	assert_int_equal(recorder_count(&rec), 0);
	assert_null(recorder_get(&rec, 0));
	format(&rec, 3, "root-mode exception");
	ASSERT_LINES(expected);
}

static void test_off(void **state)
{
	(void)state;
	static const char *const expected[] = {
		"RECORDER begin cpu0 why=panic entries=0",
		"RECORDER end",
	};
	recorder_init(&rec, ring, 0);
	assert_null(recorder_push(&rec, 1, EXIT_REASON_CPUID, 0));
	recorder_init(&rec, NULL, 16); /* no memory: off too */
	assert_null(recorder_push(&rec, 1, EXIT_REASON_CPUID, 0));
	format(&rec, 0, "panic");
	ASSERT_LINES(expected);
}

/* The first entry has no change lines; later ones list the fields that differ from the
 * entry before, in RECORDER_FIELDS order, 32-bit fields with 8 digits. */
static void test_changes(void **state)
{
	(void)state;
	static const char *const expected[] = {
		"RECORDER begin cpu0 why=guest triple fault entries=3",
		"RECORDER #0 seq=72 reason=CPUID rip=0x000000007fe4a1c3 qual=0x0",
		"RECORDER #1 seq=73 reason=CR_ACCESS rip=0x000000007fe4d120 qual=0x300",
		"RECORDER #1   GUEST_RIP 0x000000007fe4a1c3 -> 0x000000007fe4d120",
		"RECORDER #1   GUEST_RFLAGS 0x0000000000000246 -> 0x0000000000000202",
		"RECORDER #1   GUEST_INTERRUPTIBILITY_INFO 0x00000000 -> 0x00000001",
		"RECORDER #1   VM_ENTRY_INTR_INFO_FIELD 0x00000000 -> 0x80000b0d",
		"RECORDER #1   RAX 0x0000000000000001 -> 0x0000000060000010",
		"RECORDER #2 seq=74 reason=TRIPLE_FAULT rip=0x000000007fe4d120 qual=0x0",
		"RECORDER #2   GUEST_CR0 0x0000000080010033 -> 0x0000000060000010",
		"RECORDER #2   GUEST_INTERRUPTIBILITY_INFO 0x00000001 -> 0x00000000",
		"RECORDER #2   VM_ENTRY_INTR_INFO_FIELD 0x80000b0d -> 0x00000000",
		"RECORDER end",
	};
	recorder_init(&rec, ring, 4);
	push(72, EXIT_REASON_CPUID, 0x7fe4a1c3)->field[REC_RAX] = 1;
	struct recorder_entry *e = push(73, EXIT_REASON_CR_ACCESS, 0x7fe4d120);
	e->qual = 0x300;
	e->field[REC_GUEST_RFLAGS] = 0x202;
	e->field[REC_GUEST_INTERRUPTIBILITY] = 1;
	e->field[REC_ENTRY_INTR_INFO] = 0x80000b0d; /* #GP(0) injected */
	e->field[REC_RAX] = 0x60000010;
	e = push(74, EXIT_REASON_TRIPLE_FAULT, 0x7fe4d120);
	e->field[REC_GUEST_RFLAGS] = 0x202;
	e->field[REC_GUEST_CR0] = 0x60000010;
	e->field[REC_RAX] = 0x60000010;
	assert_int_equal(recorder_count(&rec), 3);
	format(&rec, 0, "guest triple fault");
	ASSERT_LINES(expected);
}

/* Six exits through a ring of four: the two oldest are gone, #0 is seq 3, and #0 has no
 * change lines although seq 2 differed from it. */
static void test_wrap(void **state)
{
	(void)state;
	static const char *const expected[] = {
		"RECORDER begin cpu1 why=VM entry failed entries=4",
		"RECORDER #0 seq=3 reason=CPUID rip=0x0000000000001003 qual=0x0",
		"RECORDER #1 seq=4 reason=CPUID rip=0x0000000000001004 qual=0x0",
		"RECORDER #1   GUEST_RIP 0x0000000000001003 -> 0x0000000000001004",
		"RECORDER #2 seq=5 reason=VMCALL rip=0x0000000000001005 qual=0x0",
		"RECORDER #2   GUEST_RIP 0x0000000000001004 -> 0x0000000000001005",
		"RECORDER #3 seq=6 reason=INVALID_GUEST_STATE rip=0x0000000000001005 qual=0x2",
		"RECORDER #3   GUEST_CR0 0x0000000080010033 -> 0x0000000080000010",
		"RECORDER end",
	};
	recorder_init(&rec, ring, 4);
	for (uint64_t s = 1; s <= 4; s++)
		push(s, EXIT_REASON_CPUID, 0x1000 + s);
	assert_int_equal(recorder_count(&rec), 4);
	assert_int_equal(recorder_get(&rec, 0)->seq, 1); /* full, not yet wrapped */
	push(5, EXIT_REASON_VMCALL, 0x1005);
	struct recorder_entry *e = recorder_push(&rec, 6, 0x80000000u | EXIT_REASON_INVALID_GUEST_STATE, 2);
	*e = *recorder_get(&rec, 2); /* the state did not move: only CR0 was broken */
	e->seq = 6;
	e->reason = 0x80000000u | EXIT_REASON_INVALID_GUEST_STATE;
	e->qual = 2;
	e->field[REC_GUEST_CR0] = 0x80000010;
	assert_int_equal(recorder_count(&rec), 4);
	assert_int_equal(rec.recorded, 6);
	assert_int_equal(recorder_get(&rec, 0)->seq, 3);
	assert_int_equal(recorder_get(&rec, 3)->seq, 6);
	assert_null(recorder_get(&rec, 4));
	format(&rec, 1, "VM entry failed");
	ASSERT_LINES(expected);
}

/* Many laps around a ring of one: always exactly the newest exit. */
static void test_depth_one(void **state)
{
	(void)state;
	static const char *const expected[] = {
		"RECORDER begin cpu0 why=unexpected VM exit entries=1",
		"RECORDER #0 seq=1000 reason=EPT_MISCONFIG rip=0x00000000000013e8 qual=0x0",
		"RECORDER end",
	};
	recorder_init(&rec, ring, 1);
	for (uint64_t s = 1; s < 1000; s++)
		push(s, EXIT_REASON_CPUID, 0x1000 + s);
	push(1000, EXIT_REASON_EPT_MISCONFIG, 0x13e8);
	format(&rec, 0, "unexpected VM exit");
	ASSERT_LINES(expected);
}

/* A reused slot gets the new exit's seq, reason and qualification, and no injection
 * until the caller records one: an exit whose handler never returned injected nothing. */
static void test_push_reuses_slot(void **state)
{
	(void)state;
	recorder_init(&rec, ring, 2);
	push(1, EXIT_REASON_CPUID, 0x1000)->field[REC_ENTRY_INTR_INFO] = 0x80000306;
	push(2, EXIT_REASON_CPUID, 0x1001);
	struct recorder_entry *e = recorder_push(&rec, 3, EXIT_REASON_HLT, 7);
	assert_ptr_equal(e, &ring[0]);
	assert_int_equal(e->seq, 3);
	assert_int_equal(e->reason, EXIT_REASON_HLT);
	assert_int_equal(e->qual, 7);
	assert_int_equal(e->field[REC_ENTRY_INTR_INFO], 0);
	assert_int_equal(recorder_bytes(16), 16 * sizeof(struct recorder_entry));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),    cmocka_unit_test(test_off),
		cmocka_unit_test(test_changes),  cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_depth_one), cmocka_unit_test(test_push_reuses_slot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
