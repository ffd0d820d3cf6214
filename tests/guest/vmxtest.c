/* vmxtest: checks vmxray's exit handlers and hypercalls from inside the guest.
 *
 * An EFI application for the UEFI shell, run after vmxray has launched (the shell and
 * this program then run in VMX non-root mode). Every check prints one line, on the
 * console and on COM1: "vmxtest: PASS name", "vmxtest: FAIL name: why" or
 * "vmxtest: SKIP name: why" (not counted), then one summary "vmxtest: N passed, M failed".
 *
 * Arguments (shell command line):
 *   bare     no hypervisor expected: run only the architectural checks that must hold
 *            on bare hardware or a bare emulator (this verifies the fault catcher itself)
 *   quick    shorter loops; the owned-memory check touches only the first and last page
 *            of each owned range
 *   noowned  skip the owned-memory isolation check (the last one, and the slowest) */
#include <efi.h>
#include <efilib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "arch/bits.h"
#include "arch/cpu.h"
#include "arch/cpuid_bits.h"
#include "arch/cr.h"
#include "arch/msr.h"
#include "boot/mp.h"
#include "drivers/fmt.h"
#include "tools/efilib/efimem.h"
#include "tools/efilib/probe.h"
#include "tools/efilib/report.h"
#include "tools/efilib/ring3.h"
#include "tools/efilib/serial.h"
#include "vmx/policy/hypercall_abi.h"

/* Basic exit reasons (SDM Vol. 3D, Appendix C "VMX Basic Exit Reasons"): STATS indexes. */
#define EXIT_REASON_CPUID 10
#define EXIT_REASON_VMCALL 18

/* XCR0 bits (SDM Vol. 1, 13.3 "Enabling the XSAVE Feature Set and XSAVE-Enabled Features"). */
#define XCR0_X87 (1ULL << 0)
#define XCR0_SSE (1ULL << 1)
#define XCR0_AVX (1ULL << 2)
#define XCR0_RESERVED63 (1ULL << 63)

/* VMCS field VM_EXIT_REASON: read-only, so a VMWRITE that wrongly went through could
 * not change anything (SDM Vol. 3D, Appendix B "Field Encoding in VMCS"). */
#define VMCS_VM_EXIT_REASON 0x4402u
#define INVEPT_ALL_CONTEXT 2
#define INVVPID_ALL_CONTEXT 2

#define PORT_PCI_CONFIG_ADDRESS 0xCF8
#define PORT_PCI_CONFIG_DATA 0xCFC
#define PCI_CONFIG_ENABLE 0x80000000u
#define CR4_RESERVED15 (1ULL << 15)

#define STATS_BYTES (VMXRAY_STATS_COUNTERS * 8)
#define OWNED_MAX (PAGE_SIZE / 16)
/* Not a RAM address on any machine this runs on: beyond MAXPHYADDR 40 and 46. */
#define ADDR_BEYOND_RAM 0xFFFFFFFFF000ULL
#define UNKNOWN_HYPERCALL 0x1234

#define CANARY_PART1 "VMXRAY-"
#define CANARY_PART2 "CANARY-7f3a"
#define CANARY_LEN 18
#define SCAN_SELFTEST_NONCANONICAL 0x8000000000000000ULL

#ifdef VMXRAY_VERSION_MAJOR
#define BUILD_VERSION (((uint64_t)VMXRAY_VERSION_MAJOR << 16) | VMXRAY_VERSION_MINOR)
#endif

struct vmxtest_opts {
	bool bare, quick, noowned;
};

struct owned_range {
	uint64_t base, len;
};

struct vmxtest {
	struct vmxtest_opts o;
	uint64_t *scratch; /* one zeroed page: VMX instruction operands */
	uint64_t *buf;     /* one page: hypercall output */
	bool have_cpuid_version;
	uint32_t cpuid_version;
	bool have_hc_version;
	uint64_t hc_version;
	bool tr_note_done;
	unsigned owned_count;
	struct owned_range owned[OWNED_MAX];
};

static struct vmxtest T;

/* ---- expectations ---- */

static void expect_vector(const char *name, int r, int vector)
{
	char d[128];

	if (probe_is(r, vector)) {
		report_pass(name);
		return;
	}
	probe_describe(r, d, sizeof(d));
	report_fail(name, "expected %s%s, got %s", probe_vector_name(vector), vector == VECTOR_GP ? "(0)" : "", d);
}

static void expect_gp_rdmsr(const char *name, int r, uint64_t val)
{
	if (r == PROBE_NO_FAULT)
		report_fail(name, "expected #GP(0), got value 0x%lx", val);
	else
		expect_vector(name, r, VECTOR_GP);
}

/* FAIL (and false) when the probe faulted; nothing printed otherwise. */
static bool no_fault(const char *name, int r)
{
	char d[128];

	if (r == PROBE_NO_FAULT)
		return true;
	probe_describe(r, d, sizeof(d));
	report_fail(name, "expected no fault, got %s", d);
	return false;
}

static void expect_no_fault(const char *name, int r)
{
	if (no_fault(name, r))
		report_pass(name);
}

static bool cpuid_ok(const char *name, uint32_t leaf, struct cpuid_regs *r)
{
	return no_fault(name, probe_cpuid(leaf, 0, r));
}

/* ---- CPUID ---- */

static void cpuid_signature(const struct cpuid_regs *r, char sig[13])
{
	memcpy(sig, &r->ebx, 4);
	memcpy(sig + 4, &r->ecx, 4);
	memcpy(sig + 8, &r->edx, 4);
	for (int i = 0; i < 12; i++)
		if (sig[i] < 0x20 || sig[i] > 0x7E)
			sig[i] = '.';
	sig[12] = 0;
}

static void test_cpuid_leaf1(void)
{
	struct cpuid_regs r;

	if (!cpuid_ok("cpuid.leaf1", 1, &r))
		return;
	if (T.o.bare) {
		report_check(!bit_test(r.ecx, CPUID1_ECX_HYPERVISOR_BIT), "cpuid.hypervisor_bit_clear",
			     "CPUID.1:ECX[31] = 1 (ECX 0x%x) with no hypervisor", r.ecx);
		report_info("CPUID.1:ECX = 0x%x (VMX %d)", r.ecx, (int)bit_test(r.ecx, CPUID1_ECX_VMX_BIT));
		return;
	}
	report_check(bit_test(r.ecx, CPUID1_ECX_HYPERVISOR_BIT), "cpuid.hypervisor_bit", "CPUID.1:ECX[31] = 0 (ECX 0x%x)",
		     r.ecx);
	report_check(!bit_test(r.ecx, CPUID1_ECX_VMX_BIT), "cpuid.vmx_hidden", "CPUID.1:ECX[5] = 1 (ECX 0x%x)", r.ecx);
}

