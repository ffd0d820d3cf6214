/* Unit tests: vmx/policy/intercept.c (the intercept= names, what they ask of VMX, the
 * refusal of what a CPU cannot do) and vmx/policy/intercept_rules.c (what the handlers
 * compute for the guest). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/msr.h"
#include "vmx/policy/intercept.h"
#include "vmx/policy/intercept_rules.h"

static bool parse(struct intercept_set *s, const char *text)
{
	memset(s, 0, sizeof(*s));
	return intercept_parse_list(s, text, strlen(text));
}

static void test_names(void **state)
{
	struct intercept_set s;
	(void)state;
	assert_true(parse(&s, "hlt,rdtsc,invlpg,cr3,pf"));
	assert_int_equal(s.rows, (1u << INTERCEPT_HLT) | (1u << INTERCEPT_RDTSC) | (1u << INTERCEPT_INVLPG) |
					 (1u << INTERCEPT_CR3));
	assert_int_equal(s.exceptions, 1u << 14);
	assert_true(parse(&s, "ud,gp,db,bp,de,xm,cp"));
	assert_int_equal(s.exceptions, (1u << 6) | (1u << 13) | (1u << 1) | (1u << 3) | (1u << 0) | (1u << 19) | (1u << 21));
	assert_int_equal(s.rows, 0);
	/* unknown names, empty items, upper case, NMI (not through the exception bitmap) */
	assert_false(parse(&s, "hlt,nosuch"));
	assert_false(parse(&s, "hlt,,pf"));
	assert_false(parse(&s, "hlt,"));
	assert_false(parse(&s, ""));
	assert_false(parse(&s, "PF"));
	assert_false(parse(&s, "nmi"));
	assert_false(parse(&s, "#pf"));
}

static void test_all(void **state)
{
	struct intercept_set s;
	(void)state;
	assert_true(parse(&s, "all"));
	assert_int_equal(s.rows, 0);
	assert_int_equal(s.rows_all, (1u << INTERCEPT_COUNT) - 1);
	/* every vector with a '#' mnemonic: 0, 1, 3-8, 10-14, 16-21; not NMI, 9, 15, 22-31 */
	assert_int_equal(s.exceptions, 0x3F7DFBu);
	assert_int_equal(s.ept_access, 0);
}

static void test_ept_range(void **state)
{
	struct intercept_set s;
	(void)state;
	assert_true(parse(&s, "ept:0x9000-0x9fff:w"));
	assert_int_equal(s.ept_access, INTERCEPT_EPT_WRITE);
	assert_int_equal(s.ept_first, 0x9000);
	assert_int_equal(s.ept_last, 0x9FFF);
	assert_true(parse(&s, "all,ept:100000-1FFFFF:x"));
	assert_int_equal(s.ept_access, INTERCEPT_EPT_EXEC);
	assert_int_equal(s.ept_first, 0x100000);
	assert_false(parse(&s, "ept:0x2000-0x1000:w"));          /* backwards */
	assert_false(parse(&s, "ept:0x1000-0x2000:r"));          /* no such access */
	assert_false(parse(&s, "ept:0x1000-0x2000"));            /* no access */
	assert_false(parse(&s, "ept:0x1000:w"));                 /* no range */
	assert_false(parse(&s, "ept:0x1000-0x10000000000000:w")); /* past 2^52 */
	assert_false(parse(&s, "ept:0x1000-0x2000:w,ept:0x3000-0x4000:w")); /* one range */
	assert_false(parse(&s, "ept:0x1g00-0x2000:w"));
}

/* Haswell in Bochs (docs: /work/shared/TESTBED.md): no monitor trap flag, secondary
 * controls 0x00047FFF (no RDSEED exiting, bit 16; RDRAND exiting bit 11 is there). */
