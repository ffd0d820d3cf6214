/* Unit tests: traces in memory. vmx/study/trace_record.c (the reason's details from the
 * registers, the text form of TRACE lines), vmx/study/tracering.c (the ring, lost and read
 * counts), vmx/policy/trace_filter.c (trace_filter=). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "vmx/decode/exit_reasons.h"
#include "vmx/policy/trace_filter.h"
#include "vmx/study/trace_record.h"
#include "vmx/study/tracering.h"

static struct trace_record cpuid_record(void)
{
	struct trace_record r = { .seq = 1234, .reason = EXIT_REASON_CPUID, .cpu = 1, .cycles = 312,
				  .rip = 0xffffffff81035e2bULL, .tsc = 3021776411ULL };
	r.detail.cpuid.leaf = 1;
	r.detail.cpuid.eax = 0x306c3;
	r.detail.cpuid.ebx = 0x10800;
	r.detail.cpuid.ecx = 0xfffab223; /* hypervisor bit set */
	r.detail.cpuid.edx = 0x0f8bfbff;
	return r;
}

static void test_record_is_64_bytes_at_fixed_offsets(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct trace_record), 64);
	assert_int_equal(offsetof(struct trace_record, qual), 8);
	assert_int_equal(offsetof(struct trace_record, rip), 16);
	assert_int_equal(offsetof(struct trace_record, tsc), 24);
	assert_int_equal(offsetof(struct trace_record, cycles), 32);
	assert_int_equal(offsetof(struct trace_record, detail), 40);
}

static void test_text_round_trip(void **state)
{
	(void)state;
	struct trace_record r = cpuid_record(), back;
	char text[TRACE_TEXT_MAX + 1];
	size_t n = trace_record_encode(&r, text, sizeof(text));

	/* a kernel CPUID record: 37 bytes of varints, 50 characters (the raw record would
	 * take 86); the expected text is from an independent encoder (Python's base64) */
	assert_int_equal(n, 50);
	assert_string_equal(text, "0gkKAQC4AgCph-XvD5vM8qALAAMBw42MgICAQqPk6v____7FDw");
	assert_true(trace_record_decode(text, n, &back));
	assert_memory_equal(&r, &back, sizeof(r));
}

static void test_text_of_a_port_read_and_limits(void **state)
{
	(void)state;
	struct trace_record r = { .seq = 7, .reason = EXIT_REASON_IO_INSTRUCTION, .qual = 0x640008, .rip = 0xdfaf359,
				  .tsc = 1000, .cycles = UINT32_MAX, .flags = TRACE_F_CYCLES_CAPPED }, back;
	char text[TRACE_TEXT_MAX + 1];

	r.detail.io.port = 0x64;
	r.detail.io.size = 1;
	r.detail.io.flags = TRACE_IO_IN;
	r.detail.io.value = 0x1c;
	size_t n = trace_record_encode(&r, text, sizeof(text));
	assert_true(n > 0);
	assert_true(trace_record_decode(text, n, &back));
	assert_memory_equal(&r, &back, sizeof(r));
	assert_int_equal(back.detail.io.port, 0x64);
	assert_int_equal(trace_record_encode(&r, text, n), 0); /* no room for the NUL */

	/* every field at its widest stays within TRACE_TEXT_MAX */
	memset(&r, 0xff, sizeof(r));
	n = trace_record_encode(&r, text, sizeof(text));
	assert_true(n > 0 && n <= TRACE_TEXT_MAX);
	assert_true(trace_record_decode(text, n, &back));
	assert_memory_equal(&r, &back, sizeof(r));
}

static void test_decode_refuses_bad_text(void **state)
{
	(void)state;
	struct trace_record r = cpuid_record(), back;
	char text[TRACE_TEXT_MAX + 1];
	size_t n = trace_record_encode(&r, text, sizeof(text));

	assert_false(trace_record_decode(text, n - 1, &back));  /* cut short */
	assert_false(trace_record_decode(text, n - 4, &back));  /* cut at a whole group: a varint runs out */
	assert_false(trace_record_decode("", 0, &back));
	assert_false(trace_record_decode("AAAA AAA", 8, &back)); /* a blank */
	assert_false(trace_record_decode("AAAA+AAA", 8, &back)); /* '+' is not base64url */
	assert_false(trace_record_decode("B", 1, &back));        /* 1 mod 4 characters */
	/* all nine fields 0, no detail words: 10 zero bytes */
	assert_true(trace_record_decode("AAAAAAAAAAAAAA", 14, &back));
	assert_int_equal(back.reason, 0);
	assert_false(trace_record_decode("AAAAAAAAAAAAAAA", 15, &back));   /* bits left over past the last byte */
	assert_false(trace_record_decode("AAAAAAAAAAAAAAAA", 16, &back)); /* a byte left over */
	/* reason 0x10000 does not fit 16 bits: seq 0, then 0x80 0x80 0x04 */
	assert_false(trace_record_decode("AICABAAAAAAAAAAA", 16, &back));
	/* four detail words */
	assert_false(trace_record_decode("AAAAAAAAAAAABAAAAAA", 19, &back));
}