static void test_cpuid_hv_leaves(void)
{
	struct cpuid_regs r;
	char sig[13];

	if (!cpuid_ok("cpuid.leaf_base", VMXRAY_CPUID_LEAF_BASE, &r))
		return;
	cpuid_signature(&r, sig);
	if (T.o.bare) {
		report_check(strcmp(sig, VMXRAY_CPUID_SIGNATURE) != 0, "cpuid.signature_absent",
			     "CPUID 0x40000000 says \"%s\" with no hypervisor", sig);
		return;
	}
	report_check(r.eax >= VMXRAY_CPUID_MAX_LEAF, "cpuid.max_leaf", "EAX = 0x%x, expected >= 0x%x", r.eax,
		     VMXRAY_CPUID_MAX_LEAF);
	report_check(strcmp(sig, VMXRAY_CPUID_SIGNATURE) == 0, "cpuid.signature", "EBX:ECX:EDX = \"%s\", expected \"%s\"",
		     sig, VMXRAY_CPUID_SIGNATURE);
	if (!cpuid_ok("cpuid.leaf_version", VMXRAY_CPUID_LEAF_VERSION, &r))
		return;
	T.have_cpuid_version = true;
	T.cpuid_version = r.eax;
	report_check((r.eax >> 16) == 0, "cpuid.version_major0", "EAX = 0x%x", r.eax);
}

/* ---- MSRs ---- */

struct msr_name {
	uint32_t msr;
	const char *name;
};

static const struct msr_name vmx_msrs[] = {
	{ MSR_IA32_VMX_BASIC, "vmx_basic" },
	{ MSR_IA32_VMX_PINBASED_CTLS, "vmx_pinbased_ctls" },
	{ MSR_IA32_VMX_PROCBASED_CTLS, "vmx_procbased_ctls" },
	{ MSR_IA32_VMX_EXIT_CTLS, "vmx_exit_ctls" },
	{ MSR_IA32_VMX_ENTRY_CTLS, "vmx_entry_ctls" },
	{ MSR_IA32_VMX_MISC, "vmx_misc" },
	{ MSR_IA32_VMX_CR0_FIXED0, "vmx_cr0_fixed0" },
	{ MSR_IA32_VMX_CR0_FIXED1, "vmx_cr0_fixed1" },
	{ MSR_IA32_VMX_CR4_FIXED0, "vmx_cr4_fixed0" },
	{ MSR_IA32_VMX_CR4_FIXED1, "vmx_cr4_fixed1" },
	{ MSR_IA32_VMX_VMCS_ENUM, "vmx_vmcs_enum" },
	{ MSR_IA32_VMX_PROCBASED_CTLS2, "vmx_procbased_ctls2" },
	{ MSR_IA32_VMX_EPT_VPID_CAP, "vmx_ept_vpid_cap" },
	{ MSR_IA32_VMX_TRUE_PINBASED_CTLS, "vmx_true_pinbased_ctls" },
	{ MSR_IA32_VMX_TRUE_PROCBASED_CTLS, "vmx_true_procbased_ctls" },
	{ MSR_IA32_VMX_TRUE_EXIT_CTLS, "vmx_true_exit_ctls" },
	{ MSR_IA32_VMX_TRUE_ENTRY_CTLS, "vmx_true_entry_ctls" },
	{ MSR_IA32_VMX_VMFUNC, "vmx_vmfunc" },
	{ MSR_IA32_VMX_PROCBASED_CTLS3, "vmx_procbased_ctls3" },
};
_Static_assert(sizeof(vmx_msrs) / sizeof(vmx_msrs[0]) == MSR_IA32_VMX_LAST - MSR_IA32_VMX_FIRST + 1,
	       "every IA32_VMX_* MSR is checked");

/* The x2APIC register MSRs (0x800-0x8FF) exist only while IA32_APIC_BASE.EXTD (bit 10)
 * is 1; in xAPIC mode RDMSR and WRMSR of them raise #GP (SDM Vol. 3A, "x2APIC Register
 * Address Space"). Unlike a made-up index, this faults on Bochs too, whose
 * ignore_bad_msrs (which OVMF needs) answers every unknown MSR with 0. */
#define MSR_X2APIC_VERSION 0x803u
#define APIC_BASE_EXTD (1ULL << 10)
/* An index no processor implements: only reported, see test_unknown_msrs(). */
#define MSR_MADE_UP 0x12345678u

/* Whether the bare processor enumerates a VMX capability MSR (SDM Vol. 3D, Appendix A
 * "VMX Capability Reporting Facility"). Returns -1 when it cannot tell. */
static int vmx_msr_enumerated(uint32_t msr, uint64_t basic, uint64_t procbased, uint64_t procbased2)
{
	if (msr <= MSR_IA32_VMX_VMCS_ENUM)
		return 1;
	if (msr == MSR_IA32_VMX_PROCBASED_CTLS2)
		return bit_test(procbased, 63); /* allowed-1 of "activate secondary controls" */
	if (msr == MSR_IA32_VMX_EPT_VPID_CAP)
		return bit_test(procbased, 63) && (bit_test(procbased2, 32 + 1) || bit_test(procbased2, 32 + 5));
	if (msr >= MSR_IA32_VMX_TRUE_PINBASED_CTLS && msr <= MSR_IA32_VMX_TRUE_ENTRY_CTLS)
		return bit_test(basic, 55);
	if (msr == MSR_IA32_VMX_VMFUNC)
		return bit_test(procbased, 63) && bit_test(procbased2, 32 + 13);
	if (msr == MSR_IA32_VMX_PROCBASED_CTLS3)
		return bit_test(procbased, 32 + 17); /* allowed-1 of "activate tertiary controls" */
	return -1;
}

/* Bare: the enumerated VMX MSRs read without a fault. A VMX MSR that is not enumerated
 * is only reported: an emulator may answer it anyway (Bochs' ignore_bad_msrs). */
static void test_vmx_msrs_bare(void)
{
	struct cpuid_regs c;
	uint64_t basic = 0, proc = 0, proc2 = 0, v;
	char name[64];

	if (!cpuid_ok("msr.vmx_cpuid", 1, &c))
		return;
	if (!bit_test(c.ecx, CPUID1_ECX_VMX_BIT)) {
		report_skip("msr.vmx_readable", "CPUID.1:ECX.VMX = 0 on this processor");
		return;
	}
	probe_rdmsr(MSR_IA32_VMX_BASIC, &basic);
	probe_rdmsr(MSR_IA32_VMX_PROCBASED_CTLS, &proc);
	if (bit_test(proc, 63))
		probe_rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2, &proc2);
	for (size_t i = 0; i < ARRAY_SIZE(vmx_msrs); i++) {
		const struct msr_name *m = &vmx_msrs[i];
		int r = probe_rdmsr(m->msr, &v);

		fmt_snprintf(name, sizeof(name), "msr.%s_readable", m->name);
		if (vmx_msr_enumerated(m->msr, basic, proc, proc2) == 1)
			expect_no_fault(name, r);
		else
			report_info("MSR 0x%x (%s) not enumerated: %s 0x%lx", m->msr, m->name,
				    r == PROBE_NO_FAULT ? "reads" : probe_vector_name(r), v);
	}
	report_check((basic & 0x7FFFFFFF) != 0, "msr.vmx_basic_revision", "IA32_VMX_BASIC = 0x%lx", basic);
}

