/* Unit tests: the VM-entry checker (vmx/checker*.c). A valid 64-bit guest as vmxray builds
 * it from the firmware's state, on Haswell capabilities with the controls vmx_negotiate()
 * gives, passes every check; each broken state names the rule it breaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "arch/seg_ar.h"
#include "vmx/caps/caps.h"
#include "vmx/checker/checker.h"
#include "vmx/decode/decode.h"

static struct vmx_caps caps;
static struct vmcs_snapshot snap;
static struct vmx_check_result res;

static const struct {
	uint32_t msr;
	uint64_t value;
} haswell[] = {
	{ MSR_IA32_VMX_BASIC, 0x00D810000000002BULL },
	{ MSR_IA32_VMX_PINBASED_CTLS, 0x0000007F00000016ULL },
	{ MSR_IA32_VMX_PROCBASED_CTLS, 0xFFF9FFFE0401E172ULL },
	{ MSR_IA32_VMX_EXIT_CTLS, 0x007FFFFF00036DFFULL },
	{ MSR_IA32_VMX_ENTRY_CTLS, 0x0000FFFF000011FFULL },
	{ MSR_IA32_VMX_MISC, 0x200401E0ULL },
	{ MSR_IA32_VMX_CR0_FIXED0, 0x80000021ULL },
	{ MSR_IA32_VMX_CR0_FIXED1, 0xFFFFFFFFULL },
	{ MSR_IA32_VMX_CR4_FIXED0, 0x2000ULL },
	{ MSR_IA32_VMX_CR4_FIXED1, 0x3767FFULL },
	{ MSR_IA32_VMX_VMCS_ENUM, 0x2EULL },
	{ MSR_IA32_VMX_PROCBASED_CTLS2, 0x00047FFFULL << 32 },
	{ MSR_IA32_VMX_EPT_VPID_CAP, 0xF0106334141ULL },
	{ MSR_IA32_VMX_TRUE_PINBASED_CTLS, 0x0000007F00000016ULL },
	{ MSR_IA32_VMX_TRUE_PROCBASED_CTLS, 0xFFF9FFFE04006172ULL },
	{ MSR_IA32_VMX_TRUE_EXIT_CTLS, 0x007FFFFF00036DFBULL },
	{ MSR_IA32_VMX_TRUE_ENTRY_CTLS, 0x0000FFFF000011FBULL },
	{ MSR_IA32_VMX_VMFUNC, 0x1 },
};

static void load_haswell(void)
{
	memset(&caps, 0, sizeof(caps));
	caps.cpu.vmx = true;
	caps.cpu.maxphyaddr = 39;
	caps.cpu.linaddr_width = 48;
	caps.feature_control_valid = true;
	caps.feature_control = 0x5;
	for (size_t i = 0; i < sizeof(haswell) / sizeof(haswell[0]); i++)
		vmx_caps_set_msr(&caps, haswell[i].msr, haswell[i].value);
}

static void set(uint32_t field, uint64_t value)
{
	assert_true(vmcs_snapshot_set(&snap, field, value));
}

static uint64_t get(uint32_t field)
{
	uint64_t v = 0;

	assert_true(vmcs_snapshot_get(&snap, field, &v));
	return v;
}

static void set_controls(void)
{
	struct vmx_ctrl_request r = { { 0 }, { 0 } };
	struct vmx_controls v;
	struct vmx_missing m;

	r.required[VMX_CTRL_PROC] = CPU_BASED_USE_MSR_BITMAPS;
	r.required[VMX_CTRL_PROC2] = SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST |
				     SECONDARY_EXEC_ENABLE_VPID;
	r.required[VMX_CTRL_EXIT] = VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_LOAD_IA32_EFER |
				    VM_EXIT_SAVE_IA32_EFER;
	r.required[VMX_CTRL_ENTRY] = VM_ENTRY_IA32E_MODE | VM_ENTRY_LOAD_IA32_EFER;
	assert_true(vmx_negotiate(&caps, &r, &v, &m));
	set(PIN_BASED_VM_EXEC_CONTROL, v.pin);
	set(CPU_BASED_VM_EXEC_CONTROL, v.proc);
	set(SECONDARY_VM_EXEC_CONTROL, v.proc2);
	set(VM_EXIT_CONTROLS, v.exit);
	set(VM_ENTRY_CONTROLS, v.entry);
	set(MSR_BITMAP, 0x01000000);
	set(VIRTUAL_PROCESSOR_ID, 1);
	set(EPT_POINTER, 0x02000000 | (3 << 3) | VMX_MEMTYPE_WB);
	set(CR3_TARGET_COUNT, 0);
	set(VM_ENTRY_INTR_INFO_FIELD, 0);
}

static void set_host(void)
{
	set(HOST_CR0, 0x80050033);
	set(HOST_CR3, 0x00001000);
	set(HOST_CR4, 0x000026A0); /* PAE PGE OSFXSR OSXMMEXCPT VMXE */
	set(HOST_CS_SELECTOR, 0x38);
	set(HOST_SS_SELECTOR, 0x30);
	set(HOST_DS_SELECTOR, 0x30);
	set(HOST_ES_SELECTOR, 0x30);
	set(HOST_FS_SELECTOR, 0x30);
	set(HOST_GS_SELECTOR, 0x30);
	set(HOST_TR_SELECTOR, 0x40);
	set(HOST_TR_BASE, 0x3000);
	set(HOST_GDTR_BASE, 0x4000);
	set(HOST_IDTR_BASE, 0x5000);
	set(HOST_FS_BASE, 0);
	set(HOST_GS_BASE, 0xFFFF800000001000ULL);
	set(HOST_RIP, 0x7F000000);
	set(HOST_RSP, 0x7F100000);
	set(HOST_IA32_EFER, 0xD00); /* LME LMA NXE */
	set(HOST_IA32_SYSENTER_ESP, 0);
	set(HOST_IA32_SYSENTER_EIP, 0);
}

