/* Unit tests: vmx/policy/policy.c (CPUID view, CR0/CR4/XCR0 rules), vmx/policy/setup.c (MSR and I/O
 * bitmaps, the control request), vmx/policy/hypercall_check.c (buffer checks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "arch/cr.h"
#include "arch/memory.h"
#include "arch/msr.h"
#include "vmx/vmcs/controls.h"
#include "vmx/policy/hypercall.h"
#include "arch/cpuid_bits.h"
#include "vmx/policy/hypercall_abi.h"
#include "vmx/policy/policy.h"
#include "vmx/policy/setup.h"

static void test_cpuid_leaf1(void **state)
{
	(void)state;
	const uint32_t xsave = 1u << CPUID1_ECX_XSAVE_BIT, osxsave = 1u << CPUID1_ECX_OSXSAVE_BIT;
	const uint32_t hypervisor = 1u << CPUID1_ECX_HYPERVISOR_BIT;
	struct cpuid_result r = { 0x306c3, 0x800, 0xfffaf3bf | xsave, 0xbfebfbff };
	cpuid_policy_apply(1, 0, &r, 0x1, 0);
	assert_int_equal(r.ecx & (1u << CPUID1_ECX_VMX_BIT), 0); /* VMX hidden */
	assert_int_equal(r.ecx & hypervisor, hypervisor);         /* hypervisor present */
	assert_int_equal(r.ecx & osxsave, 0);                     /* guest CR4.OSXSAVE = 0 */
	assert_int_equal(r.eax, 0x306c3);                         /* untouched */
	r.ecx = xsave; /* XSAVE, OSXSAVE clear in root's view */
	cpuid_policy_apply(1, 0, &r, 0x1, CR4_OSXSAVE);
	assert_int_equal(r.ecx, xsave | osxsave | hypervisor);
	r.ecx = osxsave; /* no XSAVE: OSXSAVE left as the hardware said */
	cpuid_policy_apply(1, 0, &r, 0x1, 0);
	assert_int_equal(r.ecx, osxsave | hypervisor);
}

static void test_cpuid_leaf7_ospke(void **state)
{
	(void)state;
	struct cpuid_result r = { 0, 0, (1u << CPUID7_ECX_PKU_BIT) | (1u << CPUID7_ECX_OSPKE_BIT), 0 };
	cpuid_policy_apply(7, 0, &r, 0x1, 0);
	assert_int_equal(r.ecx, 1u << 3);
	cpuid_policy_apply(7, 0, &r, 0x1, CR4_PKE);
	assert_int_equal(r.ecx, (1u << 3) | (1u << 4));
}

/* Leaf 7 passes through unless PKU mirrors CR4.PKE: subleaf 0 without PKU and subleaf 1
 * keep every bit (regression: a shortcut once zeroed them, hiding SMEP, FSGSBASE, ...
 * from the guest; found by the in-guest fuzzer, whose CR4 cases follow CPUID). */
static void test_cpuid_leaf7_passes_through(void **state)
{
	(void)state;
	struct cpuid_result r = { 0, 0x000027ABu, 0, 0x9C000400u }; /* Haswell 7.0: no PKU */
	cpuid_policy_apply(7, 0, &r, 0x1, 0);
	assert_int_equal(r.ebx, 0x000027ABu);
	assert_int_equal(r.edx, 0x9C000400u);
	struct cpuid_result s = { 0x04000040u, 0x1, 0x2, 0x3 };
	cpuid_policy_apply(7, 1, &s, 0x1, CR4_PKE);
	assert_int_equal(s.eax, 0x04000040u);
	assert_int_equal(s.ebx, 0x1);
	assert_int_equal(s.ecx, 0x2);
	assert_int_equal(s.edx, 0x3);
	assert_true(cpuid_policy_touches(7));
	assert_true(cpuid_policy_touches(0x40000001u));
	assert_false(cpuid_policy_touches(0));
	assert_false(cpuid_policy_touches(0x80000008u)); /* 0x80000001 is touched: SYSCALL outside 64-bit mode */
}

/* CPUID runs in 64-bit root mode: a 32-bit guest must not see SYSCALL (vmxdiff's
 * pm32.cpuid_80000001 read EDX 0x2c100800 under vmxray, 0x2c100000 on bare Bochs). */
