/* Unit tests: vmx/caps/caps.c (snapshot rules, negotiation, predicates) and vmx/study/caps_matrix.c.
 * Fixtures are recorded numbers: IA32_VMX_BASIC, PROCBASED_CTLS2, EPT_VPID_CAP and MISC
 * as Bochs reports them for its CPU models; the pin/proc/exit/entry values are typical of
 * the same generations (default1 bits per SDM Vol. 3C, A.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "arch/cpuid_bits.h"
#include "vmx/caps/caps.h"
#include "vmx/decode/decode.h"

/* ---- A fake CPU: CPUID leaves and an MSR table; reading an absent MSR is a #GP ---- */

struct msr_val {
	uint32_t msr;
	uint64_t value;
};

struct fake_cpu {
	uint32_t signature; /* CPUID.1:EAX */
	uint32_t ecx1;      /* CPUID.1:ECX */
	uint32_t max_ext;   /* CPUID.80000000H:EAX */
	const struct msr_val *msrs; /* ends with { 0, 0 } */
	unsigned reads;
};

#define ECX1_VMX (1u << CPUID1_ECX_VMX_BIT)
#define ECX1_SMX (1u << CPUID1_ECX_SMX_BIT)
#define ECX1_HASWELL (ECX1_VMX | (1u << CPUID1_ECX_X2APIC_BIT) | (1u << CPUID1_ECX_XSAVE_BIT) | \
		      (1u << CPUID1_ECX_OSXSAVE_BIT))

static struct vmx_cpuid_regs fake_cpuid(void *ctx, uint32_t leaf, uint32_t subleaf)
{
	const struct fake_cpu *f = ctx;
	struct vmx_cpuid_regs r = { 0, 0, 0, 0 };

	(void)subleaf;
	if (leaf == 0)
		r = (struct vmx_cpuid_regs){ 0x16, 0x756E6547, 0x6C65746E, 0x49656E69 };
	else if (leaf == 1)
		r = (struct vmx_cpuid_regs){ f->signature, 0x00100800, f->ecx1, 1u << 6 };
	else if (leaf == 0x80000000u)
		r.eax = f->max_ext;
	else if (leaf == 0x80000001u)
		r.edx = 1u << 26;
	else if (leaf == 0x80000008u)
		r.eax = 0x3027;
	return r;
}

static uint64_t fake_rdmsr(void *ctx, uint32_t msr)
{
	struct fake_cpu *f = ctx;

	f->reads++;
	for (const struct msr_val *m = f->msrs; m->msr; m++)
		if (m->msr == msr)
			return m->value;
	fail_msg("RDMSR 0x%x: this MSR does not exist here (#GP)", msr);
	return 0;
}

static void load(struct vmx_caps *c, struct fake_cpu *f)
{
	const struct vmx_caps_source src = { fake_cpuid, fake_rdmsr, f };

	vmx_caps_collect(c, &src);
}

/* Haswell-generation values shared by the fixtures. */
#define MSRS_COMMON                                                   \
	{ MSR_IA32_FEATURE_CONTROL, 0x5 },                            \
	{ MSR_IA32_VMX_PINBASED_CTLS, 0x0000007F00000016ULL },        \
	{ MSR_IA32_VMX_EXIT_CTLS, 0x007FFFFF00036DFFULL },            \
	{ MSR_IA32_VMX_ENTRY_CTLS, 0x0000FFFF000011FFULL },           \
	{ MSR_IA32_VMX_MISC, 0x200401E0ULL },                         \
	{ MSR_IA32_VMX_CR0_FIXED0, 0x80000021ULL },                   \
	{ MSR_IA32_VMX_CR0_FIXED1, 0xFFFFFFFFULL },                   \
	{ MSR_IA32_VMX_CR4_FIXED0, 0x2000ULL },                       \
	{ MSR_IA32_VMX_CR4_FIXED1, 0x3767FFULL },                     \
	{ MSR_IA32_VMX_VMCS_ENUM, 0x2EULL }
#define MSRS_TRUE                                                     \
	{ MSR_IA32_VMX_TRUE_PINBASED_CTLS, 0x0000007F00000016ULL },   \
	{ MSR_IA32_VMX_TRUE_PROCBASED_CTLS, 0xFFF9FFFE04006172ULL },  \
	{ MSR_IA32_VMX_TRUE_EXIT_CTLS, 0x007FFFFF00036DFBULL },       \
	{ MSR_IA32_VMX_TRUE_ENTRY_CTLS, 0x0000FFFF000011FBULL }
#define PROC_HASWELL 0xFFF9FFFE0401E172ULL /* allowed-1: all but 0, 17, 18 */

static const struct msr_val haswell_msrs[] = {
	MSRS_COMMON, MSRS_TRUE,
	{ MSR_IA32_VMX_BASIC, 0x00D810000000002BULL },
	{ MSR_IA32_VMX_PROCBASED_CTLS, PROC_HASWELL },
	{ MSR_IA32_VMX_PROCBASED_CTLS2, 0x00047FFFULL << 32 },
	{ MSR_IA32_VMX_EPT_VPID_CAP, 0xF0106334141ULL },
	{ MSR_IA32_VMX_VMFUNC, 0x1 },
	{ 0, 0 },
};

static const struct msr_val skylake_x_msrs[] = {
	MSRS_COMMON, MSRS_TRUE,
	{ MSR_IA32_VMX_BASIC, 0x00D810000000002BULL },
	{ MSR_IA32_VMX_PROCBASED_CTLS, PROC_HASWELL },
	{ MSR_IA32_VMX_PROCBASED_CTLS2, 0x02177FFFULL << 32 },
	{ MSR_IA32_VMX_EPT_VPID_CAP, 0xF0106334141ULL },
	{ MSR_IA32_VMX_VMFUNC, 0x1 },
	{ 0, 0 },
};

static const struct msr_val tigerlake_msrs[] = {
	MSRS_COMMON, MSRS_TRUE,
	{ MSR_IA32_VMX_BASIC, 0x01D8100000000004ULL },
	{ MSR_IA32_VMX_PROCBASED_CTLS, PROC_HASWELL },
	{ MSR_IA32_VMX_PROCBASED_CTLS2, 0x02977FFFULL << 32 },
	{ MSR_IA32_VMX_EPT_VPID_CAP, 0xF0106B34141ULL },
	{ MSR_IA32_VMX_VMFUNC, 0x1 },
	{ 0, 0 },
};