static void test_vmx_msrs_hidden(void)
{
	char name[64];

	for (size_t i = 0; i < ARRAY_SIZE(vmx_msrs); i++) {
		uint64_t v = 0;
		int r = probe_rdmsr(vmx_msrs[i].msr, &v);

		fmt_snprintf(name, sizeof(name), "msr.%s_gp", vmx_msrs[i].name);
		expect_gp_rdmsr(name, r, v);
	}
}

static void test_feature_control(void)
{
	uint64_t v = 0;
	int r = probe_rdmsr(MSR_IA32_FEATURE_CONTROL, &v);

	if (!no_fault("msr.feature_control_readable", r))
		return;
	report_pass("msr.feature_control_readable");
	if (T.o.bare) {
		report_info("IA32_FEATURE_CONTROL = 0x%lx", v);
		return;
	}
	report_check(!(v & (FEATURE_CONTROL_VMX_IN_SMX | FEATURE_CONTROL_VMX_OUTSIDE_SMX)),
		     "msr.feature_control_vmx_off", "IA32_FEATURE_CONTROL = 0x%lx has a VMX enable bit (1 or 2) set", v);
	/* Once the lock bit is set, WRMSR to the MSR raises #GP (SDM Vol. 3C, "Enabling and
	 * Entering VMX Operation"). Writing an unlocked one could enable VMX: not tried. */
	if (v & FEATURE_CONTROL_LOCK)
		expect_vector("msr.feature_control_write_gp", probe_wrmsr(MSR_IA32_FEATURE_CONTROL, v), VECTOR_GP);
	else
		report_skip("msr.feature_control_write_gp", "lock bit clear (0x%lx)", v);
}

static void test_unknown_msrs(void)
{
	uint64_t apic_base = 0, v = 0;
	int r, w;

	if (!no_fault("msr.apic_base_readable", probe_rdmsr(MSR_IA32_APIC_BASE, &apic_base)))
		return;
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1u << 21))) {
		/* Without x2APIC (CPUID.1:ECX[21] = 0) the x2APIC MSRs do not exist, and Bochs
		 * (ignore_bad_msrs) reads them as 0 instead of faulting: the check does not
		 * apply to this CPU model, so it is not one of this run's checks. */
		report_info("msr.rdmsr_x2apic_off_gp: not applicable: the CPU has no x2APIC (CPUID.1:ECX[21] = 0)");
	} else if (apic_base & APIC_BASE_EXTD) {
		/* In x2APIC mode the same MSR is the APIC version register: readable. */
		expect_no_fault("msr.rdmsr_x2apic_on", probe_rdmsr(MSR_X2APIC_VERSION, &v));
	} else {
		expect_gp_rdmsr("msr.rdmsr_x2apic_off_gp", probe_rdmsr(MSR_X2APIC_VERSION, &v), v);
		expect_vector("msr.wrmsr_x2apic_off_gp", probe_wrmsr(MSR_X2APIC_VERSION, 0), VECTOR_GP);
	}
	/* The VMX MSRs are read-only (SDM Vol. 3D, A.1 "Basic VMX Information"). */
	expect_vector("msr.wrmsr_vmx_basic_gp", probe_wrmsr(MSR_IA32_VMX_BASIC, 0), VECTOR_GP);

	/* Real Intel processors raise #GP(0) for an index they do not implement; Bochs
	 * does not, so what happens depends on the machine: reported, not counted. */
	v = 0;
	r = probe_rdmsr(MSR_MADE_UP, &v);
	w = probe_wrmsr(MSR_MADE_UP, 0);
	report_info("MSR 0x%x (made up): RDMSR %s 0x%lx, WRMSR %s", MSR_MADE_UP,
		    r == PROBE_NO_FAULT ? "reads" : probe_vector_name(r), v, w == PROBE_NO_FAULT ? "accepted" : probe_vector_name(w));
}

/* An ordinary MSR that the firmware does not use: write, read back, restore. */
static void test_sysenter_esp(void)
{
	const uint64_t probe_val = 0x00007FFF12345678ULL;
	uint64_t orig = 0, v = 0;

	if (!no_fault("msr.sysenter_esp_roundtrip", probe_rdmsr(MSR_IA32_SYSENTER_ESP, &orig)))
		return;
	if (no_fault("msr.sysenter_esp_roundtrip", probe_wrmsr(MSR_IA32_SYSENTER_ESP, probe_val)) &&
	    no_fault("msr.sysenter_esp_roundtrip", probe_rdmsr(MSR_IA32_SYSENTER_ESP, &v)))
		report_check(v == probe_val, "msr.sysenter_esp_roundtrip", "wrote 0x%lx, read back 0x%lx", probe_val, v);
	/* SDM Vol. 4, IA32_SYSENTER_ESP: the address must be canonical. */
	expect_vector("msr.sysenter_esp_noncanonical_gp", probe_wrmsr(MSR_IA32_SYSENTER_ESP, 0x8000000000000000ULL),
		      VECTOR_GP);
	if (no_fault("msr.sysenter_esp_restore", probe_wrmsr(MSR_IA32_SYSENTER_ESP, orig)) &&
	    no_fault("msr.sysenter_esp_restore", probe_rdmsr(MSR_IA32_SYSENTER_ESP, &v)))
		report_check(v == orig, "msr.sysenter_esp_restore", "restored 0x%lx, read back 0x%lx", orig, v);
}

static void test_msrs(void)
{
	if (T.o.bare)
		test_vmx_msrs_bare();
	else
		test_vmx_msrs_hidden();
	test_feature_control();
	test_unknown_msrs();
	test_sysenter_esp();
}

/* ---- CR4 ---- */

/* After a write that should have faulted: FAIL and put CR4 back if it changed. */
static void cr4_expect_unchanged(const char *name, uint64_t cr4)
{
	uint64_t now = cpu_read_cr4();

	if (report_check(now == cr4, name, "CR4 0x%lx became 0x%lx", cr4, now))
		return;
	probe_mov_to_cr4(cr4);
}