static void test_cpuid_syscall_64bit_only(void **state)
{
	(void)state;
	struct cpuid_result r = { 0, 0, 0x21, 0x2c100800 };
	cpuid_policy_apply(0x80000001u, 0, &r, 0x1, 0);
	assert_int_equal(r.edx, 0x2c100800);
	assert_true(cpuid_policy_touches(0x80000001u));
	cpuid_policy_apply_mode(0x80000001u, &r, true);
	assert_int_equal(r.edx, 0x2c100800);
	cpuid_policy_apply_mode(0x80000001u, &r, false);
	assert_int_equal(r.edx, 0x2c100000);
	assert_int_equal(r.ecx, 0x21);
}

static void test_cpuid_hypervisor_leaves(void **state)
{
	(void)state;
	struct cpuid_result r = { 0xd, 0x756e6547, 0x6c65746e, 0x49656e69 };
	cpuid_policy_apply(0x40000000, 0, &r, 0x1, 0);
	assert_int_equal(r.eax, 0x40000001);
	char sig[13];
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	sig[12] = 0;
	assert_string_equal(sig, "VmxRayVmxRay");
	r = (struct cpuid_result){ 1, 2, 3, 4 };
	cpuid_policy_apply(0x40000001, 0, &r, 0x00000001, 0);
	assert_int_equal(r.eax, 1);
	assert_int_equal(r.ebx | r.ecx | r.edx, 0);
	r = (struct cpuid_result){ 1, 2, 3, 4 };
	cpuid_policy_apply(0x4FFFFFFF, 0, &r, 0x1, 0);
	assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
	r = (struct cpuid_result){ 1, 2, 3, 4 };
	cpuid_policy_apply(0x80000001, 0, &r, 0x1, 0);
	assert_int_equal(r.eax, 1);
	assert_int_equal(r.edx, 4);
}

static void test_msr_views(void **state)
{
	(void)state;
	assert_true(msr_is_hidden_vmx(0x480));
	assert_true(msr_is_hidden_vmx(0x492));
	assert_false(msr_is_hidden_vmx(0x47F));
	assert_false(msr_is_hidden_vmx(0x493));
	assert_int_equal(feature_control_guest_view(0x0), 0x1);
	assert_int_equal(feature_control_guest_view(0x5), 0x1);
	assert_int_equal(feature_control_guest_view(0xFF07), 0xFF01);
}

static const struct cr_context long_mode = {
	.cr0 = CR0_PG | CR0_PE | CR0_NE | CR0_ET, .cr3 = 0x1000,
	.cr4 = CR4_PAE | CR4_OSFXSR, .efer = EFER_LME | EFER_LMA, .cs_l = true,
	.cr4_supported = 0x3767FF,
};

static void test_cr0_rules(void **state)
{
	(void)state;
	assert_false(cr0_write_faults(&long_mode, long_mode.cr0 | CR0_WP));
	assert_true(cr0_write_faults(&long_mode, 1ULL << 32));                 /* reserved */
	assert_true(cr0_write_faults(&long_mode, CR0_PG | CR0_NE));           /* PG without PE */
	assert_true(cr0_write_faults(&long_mode, long_mode.cr0 | CR0_NW));    /* NW without CD */
	assert_false(cr0_write_faults(&long_mode, long_mode.cr0 | CR0_NW | CR0_CD));
	assert_true(cr0_write_faults(&long_mode, CR0_PE | CR0_NE));           /* PG off in 64-bit code */
	struct cr_context c = { .cr0 = CR0_PE, .cr4 = 0, .efer = EFER_LME };
	assert_true(cr0_write_faults(&c, CR0_PE | CR0_PG));                   /* LME without PAE */
	c.cr4 = CR4_PAE;
	assert_false(cr0_write_faults(&c, CR0_PE | CR0_PG));
	struct cr_context cet = long_mode; /* CET on: WP may not be cleared */
	cet.cr0 |= CR0_WP;
	cet.cr4 |= CR4_CET;
	assert_true(cr0_write_faults(&cet, cet.cr0 & ~CR0_WP));
	assert_false(cr0_write_faults(&cet, cet.cr0 | CR0_AM));
	cet.cr4 &= ~CR4_CET;
	assert_false(cr0_write_faults(&cet, cet.cr0 & ~CR0_WP));
}