static void haswell(struct vmx_caps *c, uint64_t proc_allowed1)
{
	memset(c, 0, sizeof(*c));
	vmx_caps_set_msr(c, MSR_IA32_VMX_BASIC, 0x00D810000000002BULL & ~(1ULL << 55)); /* no TRUE MSRs */
	vmx_caps_set_msr(c, MSR_IA32_VMX_PINBASED_CTLS, 0x0000007F00000016ULL);
	vmx_caps_set_msr(c, MSR_IA32_VMX_PROCBASED_CTLS, proc_allowed1 << 32 | 0x0401E172ULL);
	vmx_caps_set_msr(c, MSR_IA32_VMX_PROCBASED_CTLS2, 0x00047FFFULL << 32);
	vmx_caps_set_msr(c, MSR_IA32_VMX_EXIT_CTLS, 0x01FFFFFF00036DFFULL);
	vmx_caps_set_msr(c, MSR_IA32_VMX_ENTRY_CTLS, 0x0003FFFF000011FFULL);
	vmx_caps_set_msr(c, MSR_IA32_VMX_MISC, 0x200401E0ULL);
}

static void test_caps_refusal(void **state)
{
	struct vmx_caps c;
	struct intercept_set s;
	struct vmx_missing_bit m;
	char buf[200];
	(void)state;
	haswell(&c, 0xF7F9FFFEULL);
	assert_true(intercept_row_allowed(&c, INTERCEPT_HLT, NULL));
	assert_true(intercept_row_allowed(&c, INTERCEPT_RDRAND, NULL));
	assert_true(intercept_row_allowed(&c, INTERCEPT_EXTINT, NULL));
	assert_false(intercept_row_allowed(&c, INTERCEPT_RDSEED, &m));
	assert_int_equal(m.group, VMX_CTRL_PROC2);
	assert_int_equal(m.bit, 16);
	assert_true(intercept_ept_allowed(&c)); /* no MTF needed: the step is RFLAGS.TF */
	assert_true(parse(&s, "hlt,rdtsc,pf"));
	assert_null(intercept_refusal(&c, &s, buf, sizeof(buf)));
	assert_true(parse(&s, "hlt,rdseed"));
	assert_non_null(intercept_refusal(&c, &s, buf, sizeof(buf)));
	assert_non_null(strstr(buf, "intercept=rdseed"));
	assert_non_null(strstr(buf, "bit 16"));
	/* all: the rows this CPU can do, not RDSEED exiting; nothing refused */
	assert_true(parse(&s, "all"));
	assert_null(intercept_refusal(&c, &s, buf, sizeof(buf)));
	assert_int_equal(intercept_rows_resolve(&c, &s), ((1u << INTERCEPT_COUNT) - 1) & ~(1u << INTERCEPT_RDSEED));
	assert_true(parse(&s, "all,rdseed"));
	assert_non_null(intercept_refusal(&c, &s, buf, sizeof(buf)));
	assert_true(parse(&s, "ept:0x1000-0x1fff:w"));
	assert_null(intercept_refusal(&c, &s, buf, sizeof(buf))); /* Haswell, without MTF, too */
	/* no HLT activity state: intercept=hlt is refused */
	vmx_caps_set_msr(&c, MSR_IA32_VMX_MISC, 0x200401E0ULL & ~(1ULL << 6));
	assert_true(parse(&s, "hlt"));
	assert_non_null(intercept_refusal(&c, &s, buf, sizeof(buf)));
	assert_non_null(strstr(buf, "HLT activity"));
}

static void test_request(void **state)
{
	struct intercept_set s;
	struct vmx_ctrl_request r = { 0 };
	(void)state;
	assert_true(parse(&s, "cr3,extint,wbinvd,ept:0-0xfff:x"));
	intercept_request(s.rows, &s, &r);
	assert_int_equal(r.required[VMX_CTRL_PROC],
			 CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING); /* ept: no MTF */
	assert_int_equal(r.required[VMX_CTRL_PIN], PIN_BASED_EXT_INTR_EXITING);
	assert_int_equal(r.required[VMX_CTRL_EXIT], VM_EXIT_ACK_INTR_ON_EXIT);
	assert_int_equal(r.required[VMX_CTRL_PROC2], SECONDARY_EXEC_WBINVD_EXITING);
}