/* Nehalem: EPT and VPID, no unrestricted guest, no VM functions. */
static const struct msr_val lynnfield_msrs[] = {
	MSRS_COMMON, MSRS_TRUE,
	{ MSR_IA32_VMX_BASIC, 0x00D810000000000EULL },
	{ MSR_IA32_VMX_PROCBASED_CTLS, PROC_HASWELL },
	{ MSR_IA32_VMX_PROCBASED_CTLS2, 0x0000007FULL << 32 },
	{ MSR_IA32_VMX_EPT_VPID_CAP, 0xF0106114141ULL },
	{ 0, 0 },
};

/* Penryn: secondary controls without EPT or VPID, no TRUE MSRs (BASIC bit 55 = 0), so no
 * IA32_VMX_EPT_VPID_CAP, VMFUNC or TRUE_* to read. */
static const struct msr_val penryn_msrs[] = {
	MSRS_COMMON,
	{ MSR_IA32_VMX_BASIC, 0x005A08000000000DULL },
	{ MSR_IA32_VMX_PROCBASED_CTLS, PROC_HASWELL },
	{ MSR_IA32_VMX_PROCBASED_CTLS2, 0x00000041ULL << 32 },
	{ 0, 0 },
};

/* Merom-like: no "activate secondary controls" at all. */
static const struct msr_val merom_msrs[] = {
	MSRS_COMMON,
	{ MSR_IA32_VMX_BASIC, 0x005A08000000000DULL },
	{ MSR_IA32_VMX_PROCBASED_CTLS, 0x77F9FFFE0401E172ULL },
	{ 0, 0 },
};

/* Synthetic: haswell plus tertiary controls offering only "IPI virtualization". */
static const struct msr_val tertiary_msrs[] = {
	MSRS_COMMON,
	{ MSR_IA32_VMX_TRUE_PINBASED_CTLS, 0x0000007F00000016ULL },
	{ MSR_IA32_VMX_TRUE_PROCBASED_CTLS, 0xFFFBFFFE04006172ULL },
	{ MSR_IA32_VMX_TRUE_EXIT_CTLS, 0x007FFFFF00036DFBULL },
	{ MSR_IA32_VMX_TRUE_ENTRY_CTLS, 0x0000FFFF000011FBULL },
	{ MSR_IA32_VMX_BASIC, 0x00D810000000002BULL },
	{ MSR_IA32_VMX_PROCBASED_CTLS, 0xFFFBFFFE0401E172ULL },
	{ MSR_IA32_VMX_PROCBASED_CTLS2, 0x00047FFFULL << 32 },
	{ MSR_IA32_VMX_EPT_VPID_CAP, 0xF0106334141ULL },
	{ MSR_IA32_VMX_VMFUNC, 0x1 },
	{ MSR_IA32_VMX_PROCBASED_CTLS3, 0x10 },
	{ 0, 0 },
};

static const struct msr_val no_msrs[] = { { 0, 0 } };

static struct vmx_caps caps;

static void load_cpu(const struct msr_val *msrs)
{
	struct fake_cpu f = { 0x000306C3, ECX1_HASWELL, 0x80000008u, msrs, 0 };

	load(&caps, &f);
}

/* What vmxray asks for: EPT with unrestricted guest, MSR bitmaps, a 64-bit host. */
static struct vmx_ctrl_request request(void)
{
	struct vmx_ctrl_request r = { { 0 }, { 0 } };

	r.required[VMX_CTRL_PROC] = CPU_BASED_USE_MSR_BITMAPS;
	r.required[VMX_CTRL_PROC2] = SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST;
	r.optional[VMX_CTRL_PROC2] = SECONDARY_EXEC_ENABLE_VPID | SECONDARY_EXEC_ENABLE_RDTSCP |
				     SECONDARY_EXEC_ENABLE_INVPCID | SECONDARY_EXEC_ENABLE_XSAVES |
				     SECONDARY_EXEC_ENABLE_PML;
	r.required[VMX_CTRL_EXIT] = VM_EXIT_HOST_ADDR_SPACE_SIZE;
	r.optional[VMX_CTRL_EXIT] = VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER;
	r.optional[VMX_CTRL_ENTRY] = VM_ENTRY_LOAD_IA32_EFER;
	return r;
}

static void assert_missing(const struct vmx_missing *m, unsigned i, enum vmx_ctrl_group g,
			   unsigned bit, const char *text)
{
	char buf[160];

	assert_true(i < m->count);
	assert_int_equal(m->item[i].group, g);
	assert_int_equal(m->item[i].bit, bit);
	vmx_missing_describe(&m->item[i], buf, sizeof(buf));
	assert_string_equal(buf, text);
}

/* ---- Snapshot ---- */

static void test_collect_haswell(void **state)
{
	(void)state;
	load_cpu(haswell_msrs);
	assert_string_equal(caps.cpu.vendor, "GenuineIntel");
	assert_int_equal(caps.cpu.family, 6);
	assert_int_equal(caps.cpu.model, 0x3C);
	assert_int_equal(caps.cpu.stepping, 3);
	assert_true(caps.cpu.vmx && caps.cpu.x2apic && caps.cpu.xsave && caps.cpu.osxsave);
	assert_false(caps.cpu.smx || caps.cpu.hypervisor);
	assert_true(caps.cpu.page1gb);
	assert_int_equal(vmx_caps_maxphyaddr(&caps), 39);
	assert_int_equal(vmx_caps_linaddr_width(&caps), 48);
	assert_true(caps.feature_control_valid);
	assert_int_equal(caps.feature_control, 0x5);
	assert_true(vmx_caps_msr_valid(&caps, MSR_IA32_VMX_TRUE_ENTRY_CTLS));
	assert_true(vmx_caps_msr_valid(&caps, MSR_IA32_VMX_VMFUNC));
	assert_false(vmx_caps_msr_valid(&caps, MSR_IA32_VMX_PROCBASED_CTLS3));
	assert_int_equal(vmx_caps_msr(&caps, MSR_IA32_VMX_PROCBASED_CTLS3), 0);
	assert_int_equal(vmx_caps_msr(&caps, MSR_IA32_VMX_EPT_VPID_CAP), 0xF0106334141ULL);
	assert_string_equal(vmx_caps_msr_name(MSR_IA32_VMX_PROCBASED_CTLS3), "IA32_VMX_PROCBASED_CTLS3");
	assert_string_equal(vmx_caps_msr_name(MSR_IA32_VMX_TRUE_EXIT_CTLS), "IA32_VMX_TRUE_EXIT_CTLS");
	assert_null(vmx_caps_msr_name(MSR_IA32_EFER));
}