/* cr0_write_is_plain against cr0_write_faults: every combination of the CR0 bits the rules
 * read (PE, NE, WP, NW, CD, PG), old and new, in every context of CR4.PAE/PCIDE/CET,
 * EFER.LME and CS.L a running guest can have (no PG without PE, no WP = 0 with CET = 1):
 * a plain write never faults and keeps PG, CD, NW and WP; and the plain writes are not
 * nothing (the benchmark's NE toggle and an OS's TS toggle are among them). */
static void test_cr0_plain_write(void **state)
{
	(void)state;
	static const uint64_t bits[] = { CR0_PE, CR0_NE, CR0_WP, CR0_NW, CR0_CD, CR0_PG };
	const unsigned nbits = sizeof(bits) / sizeof(bits[0]);
	unsigned plain = 0;
	for (unsigned o = 0; o < 1u << nbits; o++) {
		uint64_t old = 0;
		for (unsigned i = 0; i < nbits; i++)
			old |= (o >> i) & 1 ? bits[i] : 0;
		if ((old & CR0_PG) && !(old & CR0_PE))
			continue;
		for (unsigned n = 0; n < 1u << nbits; n++) {
			uint64_t v = 0;
			for (unsigned i = 0; i < nbits; i++)
				v |= (n >> i) & 1 ? bits[i] : 0;
			if (!cr0_write_is_plain(old, v))
				continue;
			plain++;
			assert_int_equal((old ^ v) & (CR0_PG | CR0_CD | CR0_NW | CR0_WP), 0);
			for (unsigned k = 0; k < 32; k++) {
				struct cr_context c = { .cr0 = old,
							.cr4 = ((k & 1) ? CR4_PAE : 0) | ((k & 2) ? CR4_PCIDE : 0) |
							       ((k & 4) ? CR4_CET : 0),
							.efer = (k & 8) ? EFER_LME : 0,
							.cs_l = (k & 16) != 0 };
				if ((c.cr4 & CR4_CET) && !(old & CR0_WP))
					continue;
				assert_false(cr0_write_faults(&c, v));
			}
		}
		assert_false(cr0_write_is_plain(old, old | (1ULL << 32))); /* bits 63:32: the whole path */
		assert_false(cr0_write_is_plain(old, old ^ CR0_PG));
	}
	assert_true(cr0_write_is_plain(long_mode.cr0 | CR0_WP, (long_mode.cr0 | CR0_WP) & ~CR0_NE));
	assert_true(cr0_write_is_plain(long_mode.cr0, long_mode.cr0 | CR0_TS));
	assert_false(cr0_write_is_plain(long_mode.cr0, long_mode.cr0 & ~CR0_PE)); /* PG without PE */
	assert_int_not_equal(plain, 0);
}

static void test_cr4_rules(void **state)
{
	(void)state;
	assert_false(cr4_write_faults(&long_mode, long_mode.cr4 | CR4_PGE));
	assert_true(cr4_write_faults(&long_mode, long_mode.cr4 | CR4_VMXE));  /* VMX hidden */
	assert_true(cr4_write_faults(&long_mode, long_mode.cr4 | (1ULL << 63)));
	assert_true(cr4_write_faults(&long_mode, CR4_OSFXSR));                /* PAE off in long mode */
	assert_true(cr4_write_faults(&long_mode, long_mode.cr4 | CR4_LA57));  /* LA57 change */
	struct cr_context c = long_mode;
	c.cr3 = 0x2005;
	assert_true(cr4_write_faults(&c, c.cr4 | CR4_PCIDE)); /* CR3[11:0] != 0 */
	c.cr3 = 0x2000;
	assert_false(cr4_write_faults(&c, c.cr4 | CR4_PCIDE));
	c.efer = 0;
	assert_true(cr4_write_faults(&c, CR4_PCIDE));                         /* PCIDE outside long mode */
	struct cr_context cet = long_mode;
	cet.cr4_supported |= CR4_CET;
	assert_true(cr4_write_faults(&cet, cet.cr4 | CR4_CET));               /* CET with WP clear */
	cet.cr0 |= CR0_WP;
	assert_false(cr4_write_faults(&cet, cet.cr4 | CR4_CET));
}