static void test_tsc(void **state)
{
	(void)state;
	assert_int_equal(intercept_guest_tsc(1000, false, 5, false, 0), 1000);
	assert_int_equal(intercept_guest_tsc(1000, true, (uint64_t)-100, false, 0), 900);
	/* multiplier 1.0 is 2^48; 0.5 halves */
	assert_int_equal(intercept_guest_tsc(1000, false, 0, true, 1ULL << 48), 1000);
	assert_int_equal(intercept_guest_tsc(1000, true, 7, true, 1ULL << 47), 507);
	/* the product needs 128 bits */
	assert_int_equal(intercept_guest_tsc(0xFFFFFFFFFFFFULL << 8, false, 0, true, 1ULL << 48), 0xFFFFFFFFFFFFULL << 8);
}

static void test_reg_and_flags(void **state)
{
	(void)state;
	assert_int_equal(intercept_reg_write(0x1122334455667788ULL, 0xAAAABBBBCCCCDDDDULL, 0), 0x112233445566DDDDULL);
	assert_int_equal(intercept_reg_write(0x1122334455667788ULL, 0xAAAABBBBCCCCDDDDULL, 1), 0xCCCCDDDDULL);
	assert_int_equal(intercept_reg_write(0x1122334455667788ULL, 0xAAAABBBBCCCCDDDDULL, 2), 0xAAAABBBBCCCCDDDDULL);
	assert_int_equal(intercept_rdrand_rflags(0x8D5 | 0x202, true), 0x203);
	assert_int_equal(intercept_rdrand_rflags(0x8D5 | 0x202, false), 0x202);
}

static void test_debug_registers(void **state)
{
	(void)state;
	/* single step: BS set, stale B0-B3 cleared, the fixed ones bits kept */
	assert_int_equal(intercept_dr6_after_db(0xFFFF0FF3ULL, 1ULL << 14), 0xFFFF4FF0ULL);
	/* breakpoint 2 hit, BS from before stays (the processor never clears it) */
	assert_int_equal(intercept_dr6_after_db(0xFFFF4FF0ULL, 1ULL << 2), 0xFFFF4FF4ULL);
	/* BD, and RTM (active low) reported */
	assert_int_equal(intercept_dr6_after_db(0xFFFF0FF0ULL, (1ULL << 13) | (1ULL << 16)), 0xFFFE2FF0ULL);
	assert_int_equal(intercept_dr7_after_db(0x2400), 0x400);
	assert_int_equal(intercept_dr7_after_db(0x403), 0x403);
}

static void test_combine(void **state)
{
	(void)state;
	/* #GP while delivering #NP: double fault; #PF while delivering #PF: double fault */
	assert_int_equal(intercept_exception_combine(3, 11, 13), COMBINE_DOUBLE_FAULT);
	assert_int_equal(intercept_exception_combine(3, 14, 14), COMBINE_DOUBLE_FAULT);
	assert_int_equal(intercept_exception_combine(3, 14, 13), COMBINE_DOUBLE_FAULT);
	/* #PF while delivering #GP: serially (contributory then page fault) */
	assert_int_equal(intercept_exception_combine(3, 13, 14), COMBINE_SECOND);
	/* benign first: serially */
	assert_int_equal(intercept_exception_combine(3, 1, 14), COMBINE_SECOND);
	assert_int_equal(intercept_exception_combine(3, 6, 13), COMBINE_SECOND);
	/* #DF then contributory or #PF: shutdown; then benign: serially */
	assert_int_equal(intercept_exception_combine(3, 8, 13), COMBINE_TRIPLE_FAULT);
	assert_int_equal(intercept_exception_combine(3, 8, 14), COMBINE_TRIPLE_FAULT);
	assert_int_equal(intercept_exception_combine(3, 8, 6), COMBINE_SECOND);
	/* not a hardware exception first (external interrupt, INT n, INT3): serially */
	assert_int_equal(intercept_exception_combine(0, 13, 13), COMBINE_SECOND);
	assert_int_equal(intercept_exception_combine(4, 13, 14), COMBINE_SECOND);
	assert_int_equal(intercept_exception_combine(6, 3, 14), COMBINE_SECOND);
}

