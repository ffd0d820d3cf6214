/* Pure policy decisions behind the exit handlers: what CPUID shows the guest, which
 * CR0/CR4/XCR0 values the architecture accepts, which MSRs vmxray hides. Unit-tested. */
#ifndef VMXRAY_VMX_POLICY_H
#define VMXRAY_VMX_POLICY_H
#include <stdbool.h>
#include <stdint.h>

#include "arch/cpuid_bits.h"
#include "arch/cr.h"
#include "arch/msr.h"

struct cpuid_result {
	uint32_t eax, ebx, ecx, edx;
};

/* Rewrites the hardware's CPUID result as the guest must see it: hypervisor present
 * (CPUID.1:ECX[31]), VMX hidden (CPUID.1:ECX[5]), vmxray's leaves 0x40000000-1; Intel PT
 * hidden (CPUID.(7,0):EBX[25], leaf 14H zero) and DS/BTS/PEBS hidden (CPUID.1:EDX[21] DS,
 * ECX[2] DTES64, ECX[15] PDCM), since their output bypasses EPT (vmx/policy/msr_policy.def); and
 * the bits that mirror the guest's CR4 rather than root mode's (CPUID.1:ECX[27]
 * OSXSAVE, CPUID.(7,0):ECX[4] OSPKE), since CPUID itself runs in root mode. */
void cpuid_policy_apply(uint32_t leaf, uint32_t subleaf, struct cpuid_result *r, uint32_t version,
			uint64_t guest_cr4);
/* The bits that depend on the mode CPUID executes in: it runs in 64-bit root mode, the
 * guest may not. CPUID.80000001H:EDX[11] (SYSCALL/SYSRET) reads 1 only in 64-bit mode
 * (SDM Vol. 2A, CPUID, Table 3-8: "SYSCALL/SYSRET available in 64-bit mode"; Bochs and
 * Intel processors return 0 elsewhere). mode64 = IA-32e mode guest and CS.L. */
void cpuid_policy_apply_mode(uint32_t leaf, struct cpuid_result *r, bool mode64);
/* The leaves cpuid_policy_apply or cpuid_policy_apply_mode may change (1, 7, 0x14,
 * 0x4xxxxxxx, 0x80000001): every other leaf passes through as the hardware returns it. For
 * the exit path, which skips the call; the leaves below 32 as a mask, which
 * vmx/exit/entry.asm tests with BT (through build/gen/offsets.inc); entry.asm sends
 * 0x80000001 to C (CPUID_LEAF_EXT_FEATURES). */
#define CPUID_LEAF_INTEL_PT 0x14
#define CPUID_LEAF_EXT_FEATURES 0x80000001u
#define CPUID_POLICY_LOW_LEAVES ((1u << 1) | (1u << 7) | (1u << CPUID_LEAF_INTEL_PT))
/* The fixed part of the leaf 1 and leaf 7 rewrites, as masks (policy.c, and the CPUID
 * exit in vmx/exit/entry.asm, through build/gen/offsets.inc): bits hidden, bit shown. */
#define CPUID1_ECX_HIDDEN ((1u << CPUID1_ECX_VMX_BIT) | (1u << CPUID1_ECX_DTES64_BIT) | (1u << CPUID1_ECX_PDCM_BIT))
#define CPUID1_ECX_SHOWN (1u << CPUID1_ECX_HYPERVISOR_BIT) /* entry.asm: BTS of this bit */
#define CPUID1_EDX_HIDDEN (1u << CPUID1_EDX_DS_BIT)
#define CPUID7_EBX_HIDDEN (1u << CPUID7_EBX_INTEL_PT_BIT)
static inline bool cpuid_policy_touches(uint32_t leaf)
{
	if (leaf < 32)
		return (CPUID_POLICY_LOW_LEAVES >> leaf) & 1;
	return (leaf & 0xF0000000u) == 0x40000000u || leaf == CPUID_LEAF_EXT_FEATURES;
}

/* What vmxray does with an RDMSR or WRMSR (vmx/policy/msr_policy.def). */
enum msr_action {
	MSR_ACTION_PASS,
	MSR_ACTION_EMULATE,
	MSR_ACTION_GP,
	MSR_ACTION_SWITCH,
	MSR_ACTION_SOFTIPI,
};
/* The table as a switch (GNU case ranges), inline: a few compares on every RDMSR/WRMSR
 * exit instead of a walk over every line, and `write` folds away at the call. */
static inline enum msr_action msr_policy_action(uint32_t msr, bool write)
{
	switch (msr) {
#define MSR_POLICY(first, last, read, write_, reason) \
	case (first)...(last):                        \
		return write ? MSR_ACTION_##write_ : MSR_ACTION_##read;
#include "vmx/policy/msr_policy.def"
#undef MSR_POLICY
	default:
		return MSR_ACTION_PASS;
	}
}
/* Whether the MSR bitmap makes this access exit: EMULATE, GP, SWITCH (SOFTIPI only when
 * soft IPIs are on: vmx/exit_apic.c adds those bits). */
static inline bool msr_action_exits(enum msr_action a)
{
	return a == MSR_ACTION_EMULATE || a == MSR_ACTION_GP || a == MSR_ACTION_SWITCH;
}
/* One line of the table, for the bitmap builder and the tests. */
struct msr_policy_entry {
	uint32_t first, last;
	enum msr_action read, write;
	const char *reason;
};
extern const struct msr_policy_entry msr_policy_table[];
extern const unsigned msr_policy_count;