static void test_xsetbv_rules(void **state)
{
	(void)state;
	uint64_t sup = 0x7; /* x87 SSE AVX */
	assert_false(xsetbv_faults(0, 0x7, sup, 0));
	assert_false(xsetbv_faults(0, 0x3, sup, 0));
	assert_true(xsetbv_faults(0, 0x7, sup, 3));   /* CPL 3 */
	assert_true(xsetbv_faults(1, 0x7, sup, 0));   /* XCR1 */
	assert_true(xsetbv_faults(0, 0x6, sup, 0));   /* x87 clear */
	assert_true(xsetbv_faults(0, 0x5, sup, 0));   /* AVX without SSE */
	assert_true(xsetbv_faults(0, 0x8 | 1, sup, 0)); /* unsupported */
	assert_true(xsetbv_faults(0, 1ULL << 63 | 1, sup, 0));
	uint64_t mpx = 0x1F, avx512 = 0xE7;
	assert_true(xsetbv_faults(0, 0x0B, mpx, 0));  /* BNDREGS without BNDCSR */
	assert_false(xsetbv_faults(0, 0x1B, mpx, 0));
	assert_true(xsetbv_faults(0, 0x27, avx512, 0)); /* part of AVX-512 */
	assert_false(xsetbv_faults(0, 0xE7, avx512, 0));
}

static void test_msr_bitmap(void **state)
{
	(void)state;
	static uint8_t bm[4096];
	memset(bm, 0, sizeof(bm));
	setup_msr_bitmap(bm);
	assert_true(msr_bitmap_intercepts(bm, MSR_IA32_VMX_BASIC, false));
	assert_true(msr_bitmap_intercepts(bm, MSR_IA32_VMX_BASIC, true));
	assert_true(msr_bitmap_intercepts(bm, MSR_IA32_FEATURE_CONTROL, false));
	/* The guest's MTRRs are a virtual copy (issue 20, finding 6): reads exit too. */
	assert_true(msr_bitmap_intercepts(bm, MSR_IA32_MTRR_DEF_TYPE, false));
	assert_true(msr_bitmap_intercepts(bm, 0x20F, false));
	assert_true(msr_bitmap_intercepts(bm, MSR_IA32_MTRR_DEF_TYPE, true));
	assert_true(msr_bitmap_intercepts(bm, 0x20F, true));                    /* PHYSMASK7 */
	assert_true(msr_bitmap_intercepts(bm, MSR_IA32_MTRR_FIX4K_F8000, true));
	assert_false(msr_bitmap_intercepts(bm, MSR_IA32_APERF, false));        /* Linux reads it 2000x */
	assert_false(msr_bitmap_intercepts(bm, MSR_IA32_EFER, true));
	assert_false(msr_bitmap_intercepts(bm, MSR_IA32_TSC, false));
	assert_true(msr_bitmap_intercepts(bm, 0x40000000, false));             /* outside both ranges */
	/* layout: read-low at 0, write-low at 2048 (SDM 25.6.9) */
	assert_int_equal(bm[0x480 / 8], 0xFF);
	assert_int_equal(bm[2048 + 0x3A / 8] & (1u << (0x3A % 8)), 1u << (0x3A % 8));
}

/* The bitmap built from vmx/policy/msr_policy.def makes exactly the listed accesses exit, in both
 * ranges, and the handler's action for each comes from the same line. */