static void test_msr_values(void **state)
{
	uint64_t out = 0;
	(void)state;
	/* EFER: LME with paging off; LMA stays what it was */
	assert_true(intercept_efer_write(0, 0x101, false, true, &out));
	assert_int_equal(out, 0x101);
	assert_true(intercept_efer_write(0xD01, 0xD01 & ~0x400ULL, true, true, &out));
	assert_int_equal(out, 0xD01);
	assert_false(intercept_efer_write(0xD01, 0x801, true, true, &out)); /* LME off, paging on */
	assert_false(intercept_efer_write(0, 0x800, false, false, &out));   /* NXE without NX */
	assert_false(intercept_efer_write(0, 1ULL << 20, false, true, &out)); /* reserved */
	assert_true(intercept_pat_valid(0x0007040600070406ULL));
	assert_false(intercept_pat_valid(0x0007040600070402ULL));
	assert_false(intercept_pat_valid(0x0807040600070406ULL));
	assert_true(intercept_canonical(0xFFFF800000000000ULL, 48));
	assert_true(intercept_canonical(0x00007FFFFFFFFFFFULL, 48));
	assert_false(intercept_canonical(0x0000800000000000ULL, 48));
	assert_true(intercept_canonical(0x0000800000000000ULL, 57));
}

/* INVPCID (%rax + %rcx*8 + 0x10), 64-bit address size; [bx + si] 16-bit, wrapping; [disp]
 * with base and index invalid. */
static void test_mem_offset(void **state)
{
	uint64_t gpr[16] = { 0 };
	(void)state;
	gpr[0] = 0x1000;  /* RAX */
	gpr[1] = 0x3;     /* RCX */
	uint32_t info = 3 | (2u << 7) | (1u << 18) | (0u << 23);
	assert_int_equal(intercept_mem_offset(info, 0x10, gpr), 0x1000 + 0x18 + 0x10);
	gpr[3] = 0xFFF0; /* RBX */
	gpr[6] = 0x20;   /* RSI */
	info = 0 | (0u << 7) | (6u << 18) | (3u << 23);
	assert_int_equal(intercept_mem_offset(info, 0, gpr), 0x10);
	info = (1u << 7) | (1u << 22) | (1u << 27);
	assert_int_equal(intercept_mem_offset(info, 0xFFFFFFFF00001234ULL, gpr), 0x1234);
}

static void test_invpcid_rules(void **state)
{
	(void)state;
	assert_false(intercept_invpcid_faults(0, 0x5, 0x7FFFFFFFF000ULL, true, 48));
	assert_true(intercept_invpcid_faults(4, 0, 0, true, 48));                    /* type */
	assert_true(intercept_invpcid_faults(2, 1ULL << 12, 0, true, 48));           /* reserved */
	assert_true(intercept_invpcid_faults(0, 0, 0x800000000000ULL, true, 48));    /* canonical */
	assert_false(intercept_invpcid_faults(1, 0, 0x800000000000ULL, true, 48));   /* not for type 1 */
	assert_true(intercept_invpcid_faults(1, 0x5, 0, false, 48));                 /* PCID, PCIDE off */
	assert_false(intercept_invpcid_faults(3, 0x5, 0, false, 48));                /* all: any PCID */
}

static void test_dr_rules(void **state)
{
	uint64_t v = 0;
	(void)state;
	assert_int_equal(intercept_dr_alias(4, false), 6);
	assert_int_equal(intercept_dr_alias(5, false), 7);
	assert_int_equal(intercept_dr_alias(4, true), 4);
	assert_int_equal(intercept_dr_alias(2, false), 2);
	assert_true(intercept_dr_write_value(7, 0xFFFF, &v));
	assert_int_equal(v, 0x27FF);
	assert_true(intercept_dr_write_value(7, 0, &v));
	assert_int_equal(v, 0x400);
	assert_false(intercept_dr_write_value(7, 1ULL << 32, &v));
	assert_false(intercept_dr_write_value(6, 1ULL << 40, &v));
	assert_true(intercept_dr_write_value(0, 0xFFFF800000001000ULL, &v));
	assert_int_equal(v, 0xFFFF800000001000ULL);
}