static void test_cr4(void)
{
	uint64_t cr4 = cpu_read_cr4();

	report_check(!(cr4 & CR4_VMXE), "cr4.vmxe_clear", "CR4 = 0x%lx has VMXE", cr4);
	/* SDM Vol. 3A, 2.5 "Control Registers": setting a reserved CR4 bit -> #GP(0). Bit 15
	 * is reserved on every model the tests boot, so it is 0 in IA32_VMX_CR4_FIXED1 and
	 * vmxray owns it (CR4 guest/host mask): the write exits and vmxray must raise the
	 * #GP. (A reserved bit in 63:32 faults in the CPU before any exit: no such check.) */
	expect_vector("cr4.reserved_bit15_gp", probe_mov_to_cr4(cr4 | CR4_RESERVED15), VECTOR_GP);
	cr4_expect_unchanged("cr4.reserved_bit15_unchanged", cr4);
	if (!T.o.bare) {
		/* With VMX hidden (CPUID.1:ECX.VMX = 0), CR4.VMXE is a reserved bit. */
		expect_vector("cr4.vmxe_set_gp", probe_mov_to_cr4(cr4 | CR4_VMXE), VECTOR_GP);
		cr4_expect_unchanged("cr4.vmxe_set_unchanged", cr4);
	}
}

/* ---- XSETBV ---- */

static void test_xsetbv_values(uint64_t xcr0, uint64_t supported)
{
	uint64_t now = 0;

	expect_no_fault("xsetbv.same_value", probe_xsetbv(0, xcr0));
	/* SDM Vol. 2D, XSETBV: #GP(0) "If an attempt is made to clear bit 0 of XCR0", for
	 * reserved bits, for "XCR0[2:1] to 10b", and for an invalid XCR "(includes ECX = 1)". */
	expect_vector("xsetbv.x87_clear_gp", probe_xsetbv(0, xcr0 & ~XCR0_X87), VECTOR_GP);
	expect_vector("xsetbv.reserved_bit63_gp", probe_xsetbv(0, xcr0 | XCR0_RESERVED63), VECTOR_GP);
	expect_vector("xsetbv.index1_gp", probe_xsetbv(1, xcr0), VECTOR_GP);
	/* AVX state without SSE state is #GP; so is any XCR0 bit the CPU does not support
	 * (CPUID.(0DH,0):EDX:EAX), AVX included where there is no AVX. */
	if (supported & XCR0_AVX)
		expect_vector("xsetbv.avx_without_sse_gp", probe_xsetbv(0, (xcr0 | XCR0_AVX) & ~XCR0_SSE), VECTOR_GP);
	else
		expect_vector("xsetbv.avx_unsupported_gp", probe_xsetbv(0, xcr0 | XCR0_AVX), VECTOR_GP);
	if (no_fault("xsetbv.xcr0_unchanged", probe_xgetbv(0, &now)))
		report_check(now == xcr0, "xsetbv.xcr0_unchanged", "XCR0 0x%lx became 0x%lx", xcr0, now);
}

static void test_xsetbv(void)
{
	struct cpuid_regs c, d;
	uint64_t cr4 = cpu_read_cr4(), xcr0 = 0;
	bool set_osxsave = !(cr4 & CR4_OSXSAVE);

	if (!cpuid_ok("xsetbv.cpuid", 1, &c))
		return;
	if (!bit_test(c.ecx, CPUID1_ECX_XSAVE_BIT)) {
		/* SDM Vol. 2D, XSETBV: #UD "If CPUID.01H:ECX.XSAVE[bit 26] = 0" (CR4.OSXSAVE
		 * cannot be set then either). */
		expect_vector("xsetbv.no_xsave_ud", probe_xsetbv(0, XCR0_X87), VECTOR_UD);
		return;
	}
	if (!no_fault("xsetbv.cpuid_0d", probe_cpuid(0xD, 0, &d)))
		return;
	if (set_osxsave && !no_fault("xsetbv.enable_osxsave", probe_mov_to_cr4(cr4 | CR4_OSXSAVE)))
		return;
	if (set_osxsave)
		report_info("CR4.OSXSAVE was 0: set for the XSETBV checks");
	if (no_fault("xsetbv.read_xcr0", probe_xgetbv(0, &xcr0)))
		test_xsetbv_values(xcr0, ((uint64_t)d.edx << 32) | d.eax);
	if (set_osxsave)
		expect_no_fault("xsetbv.restore_cr4", probe_mov_to_cr4(cr4));
}

/* ---- other instructions ---- */

static void test_instructions(void)
{
	uint64_t pa = (uint64_t)(uintptr_t)T.scratch;
	uint64_t out = 0;
	uint64_t desc[2] = { 0, 0 };

	expect_no_fault("instr.invd", probe_invd());
	/* Outside VMX operation, and in a guest that sees no VMX, every VMX instruction
	 * gives #UD: each of these exits unconditionally and vmxray injects the #UD. (GETSEC
	 * with CR4.SMXE = 0 and VMFUNC with VM functions off fault in the CPU before any
	 * exit: they are not checks of vmxray.) */
	expect_vector("vmx.vmxon_ud", probe_vmxon(&pa), VECTOR_UD);
	expect_vector("vmx.vmxoff_ud", probe_vmxoff(), VECTOR_UD);
	expect_vector("vmx.vmclear_ud", probe_vmclear(&pa), VECTOR_UD);
	expect_vector("vmx.vmptrld_ud", probe_vmptrld(&pa), VECTOR_UD);
	expect_vector("vmx.vmptrst_ud", probe_vmptrst(&out), VECTOR_UD);
	expect_vector("vmx.vmread_ud", probe_vmread(VMCS_VM_EXIT_REASON, &out), VECTOR_UD);
	expect_vector("vmx.vmwrite_ud", probe_vmwrite(VMCS_VM_EXIT_REASON, 0), VECTOR_UD);
	expect_vector("vmx.vmlaunch_ud", probe_vmlaunch(), VECTOR_UD);
	expect_vector("vmx.vmresume_ud", probe_vmresume(), VECTOR_UD);
	expect_vector("vmx.invept_ud", probe_invept(INVEPT_ALL_CONTEXT, desc), VECTOR_UD);
	expect_vector("vmx.invvpid_ud", probe_invvpid(INVVPID_ALL_CONTEXT, desc), VECTOR_UD);
	if (!T.o.bare)
		report_check(T.scratch[0] == 0, "vmx.operands_untouched", "VMXON region written: 0x%lx", T.scratch[0]);
}

/* A dword at 0xCF8 (PCI CONFIG_ADDRESS) covers port 0xCF9, which vmxray intercepts
 * (reset control), so both accesses exit and vmxray performs them for the guest: the
 * address written must read back, and the configuration data it selects (host bridge
 * 00:00.0, register 0: vendor and device ID) must be what the device holds. */