/* The fake fails the test on any read of an MSR not in the table, as the CPU would #GP. */
static void test_collect_reads_only_existing_msrs(void **state)
{
	struct fake_cpu f = { 0x00010676, ECX1_VMX, 0x80000008u, penryn_msrs, 0 };

	(void)state;
	load(&caps, &f);
	assert_int_equal(f.reads, 1 + 11 + 1); /* FEATURE_CONTROL, 0x480-0x48A, CTLS2 */
	assert_int_equal(caps.cpu.model, 0x17);
	assert_false(vmx_caps_msr_valid(&caps, MSR_IA32_VMX_EPT_VPID_CAP));
	assert_false(vmx_caps_msr_valid(&caps, MSR_IA32_VMX_TRUE_PINBASED_CTLS));
	assert_false(vmx_caps_msr_valid(&caps, MSR_IA32_VMX_VMFUNC));
	assert_false(vmx_caps_msr_exists(&caps, MSR_IA32_VMX_EPT_VPID_CAP));

	f = (struct fake_cpu){ 0x000006F6, ECX1_VMX, 0x80000008u, merom_msrs, 0 };
	load(&caps, &f);
	assert_int_equal(f.reads, 1 + 11);
	assert_false(vmx_caps_msr_valid(&caps, MSR_IA32_VMX_PROCBASED_CTLS2));
	assert_false(vmx_caps_msr_exists(&caps, MSR_IA32_VMX_PROCBASED_CTLS2));

	f = (struct fake_cpu){ 0x000306C3, ECX1_HASWELL, 0x80000008u, tertiary_msrs, 0 };
	load(&caps, &f);
	assert_int_equal(f.reads, 1 + 19);
}

static void test_collect_no_vmx(void **state)
{
	struct fake_cpu f = { 0x000306C3, 1u << 31, 0x80000000u, no_msrs, 0 };

	(void)state;
	load(&caps, &f);
	assert_int_equal(f.reads, 0);
	assert_false(vmx_caps_has_vmx(&caps));
	assert_true(caps.cpu.hypervisor);
	assert_false(caps.cpu.page1gb);
	assert_int_equal(vmx_caps_maxphyaddr(&caps), 36); /* no leaf 80000008H, PAE */
	assert_false(caps.feature_control_valid);
	assert_int_equal(caps.msr_valid, 0);
	assert_false(vmx_caps_msr_exists(&caps, MSR_IA32_VMX_BASIC));
	assert_string_equal(vmx_caps_unusable_reason(&caps),
			    "this CPU does not support VT-x (CPUID.1:ECX.VMX[bit 5] = 0)");
}

static void test_cpuid_extended_family(void **state)
{
	/* Family 0xF with extended family 1 and extended model 2: display 0x10, 0x23. */
	struct fake_cpu f = { 0x00120F31, 0, 0x80000008u, no_msrs, 0 };

	(void)state;
	load(&caps, &f);
	assert_int_equal(caps.cpu.family, 0x10);
	assert_int_equal(caps.cpu.model, 0x23);
	assert_int_equal(caps.cpu.stepping, 1);
	f = (struct fake_cpu){ 0x00000543, 0, 0x80000008u, no_msrs, 0 }; /* family 5: no ext model */
	load(&caps, &f);
	assert_int_equal(caps.cpu.family, 5);
	assert_int_equal(caps.cpu.model, 4);
}

/* ---- Feature control ---- */

static void test_feature_control_states(void **state)
{
	(void)state;
	load_cpu(haswell_msrs);
	caps.feature_control = 0;
	assert_int_equal(vmx_caps_feature_control_state(&caps), VMX_FEATURE_CONTROL_UNLOCKED);
	assert_int_equal(vmx_caps_feature_control_enable_value(&caps), 0x5);
	assert_null(vmx_caps_unusable_reason(&caps));
	caps.feature_control = 0x2; /* unlocked, only "inside SMX": still ours to set */
	assert_int_equal(vmx_caps_feature_control_state(&caps), VMX_FEATURE_CONTROL_UNLOCKED);
	assert_int_equal(vmx_caps_feature_control_enable_value(&caps), 0x7);
	caps.feature_control = 0x5;
	assert_int_equal(vmx_caps_feature_control_state(&caps), VMX_FEATURE_CONTROL_LOCKED_ENABLED);
	assert_null(vmx_caps_unusable_reason(&caps));
	caps.feature_control = 0x7;
	assert_int_equal(vmx_caps_feature_control_state(&caps), VMX_FEATURE_CONTROL_LOCKED_ENABLED);
	caps.feature_control = 0x1;
	assert_int_equal(vmx_caps_feature_control_state(&caps), VMX_FEATURE_CONTROL_LOCKED_DISABLED);
	caps.feature_control = 0x3; /* locked, VMX only inside SMX: VMXON outside SMX faults */
	assert_int_equal(vmx_caps_feature_control_state(&caps), VMX_FEATURE_CONTROL_LOCKED_DISABLED);
	assert_string_equal(vmx_caps_unusable_reason(&caps),
			    "VT-x is disabled in the firmware setup "
			    "(IA32_FEATURE_CONTROL is locked with VMX disabled)");
	assert_string_equal(vmx_feature_control_state_name(VMX_FEATURE_CONTROL_UNLOCKED), "unlocked");
	assert_string_equal(vmx_feature_control_state_name(VMX_FEATURE_CONTROL_LOCKED_ENABLED),
			    "locked-enabled");
	assert_string_equal(vmx_feature_control_state_name(VMX_FEATURE_CONTROL_LOCKED_DISABLED),
			    "locked-disabled");
	caps.feature_control_valid = false;
	assert_int_equal(vmx_caps_feature_control_state(&caps), VMX_FEATURE_CONTROL_LOCKED_DISABLED);
}

/* ---- Predicates ---- */