/* rdrand ax (66 0F C7 F0), rdrand eax, rdrand rax (48 0F C7 F0), rdseed r9w (66 41 0F C7 F9),
 * 16-bit code: rdrand ax without 66, with 66 32-bit; not RDRAND (0F C7 /1: cmpxchg8b). */
static void test_rdrand_osize(void **state)
{
	(void)state;
	assert_int_equal(intercept_rdrand_osize((const uint8_t[]){ 0x66, 0x0F, 0xC7, 0xF0 }, 4, true, false), 0);
	assert_int_equal(intercept_rdrand_osize((const uint8_t[]){ 0x0F, 0xC7, 0xF0 }, 3, true, false), 1);
	assert_int_equal(intercept_rdrand_osize((const uint8_t[]){ 0x48, 0x0F, 0xC7, 0xF0 }, 4, true, false), 2);
	assert_int_equal(intercept_rdrand_osize((const uint8_t[]){ 0x66, 0x41, 0x0F, 0xC7, 0xF9 }, 5, true, false), 0);
	assert_int_equal(intercept_rdrand_osize((const uint8_t[]){ 0x66, 0x48, 0x0F, 0xC7, 0xF0 }, 5, true, false), 2);
	assert_int_equal(intercept_rdrand_osize((const uint8_t[]){ 0x0F, 0xC7, 0xF0 }, 3, false, false), 0);
	assert_int_equal(intercept_rdrand_osize((const uint8_t[]){ 0x66, 0x0F, 0xC7, 0xF0 }, 4, false, false), 1);
	assert_int_equal(intercept_rdrand_osize((const uint8_t[]){ 0x66, 0x0F, 0xC7, 0xF0 }, 4, false, true), 0);
	assert_int_equal(intercept_rdrand_osize((const uint8_t[]){ 0x48, 0x0F, 0xC7, 0xF0 }, 4, false, true), -1); /* DEC EAX */
	assert_int_equal(intercept_rdrand_osize((const uint8_t[]){ 0x0F, 0xC7, 0x0E }, 3, true, false), -1);
	assert_int_equal(intercept_rdrand_osize((const uint8_t[]){ 0x0F, 0xC7 }, 2, true, false), -1);
}

/* The x2APIC ISR/IRR words with intercept=extint holding vectors 0x1F and 0xF0. */
static void test_x2apic_held_view(void **state)
{
	(void)state;
	const uint64_t held[4] = { 1ULL << 0x1F, 0, 0, 1ULL << (0xF0 - 0xC0) };
	assert_int_equal(intercept_x2apic_held_view(0x820, 0, held), 0x80000000u);          /* IRR 0-31 */
	assert_int_equal(intercept_x2apic_held_view(0x810, 0x80000001u, held), 1);          /* ISR 0-31 */
	assert_int_equal(intercept_x2apic_held_view(0x827, 0x2, held), 0x10002u);           /* IRR 224-255 */
	assert_int_equal(intercept_x2apic_held_view(0x817, 0x10000u, held), 0);             /* ISR 224-255 */
	assert_int_equal(intercept_x2apic_held_view(0x821, 0x5, held), 0x5);                /* nothing held */
	assert_int_equal(intercept_x2apic_held_view(0x818, 0x80000000u, held), 0x80000000u); /* TMR: as read */
	assert_int_equal(intercept_x2apic_held_view(0x80B, 7, held), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),         cmocka_unit_test(test_all),
		cmocka_unit_test(test_ept_range),     cmocka_unit_test(test_caps_refusal),
		cmocka_unit_test(test_request),       cmocka_unit_test(test_tsc),
		cmocka_unit_test(test_reg_and_flags), cmocka_unit_test(test_debug_registers),
		cmocka_unit_test(test_combine),       cmocka_unit_test(test_msr_values),
		cmocka_unit_test(test_mem_offset),    cmocka_unit_test(test_invpcid_rules),
		cmocka_unit_test(test_dr_rules),      cmocka_unit_test(test_rdrand_osize),
		cmocka_unit_test(test_x2apic_held_view),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