static const uint64_t NO_GPRS[16];

static void test_details_from_registers(void **state)
{
	(void)state;
	union trace_detail d;
	uint64_t g[16] = { 0 };

	/* RDMSR 0x1b: the MSR before, EDX:EAX after */
	g[1] = 0x1b;
	trace_detail_before(&d, EXIT_REASON_MSR_READ, 0, g);
	assert_int_equal(d.msr.msr, 0x1b);
	assert_int_equal(d.msr.value, 0);
	g[0] = 0xfee00900;
	g[2] = 0x1;
	trace_detail_after(&d, EXIT_REASON_MSR_READ, 0, g);
	assert_int_equal(d.msr.value, 0x1fee00900ULL);

	/* WRMSR: the value from EDX:EAX (high halves of RAX/RDX ignored) */
	g[0] = 0xdead00000000ffffULL;
	g[2] = 0xbeef000000000002ULL;
	trace_detail_before(&d, EXIT_REASON_MSR_WRITE, 0, g);
	assert_int_equal(d.msr.value, 0x20000ffffULL);

	/* OUT DX, AL to 0x80 (qualification: size 0, out, port 0x80): the byte of RAX */
	g[0] = 0x12345678;
	trace_detail_before(&d, EXIT_REASON_IO_INSTRUCTION, 0x800000, g);
	assert_int_equal(d.io.port, 0x80);
	assert_int_equal(d.io.size, 1);
	assert_int_equal(d.io.flags, 0);
	assert_int_equal(d.io.value, 0x78);
	/* IN AX, DX from 0xcfc: the value after, two bytes */
	trace_detail_before(&d, EXIT_REASON_IO_INSTRUCTION, 0xcfc0009, g);
	assert_int_equal(d.io.flags, TRACE_IO_IN);
	assert_int_equal(d.io.value, 0);
	g[0] = 0xffff8086;
	trace_detail_after(&d, EXIT_REASON_IO_INSTRUCTION, 0xcfc0009, g);
	assert_int_equal(d.io.value, 0x8086);
	/* REP INSD: string, rep, the count from RCX, no value */
	g[1] = 16;
	trace_detail_before(&d, EXIT_REASON_IO_INSTRUCTION, 0xcf80039, g);
	assert_int_equal(d.io.flags, TRACE_IO_IN | TRACE_IO_STRING | TRACE_IO_REP);
	assert_int_equal(d.io.count, 16);
	trace_detail_after(&d, EXIT_REASON_IO_INSTRUCTION, 0xcf80039, g);
	assert_int_equal(d.io.value, 0);

	/* MOV CR4, RBX (CR 4, type 0, register 3), MOV RSI, CR3 (type 1, register 6), LMSW 0x7 */
	g[3] = 0x3406e0;
	trace_detail_before(&d, EXIT_REASON_CR_ACCESS, 0x304, g);
	assert_int_equal(d.cr.cr, 4);
	assert_int_equal(d.cr.gpr, 3);
	assert_int_equal(d.cr.value, 0x3406e0);
	trace_detail_before(&d, EXIT_REASON_CR_ACCESS, 0x613, g);
	assert_int_equal(d.cr.access, 1);
	g[6] = 0x1000;
	trace_detail_after(&d, EXIT_REASON_CR_ACCESS, 0x613, g);
	assert_int_equal(d.cr.value, 0x1000);
	trace_detail_before(&d, EXIT_REASON_CR_ACCESS, 0x70030, g);
	assert_int_equal(d.cr.access, 3);
	assert_int_equal(d.cr.value, 7);

	/* CPUID leaf 7 subleaf 0, then the four outputs */
	uint64_t c[16] = { 7, 0, 0, 0 };
	trace_detail_before(&d, EXIT_REASON_CPUID, 0, c);
	assert_int_equal(d.cpuid.leaf, 7);
	c[0] = 0;
	c[3] = 0x27ab;
	c[1] = 0;
	c[2] = 0x9c000000;
	trace_detail_after(&d, EXIT_REASON_CPUID, 0, c);
	assert_int_equal(d.cpuid.leaf, 7);
	assert_int_equal(d.cpuid.ebx, 0x27ab);
	assert_int_equal(d.cpuid.edx, 0x9c000000);

	/* a reason without details: all zero */
	trace_detail_before(&d, EXIT_REASON_HLT, 0, NO_GPRS);
	assert_int_equal(d.word[0] | d.word[1] | d.word[2], 0);
	assert_int_equal(trace_detail_kind(EXIT_REASON_EPT_VIOLATION), TRACE_KIND_EPT);
}