static void test_predicates_haswell(void **state)
{
	(void)state;
	load_cpu(haswell_msrs);
	assert_true(vmx_caps_has_vmx(&caps));
	assert_int_equal(vmx_caps_vmcs_revision(&caps), 0x2B);
	assert_int_equal(vmx_caps_vmcs_size(&caps), 4096);
	assert_int_equal(vmx_caps_vmcs_memtype(&caps), VMX_MEMTYPE_WB);
	assert_true(vmx_caps_true_ctls(&caps));
	assert_true(vmx_caps_ept(&caps) && vmx_caps_ept_4level(&caps));
	assert_false(vmx_caps_ept_5level(&caps));
	assert_true(vmx_caps_ept_execute_only(&caps));
	assert_true(vmx_caps_ept_2m(&caps) && vmx_caps_ept_1g(&caps));
	assert_true(vmx_caps_ept_wb(&caps) && vmx_caps_ept_uc(&caps) && vmx_caps_ept_ad(&caps));
	assert_true(vmx_caps_invept_single(&caps) && vmx_caps_invept_all(&caps));
	assert_true(vmx_caps_vpid(&caps) && vmx_caps_invvpid_single(&caps));
	assert_true(vmx_caps_invvpid_all(&caps) && vmx_caps_invvpid_addr(&caps));
	assert_true(vmx_caps_unrestricted(&caps));
	assert_int_equal(vmx_caps_activity_states(&caps), 0x7);
	assert_true(vmx_caps_activity_supported(&caps, GUEST_ACTIVITY_ACTIVE));
	assert_true(vmx_caps_activity_supported(&caps, GUEST_ACTIVITY_WAIT_SIPI));
	assert_false(vmx_caps_activity_supported(&caps, 4));
	assert_int_equal(vmx_caps_preemption_timer_rate(&caps), 0);
	assert_int_equal(vmx_caps_cr3_target_count(&caps), 4);
	assert_int_equal(vmx_caps_max_msr_list(&caps), 512);
	assert_int_equal(vmx_caps_cr0_fixed0(&caps), 0x80000021);
	assert_int_equal(vmx_caps_cr0_fixed1(&caps), 0xFFFFFFFF);
	assert_int_equal(vmx_caps_cr4_fixed0(&caps), 0x2000);
	assert_int_equal(vmx_caps_cr4_fixed1(&caps), 0x3767FF);
	assert_int_equal(vmx_caps_vmcs_max_index(&caps), 0x17);
}

static void test_predicates_tigerlake_skylake(void **state)
{
	(void)state;
	load_cpu(tigerlake_msrs);
	assert_int_equal(vmx_caps_vmcs_revision(&caps), 0x4);
	assert_true(vmx_caps_msr(&caps, MSR_IA32_VMX_BASIC) & VMX_BASIC_NO_HW_ERRCODE_CHECK);
	assert_true(vmx_caps_msr(&caps, MSR_IA32_VMX_EPT_VPID_CAP) & VMX_EPT_SUPER_SHSTK);
	assert_true(vmx_caps_ept_1g(&caps) && vmx_caps_ept_ad(&caps) && vmx_caps_unrestricted(&caps));
	load_cpu(skylake_x_msrs);
	assert_false(vmx_caps_msr(&caps, MSR_IA32_VMX_EPT_VPID_CAP) & VMX_EPT_SUPER_SHSTK);
	assert_true(vmx_caps_ept_ad(&caps) && vmx_caps_invept_single(&caps));
}

static void test_predicates_lynnfield(void **state)
{
	(void)state;
	load_cpu(lynnfield_msrs);
	assert_true(vmx_caps_ept(&caps) && vmx_caps_ept_2m(&caps) && vmx_caps_ept_wb(&caps));
	assert_false(vmx_caps_ept_1g(&caps));
	assert_false(vmx_caps_ept_ad(&caps));
	assert_true(vmx_caps_invept_single(&caps) && vmx_caps_invept_all(&caps));
	assert_true(vmx_caps_vpid(&caps) && vmx_caps_invvpid_single(&caps));
	assert_false(vmx_caps_unrestricted(&caps));
	assert_false(vmx_caps_msr_valid(&caps, MSR_IA32_VMX_VMFUNC));
}

static void test_predicates_penryn(void **state)
{
	(void)state;
	load_cpu(penryn_msrs);
	assert_false(vmx_caps_ept(&caps));
	assert_false(vmx_caps_ept_2m(&caps) || vmx_caps_ept_wb(&caps) || vmx_caps_invept_all(&caps));
	assert_false(vmx_caps_vpid(&caps) || vmx_caps_invvpid_single(&caps));
	assert_false(vmx_caps_unrestricted(&caps));
	assert_false(vmx_caps_true_ctls(&caps));
	assert_int_equal(vmx_caps_vmcs_size(&caps), 2048);
}

/* ---- Negotiation ---- */

static void test_negotiate_haswell_exact(void **state)
{
	struct vmx_ctrl_request r = request();
	struct vmx_controls v;
	struct vmx_missing m;

	(void)state;
	load_cpu(haswell_msrs);
	assert_true(vmx_negotiate(&caps, &r, &v, &m));
	assert_int_equal(m.count, 0);
	assert_false(m.truncated);
	assert_int_equal(v.pin, 0x00000016);
	/* TRUE allowed0 0x04006172, MSR bitmaps (28), activate secondary (31); CR3-load and
	 * CR3-store exiting (15, 16) are default1 but TRUE lets them be 0: cleared. */
	assert_int_equal(v.proc, 0x94006172);
	/* EPT (1), RDTSCP (3), VPID (5), unrestricted (7), INVPCID (12); no XSAVES, no PML. */
	assert_int_equal(v.proc2, 0x000010AA);
	assert_int_equal(v.proc3, 0);
	/* TRUE allowed0 0x00036DFB (save debug controls, bit 2, cleared) + 9, 20, 21. */
	assert_int_equal(v.exit, 0x00336FFB);
	assert_int_equal(v.entry, 0x000091FB);
	for (unsigned g = 0; g < VMX_CTRL_GROUP_COUNT; g++)
		assert_int_equal(vmx_caps_ctrl_bad_bits(&caps, g, vmx_controls_get(&v, g)), 0);
}

static void test_negotiate_skylake_tigerlake(void **state)
{
	struct vmx_ctrl_request r = request();
	struct vmx_controls v;
	struct vmx_missing m;

	(void)state;
	load_cpu(skylake_x_msrs); /* adds XSAVES (20) and PML (17) */
	assert_true(vmx_negotiate(&caps, &r, &v, &m));
	assert_int_equal(v.proc2, 0x001210AA);
	load_cpu(tigerlake_msrs);
	assert_true(vmx_negotiate(&caps, &r, &v, &m));
	assert_int_equal(v.proc2, 0x001210AA);
}