static void test_msr_bitmap_is_the_table(void **state)
{
	(void)state;
	static uint8_t bm[4096];
	memset(bm, 0, sizeof(bm));
	setup_msr_bitmap(bm);
	static const uint32_t starts[2] = { 0, 0xC0000000u };
	for (unsigned r = 0; r < 2; r++) {
		for (uint32_t m = starts[r]; m <= starts[r] + 0x1FFF; m++) {
			assert_int_equal(msr_bitmap_intercepts(bm, m, false), msr_action_exits(msr_policy_action(m, false)));
			assert_int_equal(msr_bitmap_intercepts(bm, m, true), msr_action_exits(msr_policy_action(m, true)));
		}
	}
	unsigned listed = 0, set = 0;
	for (unsigned i = 0; i < msr_policy_count; i++) {
		const struct msr_policy_entry *p = &msr_policy_table[i];
		unsigned n = p->last - p->first + 1;
		listed += n * (msr_action_exits(p->read) + msr_action_exits(p->write));
		assert_true(p->reason && p->reason[0]);
	}
	for (unsigned i = 0; i < 4096; i++)
		set += __builtin_popcount(bm[i]);
	assert_int_equal(set, listed);
	/* the trace and PEBS/DS escapes: #GP both ways */
	static const uint32_t gp[] = { 0x560, 0x561, 0x570, 0x571, 0x572, 0x580, 0x58F, 0x600, 0x3F1, 0x345 };
	for (unsigned i = 0; i < sizeof(gp) / sizeof(gp[0]); i++) {
		assert_int_equal(msr_policy_action(gp[i], false), MSR_ACTION_GP);
		assert_int_equal(msr_policy_action(gp[i], true), MSR_ACTION_GP);
		assert_true(msr_bitmap_intercepts(bm, gp[i], false));
		assert_true(msr_bitmap_intercepts(bm, gp[i], true));
	}
	assert_int_equal(msr_policy_action(MSR_IA32_PERF_GLOBAL_CTRL, true), MSR_ACTION_SWITCH);
	assert_int_equal(msr_policy_action(MSR_IA32_PERF_GLOBAL_CTRL, false), MSR_ACTION_PASS);
	assert_int_equal(msr_policy_action(MSR_IA32_DEBUGCTL, true), MSR_ACTION_SWITCH);
	assert_int_equal(msr_policy_action(MSR_IA32_APIC_BASE, true), MSR_ACTION_EMULATE);
	assert_int_equal(msr_policy_action(MSR_IA32_APIC_BASE, false), MSR_ACTION_PASS);
	assert_int_equal(msr_policy_action(MSR_IA32_MISC_ENABLE, false), MSR_ACTION_EMULATE);
	assert_int_equal(msr_policy_action(0x830, true), MSR_ACTION_SOFTIPI);
	assert_false(msr_bitmap_intercepts(bm, 0x830, true));        /* only with soft IPIs */
	assert_int_equal(msr_policy_action(0x55F, true), MSR_ACTION_PASS);
	assert_int_equal(msr_policy_action(0x590, true), MSR_ACTION_PASS);
	assert_int_equal(msr_policy_action(MSR_IA32_LSTAR, true), MSR_ACTION_PASS);
	assert_int_equal(misc_enable_guest_view(0x850089), 0x850089u | (1u << 11) | (1u << 12));
}

/* Intel PT and DS/BTS/PEBS are hidden as on a CPU without them. */
static void test_cpuid_hides_trace_and_pebs(void **state)
{
	(void)state;
	struct cpuid_result r = { 0x306c3, 0x800, 0x7ffafbff, 0xbfebfbff }; /* DTES64, PDCM, DS set */
	cpuid_policy_apply(1, 0, &r, 0x1, 0);
	assert_int_equal(r.ecx & ((1u << 2) | (1u << 15)), 0);
	assert_int_equal(r.edx & (1u << 21), 0);
	assert_int_equal(r.edx, 0xbfebfbffu & ~(1u << 21));
	struct cpuid_result s = { 0, 0x029C6FBFu | (1u << 25), 0, 0 };
	cpuid_policy_apply(7, 0, &s, 0x1, 0);
	assert_int_equal(s.ebx, 0x029C6FBFu & ~(1u << 25));
	assert_true(cpuid_policy_touches(0x14));
	struct cpuid_result pt = { 1, 0xF, 0x7, 0 };
	cpuid_policy_apply(0x14, 0, &pt, 0x1, 0);
	assert_int_equal(pt.eax | pt.ebx | pt.ecx | pt.edx, 0);
	pt = (struct cpuid_result){ 0x2, 0x3, 0, 0 };
	cpuid_policy_apply(0x14, 1, &pt, 0x1, 0);
	assert_int_equal(pt.eax | pt.ebx | pt.ecx | pt.edx, 0);
}