static void push(struct tracering *r, uint16_t reason)
{
	struct trace_record *t = tracering_push(r);
	assert_non_null(t);
	t->reason = reason;
}

static void test_ring_counts_lost_and_read(void **state)
{
	(void)state;
	struct trace_record buf[4], out[8];
	struct tracering r;
	uint64_t first;

	tracering_init(&r, buf, sizeof(buf));
	assert_int_equal(r.cap, 4);
	for (uint16_t i = 0; i < 3; i++)
		push(&r, i);
	assert_int_equal(tracering_read(&r, 0, out, 2, &first), 2); /* records 0, 1 read */
	assert_int_equal(first, 0);
	assert_int_equal(out[1].seq, 1);
	for (uint16_t i = 3; i < 8; i++)
		push(&r, i); /* overwrites 0..3: 0 and 1 were read, 2 and 3 are lost */
	assert_int_equal(r.head, 8);
	assert_int_equal(r.lost, 2);
	assert_int_equal(r.read, 2);
	assert_int_equal(tracering_oldest(&r), 4);
	/* asking for record 2 gives the oldest held, 4..7 */
	assert_int_equal(tracering_read(&r, 2, out, 8, &first), 4);
	assert_int_equal(first, 4);
	assert_int_equal(out[0].reason, 4);
	assert_int_equal(out[3].seq, 7);
	assert_int_equal(r.read, 6);
	assert_int_equal(r.head, r.lost + r.read); /* nothing unread left */
	/* at the end: nothing, first = the cursor */
	assert_int_equal(tracering_read(&r, 8, out, 8, &first), 0);
	assert_int_equal(first, 8);
	assert_int_equal(r.read, 6);
	push(&r, 8); /* replaces 4, which was read: not lost */
	assert_int_equal(r.lost, 2);
}

static void test_ring_reader_passing_over_counts_as_read(void **state)
{
	(void)state;
	struct trace_record buf[4], out[4];
	struct tracering r;
	uint64_t first;

	tracering_init(&r, buf, sizeof(buf));
	for (uint16_t i = 0; i < 4; i++)
		push(&r, i);
	assert_int_equal(tracering_read(&r, 3, out, 4, &first), 1); /* passes over 0..2 */
	assert_int_equal(r.read, 4);
	push(&r, 4);
	assert_int_equal(r.lost, 0);
	assert_int_equal(r.head, r.lost + r.read + (r.head - r.consumed));
}

static void test_ring_without_memory(void **state)
{
	(void)state;
	struct tracering r;

	tracering_init(&r, NULL, 4096);
	assert_int_equal(r.cap, 0);
	assert_null(tracering_push(&r));
	tracering_init(&r, &r, 63); /* less than one record */
	assert_null(tracering_push(&r));
}

static bool parse(struct trace_filter *f, const char *s, char *err)
{
	return trace_filter_parse(f, s, strlen(s), err, 128);
}