/* IA32_MISC_ENABLE as the guest sees it: BTS and PEBS unavailable (bits 11, 12 set). */
static inline uint64_t misc_enable_guest_view(uint64_t hw)
{
	return hw | MISC_ENABLE_BTS_UNAVAILABLE | MISC_ENABLE_PEBS_UNAVAILABLE; /* arch/msr.h */
}
/* IA32_DEBUGCTL bits that need the DS area or trace messages: TR, BTS, BTINT,
 * BTS_OFF_OS, BTS_OFF_USR (SDM Vol. 3B, "IA32_DEBUGCTL MSR"); #GP, since BTS is hidden. */
#define DEBUGCTL_DS_BITS (0x1FULL << 6)

/* MSRs that read as absent because VMX is hidden (IA32_VMX_*: #GP as on a CPU without VMX). */
bool msr_is_hidden_vmx(uint32_t msr);
/* IA32_FEATURE_CONTROL as the guest sees it: locked, VMX enable bits clear. */
static inline uint64_t feature_control_guest_view(uint64_t hw)
{
	return (hw & ~(FEATURE_CONTROL_VMX_IN_SMX | FEATURE_CONTROL_VMX_OUTSIDE_SMX)) | FEATURE_CONTROL_LOCK;
}

/* Guest CR state needed to judge a write. */
struct cr_context {
	uint64_t cr0, cr3, cr4, efer;
	bool cs_l;                 /* executing 64-bit code */
	uint64_t cr4_supported;    /* CR4 bits this CPU implements (from IA32_VMX_CR4_FIXED1) */
};

/* True when MOV to CR0 with value v must raise #GP (SDM Vol. 3A, 2.5 "Control Registers"
 * and MOV to/from Control Registers in Vol. 2B). */
static inline bool cr0_write_faults(const struct cr_context *c, uint64_t v)
{
	if (v >> 32)
		return true; /* reserved bits 63:32 */
	if ((v & CR0_PG) && !(v & CR0_PE))
		return true;
	if ((v & CR0_NW) && !(v & CR0_CD))
		return true;
	/* SDM Vol. 2B, MOV to/from Control Registers, #GP(0): "If an attempt is made to
	 * clear CR0.WP while CR4.CET = 1"; and VM entry checks the same pair. */
	if (!(v & CR0_WP) && (c->cr4 & CR4_CET))
		return true;
	bool enabling_paging = (v & CR0_PG) && !(c->cr0 & CR0_PG);
	if (enabling_paging && (c->efer & EFER_LME) && !(c->cr4 & CR4_PAE))
		return true;
	bool disabling_paging = !(v & CR0_PG) && (c->cr0 & CR0_PG);
	if (disabling_paging && (c->cs_l || (c->cr4 & CR4_PCIDE)))
		return true;
	return false;
}
/* True when MOV to CR0 of v over a guest CR0 of cr0 (the bits the guest owns: PG, CD, NW
 * and WP among them) is the plain write: v fits 32 bits, keeps PG, CD, NW and WP, and is no
 * PG without PE nor NW without CD. Then cr0_write_faults(c, v) is false for every context
 * c with c->cr0 = cr0 that a running guest can be in (VM entry refuses PG without PE, and
 * WP = 0 with CR4.CET = 1: SDM Vol. 3C, 27.3.1.1 "Checks on Guest Control Registers, Debug
 * Registers, and MSRs"), whatever CR4, EFER and CS.L hold, and the write changes nothing
 * that IA-32e mode, the PDPTEs or the TLB follow (vmx/exit/exit_cr.c,
 * exit_cr0_write_fast). tests/unit/test_policy.c checks it against cr0_write_faults. */
static inline bool cr0_write_is_plain(uint64_t cr0, uint64_t v)
{
	return !(v >> 32) && !((v ^ cr0) & (CR0_PG | CR0_CD | CR0_NW | CR0_WP)) &&
	       !((v & CR0_PG) && !(v & CR0_PE)) && !((v & CR0_NW) && !(v & CR0_CD));
}
/* True when MOV to CR4 with value v must raise #GP; VMXE counts as unsupported
 * because VMX is hidden from the guest. */
bool cr4_write_faults(const struct cr_context *c, uint64_t v);

/* True when XSETBV(index, value) must raise #GP (SDM Vol. 2C, XSETBV; Vol. 1, 13.3
 * "Enabling the XSAVE Feature Set and XSAVE-Enabled Features"). supported = the XCR0 bits
 * of CPUID.(EAX=0DH,ECX=0):EDX:EAX. */
#define XCR0_X87 (1ULL << 0)
#define XCR0_SSE (1ULL << 1)
#define XCR0_AVX (1ULL << 2)
#define XCR0_BNDREGS (1ULL << 3)
#define XCR0_BNDCSR (1ULL << 4)
#define XCR0_AVX512 (7ULL << 5)
_Static_assert(XCR0_BNDREGS == 1ULL << 3 && XCR0_BNDCSR == 1ULL << 4, "xsetbv_faults tests bits 3 and 4");

static inline bool xsetbv_faults(uint32_t index, uint64_t value, uint64_t supported, unsigned cpl)
{
	if (cpl != 0 || index != 0)
		return true;
	if (!(value & XCR0_X87) || (value & ~supported))
		return true;
	if ((value & XCR0_AVX) && !(value & XCR0_SSE))
		return true;
	if (((value >> 3) ^ (value >> 4)) & 1) /* BNDREGS (bit 3) and BNDCSR (bit 4): both or neither */
		return true;
	uint64_t avx512 = value & XCR0_AVX512;
	if (avx512 && (avx512 != XCR0_AVX512 || !(value & XCR0_AVX)))
		return true;
	return false;
}

#endif