static void test_io(void)
{
	const uint32_t addr = PCI_CONFIG_ENABLE; /* bus 0, device 0, function 0, register 0 */
	uint32_t old = 0, back = 0, id = 0;

	if (!no_fault("io.pci_config_address", probe_in(PORT_PCI_CONFIG_ADDRESS, 4, &old)) ||
	    !no_fault("io.pci_config_address", probe_out(PORT_PCI_CONFIG_ADDRESS, 4, addr)) ||
	    !no_fault("io.pci_config_address", probe_in(PORT_PCI_CONFIG_ADDRESS, 4, &back)))
		return;
	report_check(back == addr, "io.pci_config_address", "wrote 0x%x to port 0x%x, read 0x%x", addr,
		     PORT_PCI_CONFIG_ADDRESS, back);
	if (no_fault("io.pci_config_data", probe_in(PORT_PCI_CONFIG_DATA, 4, &id)))
		report_check((id & 0xFFFF) != 0xFFFF && id != 0, "io.pci_config_data",
			     "host bridge vendor/device 0x%x through CONFIG_ADDRESS 0x%x", id, back);
	probe_out(PORT_PCI_CONFIG_ADDRESS, 4, old);
}

/* ---- hypercalls ---- */

static bool hypercall(const char *name, struct probe_regs *r)
{
	char d[128];
	int f = probe_vmcall(r);

	if (f == PROBE_NO_FAULT)
		return true;
	probe_describe(f, d, sizeof(d));
	report_fail(name, "VMCALL (RAX 0x%lx) faulted: %s", r->rax, d);
	return false;
}

static int64_t hc_status(const struct probe_regs *r)
{
	return (int64_t)r->rax;
}

static void test_hc_version(void)
{
	struct probe_regs r = { .rax = VMXRAY_HC_VERSION };

	if (!hypercall("hc.version", &r))
		return;
	report_check(r.rax == 0, "hc.version_status", "RAX = 0x%lx", r.rax);
	report_check((r.rbx >> 16) == 0, "hc.version_major0", "RBX = 0x%lx", r.rbx);
	T.have_hc_version = true;
	T.hc_version = r.rbx;
	if (T.have_cpuid_version)
		report_check(r.rbx == T.cpuid_version, "hc.version_matches_cpuid", "RBX = 0x%lx, CPUID 0x40000001 EAX = 0x%x",
			     r.rbx, T.cpuid_version);
#ifdef BUILD_VERSION
	report_check(r.rbx == BUILD_VERSION, "hc.version_matches_build", "RBX = 0x%lx, this build is 0x%lx", r.rbx,
		     BUILD_VERSION);
#endif
}

static void test_hc_simple(void)
{
	struct probe_regs r = { .rax = VMXRAY_HC_DUMP_VMCS };

	if (hypercall("hc.dump_vmcs", &r))
		report_check(r.rax == 0, "hc.dump_vmcs", "RAX = %ld", hc_status(&r));
	r = (struct probe_regs){ .rax = UNKNOWN_HYPERCALL };
	if (hypercall("hc.unknown_enosys", &r))
		report_check(hc_status(&r) == VMXRAY_HC_ENOSYS, "hc.unknown_enosys", "function 0x%x: RAX = %ld",
			     UNKNOWN_HYPERCALL, hc_status(&r));
}

static bool all_bytes(const void *p, size_t n, uint8_t v)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != v)
			return false;
	return true;
}

static bool owned_ranges_valid(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t base = T.buf[2 * i], len = T.buf[2 * i + 1];

		if (len == 0 || !is_aligned(base, PAGE_SIZE) || !is_aligned(len, PAGE_SIZE)) {
			report_fail("hc.owned_ranges_valid", "range %lu: base 0x%lx length 0x%lx", i, base, len);
			return false;
		}
	}
	report_pass("hc.owned_ranges_valid");
	return true;
}

static void test_hc_owned_ranges(void)
{
	struct probe_regs r = { .rax = VMXRAY_HC_OWNED_RANGES, .rbx = (uintptr_t)T.buf, .rcx = PAGE_SIZE };
	int64_t n;

	memset(T.buf, 0, PAGE_SIZE);
	if (!hypercall("hc.owned_ranges", &r))
		return;
	n = hc_status(&r);
	if (!report_check(n >= 1 && n <= (int64_t)OWNED_MAX, "hc.owned_ranges_count", "RAX = %ld", n) ||
	    !owned_ranges_valid((uint64_t)n))
		return;
	T.owned_count = (unsigned)n;
	for (unsigned i = 0; i < T.owned_count; i++) {
		T.owned[i].base = T.buf[2 * i];
		T.owned[i].len = T.buf[2 * i + 1];
		report_info("owned range %u: 0x%lx + 0x%lx", i, T.owned[i].base, T.owned[i].len);
	}

	memset(T.buf, 0xA5, PAGE_SIZE);
	r = (struct probe_regs){ .rax = VMXRAY_HC_OWNED_RANGES, .rbx = (uintptr_t)T.buf, .rcx = 8 };
	if (!hypercall("hc.owned_ranges_small", &r))
		return;
	report_check(hc_status(&r) == VMXRAY_HC_ENOSPC, "hc.owned_ranges_small_enospc", "RAX = %ld", hc_status(&r));
	report_check(r.rbx == 16 * (uint64_t)n, "hc.owned_ranges_small_needed", "RBX = %lu, expected %lu", r.rbx,
		     16 * (uint64_t)n);
	report_check(all_bytes(T.buf, PAGE_SIZE, 0xA5), "hc.owned_ranges_small_untouched", "buffer was written");
}

static bool stats(const char *name, uint64_t buf, uint64_t size, struct probe_regs *r)
{
	*r = (struct probe_regs){ .rax = VMXRAY_HC_STATS, .rbx = buf, .rcx = size };
	return hypercall(name, r);
}

static void test_hc_stats_counts(void)
{
	struct probe_regs r;
	unsigned loops = T.o.quick ? 100 : 1000;
	uint64_t before;

	memset(T.buf, 0, PAGE_SIZE);
	if (!stats("hc.stats", (uintptr_t)T.buf, PAGE_SIZE, &r))
		return;
	if (!report_check(hc_status(&r) == VMXRAY_STATS_COUNTERS, "hc.stats_count", "RAX = %ld, expected %d",
			  hc_status(&r), VMXRAY_STATS_COUNTERS))
		return;
	report_check(T.buf[EXIT_REASON_CPUID] > 0, "hc.stats_cpuid_counted", "counter[%d] = 0", EXIT_REASON_CPUID);
	report_check(T.buf[EXIT_REASON_VMCALL] > 0, "hc.stats_vmcall_counted", "counter[%d] = 0", EXIT_REASON_VMCALL);
	before = T.buf[EXIT_REASON_CPUID];
	for (unsigned i = 0; i < loops; i++)
		(void)cpu_cpuid(0, 0);
	if (!stats("hc.stats_again", (uintptr_t)T.buf, PAGE_SIZE, &r))
		return;
	report_check(T.buf[EXIT_REASON_CPUID] >= before + loops, "hc.stats_cpuid_increases",
		     "counter[%d] went from %lu to %lu after %u CPUIDs", EXIT_REASON_CPUID, before,
		     T.buf[EXIT_REASON_CPUID], loops);
}