static void test_filter_parse(void **state)
{
	(void)state;
	struct trace_filter f;
	char err[128];

	assert_true(parse(&f, "rip:0xffffffff81000000-0xffffffff81ffffff,leaf:0x1,msr:0x1b,port:0x64,cr:3", err));
	assert_int_equal(f.n[TF_RIP], 1);
	assert_int_equal(f.range[TF_RIP][0].lo, 0xffffffff81000000ULL);
	assert_int_equal(f.range[TF_RIP][0].hi, 0xffffffff81ffffffULL);
	assert_int_equal(f.range[TF_LEAF][0].lo, 1);
	assert_int_equal(f.range[TF_MSR][0].hi, 0x1b);
	assert_int_equal(f.range[TF_PORT][0].lo, 100);
	assert_int_equal(f.range[TF_CR][0].lo, 3);
	assert_true(parse(&f, "port:0x60-0x64,port:0xcf8-0xcff", err));
	assert_int_equal(f.n[TF_PORT], 2);

	assert_false(parse(&f, "", err));
	assert_false(parse(&f, "rip", err));
	assert_non_null(strstr(err, "key:LO[-HI]"));
	assert_false(parse(&f, "eax:1", err));
	assert_false(parse(&f, "leaf:", err));
	assert_false(parse(&f, "leaf:0x", err));
	assert_false(parse(&f, "leaf:1,", err));  /* an empty item */
	assert_false(parse(&f, "leaf:2-1", err)); /* empty range */
	assert_non_null(strstr(err, "empty or too wide"));
	assert_false(parse(&f, "port:0x10000", err));
	assert_false(parse(&f, "cr:16", err));
	assert_false(parse(&f, "leaf:0x100000000", err));
	assert_false(parse(&f, "rip:0x10000000000000000", err)); /* 17 hex digits */
	assert_false(parse(&f, "rip:1-2-3", err));
	assert_false(parse(&f, "cr:0,cr:1,cr:2,cr:3,cr:4", err));
	assert_non_null(strstr(err, "more than 4 ranges for cr"));
}

/* Found by tools/fuzz (tests/fuzz/corpus/trace/crash-filter-unterminated): the message
 * of a bad item read past an input that has no NUL. */
static void test_filter_error_on_unterminated_input(void **state)
{
	(void)state;
	static const char bad[] = "rip:0xffffffff81000000-0xff\xa1" "ffffff81\x02" "fff";
	size_t n = sizeof(bad) - 1;
	char *exact = malloc(n), err[128];
	struct trace_filter f;

	memcpy(exact, bad, n); /* no NUL after it: ASan catches a read past the end */
	assert_false(trace_filter_parse(&f, exact, n, err, sizeof(err)));
	assert_non_null(strstr(err, "bad number"));
	free(exact);
}

static void test_filter_match(void **state)
{
	(void)state;
	struct trace_filter f;
	char err[128];
	struct trace_record cpuid = cpuid_record(), msr = { .reason = EXIT_REASON_MSR_WRITE, .rip = 0xffffffff81001000ULL };

	msr.detail.msr.msr = 0x1b;
	memset(&f, 0, sizeof(f));
	assert_true(trace_filter_empty(&f));
	assert_true(trace_filter_match(&f, &cpuid));

	assert_true(parse(&f, "leaf:0x1", err));
	assert_true(trace_filter_match(&f, &cpuid));
	assert_true(trace_filter_match(&f, &msr)); /* leaf says nothing about MSRs */
	cpuid.detail.cpuid.leaf = 7;
	assert_false(trace_filter_match(&f, &cpuid));

	assert_true(parse(&f, "msr:0x200-0x2ff,msr:0x1b", err));
	assert_true(trace_filter_match(&f, &msr));
	msr.detail.msr.msr = 0x1c;
	assert_false(trace_filter_match(&f, &msr));

	assert_true(parse(&f, "rip:0xffffffff81000000-0xffffffff81000fff", err));
	assert_false(trace_filter_match(&f, &msr)); /* 0xffffffff81001000: one past */
	msr.rip = 0xffffffff81000fffULL;
	assert_true(trace_filter_match(&f, &msr));

	struct trace_record io = { .reason = EXIT_REASON_IO_INSTRUCTION }, cr = { .reason = EXIT_REASON_CR_ACCESS };
	io.detail.io.port = 0x64;
	cr.detail.cr.cr = 3;
	assert_true(parse(&f, "port:0x64,cr:0", err));
	assert_true(trace_filter_match(&f, &io));
	assert_false(trace_filter_match(&f, &cr));
	cr.detail.cr.cr = 0;
	assert_true(trace_filter_match(&f, &cr));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_is_64_bytes_at_fixed_offsets),
		cmocka_unit_test(test_text_round_trip),
		cmocka_unit_test(test_text_of_a_port_read_and_limits),
		cmocka_unit_test(test_decode_refuses_bad_text),
		cmocka_unit_test(test_details_from_registers),
		cmocka_unit_test(test_ring_counts_lost_and_read),
		cmocka_unit_test(test_ring_reader_passing_over_counts_as_read),
		cmocka_unit_test(test_ring_without_memory),
		cmocka_unit_test(test_filter_parse),
		cmocka_unit_test(test_filter_error_on_unterminated_input),
		cmocka_unit_test(test_filter_match),
	};
	return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