static void set_seg(uint32_t sel_f, uint32_t base_f, uint32_t limit_f, uint32_t ar_f, uint64_t sel,
		    uint64_t base, uint64_t limit, uint64_t ar)
{
	set(sel_f, sel);
	set(base_f, base);
	set(limit_f, limit);
	set(ar_f, ar);
}

static void set_guest_segments(void)
{
	set_seg(GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES, 0x38, 0,
		0xFFFFFFFF, 0xA09B); /* 64-bit code, accessed, G */
	set_seg(GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES, 0x30, 0,
		0xFFFFFFFF, 0xC093);
	set_seg(GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES, 0x30, 0,
		0xFFFFFFFF, 0xC093);
	set_seg(GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES, 0x30, 0,
		0xFFFFFFFF, 0xC093);
	set_seg(GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES, 0x30, 0,
		0xFFFFFFFF, 0xC093);
	set_seg(GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES, 0x30, 0,
		0xFFFFFFFF, 0xC093);
	set_seg(GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES, 0x40, 0x3000,
		0x67, SEG_AR_TSS_BUSY);
	set_seg(GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT, GUEST_LDTR_AR_BYTES, 0, 0, 0,
		0x10000); /* unusable */
}

static void set_guest(void)
{
	set(GUEST_CR0, 0x80010033);
	set(GUEST_CR3, 0x00100000);
	set(GUEST_CR4, 0x000026A0);
	set(GUEST_DR7, 0x400);
	set(GUEST_IA32_DEBUGCTL, 0);
	set(GUEST_IA32_EFER, 0xD00);
	set(GUEST_SYSENTER_ESP, 0);
	set(GUEST_SYSENTER_EIP, 0);
	set_guest_segments();
	set(GUEST_GDTR_BASE, 0x4000);
	set(GUEST_GDTR_LIMIT, 0x47);
	set(GUEST_IDTR_BASE, 0x5000);
	set(GUEST_IDTR_LIMIT, 0xFFF);
	set(GUEST_RIP, 0x7E000000);
	set(GUEST_RSP, 0x7E100000);
	set(GUEST_RFLAGS, 0x2);
	set(GUEST_ACTIVITY_STATE, 0);
	set(GUEST_INTERRUPTIBILITY_INFO, 0);
	set(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	set(VMCS_LINK_POINTER, ~0ULL);
}

static int setup(void **state)
{
	(void)state;
	load_haswell();
	vmcs_snapshot_init(&snap);
	set_controls();
	set_host();
	set_guest();
	return 0;
}

static void dump(void)
{
	char buf[512];

	for (unsigned i = 0; i < res.count; i++) {
		vmx_check_failure_format(&res.item[i], buf, sizeof(buf));
		print_message("  failure %u: %s\n", i, buf);
	}
}

static unsigned run(void)
{
	return vmx_check_entry(&caps, &snap, &res);
}

/* The failures found are exactly these (section, rule, field), in order. */
struct expect {
	const char *section, *rule;
	uint32_t field;
};

static void assert_failures(const struct expect *e, unsigned n)
{
	run();
	if (res.count != n)
		dump();
	assert_int_equal(res.count, n);
	for (unsigned i = 0; i < n; i++) {
		assert_string_equal(res.item[i].section, e[i].section);
		assert_string_equal(res.item[i].rule, e[i].rule);
		assert_int_equal(res.item[i].field, e[i].field);
	}
}

#define EXPECT(...)                                                     \
	do {                                                            \
		const struct expect e_[] = { __VA_ARGS__ };             \
		assert_failures(e_, sizeof(e_) / sizeof(e_[0]));        \
	} while (0)

static void test_valid_state(void **state)
{
	(void)state;
	if (run() != 0)
		dump();
	assert_int_equal(res.count, 0);
	assert_false(res.truncated);
}

static void test_guest_pg_without_pe(void **state)
{
	char buf[256];

	(void)state;
	set(GUEST_CR0, 0x80010032); /* PE exempt from FIXED0 under unrestricted guest */
	EXPECT({ VMX_CHECK_SEC_GUEST_CR, "CR0.PG = 1 requires CR0.PE = 1", GUEST_CR0 });
	vmx_check_failure_format(&res.item[0], buf, sizeof(buf));
	assert_string_equal(buf,
			    "27.3.1.1 Checks on Guest Control Registers, Debug Registers, and MSRs: CR0.PG = 1 requires CR0.PE = 1 (GUEST_CR0=0x80010032)");
}

/* Without "unrestricted guest", PE and PG are held to IA32_VMX_CR0_FIXED0. */
static void test_guest_cr0_fixed_bits(void **state)
{
	(void)state;
	set(SECONDARY_VM_EXEC_CONTROL, get(SECONDARY_VM_EXEC_CONTROL) & ~SECONDARY_EXEC_UNRESTRICTED_GUEST);
	set(GUEST_CR0, 0x00010032);
	EXPECT({ VMX_CHECK_SEC_GUEST_CR,
		 "guest CR0 must set every bit IA32_VMX_CR0_FIXED0 sets and no bit IA32_VMX_CR0_FIXED1 clears (PE and PG exempt with \"unrestricted guest\" = 1)",
		 GUEST_CR0 },
	       { VMX_CHECK_SEC_GUEST_CR, "with \"IA-32e mode guest\" = 1, CR0.PG must be 1", GUEST_CR0 });
	assert_int_equal(res.item[0].bits, 0x80000001);
}

static void test_reserved_control_named(void **state)
{
	char buf[512];

	(void)state;
	set(SECONDARY_VM_EXEC_CONTROL, get(SECONDARY_VM_EXEC_CONTROL) | SECONDARY_EXEC_ENABLE_PML |
					       (1u << 21));
	set(PML_ADDRESS, 0x6000);
	EXPECT({ VMX_CHECK_SEC_EXEC,
		 "secondary processor-based VM-execution controls must be set as IA32_VMX_PROCBASED_CTLS2 allows",
		 SECONDARY_VM_EXEC_CONTROL });
	assert_int_equal(res.item[0].bits, 0x220000);
	vmx_check_failure_format(&res.item[0], buf, sizeof(buf));
	assert_string_equal(buf,
			    "27.2.1.1 VM-Execution Control Fields: secondary processor-based VM-execution controls must be set as IA32_VMX_PROCBASED_CTLS2 allows (SECONDARY_VM_EXEC_CONTROL=0x2200a2 bits=0x220000 (Enable PML | bit21))");
}

static void test_vmcs_link_pointer(void **state)
{
	(void)state;
	set(VMCS_LINK_POINTER, 0x123);
	EXPECT({ VMX_CHECK_SEC_GUEST_NONREG,
		 "a VMCS link pointer other than FFFFFFFF_FFFFFFFFH must be 4-KByte aligned and within the physical-address width",
		 VMCS_LINK_POINTER },
	       { VMX_CHECK_SEC_GUEST_NONREG,
		 "the VMCS link pointer must be FFFFFFFF_FFFFFFFFH (any other value names a VMCS vmxray never sets up)",
		 VMCS_LINK_POINTER });
}

static void test_eptp(void **state)
{
	(void)state;
	set(EPT_POINTER, 0x02000000 | (4 << 3) | (1 << 6) | 2); /* 5 levels, A/D, memtype 2 */
	vmx_caps_set_msr(&caps, MSR_IA32_VMX_EPT_VPID_CAP, 0xF0106114141ULL); /* Lynnfield: no A/D */
	EXPECT({ VMX_CHECK_SEC_EXEC,
		 "EPTP bits 2:0 (memory type) must be UC (0) or WB (6) as IA32_VMX_EPT_VPID_CAP bits 8 and 14 allow",
		 EPT_POINTER },
	       { VMX_CHECK_SEC_EXEC,
		 "EPTP bits 5:3 must be 3 (4-level EPT), or 4 where IA32_VMX_EPT_VPID_CAP[7] allows 5 levels",
		 EPT_POINTER },
	       { VMX_CHECK_SEC_EXEC,
		 "EPTP bit 6 (accessed and dirty flags) must be 0 when IA32_VMX_EPT_VPID_CAP[21] = 0",
		 EPT_POINTER });
	set(EPT_POINTER, 0x8000000000ULL | 0x100 | (3 << 3) | VMX_MEMTYPE_WB); /* bit 39, bit 8 */
	EXPECT({ VMX_CHECK_SEC_EXEC, "EPTP bits 11:8 and bits 63:MAXPHYADDR are reserved and must be 0",
		 EPT_POINTER });
	assert_int_equal(res.item[0].bits, 0x8000000100ULL);
}

static void test_bitmaps_and_vpid(void **state)
{
	(void)state;
	set(MSR_BITMAP, 0x01000800);
	set(VIRTUAL_PROCESSOR_ID, 0);
	EXPECT({ VMX_CHECK_SEC_EXEC,
		 "with \"use MSR bitmaps\" = 1, the MSR-bitmap address must be 4-KByte aligned and within the physical-address width",
		 MSR_BITMAP },
	       { VMX_CHECK_SEC_EXEC, "with \"enable VPID\" = 1, the VPID must not be 0000H",
		 VIRTUAL_PROCESSOR_ID });
}

static void test_nmi_controls(void **state)
{
	(void)state;
	set(PIN_BASED_VM_EXEC_CONTROL, get(PIN_BASED_VM_EXEC_CONTROL) | PIN_BASED_VIRTUAL_NMIS);
	EXPECT({ VMX_CHECK_SEC_EXEC, "with \"NMI exiting\" = 0, \"virtual NMIs\" must be 0",
		 PIN_BASED_VM_EXEC_CONTROL });
}

static void test_host_state(void **state)
{
	(void)state;
	set(HOST_CR4, 0x2680); /* no PAE */
	set(HOST_DS_SELECTOR, 0x33);
	set(HOST_TR_SELECTOR, 0);
	set(HOST_IA32_EFER, 0x900); /* NXE and LME without LMA */
	EXPECT({ VMX_CHECK_SEC_HOST_CR,
		 "with \"load IA32_EFER\" = 1, host IA32_EFER.LMA must equal \"host address-space size\"",
		 HOST_IA32_EFER },
	       { VMX_CHECK_SEC_HOST_SEG, "host selectors must have RPL (bits 1:0) = 0 and TI (bit 2) = 0",
		 HOST_DS_SELECTOR },
	       { VMX_CHECK_SEC_HOST_SEG, "the host TR selector must not be 0000H", HOST_TR_SELECTOR },
	       { VMX_CHECK_SEC_ADDR_SIZE, "with \"host address-space size\" = 1, host CR4.PAE must be 1",
		 HOST_CR4 });
}

static void test_host_address_space_size(void **state)
{
	(void)state;
	set(VM_EXIT_CONTROLS, get(VM_EXIT_CONTROLS) & ~VM_EXIT_HOST_ADDR_SPACE_SIZE);
	set(HOST_IA32_EFER, 0x0); /* consistent with the 32-bit host it claims */
	EXPECT({ VMX_CHECK_SEC_ADDR_SIZE,
		 "VM entry from IA-32e mode (IA32_EFER.LMA = 1) requires \"host address-space size\" = 1",
		 VM_EXIT_CONTROLS },
	       { VMX_CHECK_SEC_ADDR_SIZE,
		 "with \"host address-space size\" = 0, \"IA-32e mode guest\" must be 0", VM_ENTRY_CONTROLS });
}

static void test_guest_efer(void **state)
{
	(void)state;
	set(GUEST_IA32_EFER, 0x900); /* LME without LMA, IA-32e mode guest = 1, CR0.PG = 1 */
	EXPECT({ VMX_CHECK_SEC_GUEST_CR,
		 "with \"load IA32_EFER\" = 1, IA32_EFER.LMA must equal \"IA-32e mode guest\"", GUEST_IA32_EFER },
	       { VMX_CHECK_SEC_GUEST_CR,
		 "with \"load IA32_EFER\" = 1 and CR0.PG = 1, IA32_EFER.LMA must equal IA32_EFER.LME",
		 GUEST_IA32_EFER });
}

static void test_guest_segments(void **state)
{
	(void)state;
	set(GUEST_CS_AR_BYTES, 0xE09B); /* L = 1 and D = 1 */
	set(GUEST_TR_AR_BYTES, 0x89);   /* available, not busy, TSS */
	set(GUEST_DS_AR_BYTES, 0xC092); /* not accessed */
	set(GUEST_SS_AR_BYTES, 0x4093); /* G = 0 ... */
	set(GUEST_SS_LIMIT, 0x0FFFFFFF); /* ... with limit bits 31:20 set */
	EXPECT({ VMX_CHECK_SEC_GUEST_SEG, "with \"IA-32e mode guest\" = 1 and CS.L = 1, CS.D must be 0",
		 GUEST_CS_AR_BYTES },
	       { VMX_CHECK_SEC_GUEST_SEG,
		 "limit bits 11:0 not all 1 require G = 0, and limit bits 31:20 not all 0 require G = 1",
		 GUEST_SS_AR_BYTES },
	       { VMX_CHECK_SEC_GUEST_SEG,
		 "a usable DS, ES, FS or GS must have the accessed bit (type bit 0) set", GUEST_DS_AR_BYTES },
	       { VMX_CHECK_SEC_GUEST_SEG,
		 "with \"IA-32e mode guest\" = 1, TR must be of type 11 (busy 64-bit TSS)", GUEST_TR_AR_BYTES });
}

static void test_guest_rflags_interruptibility(void **state)
{
	(void)state;
	set(GUEST_RFLAGS, 0x0);
	set(GUEST_INTERRUPTIBILITY_INFO, 0x1); /* blocking by STI with IF = 0 */
	EXPECT({ VMX_CHECK_SEC_GUEST_RIP, "RFLAGS bit 1 must be 1", GUEST_RFLAGS },
	       { VMX_CHECK_SEC_GUEST_NONREG, "blocking by STI requires RFLAGS.IF = 1",
		 GUEST_INTERRUPTIBILITY_INFO });
}

static void test_guest_rip_32bit(void **state)
{
	(void)state;
	set(GUEST_CS_AR_BYTES, 0xC09B); /* 32-bit code segment in IA-32e mode: compatibility mode */
	set(GUEST_RIP, 0x100000000ULL);
	EXPECT({ VMX_CHECK_SEC_GUEST_RIP, "with \"IA-32e mode guest\" = 0 or CS.L = 0, RIP bits 63:32 must be 0",
		 GUEST_RIP });
}

static void test_event_injection(void **state)
{
	(void)state;
	set(VM_ENTRY_INTR_INFO_FIELD, 0x80000000u | (3u << 8) | 13); /* #GP, no error code */
	EXPECT({ VMX_CHECK_SEC_ENTRY,
		 "a hardware exception with vector 8, 10-14, 17 or 21 injected with guest CR0.PE = 1 requires deliver-error-code = 1",
		 VM_ENTRY_INTR_INFO_FIELD });
	set(VM_ENTRY_INTR_INFO_FIELD, 0x80000000u | (4u << 8) | 0x80); /* INT 80h, length 0 */
	EXPECT({ VMX_CHECK_SEC_ENTRY,
		 "injecting a software interrupt or exception requires a VM-entry instruction length of 1-15 (0 only when IA32_VMX_MISC[30] = 1)",
		 VM_ENTRY_INSTRUCTION_LEN });
	set(VM_ENTRY_INSTRUCTION_LEN, 2);
	assert_int_equal(run(), 0);
}

static void test_activity_state(void **state)
{
	(void)state;
	set(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_WAIT_SIPI);
	set(GUEST_INTERRUPTIBILITY_INFO, 0x2); /* blocking by MOV SS */
	EXPECT({ VMX_CHECK_SEC_GUEST_NONREG, "blocking by STI or by MOV SS requires the active state",
		 GUEST_ACTIVITY_STATE });
	set(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmx_caps_set_msr(&caps, MSR_IA32_VMX_MISC, 0x200400E0); /* HLT and shutdown only */
	EXPECT({ VMX_CHECK_SEC_GUEST_NONREG,
		 "the activity state must be active (0) or a state IA32_VMX_MISC[8:6] supports",
		 GUEST_ACTIVITY_STATE });
}

/* An AP after INIT-SIPI, or firmware in real mode: "unrestricted guest" lets CR0.PE = 0. */
static void set_real_mode_guest(void)
{
	set(VM_ENTRY_CONTROLS, get(VM_ENTRY_CONTROLS) & ~VM_ENTRY_IA32E_MODE);
	set(GUEST_IA32_EFER, 0);
	set(GUEST_CR0, 0x30); /* ET NE */
	set(GUEST_CR4, 0x2000);
	set_seg(GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES, 0xF000, 0xF0000,
		0xFFFF, 0x9B);
	set_seg(GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES, 0, 0, 0xFFFF, 0x93);
	set_seg(GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES, 0, 0, 0xFFFF, 0x93);
	set_seg(GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES, 0, 0, 0xFFFF, 0x93);
	set_seg(GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES, 0, 0, 0xFFFF, 0x93);
	set_seg(GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES, 0, 0, 0xFFFF, 0x93);
	set_seg(GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES, 0, 0, 0xFFFF, SEG_AR_TSS_BUSY);
	set(GUEST_RIP, 0xFFF0);
}

static void test_real_mode_unrestricted(void **state)
{
	(void)state;
	set_real_mode_guest();
	if (run() != 0)
		dump();
	assert_int_equal(res.count, 0);
	set(GUEST_CS_AR_BYTES, 0xF3); /* data segment as CS (type 3): allowed, but DPL 3 is not */
	EXPECT({ VMX_CHECK_SEC_GUEST_SEG, "a CS of type 3 must have DPL 0", GUEST_CS_AR_BYTES });
	set(SECONDARY_VM_EXEC_CONTROL, get(SECONDARY_VM_EXEC_CONTROL) & ~SECONDARY_EXEC_UNRESTRICTED_GUEST);
	set(GUEST_CS_AR_BYTES, 0x9B);
	EXPECT({ VMX_CHECK_SEC_GUEST_CR,
		 "guest CR0 must set every bit IA32_VMX_CR0_FIXED0 sets and no bit IA32_VMX_CR0_FIXED1 clears (PE and PG exempt with \"unrestricted guest\" = 1)",
		 GUEST_CR0 });
}

/* Virtual-8086 mode: segments must look like real mode (base = selector << 4). */
static void test_virtual_8086(void **state)
{
	static const uint32_t segs[][4] = {
		{ GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES },
		{ GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES },
		{ GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES },
		{ GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES },
		{ GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES },
		{ GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES },
	};

	(void)state;
	set_real_mode_guest();
	set(GUEST_CR0, 0x31); /* protected mode, no paging */
	set(GUEST_RFLAGS, 0x20002);
	for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++)
		set_seg(segs[i][0], segs[i][1], segs[i][2], segs[i][3], 0x1000, 0x10000, 0xFFFF, 0xF3);
	if (run() != 0)
		dump();
	assert_int_equal(res.count, 0);
	set(GUEST_CS_BASE, 0);
	set(GUEST_DS_AR_BYTES, 0x93);
	EXPECT({ VMX_CHECK_SEC_GUEST_SEG,
		 "in virtual-8086 mode, a segment base must be its selector shifted left by 4", GUEST_CS_BASE },
	       { VMX_CHECK_SEC_GUEST_SEG, "in virtual-8086 mode, segment access rights must be 000000F3H",
		 GUEST_DS_AR_BYTES });
	set(GUEST_CS_BASE, 0x10000);
	set(GUEST_DS_AR_BYTES, 0xF3);
	set(VM_ENTRY_CONTROLS, get(VM_ENTRY_CONTROLS) | VM_ENTRY_IA32E_MODE);
	set(GUEST_IA32_EFER, 0x500);
	set(GUEST_CR0, 0x80000031);
	set(GUEST_CR4, 0x2020);
	EXPECT({ VMX_CHECK_SEC_GUEST_RIP, "RFLAGS.VM must be 0 with \"IA-32e mode guest\" = 1 or CR0.PE = 0",
		 GUEST_RFLAGS });
}

static void test_truncated(void **state)
{
	(void)state;
	for (unsigned i = 0; i < VMCS_FIELD_COUNT; i++) /* every bit set: very many failures */
		set(vmcs_field_table[i].encoding, ~0ULL);
	run();
	assert_int_equal(res.count, VMX_CHECK_MAX);
	assert_true(res.truncated);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_valid_state, setup),
		cmocka_unit_test_setup(test_guest_pg_without_pe, setup),
		cmocka_unit_test_setup(test_guest_cr0_fixed_bits, setup),
		cmocka_unit_test_setup(test_reserved_control_named, setup),
		cmocka_unit_test_setup(test_vmcs_link_pointer, setup),
		cmocka_unit_test_setup(test_eptp, setup),
		cmocka_unit_test_setup(test_bitmaps_and_vpid, setup),
		cmocka_unit_test_setup(test_nmi_controls, setup),
		cmocka_unit_test_setup(test_host_state, setup),
		cmocka_unit_test_setup(test_host_address_space_size, setup),
		cmocka_unit_test_setup(test_guest_efer, setup),
		cmocka_unit_test_setup(test_guest_segments, setup),
		cmocka_unit_test_setup(test_guest_rflags_interruptibility, setup),
		cmocka_unit_test_setup(test_guest_rip_32bit, setup),
		cmocka_unit_test_setup(test_event_injection, setup),
		cmocka_unit_test_setup(test_activity_state, setup),
		cmocka_unit_test_setup(test_real_mode_unrestricted, setup),
		cmocka_unit_test_setup(test_virtual_8086, setup),
		cmocka_unit_test_setup(test_truncated, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