static void test_hc_stats_small(void)
{
	struct probe_regs r;

	memset(T.buf, 0xA5, PAGE_SIZE);
	if (!stats("hc.stats_small", (uintptr_t)T.buf, STATS_BYTES - 1, &r))
		return;
	report_check(hc_status(&r) == VMXRAY_HC_ENOSPC, "hc.stats_small_enospc", "RAX = %ld", hc_status(&r));
	report_check(r.rbx == STATS_BYTES, "hc.stats_small_needed", "RBX = %lu, expected %d", r.rbx, STATS_BYTES);
	report_check(all_bytes(T.buf, PAGE_SIZE, 0xA5), "hc.stats_small_untouched", "buffer was written");
}

/* Copies n bytes from guest-physical (identity-mapped) memory under the fault catcher. */
struct guest_copy {
	const volatile uint8_t *src;
	uint8_t *dst;
	size_t n;
};

static void guest_copy_fn(void *arg)
{
	struct guest_copy *c = arg;

	for (size_t i = 0; i < c->n; i++)
		c->dst[i] = c->src[i];
}

static int guest_copy(uint64_t addr, void *dst, size_t n)
{
	struct guest_copy c = { (const volatile uint8_t *)(uintptr_t)addr, dst, n };

	return probe_call(guest_copy_fn, &c);
}

/* A STATS buffer inside an owned range: EFAULT, and the guest's view of it unchanged. */
static void test_hc_stats_owned(void)
{
	static uint8_t before[STATS_BYTES], after[STATS_BYTES];
	uint64_t base = T.owned[0].base;
	struct probe_regs r;
	int rb = guest_copy(base, before, sizeof(before));

	if (!stats("hc.stats_owned", base, STATS_BYTES, &r))
		return;
	report_check(hc_status(&r) == VMXRAY_HC_EFAULT, "hc.stats_owned_efault", "buffer 0x%lx: RAX = %ld", base,
		     hc_status(&r));
	if (rb != PROBE_NO_FAULT || guest_copy(base, after, sizeof(after)) != PROBE_NO_FAULT) {
		report_skip("hc.stats_owned_untouched", "owned memory at 0x%lx does not read from the guest (%s)", base,
			    probe_vector_name((int)probe_fault_info.vector));
		return;
	}
	report_check(memcmp(before, after, sizeof(before)) == 0, "hc.stats_owned_untouched",
		     "guest view of 0x%lx changed", base);
}

/* A buffer that starts in guest memory and ends inside an owned range. */
static void test_hc_stats_straddle(void)
{
	uint64_t base = T.owned[0].base;
	uint8_t *below = base >= PAGE_SIZE ? efimem_alloc_page_at(base - PAGE_SIZE) : NULL;
	struct probe_regs r;

	if (!below) {
		report_skip("hc.stats_straddle_efault", "the page below owned range 0x%lx is not free", base);
		return;
	}
	memset(below, 0xA5, PAGE_SIZE);
	if (stats("hc.stats_straddle", base - STATS_BYTES / 2, STATS_BYTES, &r)) {
		report_check(hc_status(&r) == VMXRAY_HC_EFAULT, "hc.stats_straddle_efault", "buffer 0x%lx: RAX = %ld",
			     base - STATS_BYTES / 2, hc_status(&r));
		report_check(all_bytes(below, PAGE_SIZE, 0xA5), "hc.stats_straddle_untouched",
			     "guest part of the buffer was written");
	}
	efimem_free_pages(below, 1);
}

static void test_hypercalls(void)
{
	struct probe_regs r;

	test_hc_version();
	test_hc_simple();
	test_hc_owned_ranges();
	test_hc_stats_counts();
	test_hc_stats_small();
	if (stats("hc.stats_beyond_ram", ADDR_BEYOND_RAM, PAGE_SIZE, &r))
		report_check(hc_status(&r) == VMXRAY_HC_EFAULT, "hc.stats_beyond_ram_efault", "buffer 0x%llx: RAX = %ld",
			     ADDR_BEYOND_RAM, hc_status(&r));
	if (T.owned_count == 0) {
		report_skip("hc.stats_owned_efault", "no owned range known");
		return;
	}
	test_hc_stats_owned();
	test_hc_stats_straddle();
}

/* ---- CPL 3 ---- */

static void check_ring3(const char *name, const char *code, const char *next, int vector)
{
	struct ring3_result res;
	char why[128], d[128];

	if (!ring3_run(code, VMXRAY_HC_VERSION, &res, why, sizeof(why))) {
		report_skip(name, "%s", why);
		return;
	}
	if (!res.restored)
		report_fail("cpl3.restore", "%s", res.restore_error);
	if (res.tr_kept && !T.tr_note_done) {
		report_info("TR 0x%x was not a loadable TSS: TR keeps the CPL-3 probe's TSS", res.tr_before);
		T.tr_note_done = true;
	}
	probe_fault_info = res.fault;
	probe_describe(res.vector, d, sizeof(d));
	if ((res.fault.cs & 3) != 3) {
		report_fail(name, "exception did not come from CPL 3: %s", d);
		return;
	}
	if (res.fault.rip == (uintptr_t)next) {
		report_fail(name, "the instruction completed at CPL 3 (then %s)", d);
		return;
	}
	if (res.fault.rip != (uintptr_t)code) {
		report_fail(name, "unexpected exception %s", d);
		return;
	}
	expect_vector(name, res.vector, vector);
}

static void test_cpl3(void)
{
	/* HLT at CPL > 0 -> #GP(0): proves the excursion reaches CPL 3 and comes back. */
	check_ring3("cpl3.hlt_gp", ring3_code_hlt, ring3_code_hlt_next, VECTOR_GP);
	/* VMCALL in non-root operation exits at any CPL (SDM Vol. 3C, "Instructions That
	 * Cause VM Exits Unconditionally"); the ABI has vmxray give CPL > 0 the #UD that
	 * VMCALL raises outside VMX operation. */
	check_ring3("hc.vmcall_cpl3_ud", ring3_code_vmcall, ring3_code_vmcall_next, VECTOR_UD);
}

/* ---- owned memory isolation ---- */

struct owned_scan {
	uint64_t addr;      /* the page being scanned */
	bool write;
	char needle[CANARY_LEN];
	uint64_t found_at;  /* 0: canary not seen */
	bool carry;         /* win[0..2] holds the end of the previous page */
	uint64_t win[3 + PAGE_SIZE / 8];
};