/* Without TRUE MSRs (IA32_VMX_BASIC[55] = 0) the default1 bits stay forced to 1. */
static void test_negotiate_true_ctls(void **state)
{
	struct vmx_ctrl_request r = { { 0 }, { 0 } };
	struct vmx_controls v;
	struct vmx_missing m;

	(void)state;
	load_cpu(penryn_msrs);
	assert_true(vmx_negotiate(&caps, &r, &v, &m));
	assert_int_equal(v.proc, 0x0401E172);
	assert_int_equal(v.exit, 0x00036DFF);
	assert_int_equal(v.entry, 0x000011FF);
	assert_int_equal(v.proc2, 0);

	load_cpu(haswell_msrs);
	assert_true(vmx_negotiate(&caps, &r, &v, &m));
	assert_int_equal(v.proc, 0x04006172);
	assert_int_equal(v.exit, 0x00036DFB);
	assert_int_equal(v.entry, 0x000011FB);
	/* Asked for, the default1 controls come back. */
	r.optional[VMX_CTRL_PROC] = CPU_BASED_CR3_LOAD_EXITING;
	r.required[VMX_CTRL_ENTRY] = VM_ENTRY_LOAD_DEBUG_CONTROLS;
	assert_true(vmx_negotiate(&caps, &r, &v, &m));
	assert_int_equal(v.proc, 0x0400E172);
	assert_int_equal(v.entry, 0x000011FF);
}

/* SDM 32.5.1, Algorithm 3: a flexible bit whose meaning the VMM does not know keeps its
 * default setting. Synthetic: TRUE_PROCBASED lets reserved bit 26 (default1) be 0. */
static void test_negotiate_reserved_default1_kept(void **state)
{
	struct vmx_ctrl_request r = { { 0 }, { 0 } };
	struct vmx_controls v;
	struct vmx_missing m;

	(void)state;
	load_cpu(haswell_msrs);
	vmx_caps_set_msr(&caps, MSR_IA32_VMX_TRUE_PROCBASED_CTLS, 0xFFF9FFFE00006172ULL);
	assert_true(vmx_negotiate(&caps, &r, &v, &m));
	assert_int_equal(v.proc, 0x04006172);
}

static void test_negotiate_lynnfield_missing(void **state)
{
	struct vmx_ctrl_request r = request();
	struct vmx_controls v;
	struct vmx_missing m;

	(void)state;
	load_cpu(lynnfield_msrs);
	assert_false(vmx_negotiate(&caps, &r, &v, &m));
	assert_int_equal(m.count, 1);
	assert_missing(&m, 0, VMX_CTRL_PROC2, 7,
		       "secondary processor-based VM-execution controls bit 7 (Unrestricted guest)");
	assert_int_equal(v.proc2, 0x0000002A); /* what was available: EPT, RDTSCP, VPID */
}

static void test_negotiate_penryn_missing(void **state)
{
	struct vmx_ctrl_request r = request();
	struct vmx_controls v;
	struct vmx_missing m;

	(void)state;
	load_cpu(penryn_msrs);
	assert_false(vmx_negotiate(&caps, &r, &v, &m));
	assert_int_equal(m.count, 2);
	assert_missing(&m, 0, VMX_CTRL_PROC2, 1,
		       "secondary processor-based VM-execution controls bit 1 (Enable EPT)");
	assert_missing(&m, 1, VMX_CTRL_PROC2, 7,
		       "secondary processor-based VM-execution controls bit 7 (Unrestricted guest)");
}

/* No secondary controls at all: the activate bit and every required secondary bit. */
static void test_negotiate_no_secondary(void **state)
{
	struct vmx_ctrl_request r = request();
	struct vmx_controls v;
	struct vmx_missing m;

	(void)state;
	load_cpu(merom_msrs);
	r.required[VMX_CTRL_PROC2] |= SECONDARY_EXEC_ENABLE_VPID;
	assert_false(vmx_negotiate(&caps, &r, &v, &m));
	assert_int_equal(m.count, 4);
	assert_missing(&m, 0, VMX_CTRL_PROC, 31,
		       "primary processor-based VM-execution controls bit 31 (Activate secondary controls)");
	assert_missing(&m, 1, VMX_CTRL_PROC2, 1,
		       "secondary processor-based VM-execution controls bit 1 (Enable EPT)");
	assert_missing(&m, 2, VMX_CTRL_PROC2, 5,
		       "secondary processor-based VM-execution controls bit 5 (Enable VPID)");
	assert_missing(&m, 3, VMX_CTRL_PROC2, 7,
		       "secondary processor-based VM-execution controls bit 7 (Unrestricted guest)");
	assert_int_equal(v.proc2, 0);
	assert_false(v.proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS);

	/* Only optional secondary controls: nothing missing, the group left off. */
	r.required[VMX_CTRL_PROC2] = 0;
	assert_true(vmx_negotiate(&caps, &r, &v, &m));
	assert_int_equal(v.proc, 0x1401E172);
	assert_int_equal(v.proc2, 0);
}

/* Secondary controls not asked for (or none available): the activate bit stays 0. */
static void test_negotiate_secondary_unused(void **state)
{
	struct vmx_ctrl_request r = { { 0 }, { 0 } };
	struct vmx_controls v;
	struct vmx_missing m;

	(void)state;
	load_cpu(penryn_msrs);
	r.optional[VMX_CTRL_PROC2] = SECONDARY_EXEC_ENABLE_EPT;
	assert_true(vmx_negotiate(&caps, &r, &v, &m));
	assert_false(v.proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS);
	r.optional[VMX_CTRL_PROC2] |= SECONDARY_EXEC_WBINVD_EXITING;
	assert_true(vmx_negotiate(&caps, &r, &v, &m));
	assert_true(v.proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS);
	assert_int_equal(v.proc2, 0x40);
}

static void test_negotiate_tertiary(void **state)
{
	struct vmx_ctrl_request r = request();
	struct vmx_controls v;
	struct vmx_missing m;

	(void)state;
	load_cpu(tertiary_msrs);
	r.optional[VMX_CTRL_PROC3] = TERTIARY_EXEC_IPI_VIRT | TERTIARY_EXEC_ENABLE_HLAT;
	assert_true(vmx_negotiate(&caps, &r, &v, &m));
	assert_int_equal(v.proc, 0x94026172);
	assert_int_equal(v.proc3, 0x10);
	r.required[VMX_CTRL_PROC3] = TERTIARY_EXEC_LOADIWKEY_EXITING;
	assert_false(vmx_negotiate(&caps, &r, &v, &m));
	assert_int_equal(m.count, 1);
	assert_missing(&m, 0, VMX_CTRL_PROC3, 0,
		       "tertiary processor-based VM-execution controls bit 0 (LOADIWKEY exiting)");

	load_cpu(haswell_msrs); /* no tertiary controls */
	r.optional[VMX_CTRL_PROC3] = 0;
	r.required[VMX_CTRL_PROC3] = TERTIARY_EXEC_IPI_VIRT;
	assert_false(vmx_negotiate(&caps, &r, &v, &m));
	assert_int_equal(m.count, 2);
	assert_missing(&m, 0, VMX_CTRL_PROC, 17,
		       "primary processor-based VM-execution controls bit 17 (Activate tertiary controls)");
	assert_missing(&m, 1, VMX_CTRL_PROC3, 4,
		       "tertiary processor-based VM-execution controls bit 4 (IPI virtualization)");
	assert_int_equal(v.proc3, 0);
}