static void test_io_bitmap(void **state)
{
	(void)state;
	static uint8_t a[4096], b[4096];
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	setup_io_bitmaps(a, b, 0xB004);
	assert_int_equal(a[0xCF9 / 8], 1u << (0xCF9 % 8));
	assert_int_equal(a[0x64 / 8], 1u << (0x64 % 8));
	assert_int_equal(b[(0xB004 & 0x7FFF) / 8], (1u << (0xB004 % 8)) | (1u << (0xB005 % 8)));
	assert_int_equal(a[0x3F8 / 8], 0);
	unsigned set = 0;
	for (unsigned i = 0; i < 4096; i++)
		set += __builtin_popcount(a[i]) + __builtin_popcount(b[i]);
	assert_int_equal(set, 4);
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	setup_io_bitmaps(a, b, 0); /* no PM1a port known: only 0xCF9 and 0x64 */
	set = 0;
	for (unsigned i = 0; i < 4096; i++)
		set += __builtin_popcount(a[i]) + __builtin_popcount(b[i]);
	assert_int_equal(set, 2);
	assert_int_equal(a[0], 0); /* port 0 is never intercepted for an unknown PM1a */
}

static void test_control_request(void **state)
{
	(void)state;
	struct vmx_ctrl_request r;
	setup_control_request(&r);
	assert_true(r.required[VMX_CTRL_PROC2] & SECONDARY_EXEC_ENABLE_EPT);
	assert_true(r.required[VMX_CTRL_PROC2] & SECONDARY_EXEC_UNRESTRICTED_GUEST);
	assert_true(r.required[VMX_CTRL_PROC] & CPU_BASED_USE_MSR_BITMAPS);
	assert_true(r.required[VMX_CTRL_PROC] & CPU_BASED_USE_IO_BITMAPS);
	assert_true(r.optional[VMX_CTRL_PROC2] & SECONDARY_EXEC_ENABLE_VPID);
	assert_false(r.required[VMX_CTRL_PROC] & CPU_BASED_HLT_EXITING);
}

static void test_hypercall_buffers(void **state)
{
	(void)state;
	struct mem_map ram = { 0 };
	mem_map_add(&ram, 0, 0xA0000);
	mem_map_add(&ram, 0x100000, 0xFF00000);
	struct mem_range owned[1] = { { 0xDD59000, 0x2B7000 } };
	assert_int_equal(hypercall_check_buffer(&ram, owned, 1, 0x200000, 4096, 640), VMXRAY_HC_OK);
	assert_int_equal(hypercall_check_buffer(&ram, owned, 1, 0x200000, 639, 640), VMXRAY_HC_ENOSPC);
	assert_int_equal(hypercall_check_buffer(&ram, owned, 1, 0x200004, 4096, 640), VMXRAY_HC_EINVAL);
	assert_int_equal(hypercall_check_buffer(&ram, owned, 1, 0xFFFFFFFFF000, 4096, 640), VMXRAY_HC_EFAULT);
	assert_int_equal(hypercall_check_buffer(&ram, owned, 1, 0xA0000, 4096, 8), VMXRAY_HC_EFAULT); /* VGA hole */
	assert_int_equal(hypercall_check_buffer(&ram, owned, 1, 0xDD59000, 4096, 8), VMXRAY_HC_EFAULT);
	assert_int_equal(hypercall_check_buffer(&ram, owned, 1, 0xDD58FF8, 4096, 16), VMXRAY_HC_EFAULT); /* straddles */
	assert_int_equal(hypercall_check_buffer(&ram, owned, 1, 0xFFFFFFFFFFFFFFF8ULL, 64, 16), VMXRAY_HC_EFAULT); /* wraps */
	assert_int_equal(hypercall_check_buffer(&ram, owned, 1, 0x9FFF8, 4096, 16), VMXRAY_HC_EFAULT); /* runs past RAM */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpuid_leaf1),
		cmocka_unit_test(test_cpuid_leaf7_ospke), cmocka_unit_test(test_cpuid_leaf7_passes_through),
		cmocka_unit_test(test_cpuid_syscall_64bit_only),
		cmocka_unit_test(test_cpuid_hypervisor_leaves),
		cmocka_unit_test(test_msr_views),
		cmocka_unit_test(test_cr0_rules),
		cmocka_unit_test(test_cr0_plain_write),
		cmocka_unit_test(test_cr4_rules),
		cmocka_unit_test(test_xsetbv_rules),
		cmocka_unit_test(test_msr_bitmap),
		cmocka_unit_test(test_msr_bitmap_is_the_table),
		cmocka_unit_test(test_cpuid_hides_trace_and_pebs),
		cmocka_unit_test(test_io_bitmap),
		cmocka_unit_test(test_control_request),
		cmocka_unit_test(test_hypercall_buffers),
	};
	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