static void owned_search(struct owned_scan *s)
{
	const uint8_t *b = (const uint8_t *)s->win;
	size_t total = sizeof(s->win);
	size_t start = s->carry ? 0 : 24;

	for (size_t i = start; i + CANARY_LEN <= total; i++) {
		if (b[i] == (uint8_t)s->needle[0] && memcmp(b + i, s->needle, CANARY_LEN) == 0) {
			s->found_at = s->addr - 24 + i;
			return;
		}
	}
}

/* One page at s->addr, run under probe_call(). */
static void owned_scan_page(void *arg)
{
	struct owned_scan *s = arg;
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)s->addr;

	if (s->write) {
		for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
			p[i] = ~p[i];
		return;
	}
	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		s->win[3 + i] = p[i];
	owned_search(s);
	s->win[0] = s->win[PAGE_SIZE / 8];
	s->win[1] = s->win[PAGE_SIZE / 8 + 1];
	s->win[2] = s->win[PAGE_SIZE / 8 + 2];
}

/* Scans [base, base + len) a page per probe (interrupts come back in between); returns
 * the number of pages that faulted. */
static uint64_t owned_scan_range(struct owned_scan *s, uint64_t base, uint64_t len, int *last_vector)
{
	uint64_t faulted = 0;

	s->carry = false;
	for (s->addr = base; s->addr < base + len && !s->found_at; s->addr += PAGE_SIZE) {
		int r = probe_call(owned_scan_page, s);

		s->carry = r == PROBE_NO_FAULT;
		if (r != PROBE_NO_FAULT) {
			*last_vector = r;
			faulted++;
		}
	}
	return faulted;
}

/* Every owned range, or in quick mode its first and last page. */
static uint64_t owned_scan_all(struct owned_scan *s, int *last_vector)
{
	uint64_t faulted = 0;

	for (unsigned i = 0; i < T.owned_count && !s->found_at; i++) {
		const struct owned_range *o = &T.owned[i];

		if (!T.o.quick || o->len <= 2 * PAGE_SIZE) {
			faulted += owned_scan_range(s, o->base, o->len, last_vector);
			continue;
		}
		faulted += owned_scan_range(s, o->base, PAGE_SIZE, last_vector);
		faulted += owned_scan_range(s, o->base + o->len - PAGE_SIZE, PAGE_SIZE, last_vector);
	}
	return faulted;
}

static void owned_make_needle(char *needle)
{
	/* Built at run time so that this program's image never holds the canary whole. */
	memcpy(needle, CANARY_PART1, sizeof(CANARY_PART1) - 1);
	memcpy(needle + sizeof(CANARY_PART1) - 1, CANARY_PART2, sizeof(CANARY_PART2) - 1);
}
_Static_assert(sizeof(CANARY_PART1) - 1 + sizeof(CANARY_PART2) - 1 == CANARY_LEN, "canary length");

/* The scanner finds a planted canary that straddles a page boundary. */
static void test_scan_selftest(void)
{
	struct owned_scan *s = efimem_alloc_pages(3, UINT64_MAX);
	uint8_t *pages = efimem_alloc_pages(2, UINT64_MAX);
	int v = 0;

	if (!s || !pages) {
		report_skip("scan.selftest", "AllocatePages failed");
	} else {
		memset(s, 0, sizeof(*s));
		owned_make_needle(s->needle);
		memset(pages, 0, 2 * PAGE_SIZE);
		memcpy(pages + PAGE_SIZE - 7, s->needle, CANARY_LEN);
		owned_scan_range(s, (uintptr_t)pages, 2 * PAGE_SIZE, &v);
		report_check(s->found_at == (uintptr_t)pages + PAGE_SIZE - 7, "scan.selftest",
			     "planted at 0x%lx, found at 0x%lx", (uint64_t)((uintptr_t)pages + PAGE_SIZE - 7), s->found_at);
		memset(pages, 0, 2 * PAGE_SIZE);
		/* Non-canonical addresses: every page faults (#GP), the scan goes on. */
		s->found_at = 0;
		uint64_t faulted = owned_scan_range(s, SCAN_SELFTEST_NONCANONICAL, 2 * PAGE_SIZE, &v);
		report_check(faulted == 2 && v == VECTOR_GP && !s->found_at, "scan.selftest_faults",
			     "%lu of 2 pages faulted, last %s", faulted, probe_vector_name(v));
	}
	_Static_assert(sizeof(struct owned_scan) <= 3 * PAGE_SIZE, "owned_scan fits its pages");
	efimem_free_pages(s, 3);
	efimem_free_pages(pages, 2);
}

static void test_owned_still_answers(void)
{
	struct cpuid_regs c;
	struct probe_regs r = { .rax = VMXRAY_HC_VERSION };
	char sig[13];

	if (cpuid_ok("owned.cpuid_after_writes", VMXRAY_CPUID_LEAF_BASE, &c)) {
		cpuid_signature(&c, sig);
		report_check(strcmp(sig, VMXRAY_CPUID_SIGNATURE) == 0, "owned.cpuid_after_writes",
			     "CPUID 0x40000000 says \"%s\"", sig);
	}
	if (hypercall("owned.version_after_writes", &r))
		report_check(r.rax == 0 && (!T.have_hc_version || r.rbx == T.hc_version), "owned.version_after_writes",
			     "RAX = 0x%lx RBX = 0x%lx", r.rax, r.rbx);
}

static void test_owned(void)
{
	struct owned_scan *s;
	uint64_t faulted;
	int v = 0;

	if (T.o.noowned) {
		report_skip("owned.isolation", "'noowned' given");
		return;
	}
	if (T.owned_count == 0) {
		report_skip("owned.isolation", "no owned range known");
		return;
	}
	s = efimem_alloc_pages(3, UINT64_MAX);
	if (!s) {
		report_skip("owned.isolation", "AllocatePages failed");
		return;
	}
	memset(s, 0, sizeof(*s));
	owned_make_needle(s->needle);
	faulted = owned_scan_all(s, &v);
	report_check(!s->found_at, "owned.reads_no_canary", "hypervisor canary readable at 0x%lx", s->found_at);
	if (faulted)
		report_info("owned reads: %lu pages faulted (last %s)", faulted, probe_vector_name(v));
	s->write = true;
	s->found_at = 0;
	faulted = owned_scan_all(s, &v);
	if (faulted)
		report_info("owned writes: %lu pages faulted (last %s)", faulted, probe_vector_name(v));
	/* Whether the writes changed vmxray's memory is root mode's to say: it checks every
	 * vCPU's canary and prints "STATS canaries intact=N of N" at power-off. */
	test_owned_still_answers();
	efimem_free_pages(s, 3);
}

/* ---- arguments ---- */