static void test_negotiate_pin_exit_entry_missing(void **state)
{
	struct vmx_ctrl_request r = { { 0 }, { 0 } };
	struct vmx_controls v;
	struct vmx_missing m;
	char buf[16];

	(void)state;
	load_cpu(haswell_msrs);
	r.required[VMX_CTRL_PIN] = PIN_BASED_POSTED_INTR | PIN_BASED_VIRTUAL_NMIS;
	r.required[VMX_CTRL_EXIT] = VM_EXIT_LOAD_CET_STATE;
	r.required[VMX_CTRL_ENTRY] = VM_ENTRY_LOAD_CET_STATE | (1ULL << 23);
	assert_false(vmx_negotiate(&caps, &r, &v, &m));
	assert_int_equal(m.count, 4);
	assert_missing(&m, 0, VMX_CTRL_PIN, 7,
		       "pin-based VM-execution controls bit 7 (Process posted interrupts)");
	assert_missing(&m, 1, VMX_CTRL_EXIT, 28, "VM-exit controls bit 28 (Load CET state)");
	assert_missing(&m, 2, VMX_CTRL_ENTRY, 20, "VM-entry controls bit 20 (Load CET state)");
	assert_missing(&m, 3, VMX_CTRL_ENTRY, 23, "VM-entry controls bit 23 (reserved)");
	assert_int_equal(v.pin, 0x36);
	/* The formatter truncates like snprintf and reports the full length. */
	assert_int_equal(vmx_missing_describe(&m.item[1], buf, sizeof(buf)), 40);
	assert_string_equal(buf, "VM-exit control");
}

static void test_negotiate_truncated(void **state)
{
	struct vmx_ctrl_request r = { { 0 }, { 0 } };
	struct vmx_controls v;
	struct vmx_missing m;

	(void)state;
	load_cpu(merom_msrs);
	r.required[VMX_CTRL_PROC2] = 0xFFFFFFFF;
	r.required[VMX_CTRL_PROC3] = 0xF;
	assert_false(vmx_negotiate(&caps, &r, &v, &m));
	assert_int_equal(m.count, VMX_MISSING_MAX);
	assert_true(m.truncated);
	assert_missing(&m, 0, VMX_CTRL_PROC, 17,
		       "primary processor-based VM-execution controls bit 17 (Activate tertiary controls)");
	assert_missing(&m, 1, VMX_CTRL_PROC, 31,
		       "primary processor-based VM-execution controls bit 31 (Activate secondary controls)");
}

static void test_ctrl_bad_bits(void **state)
{
	struct vmx_ctrl_allowed a;

	(void)state;
	load_cpu(haswell_msrs);
	/* Bit 0 of the primary controls may not be 1; bit 1 may not be 0. */
	assert_int_equal(vmx_caps_ctrl_bad_bits(&caps, VMX_CTRL_PROC, 0x04006171), 0x3);
	assert_int_equal(vmx_caps_ctrl_bad_bits(&caps, VMX_CTRL_PROC3, 0x1), 0x1);
	assert_true(vmx_caps_ctrl_allowed(&caps, VMX_CTRL_EXIT, &a));
	assert_int_equal(a.msr, MSR_IA32_VMX_TRUE_EXIT_CTLS);
	assert_int_equal(a.allowed0, 0x00036DFB);
	assert_int_equal(a.allowed1, 0x007FFFFF);
	assert_int_equal(a.default1, 0x00036DFF);
	assert_false(vmx_caps_ctrl_allowed(&caps, VMX_CTRL_PROC3, &a));
	assert_false(a.present);
	load_cpu(tertiary_msrs);
	assert_true(vmx_caps_ctrl_allowed(&caps, VMX_CTRL_PROC3, &a));
	assert_int_equal(a.allowed0, 0);
	assert_int_equal(a.allowed1, 0x10);
}

/* ---- Matrix ---- */

#define MAX_LINES 256
static char lines[MAX_LINES][VMX_CAPS_LINE_MAX];
static unsigned nlines;

static void capture(void *ctx, const char *line)
{
	(void)ctx;
	assert_true(nlines < MAX_LINES);
	assert_true(strlen(line) < VMX_CAPS_LINE_MAX - 1); /* never truncated */
	snprintf(lines[nlines++], VMX_CAPS_LINE_MAX, "%s", line);
}

static void run_matrix(const struct vmx_ctrl_request *r, const struct vmx_controls *v)
{
	nlines = 0;
	vmx_caps_matrix(&caps, r, v, true, capture, NULL);
}

/* The line with this prefix; fails when there is none or more than one. */
static const char *line_with(const char *prefix)
{
	const char *found = NULL;

	for (unsigned i = 0; i < nlines; i++) {
		if (strncmp(lines[i], prefix, strlen(prefix)) != 0)
			continue;
		if (found)
			fail_msg("two lines start with '%s'", prefix);
		found = lines[i];
	}
	if (!found)
		fail_msg("no line starts with '%s'", prefix);
	return found;
}

static void assert_no_line(const char *prefix)
{
	for (unsigned i = 0; i < nlines; i++)
		if (strncmp(lines[i], prefix, strlen(prefix)) == 0)
			fail_msg("unexpected line: %s", lines[i]);
}

/* caps=short (the default): the same header lines, and bit lines only for the controls
 * vmxray asks for (used, or missing by name); caps=full lists every known bit. */
static void test_matrix_short(void **state)
{
	struct vmx_ctrl_request r = request();
	struct vmx_controls v;
	struct vmx_missing m;

	(void)state;
	load_cpu(haswell_msrs);
	assert_true(vmx_negotiate(&caps, &r, &v, &m));
	run_matrix(&r, &v);
	unsigned full = nlines;
	(void)line_with("CAPS PROC2 bit 0  Virtualize APIC accesses");
	nlines = 0;
	vmx_caps_matrix(&caps, &r, &v, false, capture, NULL);
	assert_true(nlines < full / 2);
	assert_string_equal(lines[0], "CAPS BEGIN format=1");
	assert_string_equal(lines[nlines - 1], "CAPS END");
	(void)line_with("CAPS PROC  msr=IA32_VMX_TRUE_PROCBASED_CTLS");
	(void)line_with("CAPS PROC2 bit 1  Enable EPT");
	(void)line_with("CAPS PROC2 bit 7  Unrestricted guest");
	assert_no_line("CAPS PROC2 bit 0  Virtualize APIC accesses");
	(void)line_with("CAPS CR0 fixed0=");
}

static void test_matrix_haswell(void **state)
{
	struct vmx_ctrl_request r = request();
	struct vmx_controls v;
	struct vmx_missing m;

	(void)state;
	load_cpu(haswell_msrs);
	assert_true(vmx_negotiate(&caps, &r, &v, &m));
	run_matrix(&r, &v);
	assert_string_equal(lines[0], "CAPS BEGIN format=1");
	assert_string_equal(lines[nlines - 1], "CAPS END");
	assert_string_equal(line_with("CAPS CPU "),
			    "CAPS CPU vendor=GenuineIntel family=0x6 model=0x3c stepping=3 maxphyaddr=39 vmx=1 smx=0 x2apic=1 xsave=1 osxsave=1 page1gb=1 hypervisor=0 linaddr=48");
	assert_string_equal(line_with("CAPS FEATURE_CONTROL"),
			    "CAPS FEATURE_CONTROL 0x0000000000000005: lock=1 vmx_in_smx=0 vmx_outside_smx=1 state=locked-enabled");
	assert_string_equal(line_with("CAPS BASIC"),
			    "CAPS BASIC 0x00d810000000002b: revision=0x2b vmcs_size=4096 memtype=WB true_ctls=1 ins_outs_info=1 phys_addr_32=0 dual_monitor=0 no_errcode_check=0");
	assert_string_equal(line_with("CAPS PROC  msr="),
			    "CAPS PROC  msr=IA32_VMX_TRUE_PROCBASED_CTLS raw=0xfff9fffe04006172 allowed0=0x04006172 allowed1=0xfff9fffe default1=0x0401e172 value=0x94006172");
	assert_string_equal(line_with("CAPS PROC2 bit 7 "),
			    "CAPS PROC2 bit 7  Unrestricted guest                      allowed0=0 allowed1=1 required used");
	assert_string_equal(line_with("CAPS PROC2 bit 17"),
			    "CAPS PROC2 bit 17 Enable PML                              allowed0=0 allowed1=0 optional unavailable");
	assert_string_equal(line_with("CAPS PROC2 bit 5 "),
			    "CAPS PROC2 bit 5  Enable VPID                             allowed0=0 allowed1=1 optional used");
	assert_string_equal(line_with("CAPS PROC  bit 15"),
			    "CAPS PROC  bit 15 CR3-load exiting                        allowed0=0 allowed1=1 - unused");
	assert_string_equal(line_with("CAPS PROC  bit 1 "),
			    "CAPS PROC  bit 1  (reserved)                              allowed0=1 allowed1=1 - used");
	assert_no_line("CAPS PROC  bit 0 "); /* reserved, allowed neither way: not listed */
	assert_string_equal(line_with("CAPS PIN   bit 7 "),
			    "CAPS PIN   bit 7  Process posted interrupts               allowed0=0 allowed1=0 - unavailable");
	assert_string_equal(line_with("CAPS EXIT  bit 9 "),
			    "CAPS EXIT  bit 9  Host address-space size                 allowed0=0 allowed1=1 required used");
	assert_no_line("CAPS PROC  bit 18");
	assert_no_line("CAPS PROC3 bit");
	assert_string_equal(line_with("CAPS PROC3"), "CAPS PROC3 absent");
	assert_string_equal(line_with("CAPS MISC"),
			    "CAPS MISC 0x00000000200401e0: activity=HLT,SHUTDOWN,WAIT_FOR_SIPI preemption_rate=0 cr3_targets=4 max_msr_list=512 store_lma=1 pt_in_vmx=0 vmwrite_any=1 inject_len0=0 mseg_revision=0x0");
	assert_string_equal(line_with("CAPS EPT"),
			    "CAPS EPT 0x00000f0106334141: x-only 4-level WB UC 2M 1G INVEPT single all A/D");
	assert_string_equal(line_with("CAPS VPID"),
			    "CAPS VPID 0x00000f0106334141: INVVPID individual single all single-globals");
	assert_string_equal(line_with("CAPS VMFUNC"), "CAPS VMFUNC 0x0000000000000001: eptp_switching=1");
	assert_string_equal(line_with("CAPS CR0"),
			    "CAPS CR0 fixed0=0x0000000080000021 fixed1=0x00000000ffffffff");
	assert_string_equal(line_with("CAPS CR4"),
			    "CAPS CR4 fixed0=0x0000000000002000 fixed1=0x00000000003767ff");
	assert_string_equal(line_with("CAPS VMCS_ENUM"), "CAPS VMCS_ENUM 0x000000000000002e: max_index=0x17");
}

static void test_matrix_stable(void **state)
{
	static char first[MAX_LINES][VMX_CAPS_LINE_MAX];
	struct vmx_ctrl_request r = request();
	struct vmx_controls v;
	struct vmx_missing m;
	unsigned n;

	(void)state;
	load_cpu(tigerlake_msrs);
	vmx_negotiate(&caps, &r, &v, &m);
	run_matrix(&r, &v);
	memcpy(first, lines, sizeof(first));
	n = nlines;
	load_cpu(tigerlake_msrs); /* a fresh snapshot of the same machine */
	vmx_negotiate(&caps, &r, &v, &m);
	run_matrix(&r, &v);
	assert_int_equal(nlines, n);
	for (unsigned i = 0; i < n; i++)
		assert_string_equal(lines[i], first[i]);
	assert_string_equal(line_with("CAPS EPT"),
			    "CAPS EPT 0x00000f0106b34141: x-only 4-level WB UC 2M 1G INVEPT single all A/D supervisor-shadow-stack");
	assert_string_equal(line_with("CAPS BASIC"),
			    "CAPS BASIC 0x01d8100000000004: revision=0x4 vmcs_size=4096 memtype=WB true_ctls=1 ins_outs_info=1 phys_addr_32=0 dual_monitor=0 no_errcode_check=1");
}