static char ascii_lower(CHAR16 c)
{
	if (c >= L'A' && c <= L'Z')
		return (char)(c - L'A' + 'a');
	return c < 0x80 ? (char)c : '?';
}

static bool contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (!strncmp(hay, needle, n))
			return true;
	return false;
}

/* The shell passes the command line, command name first. */
static bool is_command_name(const char *w)
{
	size_t n = strlen(w);

	return contains(w, "vmxtest") || (n >= 4 && !strcmp(w + n - 4, ".efi"));
}

static void apply_option(const char *w, bool first)
{
	if (!strcmp(w, "bare"))
		T.o.bare = true;
	else if (!strcmp(w, "quick"))
		T.o.quick = true;
	else if (!strcmp(w, "noowned"))
		T.o.noowned = true;
	else if (!first || !is_command_name(w))
		report_fail("args", "unknown argument '%s' (known: bare quick noowned)", w);
}

static void parse_options(EFI_HANDLE image)
{
	EFI_LOADED_IMAGE *li = NULL;
	const CHAR16 *s;
	size_t n;
	char w[32];
	size_t wn = 0;
	bool first = true;

	if (uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li) != EFI_SUCCESS ||
	    !li || !li->LoadOptions)
		return;
	s = li->LoadOptions;
	n = li->LoadOptionsSize / sizeof(CHAR16);
	for (size_t i = 0; i <= n; i++) {
		CHAR16 c = i < n ? s[i] : 0;

		if (c != 0 && c != L' ' && c != L'\t') {
			if (wn < sizeof(w) - 1)
				w[wn++] = ascii_lower(c);
			continue;
		}
		if (wn) {
			w[wn] = 0;
			apply_option(w, first);
			first = false;
			wn = 0;
		}
		if (c == 0)
			break;
	}
}

/* Every processor: CPUID run on each AP through the MP services protocol must show the
 * hypervisor bit (under vmxray) or not show it (bare). */
struct ap_cpuid {
	volatile uint32_t ecx[MP_MAX_CPUS];
	volatile uint32_t apic[MP_MAX_CPUS];
	volatile uint32_t done;
};

static VOID EFIAPI ap_cpuid(VOID *arg)
{
	struct ap_cpuid *r = arg;
	struct cpuid_regs c = cpu_cpuid(1, 0);
	uint32_t i = __atomic_fetch_add(&r->done, 1, __ATOMIC_SEQ_CST);
	if (i < MP_MAX_CPUS) {
		r->ecx[i] = c.ecx;
		r->apic[i] = c.ebx >> 24;
	}
}

static void test_all_cpus(void)
{
	static EFI_GUID guid = EFI_MP_SERVICES_PROTOCOL_GUID;
	static struct ap_cpuid r;
	EFI_MP_SERVICES_PROTOCOL *mp = NULL;
	UINTN n = 0, enabled = 0;

	if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &guid, NULL, (void **)&mp)) || !mp ||
	    EFI_ERROR(uefi_call_wrapper(mp->GetNumberOfProcessors, 3, mp, &n, &enabled))) {
		report_skip("smp.every_cpu", "no MP services protocol");
		return;
	}
	if (enabled < 2) {
		/* One processor: every CPU is the BSP, which test_cpuid_leaf1 checked. */
		struct cpuid_regs c;
		if (cpuid_ok("smp.every_cpu", 1, &c))
			report_check(((c.ecx >> 31) & 1) == !T.o.bare, "smp.every_cpu",
				     "1 processor: CPUID.1:ECX 0x%x", c.ecx);
		return;
	}
	memset((void *)&r, 0, sizeof(r));
	EFI_STATUS s = uefi_call_wrapper(mp->StartupAllAPs, 7, mp, ap_cpuid, TRUE, NULL, 5000000, &r, NULL);
	if (EFI_ERROR(s) || r.done != enabled - 1) {
		report_fail("smp.every_cpu", "StartupAllAPs: status 0x%lx, %u of %lu APs answered", (uint64_t)s,
			    r.done, (uint64_t)(enabled - 1));
		return;
	}
	for (uint32_t i = 0; i < r.done && i < MP_MAX_CPUS; i++) {
		char name[48];
		fmt_snprintf(name, sizeof(name), "smp.ap_apic%u_hypervisor_bit", r.apic[i]);
		bool hv = (r.ecx[i] >> 31) & 1, vmx = (r.ecx[i] >> 5) & 1;
		if (hv == !T.o.bare && vmx == T.o.bare)
			report_pass(name);
		else
			report_fail(name, "CPUID.1:ECX 0x%x: hypervisor=%u vmx=%u", r.ecx[i], hv, vmx);
	}
}

/* Cost of a CPUID round trip measured with RDTSC (in Bochs with clock: sync=none,
 * RDTSC counts instructions): the minimum over 8 runs of 256 CPUIDs, per CPUID. Bare
 * minus under-vmxray is the hypervisor's exit path. Reported, not checked. */
static void measure_cpuid_cost(void)
{
	uint64_t best = UINT64_MAX;
	for (int run = 0; run < 8; run++) {
		uint64_t t0 = cpu_rdtsc();
		for (int i = 0; i < 256; i++)
			(void)cpu_cpuid(0, 0);
		uint64_t t = cpu_rdtsc() - t0;
		if (t < best)
			best = t;
	}
	report_info("cpuid_cost_ticks=%lu (per CPUID, leaf 0, min of 8 x 256)", best / 256);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	InitializeLib(image, st);
	report_init("vmxtest", st);
	report_to_file(image, L"\\EFI\\vmxray\\vmxtest.log");
	parse_options(image);
	probe_init();
	report_info("mode:%s%s%s, CR4 0x%lx, TR 0x%x", T.o.bare ? " bare" : " hypervisor", T.o.quick ? " quick" : "",
		    T.o.noowned ? " noowned" : "", cpu_read_cr4(), cpu_str());

	T.scratch = efimem_alloc_pages(1, UINT64_MAX);
	T.buf = efimem_alloc_pages(1, UINT64_MAX);
	if (!T.scratch || !T.buf) {
		report_fail("setup", "AllocatePages failed");
	} else {
		memset(T.scratch, 0, PAGE_SIZE);
		test_cpuid_leaf1();
		test_cpuid_hv_leaves();
		test_all_cpus();
		test_msrs();
		test_cr4();
		test_xsetbv();
		test_instructions();
		test_io();
		test_scan_selftest();
		if (!T.o.bare)
			test_hypercalls();
		test_cpl3();
		if (!T.o.bare)
			test_owned();
	}
	measure_cpuid_cost(); /* last: 2048 CPUIDs would use up a trace= budget */
	efimem_free_pages(T.scratch, 1);
	efimem_free_pages(T.buf, 1);
	return report_summary() ? EFI_ABORTED : EFI_SUCCESS;
}