static void test_matrix_penryn_before_negotiation(void **state)
{
	struct vmx_ctrl_request r = request();

	(void)state;
	load_cpu(penryn_msrs);
	run_matrix(&r, NULL);
	assert_string_equal(line_with("CAPS PROC2 msr="),
			    "CAPS PROC2 msr=IA32_VMX_PROCBASED_CTLS2 raw=0x0000004100000000 allowed0=0x00000000 allowed1=0x00000041 default1=0x00000000 value=-");
	assert_string_equal(line_with("CAPS PROC2 bit 1 "),
			    "CAPS PROC2 bit 1  Enable EPT                              allowed0=0 allowed1=0 required unavailable");
	assert_string_equal(line_with("CAPS PROC2 bit 6 "),
			    "CAPS PROC2 bit 6  WBINVD exiting                          allowed0=0 allowed1=1 - available");
	assert_string_equal(line_with("CAPS PROC  bit 15"),
			    "CAPS PROC  bit 15 CR3-load exiting                        allowed0=1 allowed1=1 - available");
	assert_string_equal(line_with("CAPS PROC  msr="),
			    "CAPS PROC  msr=IA32_VMX_PROCBASED_CTLS raw=0xfff9fffe0401e172 allowed0=0x0401e172 allowed1=0xfff9fffe default1=0x0401e172 value=-");
	assert_string_equal(line_with("CAPS EPT"), "CAPS EPT absent");
	assert_string_equal(line_with("CAPS VPID"), "CAPS VPID absent");
	assert_string_equal(line_with("CAPS VMFUNC"), "CAPS VMFUNC absent");
	assert_string_equal(line_with("CAPS BASIC"),
			    "CAPS BASIC 0x005a08000000000d: revision=0xd vmcs_size=2048 memtype=WB true_ctls=0 ins_outs_info=1 phys_addr_32=0 dual_monitor=1 no_errcode_check=0");
}

/* An absent group lists the bits that were asked for, so a missing one is visible. */
static void test_matrix_absent_secondary(void **state)
{
	struct vmx_ctrl_request r = request();
	struct vmx_controls v;
	struct vmx_missing m;

	(void)state;
	load_cpu(merom_msrs);
	assert_false(vmx_negotiate(&caps, &r, &v, &m));
	run_matrix(&r, &v);
	assert_string_equal(line_with("CAPS PROC2 absent"), "CAPS PROC2 absent");
	assert_string_equal(line_with("CAPS PROC2 bit 1 "),
			    "CAPS PROC2 bit 1  Enable EPT                              allowed0=0 allowed1=0 required unavailable");
	assert_string_equal(line_with("CAPS PROC2 bit 20"),
			    "CAPS PROC2 bit 20 Enable XSAVES/XRSTORS                   allowed0=0 allowed1=0 optional unavailable");
	assert_string_equal(line_with("CAPS PROC  bit 31"),
			    "CAPS PROC  bit 31 Activate secondary controls             allowed0=0 allowed1=0 - unavailable");
	assert_no_line("CAPS PROC2 bit 0 ");
}

static void test_matrix_tertiary(void **state)
{
	struct vmx_ctrl_request r = request();
	struct vmx_controls v;
	struct vmx_missing m;

	(void)state;
	load_cpu(tertiary_msrs);
	r.optional[VMX_CTRL_PROC3] = TERTIARY_EXEC_IPI_VIRT;
	assert_true(vmx_negotiate(&caps, &r, &v, &m));
	run_matrix(&r, &v);
	assert_string_equal(line_with("CAPS PROC3 msr="),
			    "CAPS PROC3 msr=IA32_VMX_PROCBASED_CTLS3 raw=0x0000000000000010 allowed0=0x0000000000000000 allowed1=0x0000000000000010 default1=0x0000000000000000 value=0x0000000000000010");
	assert_string_equal(line_with("CAPS PROC3 bit 4 "),
			    "CAPS PROC3 bit 4  IPI virtualization                      allowed0=0 allowed1=1 optional used");
	assert_string_equal(line_with("CAPS PROC  bit 17"),
			    "CAPS PROC  bit 17 Activate tertiary controls              allowed0=0 allowed1=1 - used");
}

static void test_matrix_no_vmx(void **state)
{
	struct fake_cpu f = { 0x000306C3, 1u << 31, 0x80000008u, no_msrs, 0 };

	(void)state;
	load(&caps, &f);
	run_matrix(NULL, NULL);
	assert_int_equal(nlines, 5);
	assert_string_equal(lines[0], "CAPS BEGIN format=1");
	assert_string_equal(lines[1],
			    "CAPS CPU vendor=GenuineIntel family=0x6 model=0x3c stepping=3 maxphyaddr=39 vmx=0 smx=0 x2apic=0 xsave=0 osxsave=0 page1gb=1 hypervisor=1 linaddr=48");
	assert_string_equal(lines[2], "CAPS FEATURE_CONTROL absent");
	assert_string_equal(lines[3], "CAPS VMX absent");
	assert_string_equal(lines[4], "CAPS END");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collect_haswell),
		cmocka_unit_test(test_collect_reads_only_existing_msrs),
		cmocka_unit_test(test_collect_no_vmx),
		cmocka_unit_test(test_cpuid_extended_family),
		cmocka_unit_test(test_feature_control_states),
		cmocka_unit_test(test_predicates_haswell),
		cmocka_unit_test(test_predicates_tigerlake_skylake),
		cmocka_unit_test(test_predicates_lynnfield),
		cmocka_unit_test(test_predicates_penryn),
		cmocka_unit_test(test_negotiate_haswell_exact),
		cmocka_unit_test(test_negotiate_skylake_tigerlake),
		cmocka_unit_test(test_negotiate_true_ctls),
		cmocka_unit_test(test_negotiate_reserved_default1_kept),
		cmocka_unit_test(test_negotiate_lynnfield_missing),
		cmocka_unit_test(test_negotiate_penryn_missing),
		cmocka_unit_test(test_negotiate_no_secondary),
		cmocka_unit_test(test_negotiate_secondary_unused),
		cmocka_unit_test(test_negotiate_tertiary),
		cmocka_unit_test(test_negotiate_pin_exit_entry_missing),
		cmocka_unit_test(test_negotiate_truncated),
		cmocka_unit_test(test_ctrl_bad_bits),
		cmocka_unit_test(test_matrix_haswell), cmocka_unit_test(test_matrix_short),
		cmocka_unit_test(test_matrix_stable),
		cmocka_unit_test(test_matrix_penryn_before_negotiation),
		cmocka_unit_test(test_matrix_absent_secondary),
		cmocka_unit_test(test_matrix_tertiary),
		cmocka_unit_test(test_matrix_no_vmx),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
