/* vmxfuzz: a seeded, repeatable fuzzer of vmxray's guest-visible behaviour.
 *
 * An EFI application for the UEFI shell. Each case is one instruction (or hypercall)
 * with random or boundary inputs. Case i is derived from (seed, i) alone
 * (tools/efilib/fuzz_rng.h), so two runs with the same seed run the same cases.
 *
 *   kind          what                                              recorded (see below)
 *   cpuid         random leaves and subleaves                        yes
 *   cpuid_regs    CPUID with garbage in bits 63:32 of RAX..RDX       yes
 *   cpuid_hv      leaves 0x40000000-0x4FFFFFFF: vmxray's own         no
 *   rdmsr         random and boundary MSR numbers                    yes
 *   rdmsr_hidden  the VMX MSRs (#GP) and IA32_FEATURE_CONTROL        no
 *   wrmsr         values that must #GP: reserved bits, bad memory    yes
 *                 types, non-canonical addresses, read-only MSRs
 *   wrmsr_hidden  the VMX MSRs and IA32_FEATURE_CONTROL: #GP         no
 *   cr0/cr3/cr4/cr8/xsetbv  values that must #GP (or #UD without     yes
 *                 CR4.OSXSAVE), the register unchanged afterwards
 *   cr4_vmxe      CR4.VMXE = 1, reserved while vmxray hides VMX      no
 *   io_in         IN from ports safe to read, intercepted ports,     yes
 *                 accesses that wrap from 0xFFFF to 0
 *   io_out        OUT to the POST port, the UART scratch register,   yes
 *                 the reset control register without its reset bits
 *   io_string     INS/OUTS, with and without REP, to the same ports  yes
 *   vmx_insn      VMXON ... VMFUNC, GETSEC with random operands: #UD yes
 *   hypercall     random functions, buffers in our memory, past the  no
 *                 end of RAM, in MMIO, in and across vmxray's owned
 *                 ranges, across RAM edges; sizes 0 ... 2^64-1
 *   vmcall_cpl3   VMCALL at CPL 3: #UD                               no
 *
 * Arguments: seed=N count=N mode=record|check|live (N decimal or 0x hex).
 *   record  run before vmxray is loaded: runs the recorded kinds, whose outcome must
 *           not change when vmxray is underneath, and writes every case (struct
 *           fuzz_case after a struct fuzz_file_header) to \EFI\vmxray\fuzz-<seed>.bin
 *           on the file system this program was loaded from.
 *   check   run after vmxray is loaded: runs every case. A recorded kind must give what
 *           the record says (fault vector and result, except what vmxray changes by
 *           design: CPUID.1:ECX[5] and [31]); every kind must give what the
 *           architecture or vmxray's ABI requires.
 *   live    like check, without a record (real machines, where record cannot run first).
 * In check and live mode, every FUZZ_ALIVE_EVERY cases and at the end, CPUID 0x40000000
 * and the VERSION hypercall must still answer: a "hypervisor failure" otherwise.
 *
 * Output (console and COM1): one "vmxfuzz: MISMATCH case=<i> kind=<k> ..." line per
 * case that went wrong (the first FUZZ_PRINT_MAX of them), "vmxfuzz: HVFAIL ..." per
 * failed liveness check, then
 *   vmxfuzz: cases=<run> mismatches=<m> hypervisor_failures=<f>
 *   vmxfuzz: <cases that matched> passed, <m + f> failed
 *
 * Register and MSR writes are of values that must fault, port writes go to harmless
 * registers, and whatever went through anyway is put back: a wrong answer is reported
 * rather than fatal where possible. */
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
#include "drivers/fmt.h"
#include "tools/efilib/cmdline.h"
#include "tools/efilib/efimem.h"
#include "tools/efilib/fuzz_file.h"
#include "tools/efilib/fuzz_out.h"
#include "tools/efilib/fuzz_rng.h"
#include "tools/efilib/probe.h"
#include "tools/efilib/ring3.h"
#include "tools/efilib/serial.h"
#include "vmx/policy/hypercall_abi.h"

/* mode=check: about 11 s of Bochs (Haswell model, 1 CPU) wall time; record about 2 s. */
#define FUZZ_DEFAULT_COUNT 12000
#define FUZZ_MAX_COUNT (1u << 20) /* a 64 MiB record */
#define FUZZ_ALIVE_EVERY 256
#define FUZZ_PRINT_MAX 100
#define FUZZ_EXPECT_ANY (-2)
#define FUZZ_OWNED_MAX 16
#define FUZZ_RAM_MAX 256
#define FUZZ_EDGE_MAX 8
#define FUZZ_HCBUF_PAGES 4
#define FUZZ_GUARD_BYTE 0x5A

#define FUZZ_FILE_MAGIC "VMXFUZZ1"
#define FUZZ_FILE_VERSION 1

#define BUILD_VERSION (((uint64_t)VMXRAY_VERSION_MAJOR << 16) | VMXRAY_VERSION_MINOR)

/* IA32_MTRRCAP (SDM Vol. 3A, 12.11.1 "MTRR Feature Identification"). */
#define MTRRCAP_VCNT_MASK 0xFFu
#define MTRRCAP_FIX (1u << 8)
#define APIC_BASE_EXTD (1ULL << 10)
/* XCR0 state components (SDM Vol. 1, 13.3). */
#define XCR0_X87 (1ULL << 0)
#define XCR0_SSE (1ULL << 1)
#define XCR0_AVX (1ULL << 2)
#define XCR0_BNDREGS (1ULL << 3)
#define XCR0_BNDCSR (1ULL << 4)
#define XCR0_OPMASK (1ULL << 5)
#define XCR0_AVX512 (7ULL << 5) /* opmask, ZMM_Hi256, Hi16_ZMM: all or none */
/* CR4 bits newer than arch/cr.h (SDM Vol. 3A, 2.5 "Control Registers"). */
#define CR4_KL (1ULL << 19)
#define CR4_CET (1ULL << 23)
#define CR4_PKS (1ULL << 24)
#define CR4_UINTR (1ULL << 25)
#define CR4_LASS (1ULL << 27)
#define CR4_LAM_SUP (1ULL << 28)
#define CR4_FRED (1ULL << 32)

/* STATS indexes (SDM Vol. 3D, Appendix C "VMX Basic Exit Reasons"). */
#define EXIT_REASON_CPUID 10
#define EXIT_REASON_VMCALL 18

enum fuzz_mode { MODE_RECORD, MODE_CHECK, MODE_LIVE };

enum fuzz_kind {
	FK_NONE,
	FK_CPUID,
	FK_CPUID_REGS,
	FK_CPUID_HV,
	FK_RDMSR,
	FK_RDMSR_HIDDEN,
	FK_WRMSR,
	FK_WRMSR_HIDDEN,
	FK_CR0,
	FK_CR3,
	FK_CR4,
	FK_CR4_VMXE,
	FK_CR8,
	FK_XSETBV,
	FK_IO_IN,
	FK_IO_OUT,
	FK_IO_STRING,
	FK_VMX_INSN,
	FK_HYPERCALL,
	FK_VMCALL_CPL3,
	FK_COUNT
};

/* struct fuzz_case.flags */
enum {
	FC_RAN = 1,       /* the case ran (record: it is a reference) */
	FC_VOLATILE = 2,  /* the value read changes by itself: compare the fault only */
	FC_UNCHANGED = 4, /* out[0] (before) and out[1] (after the write) must be equal */
};

/* One case: inputs, then outcome. This is also the record file's layout. */
struct fuzz_case {
	uint32_t index;
	uint8_t kind;
	uint8_t flags;
	int8_t expect;  /* the vector the architecture requires, PROBE_NO_FAULT, or FUZZ_EXPECT_ANY */
	uint8_t variant;
	int32_t vector; /* PROBE_NO_FAULT or the exception vector */
	uint32_t error; /* its error code */
	uint64_t in[3];
	uint64_t out[3];
};
_Static_assert(sizeof(struct fuzz_case) == 64, "record layout");

struct fuzz_file_header {
	char magic[8];
	uint32_t version;
	uint32_t case_size;
	uint64_t seed;
	uint64_t count;
};

struct fuzz_kind_info {
	const char *name;
	bool bare;               /* meaningful without vmxray: recorded, and compared in check mode */
	uint8_t cmp_outs;        /* how many out[] words the record comparison looks at */
	const char *out_names[2]; /* what those words hold, for messages */
};

static const struct fuzz_kind_info fuzz_kinds[FK_COUNT] = {
	[FK_NONE] = { "none", false, 0, { "", "" } },
	[FK_CPUID] = { "cpuid", true, 2, { "EBX:EAX", "EDX:ECX" } },
	[FK_CPUID_REGS] = { "cpuid_regs", true, 2, { "EBX:EAX", "EDX:ECX" } },
	[FK_CPUID_HV] = { "cpuid_hv", false, 0, { "", "" } },
	[FK_RDMSR] = { "rdmsr", true, 1, { "value", "" } },
	[FK_RDMSR_HIDDEN] = { "rdmsr_hidden", false, 0, { "", "" } },
	[FK_WRMSR] = { "wrmsr", true, 0, { "", "" } },
	[FK_WRMSR_HIDDEN] = { "wrmsr_hidden", false, 0, { "", "" } },
	[FK_CR0] = { "cr0", true, 0, { "", "" } },
	[FK_CR3] = { "cr3", true, 0, { "", "" } },
	[FK_CR4] = { "cr4", true, 0, { "", "" } },
	[FK_CR4_VMXE] = { "cr4_vmxe", false, 0, { "", "" } },
	[FK_CR8] = { "cr8", true, 0, { "", "" } },
	[FK_XSETBV] = { "xsetbv", true, 0, { "", "" } },
	[FK_IO_IN] = { "io_in", true, 1, { "value", "" } },
	[FK_IO_OUT] = { "io_out", true, 1, { "value read back", "" } },
	[FK_IO_STRING] = { "io_string", true, 2, { "data", "RCX:RDI moved" } },
	[FK_VMX_INSN] = { "vmx_insn", true, 1, { "operand qwords changed", "" } },
	[FK_HYPERCALL] = { "hypercall", false, 0, { "", "" } },
	/* Not recorded: a CPL-3 excursion may leave TR holding a TSS outside the firmware's
	 * GDT (tools/efilib/ring3.h), which vmxray, loaded next, cannot describe. */
	[FK_VMCALL_CPL3] = { "vmcall_cpl3", false, 2, { "", "" } },
};

/* How often each top-level kind is drawn, in parts of their sum. Some generators turn a case into
 * a related kind (a CPUID leaf in the hypervisor range becomes FK_CPUID_HV, ...). */
struct fuzz_weight {
	uint8_t kind;
	uint16_t weight;
};

static const struct fuzz_weight fuzz_weights[] = {
	{ FK_CPUID, 160 },     { FK_CPUID_REGS, 40 }, { FK_RDMSR, 200 },    { FK_WRMSR, 90 },
	{ FK_CR0, 40 },	       { FK_CR3, 25 },	      { FK_CR4, 50 },	    { FK_CR8, 15 },
	{ FK_XSETBV, 50 },     { FK_IO_IN, 110 },     { FK_IO_OUT, 25 },    { FK_IO_STRING, 25 },
	{ FK_VMX_INSN, 60 },   { FK_HYPERCALL, 120 }, { FK_VMCALL_CPL3, 10 },
};

struct fuzz_range {
	uint64_t base, len;
};

/* Where a straddling hypercall buffer may start: the guest-RAM side is a page we
 * allocated, so that a wrong "success" writes only our own memory. */
struct fuzz_edge {
	uint64_t boundary; /* first byte of non-RAM (ram_below) or first byte of RAM */
	bool ram_below;
	void *page;        /* our page on the RAM side, NULL when it could not be had */
};

struct fuzz_owned {
	uint64_t base, len;
	void *below, *above; /* our page just below / above, NULL when not ours */
	bool below_ok, above_ok; /* a straddling buffer may reach there */
};

struct fuzz_env {
	enum fuzz_mode mode;
	uint64_t seed, count;
	EFI_HANDLE image;
	CHAR16 path[64];
	char path_ascii[64];

	/* CPU facts, read once at start (the same before and after vmxray loads) */
	uint32_t max_basic, max_ext;
	unsigned maxphyaddr;
	uint64_t cr4_allowed; /* CR4 bits the CPU enumerates; VMXE left out */
	bool xsave, x2apic, x2apic_mode, mtrr, mtrr_fixed, pat, serial;
	unsigned mtrr_vcnt;
	uint64_t xcr0, xcr0_supported;

	uint64_t *scratch; /* one page: VMX instruction operands */
	uint8_t *hcbuf;    /* FUZZ_HCBUF_PAGES: hypercall buffers in the middle pages */

	/* guest RAM as vmxray counts it (boot/efi_io.c), merged and sorted */
	struct fuzz_range ram[FUZZ_RAM_MAX];
	unsigned ram_count;
	struct fuzz_edge edges[FUZZ_EDGE_MAX];
	unsigned edge_count;
	struct fuzz_owned owned[FUZZ_OWNED_MAX];
	unsigned owned_count;
	bool page0; /* physical page 0 is RAM and ours: buffers may wrap into it */

	/* mode=check: the record */
	const struct fuzz_case *rec;
	uint64_t rec_count;
	struct fuzz_case *out; /* mode=record: what is written */

	/* tallies */
	uint64_t ran, matched, mismatches, hv_failures, printed;
	uint64_t ran_by_kind[FK_COUNT], bad_by_kind[FK_COUNT];
};

static struct fuzz_env E;

/* ---- small helpers ---- */

static bool canonical57(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 7) >> 7) == v;
}

/* A value no processor accepts as a linear address: bits 63:56 not all equal to bit
 * 56, so non-canonical with 4-level and with 5-level paging. */
static uint64_t make_noncanonical(uint64_t v)
{
	return canonical57(v) ? v ^ (1ULL << 62) : v;
}

static bool range_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* [base, base+len) lies inside one merged RAM range (and does not wrap). */
static bool ram_contains(uint64_t base, uint64_t len)
{
	if (len == 0 || base + len < base)
		return false;
	for (unsigned i = 0; i < E.ram_count; i++)
		if (base >= E.ram[i].base && base + len <= E.ram[i].base + E.ram[i].len)
			return true;
	return false;
}

static bool owned_overlap(uint64_t base, uint64_t len)
{
	for (unsigned i = 0; i < E.owned_count; i++)
		if (range_overlap(base, len, E.owned[i].base, E.owned[i].len))
			return true;
	return false;
}

static bool touches_ram_nowrap(uint64_t base, uint64_t len)
{
	for (unsigned i = 0; i < E.ram_count; i++)
		if (range_overlap(base, len, E.ram[i].base, E.ram[i].len))
			return true;
	return false;
}

/* Whether a buffer could touch memory someone uses. One that wraps past 2^64 goes on
 * at address 0: that part counts unless page 0 is not RAM or is ours. */
static bool touches_ram(uint64_t base, uint64_t len)
{
	uint64_t head = base + len < base ? 0 - base : len;

	if (touches_ram_nowrap(base, head))
		return true;
	return head < len && !E.page0 && touches_ram_nowrap(0, len - head);
}

static bool vector_has_error(int v)
{
	return v == VECTOR_DF || v == VECTOR_TS || v == VECTOR_NP || v == VECTOR_SS || v == VECTOR_GP || v == VECTOR_PF ||
	       v == VECTOR_AC;
}

static void describe_vector(int v, uint32_t err, char *buf, size_t n)
{
	if (v == PROBE_NO_FAULT)
		fmt_snprintf(buf, n, "no fault");
	else if (vector_has_error(v))
		fmt_snprintf(buf, n, "%s(0x%x)", probe_vector_name(v), err);
	else
		fmt_snprintf(buf, n, "%s", probe_vector_name(v));
}

static void case_set_fault(struct fuzz_case *c, int v)
{
	c->vector = v;
	c->error = v == PROBE_NO_FAULT ? 0 : (uint32_t)probe_fault_info.error;
}

/* ---- CPUID ---- */

static bool is_hv_leaf(uint32_t leaf)
{
	return (leaf & 0xF0000000u) == 0x40000000u;
}

static uint32_t gen_cpuid_leaf(struct fuzz_rng *r)
{
	uint32_t ext_top = E.max_ext >= 0x80000000u ? E.max_ext : 0x80000008u;
	const uint64_t edges[] = {
		0, E.max_basic, E.max_basic + 1, 0x7FFFFFFF, 0x80000000u, ext_top, ext_top + 1, 0x8FFFFFFF,
		0xC0000000u, 0xFFFFFFFF, 0x20000000u, 0x3FFFFFFF, 0x50000000u, 0x40000000u, 0x40000001u,
		0x40000002u, 0x4FFFFFFF,
	};
	uint64_t p = fuzz_rng_below(r, 100);

	if (p < 40)
		return (uint32_t)fuzz_rng_range(r, 0, E.max_basic + 2);
	if (p < 60)
		return (uint32_t)fuzz_rng_range(r, 0x80000000u, ext_top + 2);
	if (p < 72)
		return (uint32_t)fuzz_rng_pick(r, edges, ARRAY_SIZE(edges));
	if (p < 80)
		return 0x40000000u + (uint32_t)(fuzz_rng_below(r, 2) ? fuzz_rng_below(r, 0x100) : fuzz_rng_below(r, 0x10000000));
	return (uint32_t)fuzz_rng_next(r);
}

static uint32_t gen_subleaf(struct fuzz_rng *r)
{
	uint64_t p = fuzz_rng_below(r, 10);

	if (p < 5)
		return 0;
	if (p < 8)
		return (uint32_t)fuzz_rng_below(r, 16);
	return (uint32_t)fuzz_rng_next(r);
}

static void gen_cpuid(struct fuzz_rng *r, struct fuzz_case *c)
{
	uint32_t leaf = gen_cpuid_leaf(r);

	c->kind = is_hv_leaf(leaf) ? FK_CPUID_HV : FK_CPUID;
	c->in[0] = leaf;
	c->in[1] = gen_subleaf(r);
	c->expect = PROBE_NO_FAULT;
}

static void run_cpuid(struct fuzz_case *c)
{
	struct cpuid_regs o = { 0, 0, 0, 0 };

	case_set_fault(c, probe_cpuid((uint32_t)c->in[0], (uint32_t)c->in[1], &o));
	c->out[0] = o.eax | (uint64_t)o.ebx << 32;
	c->out[1] = o.ecx | (uint64_t)o.edx << 32;
}

/* CPUID with garbage in the upper halves of RAX, RBX, RCX, RDX: it takes EAX and ECX
 * only and clears bits 63:32 of all four in 64-bit mode (SDM Vol. 2A, CPUID); vmxray
 * writes those four registers itself. */
struct cpuid_regs_io {
	uint64_t rax, rbx, rcx, rdx;
};

static void cpuid_regs_fn(void *arg)
{
	struct cpuid_regs_io *io = arg;
	uint64_t a = io->rax, b = io->rbx, c = io->rcx, d = io->rdx;

	__asm__ volatile("cpuid" : "+a"(a), "+b"(b), "+c"(c), "+d"(d));
	io->rax = a;
	io->rbx = b;
	io->rcx = c;
	io->rdx = d;
}

static void gen_cpuid_regs(struct fuzz_rng *r, struct fuzz_case *c)
{
	uint32_t ext_top = E.max_ext >= 0x80000000u ? E.max_ext : 0x80000008u;
	uint32_t leaf = fuzz_rng_below(r, 2) ? (uint32_t)fuzz_rng_range(r, 0, E.max_basic)
					      : (uint32_t)fuzz_rng_range(r, 0x80000000u, ext_top);

	c->kind = FK_CPUID_REGS;
	c->in[0] = leaf | (fuzz_rng_next(r) << 32);
	c->in[1] = gen_subleaf(r) | (fuzz_rng_next(r) << 32);
	c->in[2] = fuzz_rng_next(r) | 1ULL << 63;
	c->expect = PROBE_NO_FAULT;
}

static void run_cpuid_regs(struct fuzz_case *c)
{
	struct cpuid_regs_io io = { c->in[0], c->in[2], c->in[1], ~c->in[2] };

	case_set_fault(c, probe_call(cpuid_regs_fn, &io));
	c->out[0] = (uint32_t)io.rax | (uint64_t)(uint32_t)io.rbx << 32;
	c->out[1] = (uint32_t)io.rcx | (uint64_t)(uint32_t)io.rdx << 32;
	c->out[2] = (io.rax | io.rbx | io.rcx | io.rdx) >> 32;
}

/* vmxray's leaves (vmx/policy/hypercall_abi.h, vmx/policy/policy.c): 0x40000000 signature,
 * 0x40000001 version, zeros in the rest of 0x40000000-0x4FFFFFFF. */
static bool check_cpuid_hv(const struct fuzz_case *c, char *why, size_t n)
{
	uint32_t leaf = (uint32_t)c->in[0];
	uint32_t w[4] = { 0, 0, 0, 0 };
	uint32_t got[4] = { (uint32_t)c->out[0], (uint32_t)(c->out[0] >> 32), (uint32_t)c->out[1],
			    (uint32_t)(c->out[1] >> 32) };

	if (leaf == VMXRAY_CPUID_LEAF_BASE) {
		w[0] = VMXRAY_CPUID_MAX_LEAF;
		memcpy(&w[1], VMXRAY_CPUID_SIGNATURE, 4);
		memcpy(&w[2], VMXRAY_CPUID_SIGNATURE + 4, 4);
		memcpy(&w[3], VMXRAY_CPUID_SIGNATURE + 8, 4);
	} else if (leaf == VMXRAY_CPUID_LEAF_VERSION) {
		w[0] = (uint32_t)BUILD_VERSION;
	}
	if (!memcmp(w, got, sizeof(w)))
		return true;
	fmt_snprintf(why, n, "got %08x %08x %08x %08x, expected %08x %08x %08x %08x", got[0], got[1], got[2],
		     got[3], w[0], w[1], w[2], w[3]);
	return false;
}

/* ---- MSRs ---- */

static bool msr_is_vmx(uint32_t msr)
{
	return msr >= MSR_IA32_VMX_FIRST && msr <= MSR_IA32_VMX_LAST;
}

/* The MSRs whose read vmxray answers with #GP by design, from its one policy table
 * (vmx/policy/msr_policy.def): the VMX capability MSRs and the features hidden because
 * their output bypasses EPT (Intel PT, PEBS, the DS area). Bare Bochs reads unknown MSRs
 * as 0 (ignore_bad_msrs), so these are not compared with the bare run. */
#define MSR_READ_GP_PASS false
#define MSR_READ_GP_EMULATE false
#define MSR_READ_GP_SWITCH false
#define MSR_READ_GP_SOFTIPI false
#define MSR_READ_GP_GP true
static const struct {
	uint32_t first, last;
	bool read_gp;
} msr_policy_reads[] = {
#define MSR_POLICY(first, last, read, write, reason) { first, last, MSR_READ_GP_##read },
#include "vmx/policy/msr_policy.def"
#undef MSR_POLICY
};

static bool msr_read_gp_by_design(uint32_t msr)
{
	/* A variable-range MTRR past IA32_MTRRCAP.VCNT does not exist: #GP, as a processor
	 * gives it; vmxray answers the MTRRs from its copy (vmx/exit/exit_mtrr.c), while bare
	 * Bochs reads an unknown MSR as 0. */
	if (msr >= MSR_IA32_MTRR_PHYSBASE0 && msr < MSR_IA32_MTRR_PHYSBASE0 + 32 &&
	    (msr - MSR_IA32_MTRR_PHYSBASE0) / 2 >= E.mtrr_vcnt)
		return true;
	for (unsigned i = 0; i < sizeof(msr_policy_reads) / sizeof(msr_policy_reads[0]); i++)
		if (msr >= msr_policy_reads[i].first && msr <= msr_policy_reads[i].last)
			return msr_policy_reads[i].read_gp;
	return false;
}

/* MSRs that vmxray changes by design: those it answers with #GP and IA32_FEATURE_CONTROL
 * (VMX shown off and locked). */
static bool msr_is_hidden(uint32_t msr)
{
	return msr_is_vmx(msr) || msr_read_gp_by_design(msr) || msr == MSR_IA32_FEATURE_CONTROL;
}

/* MSRs whose value changes by itself (counters, timers, sensors): only the fault is
 * compared. SDM Vol. 4, "Model-Specific Registers". */
static bool msr_is_volatile(uint32_t msr)
{
	static const struct fuzz_range v[] = {
		{ 0x10, 1 },  /* IA32_TSC */
		{ 0x34, 1 },  /* MSR_SMI_COUNT */
		{ 0xC1, 8 },  /* IA32_PMC0-7 */
		{ 0xE7, 2 },  /* IA32_MPERF, IA32_APERF */
		{ 0x198, 1 }, /* IA32_PERF_STATUS */
		{ 0x19C, 1 }, /* IA32_THERM_STATUS */
		{ 0x1B1, 1 }, /* IA32_PACKAGE_THERM_STATUS */
		{ 0x309, 4 }, /* IA32_FIXED_CTR0-3 */
		{ 0x38E, 1 }, /* IA32_PERF_GLOBAL_STATUS */
		{ 0x4C1, 8 }, /* IA32_A_PMC0-7 */
		{ 0x611, 1 }, { 0x619, 1 }, { 0x639, 1 }, { 0x641, 1 }, /* RAPL energy status */
		{ 0x6E0, 1 }, /* IA32_TSC_DEADLINE */
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		if (msr >= v[i].base && msr < v[i].base + v[i].len)
			return true;
	return false;
}

static uint32_t gen_msr_number(struct fuzz_rng *r)
{
	static const uint64_t edges[] = {
		0x0, 0x1FFF, 0x2000, 0x3FFF, 0xBFFFFFFF, 0xC0000000u, 0xC0001FFF, 0xC0002000u, 0xC0010000u,
		0xC0011FFF, 0x40000000, 0x40000001, 0x4B564D00, 0x4B564D01, 0x7FFFFFFF, 0x80000000u, 0xFFFFFFFF,
		0x39, 0x3B, 0x47F, 0x493, 0x800, 0x802, 0x803, 0x8FF, 0x900,
	};
	static const uint64_t known[] = {
		0x10, 0x1B, 0x3A, 0x8B, 0x9B, 0xFE, 0x174, 0x175, 0x176, 0x179, 0x17A, 0x1A0, 0x1D9, 0x200, 0x201,
		0x20F, 0x250, 0x258, 0x259, 0x268, 0x26F, 0x277, 0x2FF, 0x480, 0x481, 0x482, 0x485, 0x48B, 0x48C,
		0x491, 0x492, 0x6E0, 0xC0000080u, 0xC0000081u, 0xC0000082u, 0xC0000083u, 0xC0000084u,
		0xC0000100u, 0xC0000101u, 0xC0000102u, 0xC0000103u,
	};
	uint64_t p = fuzz_rng_below(r, 100);

	if (p < 40)
		return (uint32_t)fuzz_rng_range(r, 0, 0x1FFF);
	if (p < 55)
		return (uint32_t)fuzz_rng_range(r, 0xC0000000u, 0xC0001FFFu);
	if (p < 67)
		return (uint32_t)fuzz_rng_pick(r, edges, ARRAY_SIZE(edges));
	if (p < 85)
		return (uint32_t)fuzz_rng_pick(r, known, ARRAY_SIZE(known));
	return (uint32_t)fuzz_rng_next(r);
}

static void gen_rdmsr(struct fuzz_rng *r, struct fuzz_case *c)
{
	uint32_t msr = gen_msr_number(r);

	c->kind = msr_is_hidden(msr) ? FK_RDMSR_HIDDEN : FK_RDMSR;
	c->in[0] = msr;
	c->expect = FUZZ_EXPECT_ANY;
	if (msr_is_vmx(msr) || msr_read_gp_by_design(msr))
		c->expect = VECTOR_GP;
	else if (msr == MSR_IA32_FEATURE_CONTROL)
		c->expect = PROBE_NO_FAULT;
	/* In xAPIC mode the x2APIC registers do not exist: #GP (SDM Vol. 3A, "x2APIC
	 * Register Address Space"). Bochs faults here too, unlike for unknown MSRs. */
	if (E.x2apic && !E.x2apic_mode && msr >= 0x800 && msr <= 0x8FF)
		c->expect = VECTOR_GP;
	if (msr_is_volatile(msr))
		c->flags |= FC_VOLATILE;
}

static void run_rdmsr(struct fuzz_case *c)
{
	uint64_t v = 0;

	case_set_fault(c, probe_rdmsr((uint32_t)c->in[0], &v));
	c->out[0] = v;
}

/* vmxray shows IA32_FEATURE_CONTROL locked with both VMX enables clear. */
static bool check_rdmsr_hidden(const struct fuzz_case *c, char *why, size_t n)
{
	uint64_t v = c->out[0];

	if (c->in[0] != MSR_IA32_FEATURE_CONTROL || c->vector != PROBE_NO_FAULT)
		return true;
	if ((v & FEATURE_CONTROL_LOCK) && !(v & (FEATURE_CONTROL_VMX_IN_SMX | FEATURE_CONTROL_VMX_OUTSIDE_SMX)))
		return true;
	fmt_snprintf(why, n, "IA32_FEATURE_CONTROL = 0x%lx: not locked, or a VMX enable bit set", v);
	return false;
}

/* ---- WRMSR of values that must fault ---- */

static uint64_t msr_read_or0(uint32_t msr)
{
	uint64_t v = 0;

	return probe_rdmsr(msr, &v) == PROBE_NO_FAULT ? v : 0;
}

/* A bit number in [lo, hi] outside `allowed`; -1 when there is none. */
static int pick_bit_outside(struct fuzz_rng *r, uint64_t allowed, unsigned lo, unsigned hi)
{
	unsigned n = 0, k;

	for (unsigned b = lo; b <= hi; b++)
		n += !bit_test(allowed, b);
	if (!n)
		return -1;
	k = (unsigned)fuzz_rng_below(r, n);
	for (unsigned b = lo; b <= hi; b++)
		if (!bit_test(allowed, b) && k-- == 0)
			return (int)b;
	return -1;
}

/* A memory type encoding that no MTRR takes (valid: 0, 1, 4, 5, 6; SDM Vol. 3A,
 * 12.11.2 "Setting Memory Ranges with MTRRs"); for the PAT 7 (UC-) is valid too. */
static uint8_t bad_mem_type(struct fuzz_rng *r, bool pat)
{
	static const uint64_t small[] = { 2, 3, 7 };
	uint8_t t;

	if (fuzz_rng_below(r, 2))
		t = (uint8_t)fuzz_rng_pick(r, small, pat ? 2 : 3);
	else
		t = (uint8_t)fuzz_rng_range(r, 8, 255);
	return t;
}

static uint64_t replace_byte(uint64_t v, unsigned k, uint8_t b)
{
	return (v & ~(0xFFULL << (8 * k))) | ((uint64_t)b << (8 * k));
}

/* Reserved bits of PHYSBASEn / PHYSMASKn: the address bits above MAXPHYADDR and the
 * bits between the type (or V) and the address field (SDM Vol. 3A, 12.11.2.3). */
static uint64_t mtrr_var_with_reserved(struct fuzz_rng *r, uint64_t cur, bool mask)
{
	uint64_t ok = bits_mask(E.maxphyaddr - 1, 12) | (mask ? (1ULL << 11) : 0xFFULL);
	int b = pick_bit_outside(r, ok, 0, 63);

	if (!mask && fuzz_rng_below(r, 2))
		return replace_byte(cur, 0, bad_mem_type(r, false));
	return cur | (1ULL << b);
}

static void gen_wrmsr_mtrr(struct fuzz_rng *r, struct fuzz_case *c)
{
	static const uint64_t fixed[] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26A, 0x26B, 0x26C, 0x26D, 0x26E, 0x26F };
	uint64_t p = fuzz_rng_below(r, 4);
	uint32_t msr;
	uint64_t cur;

	if (p == 0 || (p == 2 && !E.mtrr_fixed) || (p == 1 && !E.mtrr_vcnt)) {
		/* IA32_MTRR_DEF_TYPE: bits 8, 9, 12-63 reserved, type in 7:0 */
		msr = MSR_IA32_MTRR_DEF_TYPE;
		cur = msr_read_or0(msr);
		int b = pick_bit_outside(r, 0xCFF, 0, 63);
		c->in[1] = fuzz_rng_below(r, 2) ? cur | (1ULL << b) : replace_byte(cur, 0, bad_mem_type(r, false));
	} else if (p == 1) {
		msr = MSR_IA32_MTRR_PHYSBASE0 + (uint32_t)fuzz_rng_below(r, 2 * E.mtrr_vcnt);
		cur = msr_read_or0(msr);
		c->in[1] = mtrr_var_with_reserved(r, cur, msr & 1);
	} else if (p == 2) {
		msr = (uint32_t)fuzz_rng_pick(r, fixed, ARRAY_SIZE(fixed));
		cur = msr_read_or0(msr);
		c->in[1] = replace_byte(cur, (unsigned)fuzz_rng_below(r, 8), bad_mem_type(r, false));
	} else {
		msr = MSR_IA32_MTRRCAP; /* read-only */
		c->in[1] = msr_read_or0(msr) ^ (fuzz_rng_next(r) & 0xFF);
	}
	c->in[0] = msr;
}

static void gen_wrmsr_noncanonical(struct fuzz_rng *r, struct fuzz_case *c)
{
	static const uint64_t msrs[] = {
		MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP, MSR_IA32_LSTAR, MSR_IA32_KERNEL_GS_BASE,
		MSR_IA32_FS_BASE, MSR_IA32_GS_BASE,
	};

	c->in[0] = fuzz_rng_pick(r, msrs, ARRAY_SIZE(msrs));
	c->in[1] = make_noncanonical(fuzz_rng_next(r));
}

/* IA32_EFER: SCE (0), LME (8), LMA (10), NXE (11) on Intel; the rest is reserved. */
static void gen_wrmsr_efer(struct fuzz_rng *r, struct fuzz_case *c)
{
	int b = pick_bit_outside(r, (1ULL << 0) | (1ULL << 8) | (1ULL << 10) | (1ULL << 11), 0, 63);

	c->in[0] = MSR_IA32_EFER;
	c->in[1] = msr_read_or0(MSR_IA32_EFER) | (1ULL << b);
}

/* IA32_APIC_BASE: bits 0-7, 9 and MAXPHYADDR-63 are reserved (SDM Vol. 3A, 11.4.4). */
static void gen_wrmsr_apic_base(struct fuzz_rng *r, struct fuzz_case *c)
{
	uint64_t ok = (1ULL << 8) | (1ULL << 10) | (1ULL << 11) | bits_mask(E.maxphyaddr - 1, 12);

	c->in[0] = MSR_IA32_APIC_BASE;
	c->in[1] = msr_read_or0(MSR_IA32_APIC_BASE) | (1ULL << pick_bit_outside(r, ok, 0, 63));
}

static void gen_wrmsr_pat(struct fuzz_rng *r, struct fuzz_case *c)
{
	c->in[0] = MSR_IA32_PAT;
	c->in[1] = replace_byte(msr_read_or0(MSR_IA32_PAT), (unsigned)fuzz_rng_below(r, 8), bad_mem_type(r, true));
}

static void gen_wrmsr_hidden(struct fuzz_rng *r, struct fuzz_case *c)
{
	c->kind = FK_WRMSR_HIDDEN;
	if (fuzz_rng_below(r, 4)) {
		c->in[0] = fuzz_rng_range(r, MSR_IA32_VMX_FIRST, MSR_IA32_VMX_LAST);
		c->in[1] = fuzz_rng_next(r);
	} else {
		c->in[0] = MSR_IA32_FEATURE_CONTROL;
		c->in[1] = msr_read_or0(MSR_IA32_FEATURE_CONTROL) ^ (fuzz_rng_next(r) & 0x7);
	}
}

static void gen_wrmsr(struct fuzz_rng *r, struct fuzz_case *c)
{
	uint64_t p = fuzz_rng_below(r, 8);

	c->kind = FK_WRMSR;
	c->expect = VECTOR_GP;
	c->variant = (uint8_t)p;
	if (p == 0) {
		gen_wrmsr_hidden(r, c);
	} else if (p == 1 && (E.mtrr || E.pat)) {
		if (E.mtrr)
			gen_wrmsr_mtrr(r, c);
		else
			gen_wrmsr_pat(r, c);
	} else if (p == 2 && E.pat) {
		gen_wrmsr_pat(r, c);
	} else if (p == 3) {
		gen_wrmsr_efer(r, c);
	} else if (p == 4 && E.x2apic) {
		/* x2APIC ID and version: read-only in x2APIC mode, absent in xAPIC mode */
		c->in[0] = 0x802 + fuzz_rng_below(r, 2);
		c->in[1] = fuzz_rng_next(r);
	} else if (p == 5) {
		gen_wrmsr_apic_base(r, c);
	} else {
		gen_wrmsr_noncanonical(r, c);
	}
}

static void run_wrmsr(struct fuzz_case *c)
{
	uint32_t msr = (uint32_t)c->in[0];
	uint64_t before = 0, after = 0;
	bool readable = probe_rdmsr(msr, &before) == PROBE_NO_FAULT;
	int v = probe_wrmsr(msr, c->in[1]);

	case_set_fault(c, v);
	if (!readable)
		return;
	probe_rdmsr(msr, &after);
	if (v == PROBE_NO_FAULT)
		probe_wrmsr(msr, before); /* it should have faulted: put it back */
	c->flags |= FC_UNCHANGED;
	c->out[0] = before;
	c->out[1] = after;
}

/* ---- control registers and XCR0: values that must fault ---- */

struct cr_write {
	unsigned cr;
	uint64_t value;
};

static void cr_write_fn(void *arg)
{
	const struct cr_write *w = arg;

	if (w->cr == 0)
		__asm__ volatile("mov %0, %%cr0" ::"r"(w->value) : "memory");
	else if (w->cr == 3)
		__asm__ volatile("mov %0, %%cr3" ::"r"(w->value) : "memory");
	else if (w->cr == 4)
		__asm__ volatile("mov %0, %%cr4" ::"r"(w->value) : "memory");
	else
		__asm__ volatile("mov %0, %%cr8" ::"r"(w->value) : "memory");
}

static uint64_t cpu_read_cr8(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static uint64_t cr_read(unsigned cr)
{
	if (cr == 8)
		return cpu_read_cr8();
	return cr == 0 ? cpu_read_cr0() : cr == 3 ? cpu_read_cr3() : cpu_read_cr4();
}

static void cr_put_back(unsigned cr, uint64_t v)
{
	struct cr_write w = { cr, v };

	probe_call(cr_write_fn, &w);
}

static void run_cr(struct fuzz_case *c, unsigned cr)
{
	struct cr_write w = { cr, c->in[0] };
	uint64_t before = cr_read(cr);
	int v = probe_call(cr_write_fn, &w);

	case_set_fault(c, v);
	c->flags |= FC_UNCHANGED;
	c->out[0] = before;
	c->out[1] = cr_read(cr);
	if (c->out[1] != before)
		cr_put_back(cr, before);
}

/* SDM Vol. 2B, MOV—Move to/from Control Registers, #GP(0): a 1 in CR0[63:32]; PG = 1
 * with PE = 0; NW = 1 with CD = 0; clearing PG in 64-bit mode. Half of the cases also
 * clear CR0.NE, which vmxray owns (its guest/host mask), so they reach vmxray's CR0
 * exit handler instead of being checked by the processor in non-root operation. */
static void gen_cr0(struct fuzz_rng *r, struct fuzz_case *c)
{
	uint64_t c0 = cpu_read_cr0(), v;
	uint64_t p = fuzz_rng_below(r, 4);

	if (p == 0)
		v = c0 | (fuzz_rng_below(r, 2) ? 1ULL << fuzz_rng_range(r, 32, 63) : fuzz_rng_next(r) << 32);
	else if (p == 1)
		v = (c0 & ~CR0_PE) | CR0_PG;
	else if (p == 2)
		v = (c0 | CR0_NW) & ~CR0_CD;
	else
		v = c0 & ~CR0_PG;
	if (p == 0 && !(v >> 32))
		v |= 1ULL << 63;
	if (fuzz_rng_below(r, 2))
		v &= ~CR0_NE;
	c->kind = FK_CR0;
	c->variant = (uint8_t)p;
	c->in[0] = v;
	c->expect = VECTOR_GP;
}

/* CR3 bits 63:MAXPHYADDR are reserved (SDM Vol. 3A, 4.5 "4-Level Paging and 5-Level
 * Paging", table "Use of CR3 with 4-Level Paging and 5-Level Paging and CR4.PCIDE = 0"):
 * MOV to CR3 raises #GP(0). Bits 63 (no-flush with PCIDE) and 62:61 (LAM_U57/U48 on
 * processors with linear-address masking) are left alone. */
static void gen_cr3(struct fuzz_rng *r, struct fuzz_case *c)
{
	uint64_t rsvd = bits_mask(60, E.maxphyaddr);
	uint64_t v = cpu_read_cr3() | (1ULL << fuzz_rng_range(r, E.maxphyaddr, 60));

	if (fuzz_rng_below(r, 3) == 0)
		v |= fuzz_rng_next(r) & rsvd;
	c->kind = FK_CR3;
	c->in[0] = v;
	c->expect = VECTOR_GP;
}

/* MOV to CR4 #GP(0): a reserved bit (one the CPU does not enumerate), clearing PAE
 * in IA-32e mode, changing LA57 in IA-32e mode (SDM Vol. 2B, MOV—Move to/from Control
 * Registers). Setting VMXE is a reserved bit only under vmxray, which hides VMX. Some
 * cases also flip bits that are harmless on their own. */
static void gen_cr4(struct fuzz_rng *r, struct fuzz_case *c)
{
	uint64_t c4 = cpu_read_cr4(), v;
	uint64_t p = fuzz_rng_below(r, 8);

	c->kind = FK_CR4;
	if (p < 4) {
		int b = pick_bit_outside(r, E.cr4_allowed | CR4_VMXE, 0, 63);

		v = c4 | (1ULL << b);
	} else if (p == 4) {
		v = c4 & ~CR4_PAE;
	} else if (p == 5) {
		v = c4 ^ CR4_LA57;
	} else {
		c->kind = FK_CR4_VMXE;
		v = c4 | CR4_VMXE;
	}
	if (fuzz_rng_below(r, 3) == 0)
		v ^= fuzz_rng_next(r) & (CR4_TSD | CR4_DE | CR4_PCE);
	c->variant = (uint8_t)p;
	c->in[0] = v;
	c->expect = VECTOR_GP;
}

/* CR8 (the TPR): bits 63:4 are reserved, MOV to CR8 #GP(0) (SDM Vol. 3A, 2.5). */
static void gen_cr8(struct fuzz_rng *r, struct fuzz_case *c)
{
	uint64_t v = cpu_read_cr8() | (1ULL << fuzz_rng_range(r, 4, 63));

	if (fuzz_rng_below(r, 2))
		v |= fuzz_rng_next(r) & ~0xFULL;
	c->kind = FK_CR8;
	c->in[0] = v;
	c->expect = VECTOR_GP;
}

/* XSETBV #GP(0): ECX != 0, XCR0[0] = 0, a bit the processor does not support,
 * XCR0[2:1] = 10b, BNDREGS != BNDCSR, an incomplete AVX-512 set (SDM Vol. 2D, XSETBV).
 * #UD when CR4.OSXSAVE = 0: in[2] says whether the case sets it for the write. */
static void gen_xsetbv(struct fuzz_rng *r, struct fuzz_case *c)
{
	uint64_t x0 = E.xcr0, v;
	uint64_t p = fuzz_rng_below(r, 7);
	uint32_t index = 0;

	if (p == 0)
		v = x0 & ~XCR0_X87;
	else if (p == 1)
		v = x0 | (1ULL << pick_bit_outside(r, E.xcr0_supported, 0, 63));
	else if (p == 2)
		v = (x0 | XCR0_AVX) & ~XCR0_SSE;
	else if (p == 3)
		v = fuzz_rng_next(r) | (1ULL << 63);
	else if (p == 4)
		v = (x0 & ~(XCR0_BNDREGS | XCR0_BNDCSR)) | (fuzz_rng_below(r, 2) ? XCR0_BNDREGS : XCR0_BNDCSR);
	else if (p == 5)
		v = (x0 & ~XCR0_AVX512) | XCR0_OPMASK; /* AVX-512 state without its other two components */
	else {
		v = x0;
		index = fuzz_rng_below(r, 2) ? 1 + (uint32_t)fuzz_rng_below(r, 4) : (uint32_t)fuzz_rng_next(r) | 1;
	}
	c->kind = FK_XSETBV;
	c->variant = (uint8_t)p;
	c->in[0] = index;
	c->in[1] = v;
	c->in[2] = E.xsave && fuzz_rng_below(r, 4) != 0; /* set CR4.OSXSAVE for the write */
	c->expect = (c->in[2] || (cpu_read_cr4() & CR4_OSXSAVE)) ? VECTOR_GP : VECTOR_UD;
}

static void run_xsetbv(struct fuzz_case *c)
{
	uint64_t cr4 = cpu_read_cr4(), after = 0;
	bool set = c->in[2] && !(cr4 & CR4_OSXSAVE);

	if (set && probe_mov_to_cr4(cr4 | CR4_OSXSAVE) != PROBE_NO_FAULT) {
		case_set_fault(c, PROBE_NO_FAULT);
		c->expect = FUZZ_EXPECT_ANY;
		return;
	}
	case_set_fault(c, probe_xsetbv((uint32_t)c->in[0], c->in[1]));
	if (cpu_read_cr4() & CR4_OSXSAVE) {
		probe_xgetbv(0, &after);
		if (after != E.xcr0)
			probe_xsetbv(0, E.xcr0);
		c->flags |= FC_UNCHANGED;
		c->out[0] = E.xcr0;
		c->out[1] = after;
	}
	if (set)
		probe_mov_to_cr4(cr4);
}

/* ---- port I/O ---- */

/* Ports never read: reads with side effects (DMA and PIT flip-flops, keyboard and UART
 * data, RTC register C, ATA and floppy data), time-varying ones, the PCI configuration
 * mechanism, ACPI and fw_cfg blocks, and the PCI I/O windows OVMF assigns BARs in
 * (i440fx from 0xC000, Q35 from 0x6000), where a read can clear a device's status. */
static bool port_forbidden(uint16_t port)
{
	static const struct fuzz_range no[] = {
		{ 0x0000, 0x20 }, { 0x0040, 0x08 }, { 0x0060, 0x10 }, { 0x0070, 0x10 }, { 0x00B2, 0x02 },
		{ 0x00C0, 0x20 }, { 0x0170, 0x08 }, { 0x01F0, 0x08 }, { 0x0278, 0x08 }, { 0x02E8, 0x08 },
		{ 0x02F8, 0x08 }, { 0x0376, 0x02 }, { 0x0378, 0x08 }, { 0x03B0, 0x30 }, { 0x03E8, 0x08 },
		{ 0x03F0, 0x10 }, { 0x0510, 0x0C }, { 0x0600, 0x100 }, { 0x0CF8, 0x08 }, { 0x6000, 0x9FF0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (port >= no[i].base && port < no[i].base + no[i].len)
			return true;
	return false;
}

/* Ports whose value is state that software sets and that may change between the
 * record and the check for reasons other than vmxray: PCI CONFIG_ADDRESS (decoded
 * only for dword accesses at 0xCF8; whoever did the last configuration access wrote
 * it), the PICs' IRR/ISR and masks. Their reads are still checked for faults and for
 * what happens to the rest of RAX. */
static bool port_value_is_state(uint16_t port, unsigned size)
{
	if (port == 0xCF8 && size == 4)
		return true;
	return port == 0x20 || port == 0x21 || port == 0xA0 || port == 0xA1;
}

static bool port_range_allowed(uint16_t port, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		if (port_forbidden((uint16_t)(port + i)))
			return false;
	return true;
}

/* Reads that vmxray's I/O bitmap intercepts (0xCF9, the reset control register; an
 * access covering any intercepted byte exits) and reads that wrap around from 0xFFFF to
 * 0x0000, which exit unconditionally (SDM Vol. 3C, 26.1.3 "Instructions That Cause VM
 * Exits Conditionally", I/O instructions). */
static const struct {
	uint16_t port;
	uint8_t size;
} fuzz_port_edges[] = {
	{ 0xCF9, 1 }, { 0xCF9, 2 }, { 0xCF8, 2 }, { 0xCF8, 4 }, { 0xCF6, 4 }, { 0xCF7, 4 }, { 0xCF9, 1 },
	{ 0xFFFF, 2 }, { 0xFFFF, 4 }, { 0xFFFE, 4 }, { 0xFFFD, 4 }, { 0xFFFF, 1 }, { 0xFFFE, 2 }, { 0x0080, 1 },
};

static void gen_io_in(struct fuzz_rng *r, struct fuzz_case *c)
{
	static const uint64_t sizes[] = { 1, 2, 4 };
	uint16_t port = 0x80;
	unsigned size = 1;

	if (fuzz_rng_below(r, 4) == 0) {
		size_t k = fuzz_rng_below(r, ARRAY_SIZE(fuzz_port_edges));

		port = fuzz_port_edges[k].port;
		size = fuzz_port_edges[k].size;
	} else {
		for (int tries = 0; tries < 8; tries++) {
			uint16_t p = (uint16_t)(fuzz_rng_below(r, 3) ? fuzz_rng_below(r, 0x1000) : fuzz_rng_next(r));
			unsigned s = (unsigned)fuzz_rng_pick(r, sizes, ARRAY_SIZE(sizes));

			if (port_range_allowed(p, s) && (uint32_t)p + s <= 0x10000) {
				port = p;
				size = s;
				break;
			}
		}
	}
	c->kind = FK_IO_IN;
	c->in[0] = port;
	c->in[1] = size;
	c->in[2] = fuzz_rng_next(r); /* RAX before IN */
	c->expect = PROBE_NO_FAULT;
}

struct io_in {
	uint16_t port;
	unsigned size;
	uint64_t rax;
};

static void io_in_fn(void *arg)
{
	struct io_in *io = arg;
	uint64_t a = io->rax;

	if (io->size == 1)
		__asm__ volatile("inb %%dx, %%al" : "+a"(a) : "d"(io->port));
	else if (io->size == 2)
		__asm__ volatile("inw %%dx, %%ax" : "+a"(a) : "d"(io->port));
	else
		__asm__ volatile("inl %%dx, %%eax" : "+a"(a) : "d"(io->port));
	io->rax = a;
}

static uint64_t io_size_mask(unsigned size)
{
	return size == 4 ? 0xFFFFFFFFULL : size == 2 ? 0xFFFFULL : 0xFFULL;
}

static void run_io_in(struct fuzz_case *c)
{
	struct io_in io = { (uint16_t)c->in[0], (unsigned)c->in[1], c->in[2] };
	struct io_in again = io;
	uint64_t m = io_size_mask(io.size);

	case_set_fault(c, probe_call(io_in_fn, &io));
	c->out[0] = io.rax & m;
	c->out[1] = io.rax;
	if (probe_call(io_in_fn, &again) == PROBE_NO_FAULT && (again.rax & m) != (io.rax & m))
		c->flags |= FC_VOLATILE;
	if (port_value_is_state(io.port, io.size))
		c->flags |= FC_VOLATILE;
}

/* IN AL/AX keeps the rest of RAX; IN EAX clears RAX[63:32] (SDM Vol. 3A, 3.4.1.1
 * "General-Purpose Registers in 64-Bit Mode": 32-bit operands zero-extend). */
static bool check_io_in(const struct fuzz_case *c, char *why, size_t n)
{
	uint64_t m = io_size_mask((unsigned)c->in[1]);
	uint64_t want = c->in[1] == 4 ? 0 : c->in[2] & ~m;

	if (c->vector != PROBE_NO_FAULT || (c->out[1] & ~m) == want)
		return true;
	fmt_snprintf(why, n, "RAX 0x%lx after IN (RAX was 0x%lx): upper bits 0x%lx, expected 0x%lx", c->out[1],
		     c->in[2], c->out[1] & ~m, want);
	return false;
}

#define PORT_POST 0x80
#define PORT_COM1_SCRATCH (SERIAL_COM1 + 7)
#define PORT_RESET_CONTROL 0xCF9
/* 0xCF9 bit 2 starts a reset, bit 3 makes it a full one; bit 1 only selects the kind. */
#define RESET_CONTROL_RST_CPU 0x04
#define RESET_CONTROL_KEEP 0xF1

static void gen_io_out(struct fuzz_rng *r, struct fuzz_case *c)
{
	uint64_t p = fuzz_rng_below(r, 3);

	c->kind = FK_IO_OUT;
	c->variant = (uint8_t)p;
	c->in[0] = p == 0 ? PORT_POST : p == 1 && E.serial ? PORT_COM1_SCRATCH : PORT_RESET_CONTROL;
	c->in[1] = fuzz_rng_next(r) & 0xFF;
	c->expect = PROBE_NO_FAULT;
}

/* Writes one byte to a harmless port and reads it back: the POST port, the UART's
 * scratch register (reads back what was written), the reset control register with
 * the reset bits clear (vmxray intercepts it). What was there is put back. */
static void run_io_out(struct fuzz_case *c)
{
	uint16_t port = (uint16_t)c->in[0];
	uint32_t old = 0, back = 0;
	uint32_t value = (uint32_t)c->in[1];

	if (port == PORT_RESET_CONTROL || port == PORT_COM1_SCRATCH)
		probe_in(port, 1, &old);
	if (port == PORT_RESET_CONTROL)
		value = (old & RESET_CONTROL_KEEP) | (value & 0x02);
	c->out[1] = value;
	case_set_fault(c, probe_out(port, 1, value));
	probe_in(port, 1, &back);
	c->out[0] = back & 0xFF;
	if (port == PORT_RESET_CONTROL)
		probe_out(port, 1, old & ~RESET_CONTROL_RST_CPU);
	else if (port == PORT_COM1_SCRATCH)
		probe_out(port, 1, old);
}

static bool check_io_out(const struct fuzz_case *c, char *why, size_t n)
{
	if (c->in[0] != PORT_COM1_SCRATCH || c->vector != PROBE_NO_FAULT || c->out[0] == c->out[1])
		return true;
	fmt_snprintf(why, n, "UART scratch register: wrote 0x%lx, read 0x%lx", c->out[1], c->out[0]);
	return false;
}

/* INS/OUTS, with and without REP: the same ports as IN and OUT (vmxray intercepts
 * 0xCF9 and sees string accesses to it, SDM Vol. 3C, 28.2.1 "Basic VM-Exit
 * Information", exit qualification for I/O instructions, bit 4 "string instruction").
 * The architecture runs them at CPL 0 whatever the port; the data goes through our
 * scratch page. in[0] port, in[1] size | count << 8 | rep << 16 | out << 17, in[2]
 * the data for OUTS. */
#define IOS_DATA_OFFSET 2048
#define IOS_REP (1u << 16)
#define IOS_OUT (1u << 17)

static void gen_io_string(struct fuzz_rng *r, struct fuzz_case *c)
{
	static const uint64_t sizes[] = { 1, 2, 4 };
	uint64_t count = fuzz_rng_range(r, 1, 4);
	uint64_t rep = fuzz_rng_below(r, 2) ? IOS_REP : 0;

	gen_io_in(r, c);
	c->kind = FK_IO_STRING;
	if (fuzz_rng_below(r, 5) == 0) {
		gen_io_out(r, c);
		c->kind = FK_IO_STRING;
		c->in[1] = 1 | IOS_OUT;
		c->in[2] = fuzz_rng_next(r);
	} else if (c->in[0] != 0xCF9 && fuzz_rng_below(r, 2)) {
		c->in[1] = fuzz_rng_pick(r, sizes, ARRAY_SIZE(sizes));
		if (!port_range_allowed((uint16_t)c->in[0], (unsigned)c->in[1]))
			c->in[1] = 1;
	}
	if (!rep)
		count = 1;
	c->in[1] |= count << 8 | rep;
}

struct io_string {
	uint16_t port;
	unsigned flags;
	uint64_t rcx, rdi_rsi;
};

static void io_ins_fn(void *arg)
{
	struct io_string *s = arg;
	uint64_t di = s->rdi_rsi, cx = s->rcx;
	unsigned size = s->flags & 0xFF;

	if (!(s->flags & IOS_REP) && size == 1)
		__asm__ volatile("cld; insb" : "+D"(di) : "d"(s->port) : "memory");
	else if (!(s->flags & IOS_REP) && size == 2)
		__asm__ volatile("cld; insw" : "+D"(di) : "d"(s->port) : "memory");
	else if (!(s->flags & IOS_REP))
		__asm__ volatile("cld; insl" : "+D"(di) : "d"(s->port) : "memory");
	else if (size == 1)
		__asm__ volatile("cld; rep insb" : "+D"(di), "+c"(cx) : "d"(s->port) : "memory");
	else if (size == 2)
		__asm__ volatile("cld; rep insw" : "+D"(di), "+c"(cx) : "d"(s->port) : "memory");
	else
		__asm__ volatile("cld; rep insl" : "+D"(di), "+c"(cx) : "d"(s->port) : "memory");
	s->rdi_rsi = di;
	s->rcx = cx;
}

/* Byte-sized only: the ports OUTS goes to take bytes. */
static void io_outs_fn(void *arg)
{
	struct io_string *s = arg;
	uint64_t si = s->rdi_rsi, cx = s->rcx;

	if (s->flags & IOS_REP)
		__asm__ volatile("cld; rep outsb" : "+S"(si), "+c"(cx) : "d"(s->port) : "memory");
	else
		__asm__ volatile("cld; outsb" : "+S"(si) : "d"(s->port) : "memory");
	s->rdi_rsi = si;
	s->rcx = cx;
}

/* OUTS: the same bytes as run_io_out, the old value put back afterwards. */
static void run_io_string_out(struct fuzz_case *c, struct io_string *s, uint8_t *data)
{
	uint32_t old = 0, back = 0;
	unsigned count = (unsigned)(c->in[1] >> 8) & 0xFF;

	if (s->port == PORT_RESET_CONTROL || s->port == PORT_COM1_SCRATCH)
		probe_in(s->port, 1, &old);
	for (unsigned i = 0; i < count; i++) {
		data[i] = (uint8_t)(c->in[2] >> (8 * i));
		if (s->port == PORT_RESET_CONTROL)
			data[i] = (uint8_t)((old & RESET_CONTROL_KEEP) | (data[i] & 0x02));
	}
	case_set_fault(c, probe_call(io_outs_fn, s));
	probe_in(s->port, 1, &back);
	c->out[0] = back & 0xFF;
	if (s->port == PORT_RESET_CONTROL)
		probe_out(s->port, 1, old & ~RESET_CONTROL_RST_CPU);
	else if (s->port == PORT_COM1_SCRATCH)
		probe_out(s->port, 1, old);
}

static void run_io_string(struct fuzz_case *c)
{
	uint8_t *data = (uint8_t *)E.scratch + IOS_DATA_OFFSET;
	unsigned count = (unsigned)(c->in[1] >> 8) & 0xFF;
	struct io_string s = { (uint16_t)c->in[0], (unsigned)c->in[1], count, (uint64_t)(uintptr_t)data };

	memset(data, 0xA5, 32);
	if (c->in[1] & IOS_OUT) {
		run_io_string_out(c, &s, data);
	} else {
		case_set_fault(c, probe_call(io_ins_fn, &s));
		memcpy(&c->out[0], data, 8);
		struct io_string again = { (uint16_t)c->in[0], (unsigned)c->in[1], count, (uint64_t)(uintptr_t)data + 16 };

		if (probe_call(io_ins_fn, &again) == PROBE_NO_FAULT && memcmp(data, data + 16, 8))
			c->flags |= FC_VOLATILE;
		if (port_value_is_state(s.port, s.flags & 0xFF))
			c->flags |= FC_VOLATILE;
	}
	c->out[1] = (s.rcx << 32) | (s.rdi_rsi - (uint64_t)(uintptr_t)data);
}

/* With REP, RCX counts down to 0; RDI/RSI move by the bytes transferred (DF = 0). */
static bool check_io_string(const struct fuzz_case *c, char *why, size_t n)
{
	unsigned size = (unsigned)c->in[1] & 0xFF, count = (unsigned)(c->in[1] >> 8) & 0xFF;
	uint64_t want = (uint64_t)(c->in[1] & IOS_REP ? 0 : count) << 32 | (uint64_t)size * count;

	if (c->vector != PROBE_NO_FAULT || c->out[1] == want)
		return true;
	fmt_snprintf(why, n, "RCX:moved 0x%lx after the string instruction, expected 0x%lx", c->out[1], want);
	return false;
}

/* ---- VMX instructions: #UD in a guest that sees no VMX ---- */

enum {
	VI_VMXON, VI_VMXOFF, VI_VMCLEAR, VI_VMPTRLD, VI_VMPTRST, VI_VMREAD, VI_VMWRITE, VI_VMLAUNCH,
	VI_VMRESUME, VI_INVEPT, VI_INVVPID, VI_VMFUNC, VI_GETSEC, VI_COUNT
};

static const char *const vmx_insn_names[VI_COUNT] = {
	"vmxon", "vmxoff", "vmclear", "vmptrld", "vmptrst", "vmread", "vmwrite", "vmlaunch",
	"vmresume", "invept", "invvpid", "vmfunc", "getsec",
};

/* With CR4.VMXE = 0 every VMX instruction raises #UD (SDM Vol. 3C, 31.3 "VMX
 * Instructions"); VMFUNC too outside non-root operation or with VM functions off;
 * GETSEC with CR4.SMXE = 0 (SDM Vol. 2D, GETSEC). Operands are random. */
static void gen_vmx_insn(struct fuzz_rng *r, struct fuzz_case *c)
{
	c->kind = FK_VMX_INSN;
	c->in[0] = fuzz_rng_below(r, VI_COUNT);
	c->in[1] = fuzz_rng_next(r);
	c->in[2] = fuzz_rng_next(r);
	c->expect = VECTOR_UD;
}

static int vmx_insn_exec(unsigned insn, uint64_t a, uint64_t b)
{
	uint64_t *s = E.scratch;
	uint64_t out = 0;

	switch (insn) {
	case VI_VMXON: return probe_vmxon(s);
	case VI_VMXOFF: return probe_vmxoff();
	case VI_VMCLEAR: return probe_vmclear(s);
	case VI_VMPTRLD: return probe_vmptrld(s);
	case VI_VMPTRST: return probe_vmptrst(s);
	case VI_VMREAD: return probe_vmread(a, &out);
	case VI_VMWRITE: return probe_vmwrite(a, b);
	case VI_VMLAUNCH: return probe_vmlaunch();
	case VI_VMRESUME: return probe_vmresume();
	case VI_INVEPT: return probe_invept(a, s);
	case VI_INVVPID: return probe_invvpid(a, s);
	case VI_VMFUNC: return probe_vmfunc((uint32_t)a, (uint32_t)b);
	default: return probe_getsec((uint32_t)a);
	}
}

static void run_vmx_insn(struct fuzz_case *c)
{
	uint64_t *s = E.scratch;
	struct fuzz_rng fill;

	/* Operand memory: a random "physical address" and descriptor, checked afterwards. */
	fuzz_rng_seed(&fill, c->in[1], c->in[2]);
	for (unsigned i = 0; i < 4; i++)
		s[i] = fuzz_rng_next(&fill);
	case_set_fault(c, vmx_insn_exec((unsigned)c->in[0], c->in[1], c->in[2]));
	fuzz_rng_seed(&fill, c->in[1], c->in[2]);
	c->out[0] = 0;
	for (unsigned i = 0; i < 4; i++)
		c->out[0] |= (uint64_t)(s[i] != fuzz_rng_next(&fill)) << i;
}

static bool check_vmx_insn(const struct fuzz_case *c, char *why, size_t n)
{
	if (!c->out[0])
		return true;
	fmt_snprintf(why, n, "%s wrote its memory operand (qwords 0x%lx changed)", vmx_insn_names[c->in[0] % VI_COUNT],
		     c->out[0]);
	return false;
}

/* ---- hypercalls ---- */

enum { HB_OURS, HB_BEYOND, HB_MMIO, HB_OWNED, HB_EDGE, HB_RANDOM32, HB_COUNT };
static const char *const hb_names[HB_COUNT] = { "ours", "beyond-ram", "mmio", "owned", "ram-edge", "random32" };

static uint64_t hc_needed(uint64_t fn)
{
	if (fn == VMXRAY_HC_STATS)
		return VMXRAY_STATS_COUNTERS * 8;
	if (fn == VMXRAY_HC_OWNED_RANGES)
		return E.owned_count * 16ULL;
	return 0;
}

static uint64_t hc_ours(uint64_t offset)
{
	return (uint64_t)(uintptr_t)E.hcbuf + PAGE_SIZE + (offset % (2 * PAGE_SIZE - 1024));
}

static bool hc_in_ours(uint64_t buf)
{
	uint64_t b = (uint64_t)(uintptr_t)E.hcbuf;

	return buf >= b && buf < b + FUZZ_HCBUF_PAGES * PAGE_SIZE;
}

static uint64_t gen_hc_fn(struct fuzz_rng *r)
{
	static const uint64_t odd[] = {
		4, 5, 0x7E58, 0xFFFFFFFF, 0x100000000ULL, 0x100000001ULL, 0x100000003ULL, 0x8000000000000000ULL,
		~0ULL, ~0ULL - 1,
	};
	uint64_t p = fuzz_rng_below(r, 1000);

	if (p < 400)
		return VMXRAY_HC_STATS;
	if (p < 750)
		return VMXRAY_HC_OWNED_RANGES;
	if (p < 850)
		return VMXRAY_HC_VERSION;
	if (p < 852)
		return VMXRAY_HC_DUMP_VMCS; /* a long serial dump: rarely */
	if (p < 930)
		return fuzz_rng_pick(r, odd, ARRAY_SIZE(odd));
	return fuzz_rng_below(r, 2) ? fuzz_rng_range(r, 4, 255) : fuzz_rng_next(r) | (1ULL << 40);
}

static uint64_t gen_hc_size(struct fuzz_rng *r, uint64_t needed)
{
	uint64_t p = fuzz_rng_below(r, 100);

	if (p < 35)
		return needed;
	if (p < 50)
		return needed ? needed - 1 : 0;
	if (p < 58)
		return 0;
	if (p < 75)
		return needed + fuzz_rng_below(r, PAGE_SIZE);
	if (p < 85)
		return ~0ULL;
	if (p < 90)
		return 1ULL << 63;
	return fuzz_rng_next(r);
}

static uint64_t gen_hc_beyond(struct fuzz_rng *r, uint64_t needed)
{
	uint64_t top = E.ram_count ? E.ram[E.ram_count - 1].base + E.ram[E.ram_count - 1].len : GiB(4);
	uint64_t phys_top = 1ULL << E.maxphyaddr;
	uint64_t p = fuzz_rng_below(r, 6);

	top = align_up(top, PAGE_SIZE);
	if (p == 0)
		return top + fuzz_rng_below(r, GiB(1));
	if (p == 1)
		return phys_top - 8 * fuzz_rng_range(r, 1, 256);
	if (p == 2)
		return phys_top + fuzz_rng_below(r, GiB(1));
	if (p == 3)
		return fuzz_rng_next(r) | (1ULL << 63);
	if (p == 4)
		return 0 - 8 * fuzz_rng_range(r, 1, needed > 16 ? needed / 8 - 1 : 1); /* wraps past 2^64 */
	return 0x00007FFFFFFFF000ULL + 8 * fuzz_rng_below(r, 1024);
}

static uint64_t gen_hc_mmio(struct fuzz_rng *r)
{
	static const uint64_t mmio[] = {
		0xFEE00000, 0xFEC00000, 0xFED00000, 0xFED40000, 0xFFE00000, 0xFFFFF000, 0xA0000, 0xB8000,
		0xE0000000, 0xC0000000, 0xF0000000,
	};

	return fuzz_rng_pick(r, mmio, ARRAY_SIZE(mmio)) + 8 * fuzz_rng_below(r, 0x1E0);
}

/* A buffer inside, at the edge of, or straddling one of vmxray's owned ranges. The
 * part outside the range is our own page (or not RAM). */
static uint64_t gen_hc_owned(struct fuzz_rng *r, uint64_t needed)
{
	const struct fuzz_owned *o = &E.owned[fuzz_rng_below(r, E.owned_count)];
	uint64_t k = 8 * fuzz_rng_range(r, 1, needed > 16 ? needed / 8 - 1 : 1);
	uint64_t p = fuzz_rng_below(r, 5);

	if (p == 1 && o->below_ok)
		return o->base - k; /* straddles the start */
	if (p == 2 && o->above_ok)
		return o->base + o->len - k; /* straddles the end */
	if (p == 3 || o->len < needed)
		return o->base;
	if (p == 4)
		return o->base + o->len - needed; /* its last bytes */
	return o->base + 8 * fuzz_rng_below(r, (o->len - needed) / 8 + 1);
}

/* At a boundary between guest RAM and what is not RAM: starting just past it, or
 * straddling it from a page of ours. */
static uint64_t gen_hc_edge(struct fuzz_rng *r, uint64_t needed)
{
	const struct fuzz_edge *g = &E.edges[fuzz_rng_below(r, E.edge_count)];
	uint64_t k = 8 * fuzz_rng_range(r, 1, needed > 16 ? needed / 8 - 1 : 1);

	if (!g->page || fuzz_rng_below(r, 4) == 0)
		return g->ram_below ? g->boundary : g->boundary - (needed ? needed : 8);
	return g->boundary - k;
}

static uint64_t gen_hc_buffer(struct fuzz_rng *r, uint64_t needed, uint8_t *cls)
{
	uint64_t p = fuzz_rng_below(r, 100), b;

	*cls = p < 30 ? HB_OURS : p < 45 ? HB_BEYOND : p < 58 ? HB_MMIO : p < 73 ? HB_OWNED : p < 85 ? HB_EDGE : HB_RANDOM32;
	if (*cls == HB_OWNED && !E.owned_count)
		*cls = HB_BEYOND;
	if (*cls == HB_EDGE && !E.edge_count)
		*cls = HB_BEYOND;
	switch (*cls) {
	case HB_OURS: b = hc_ours(fuzz_rng_next(r)) & ~7ULL; break;
	case HB_BEYOND: b = gen_hc_beyond(r, needed) & ~7ULL; break;
	case HB_MMIO: b = gen_hc_mmio(r); break;
	case HB_OWNED: b = gen_hc_owned(r, needed); break;
	case HB_EDGE: b = gen_hc_edge(r, needed); break;
	default: b = (uint32_t)fuzz_rng_next(r) & ~7ULL; break;
	}
	/* Misaligned: EINVAL. Not next to owned ranges or RAM edges, where the bytes
	 * past the end could be someone's. */
	if (fuzz_rng_below(r, 8) == 0 && *cls != HB_OWNED && *cls != HB_EDGE)
		b += fuzz_rng_range(r, 1, 7);
	/* Never hand vmxray a buffer in RAM that is not ours or its own: should it wrongly
	 * accept it, it would overwrite memory the firmware uses. */
	if (*cls != HB_OURS && *cls != HB_OWNED && *cls != HB_EDGE && touches_ram(b, needed ? needed : 8)) {
		*cls = HB_OURS;
		b = hc_ours(b);
	}
	return b;
}

static void gen_hypercall(struct fuzz_rng *r, struct fuzz_case *c)
{
	uint64_t fn = gen_hc_fn(r);
	uint64_t needed = hc_needed(fn);

	c->kind = FK_HYPERCALL;
	c->in[0] = fn;
	c->in[1] = gen_hc_buffer(r, needed ? needed : 8, &c->variant);
	c->in[2] = gen_hc_size(r, needed);
	c->expect = PROBE_NO_FAULT;
}

/* Bits of struct fuzz_case.out[2] for a hypercall. */
enum {
	HC_WROTE_OUTSIDE = 1, /* our memory outside [buf, buf + needed) changed */
	HC_WROTE_ON_ERROR = 2, /* our memory changed although the call failed */
	HC_BAD_CONTENT = 4,    /* OWNED_RANGES returned ranges other than at start */
	HC_BAD_STATS = 8,      /* STATS counted no CPUID or VMCALL exit */
};

static uint64_t hc_check_memory(const struct fuzz_case *c, uint64_t needed, bool ok)
{
	const uint8_t *p = E.hcbuf;
	uint64_t base = (uint64_t)(uintptr_t)p, buf = c->in[1], bits = 0;

	for (uint64_t i = 0; i < FUZZ_HCBUF_PAGES * PAGE_SIZE; i++) {
		bool inside = ok && base + i >= buf && base + i < buf + needed;

		if (!inside && p[i] != FUZZ_GUARD_BYTE)
			bits |= ok ? HC_WROTE_OUTSIDE : HC_WROTE_ON_ERROR;
	}
	if (!ok || !hc_in_ours(buf))
		return bits;
	const uint64_t *w = (const uint64_t *)(uintptr_t)buf;

	if (c->in[0] == VMXRAY_HC_STATS && (!w[EXIT_REASON_CPUID] || !w[EXIT_REASON_VMCALL]))
		bits |= HC_BAD_STATS;
	if (c->in[0] == VMXRAY_HC_OWNED_RANGES)
		for (unsigned i = 0; i < E.owned_count; i++)
			if (w[2 * i] != E.owned[i].base || w[2 * i + 1] != E.owned[i].len)
				bits |= HC_BAD_CONTENT;
	return bits;
}

static void run_hypercall(struct fuzz_case *c)
{
	struct probe_regs r = { .rax = c->in[0], .rbx = c->in[1], .rcx = c->in[2], .rdx = c->in[1] ^ c->in[2] };
	bool ours = hc_in_ours(c->in[1]);

	if (ours)
		memset(E.hcbuf, FUZZ_GUARD_BYTE, FUZZ_HCBUF_PAGES * PAGE_SIZE);
	case_set_fault(c, probe_vmcall(&r));
	c->out[0] = r.rax;
	c->out[1] = r.rbx;
	c->out[2] = 0;
	/* LOG_READ writes as many bytes as it returns in RAX, TRACE_READ as many records:
	 * those, and nothing else. */
	uint64_t needed = hc_needed(c->in[0]);
	if (c->in[0] == VMXRAY_HC_LOG_READ && (int64_t)r.rax > 0)
		needed = r.rax;
	if (c->in[0] == VMXRAY_HC_TRACE_READ && (int64_t)r.rax > 0)
		needed = r.rax * VMXRAY_TRACE_RECORD_BYTES;
	if (ours && c->vector == PROBE_NO_FAULT)
		c->out[2] = hc_check_memory(c, needed, (int64_t)r.rax >= 0);
}

/* The statuses vmx/policy/hypercall_abi.h allows for a (buffer, size) call. */
static unsigned hc_allowed(uint64_t buf, uint64_t size, uint64_t needed, int64_t *st)
{
	unsigned n = 0;

	if (buf & 7)
		st[n++] = VMXRAY_HC_EINVAL;
	if (size < needed)
		st[n++] = VMXRAY_HC_ENOSPC;
	if (!ram_contains(buf, needed) || owned_overlap(buf, needed))
		st[n++] = VMXRAY_HC_EFAULT;
	return n;
}

static void hc_describe_allowed(const int64_t *st, unsigned k, int64_t count, char *buf, size_t n)
{
	size_t len = 0;

	if (k == 0) {
		fmt_snprintf(buf, n, "%ld (a valid buffer)", count);
		return;
	}
	for (unsigned i = 0; i < k && len < n; i++)
		len += fmt_snprintf(buf + len, n - len, "%s%ld", i ? " or " : "", st[i]);
}

static bool check_hc_buffer_call(const struct fuzz_case *c, char *why, size_t n)
{
	uint64_t needed = hc_needed(c->in[0]);
	int64_t st[3], got = (int64_t)c->out[0];
	int64_t count = c->in[0] == VMXRAY_HC_STATS ? VMXRAY_STATS_COUNTERS : (int64_t)E.owned_count;
	unsigned k = hc_allowed(c->in[1], c->in[2], needed, st);
	bool ok = k == 0 && got == count;
	char allowed[48];

	for (unsigned i = 0; i < k; i++)
		ok |= got == st[i];
	if (!ok) {
		hc_describe_allowed(st, k, count, allowed, sizeof(allowed));
		fmt_snprintf(why, n, "RAX %ld, expected %s", got, allowed);
		return false;
	}
	if (got == VMXRAY_HC_ENOSPC && c->out[1] != needed) {
		fmt_snprintf(why, n, "ENOSPC with RBX %lu, needed %lu", c->out[1], needed);
		return false;
	}
	if (c->out[2]) {
		fmt_snprintf(why, n, "RAX %ld, memory check 0x%lx (1 written outside, 2 written on error, 4 wrong ranges, 8 no CPUID/VMCALL counted)",
			     got, c->out[2]);
		return false;
	}
	return true;
}

/* LOG_READ(buf, size, offset): EINVAL for size 0 or a misaligned buffer, EFAULT for a
 * buffer outside RAM or on vmxray's memory, else the bytes copied (0..size), written
 * there and nowhere else. */
static bool check_hc_log_read(const struct fuzz_case *c, char *why, size_t n)
{
	uint64_t buf = c->in[1], size = c->in[2];
	int64_t got = (int64_t)c->out[0], st[4];
	unsigned k = hc_allowed(buf, size, size, st);
	bool ok = k == 0 && got >= 0 && (uint64_t)got <= size;

	if (size == 0)
		st[k++] = VMXRAY_HC_EINVAL;
	for (unsigned i = 0; i < k; i++)
		ok |= got == st[i];
	if (!ok) {
		fmt_snprintf(why, n, "LOG_READ RAX %ld for buf 0x%lx size 0x%lx", got, buf, size);
		return false;
	}
	if (c->out[2]) {
		fmt_snprintf(why, n, "LOG_READ RAX %ld, memory check 0x%lx", got, c->out[2]);
		return false;
	}
	return true;
}

/* TRACE_READ(buf, size, cursor = buf ^ size here): ENOSPC (RBX = one record) when size
 * holds no record; else the buffer's whole records checked as for STATS; then EINVAL for
 * a CPU index past the last (never CPU 0, which always exists), else 0..size/64 records,
 * written there and nowhere else. */
static bool check_hc_trace_read(const struct fuzz_case *c, char *why, size_t n)
{
	uint64_t buf = c->in[1], size = c->in[2], cpu = (buf ^ size) >> VMXRAY_TRACE_CURSOR_CPU_SHIFT;
	uint64_t max = size / VMXRAY_TRACE_RECORD_BYTES;
	int64_t got = (int64_t)c->out[0], st[3];
	bool ok;

	if (size < VMXRAY_TRACE_RECORD_BYTES) {
		ok = got == VMXRAY_HC_ENOSPC && c->out[1] == VMXRAY_TRACE_RECORD_BYTES;
	} else {
		unsigned k = hc_allowed(buf, size, max * VMXRAY_TRACE_RECORD_BYTES, st);

		ok = k == 0 && ((got >= 0 && (uint64_t)got <= max) || (got == VMXRAY_HC_EINVAL && cpu != 0));
		for (unsigned i = 0; i < k; i++)
			ok |= got == st[i];
	}
	if (!ok) {
		fmt_snprintf(why, n, "TRACE_READ RAX %ld RBX 0x%lx for buf 0x%lx size 0x%lx", got, c->out[1], buf, size);
		return false;
	}
	if (c->out[2]) {
		fmt_snprintf(why, n, "TRACE_READ RAX %ld, memory check 0x%lx", got, c->out[2]);
		return false;
	}
	return true;
}

static bool check_hypercall(const struct fuzz_case *c, char *why, size_t n)
{
	uint64_t fn = c->in[0];
	int64_t got = (int64_t)c->out[0];

	if (fn == VMXRAY_HC_STATS || fn == VMXRAY_HC_OWNED_RANGES)
		return check_hc_buffer_call(c, why, n);
	if (fn == VMXRAY_HC_LOG_READ)
		return check_hc_log_read(c, why, n);
	if (fn == VMXRAY_HC_TRACE_READ)
		return check_hc_trace_read(c, why, n);
	if (fn == VMXRAY_HC_VERSION && got == 0 && c->out[1] == BUILD_VERSION)
		return true;
	if (fn == VMXRAY_HC_DUMP_VMCS && (got == 0 || got == VMXRAY_HC_EAGAIN)) /* rate-limited */
		return true;
	if (fn > VMXRAY_HC_TRACE_READ && got == VMXRAY_HC_ENOSYS)
		return true;
	fmt_snprintf(why, n, "RAX %ld RBX 0x%lx", got, c->out[1]);
	return false;
}

/* ---- VMCALL at CPL 3: #UD (vmx/policy/hypercall_abi.h; the same as without a VMM) ---- */

static void gen_vmcall_cpl3(struct fuzz_rng *r, struct fuzz_case *c)
{
	c->kind = FK_VMCALL_CPL3;
	c->in[0] = fuzz_rng_below(r, 2) ? fuzz_rng_below(r, 5) : fuzz_rng_next(r);
	c->expect = VECTOR_UD;
}

static void run_vmcall_cpl3(struct fuzz_case *c)
{
	struct ring3_result res;
	char why[96];

	if (!ring3_run(ring3_code_vmcall, c->in[0], &res, why, sizeof(why))) {
		c->flags &= (uint8_t)~FC_RAN; /* no CPL-3 environment: not a case */
		return;
	}
	c->vector = res.vector;
	c->error = (uint32_t)res.fault.error;
	c->out[0] = res.fault.rip - (uint64_t)(uintptr_t)ring3_code_vmcall;
	c->out[1] = res.fault.cs & 3;
	c->out[2] = res.restored;
}

static bool check_vmcall_cpl3(const struct fuzz_case *c, char *why, size_t n)
{
	if (c->out[0] == 0 && c->out[1] == 3 && c->out[2])
		return true;
	fmt_snprintf(why, n, "exception at code+0x%lx from CPL %lu, environment restored %lu", c->out[0], c->out[1],
		     c->out[2]);
	return false;
}

/* ---- one case: generate, run, judge ---- */

static uint64_t fuzz_weight_total(void)
{
	uint64_t t = 0;

	for (size_t i = 0; i < ARRAY_SIZE(fuzz_weights); i++)
		t += fuzz_weights[i].weight;
	return t;
}

static void fuzz_generate(uint64_t index, struct fuzz_case *c)
{
	struct fuzz_rng r;
	uint64_t p;

	memset(c, 0, sizeof(*c));
	c->index = (uint32_t)index;
	fuzz_rng_seed(&r, E.seed, index);
	p = fuzz_rng_below(&r, fuzz_weight_total());
	for (size_t i = 0; i < ARRAY_SIZE(fuzz_weights); i++) {
		if (p >= fuzz_weights[i].weight) {
			p -= fuzz_weights[i].weight;
			continue;
		}
		switch (fuzz_weights[i].kind) {
		case FK_CPUID: gen_cpuid(&r, c); break;
		case FK_CPUID_REGS: gen_cpuid_regs(&r, c); break;
		case FK_RDMSR: gen_rdmsr(&r, c); break;
		case FK_WRMSR: gen_wrmsr(&r, c); break;
		case FK_CR0: gen_cr0(&r, c); break;
		case FK_CR3: gen_cr3(&r, c); break;
		case FK_CR4: gen_cr4(&r, c); break;
		case FK_CR8: gen_cr8(&r, c); break;
		case FK_XSETBV: gen_xsetbv(&r, c); break;
		case FK_IO_IN: gen_io_in(&r, c); break;
		case FK_IO_OUT: gen_io_out(&r, c); break;
		case FK_IO_STRING: gen_io_string(&r, c); break;
		case FK_VMX_INSN: gen_vmx_insn(&r, c); break;
		case FK_HYPERCALL: gen_hypercall(&r, c); break;
		default: gen_vmcall_cpl3(&r, c); break;
		}
		return;
	}
}

static void fuzz_run_case(struct fuzz_case *c)
{
	c->flags |= FC_RAN;
	switch (c->kind) {
	case FK_CPUID:
	case FK_CPUID_HV: run_cpuid(c); break;
	case FK_CPUID_REGS: run_cpuid_regs(c); break;
	case FK_RDMSR:
	case FK_RDMSR_HIDDEN: run_rdmsr(c); break;
	case FK_WRMSR:
	case FK_WRMSR_HIDDEN: run_wrmsr(c); break;
	case FK_CR0: run_cr(c, 0); break;
	case FK_CR3: run_cr(c, 3); break;
	case FK_CR4:
	case FK_CR4_VMXE: run_cr(c, 4); break;
	case FK_CR8: run_cr(c, 8); break;
	case FK_XSETBV: run_xsetbv(c); break;
	case FK_IO_IN: run_io_in(c); break;
	case FK_IO_OUT: run_io_out(c); break;
	case FK_IO_STRING: run_io_string(c); break;
	case FK_VMX_INSN: run_vmx_insn(c); break;
	case FK_HYPERCALL: run_hypercall(c); break;
	default: run_vmcall_cpl3(c); break;
	}
}

/* What the architecture (or vmxray's ABI) requires, whatever ran before. */
static bool fuzz_check_arch(const struct fuzz_case *c, char *why, size_t n)
{
	char got[48], want[48];

	if (c->expect != FUZZ_EXPECT_ANY &&
	    (c->vector != c->expect || (vector_has_error(c->vector) && c->error != 0))) {
		describe_vector(c->vector, c->error, got, sizeof(got));
		describe_vector(c->expect, 0, want, sizeof(want));
		fmt_snprintf(why, n, "got %s, expected %s", got, want);
		return false;
	}
	if ((c->flags & FC_UNCHANGED) && c->out[0] != c->out[1]) {
		fmt_snprintf(why, n, "register changed from 0x%lx to 0x%lx", c->out[0], c->out[1]);
		return false;
	}
	switch (c->kind) {
	case FK_CPUID_HV: return check_cpuid_hv(c, why, n);
	case FK_CPUID_REGS:
		if (c->out[2]) {
			fmt_snprintf(why, n, "bits 63:32 of RAX..RDX not cleared (OR 0x%lx)", c->out[2]);
			return false;
		}
		return true;
	case FK_RDMSR_HIDDEN: return check_rdmsr_hidden(c, why, n);
	case FK_IO_IN: return check_io_in(c, why, n);
	case FK_IO_OUT: return check_io_out(c, why, n);
	case FK_IO_STRING: return check_io_string(c, why, n);
	case FK_VMX_INSN: return check_vmx_insn(c, why, n);
	case FK_HYPERCALL: return check_hypercall(c, why, n);
	case FK_VMCALL_CPL3: return check_vmcall_cpl3(c, why, n);
	default: return true;
	}
}

/* CPUID bits vmxray changes by design (vmx/policy/policy.c): CPUID.1:ECX VMX hidden and
 * hypervisor set; the trace and PEBS/BTS features hidden because their output bypasses
 * EPT (vmx/policy/msr_policy.def): CPUID.1:ECX DTES64 and PDCM, CPUID.1:EDX DS, CPUID.7.0:
 * EBX Intel PT, and leaf 0x14 (Intel PT) all zero. Word 0 is EBX:EAX, word 1 EDX:ECX. */
static uint64_t cpuid_cmp_mask(const struct fuzz_case *c, unsigned word)
{
	uint32_t leaf = (uint32_t)c->in[0], subleaf = (uint32_t)c->in[1];

	if (leaf == 1 && word == 1)
		return ~((1ULL << CPUID1_ECX_VMX_BIT) | (1ULL << CPUID1_ECX_HYPERVISOR_BIT) |
			 (1ULL << CPUID1_ECX_DTES64_BIT) | (1ULL << CPUID1_ECX_PDCM_BIT) |
			 (1ULL << (32 + CPUID1_EDX_DS_BIT)));
	if (leaf == 7 && subleaf == 0 && word == 0)
		return ~(1ULL << (32 + CPUID7_EBX_INTEL_PT_BIT));
	if (leaf == 0x14)
		return 0;
	return ~0ULL;
}

/* mode=check: the same case before vmxray loaded. */
static bool fuzz_compare(const struct fuzz_case *c, char *why, size_t n)
{
	const struct fuzz_case *r;
	char got[48], bare[48];

	if (!fuzz_kinds[c->kind].bare || c->index >= E.rec_count)
		return true;
	r = &E.rec[c->index];
	if (!(r->flags & FC_RAN))
		return true;
	if (r->kind != c->kind || memcmp(r->in, c->in, sizeof(c->in))) {
		fmt_snprintf(why, n, "record has kind %s in 0x%lx 0x%lx 0x%lx: the machine state differs",
			     fuzz_kinds[r->kind % FK_COUNT].name, r->in[0], r->in[1], r->in[2]);
		return false;
	}
	if (r->vector != c->vector) {
		describe_vector(c->vector, c->error, got, sizeof(got));
		describe_vector(r->vector, r->error, bare, sizeof(bare));
		fmt_snprintf(why, n, "got %s, bare %s", got, bare);
		return false;
	}
	if ((r->flags | c->flags) & FC_VOLATILE)
		return true;
	for (unsigned i = 0; i < fuzz_kinds[c->kind].cmp_outs; i++) {
		uint64_t m = c->kind == FK_CPUID || c->kind == FK_CPUID_REGS ? cpuid_cmp_mask(c, i)
			     : c->kind == FK_RDMSR && (uint32_t)c->in[0] == MSR_IA32_MISC_ENABLE
				     ? ~(MISC_ENABLE_BTS_UNAVAILABLE | MISC_ENABLE_PEBS_UNAVAILABLE) /* by design: msr_policy.def */
				     : ~0ULL;

		if ((c->out[i] & m) != (r->out[i] & m)) {
			fmt_snprintf(why, n, "%s 0x%016lx, bare 0x%016lx (differs in 0x%lx)",
				     fuzz_kinds[c->kind].out_names[i], c->out[i], r->out[i], (c->out[i] ^ r->out[i]) & m);
			return false;
		}
	}
	return true;
}

static void describe_inputs(const struct fuzz_case *c, char *buf, size_t n)
{
	switch (c->kind) {
	case FK_CPUID:
	case FK_CPUID_HV:
	case FK_CPUID_REGS:
		fmt_snprintf(buf, n, "leaf=0x%x subleaf=0x%x", (uint32_t)c->in[0], (uint32_t)c->in[1]);
		break;
	case FK_RDMSR:
	case FK_RDMSR_HIDDEN: fmt_snprintf(buf, n, "msr=0x%lx", c->in[0]); break;
	case FK_WRMSR:
	case FK_WRMSR_HIDDEN: fmt_snprintf(buf, n, "msr=0x%lx value=0x%lx", c->in[0], c->in[1]); break;
	case FK_CR0:
	case FK_CR3:
	case FK_CR4:
	case FK_CR4_VMXE:
	case FK_CR8: fmt_snprintf(buf, n, "value=0x%lx", c->in[0]); break;
	case FK_XSETBV:
		fmt_snprintf(buf, n, "xcr=0x%lx value=0x%lx osxsave=%lu", c->in[0], c->in[1], c->in[2]);
		break;
	case FK_IO_IN: fmt_snprintf(buf, n, "port=0x%lx size=%lu", c->in[0], c->in[1]); break;
	case FK_IO_OUT: fmt_snprintf(buf, n, "port=0x%lx value=0x%lx", c->in[0], c->out[1]); break;
	case FK_IO_STRING:
		fmt_snprintf(buf, n, "%s%s%c port=0x%lx count=%lu", c->in[1] & IOS_REP ? "rep " : "",
			     c->in[1] & IOS_OUT ? "outs" : "ins", "?bw?d"[c->in[1] & 7], c->in[0], (c->in[1] >> 8) & 0xFF);
		break;
	case FK_VMX_INSN: fmt_snprintf(buf, n, "insn=%s", vmx_insn_names[c->in[0] % VI_COUNT]); break;
	case FK_HYPERCALL:
		fmt_snprintf(buf, n, "fn=0x%lx buf=0x%lx(%s) size=0x%lx", c->in[0], c->in[1],
			     hb_names[c->variant % HB_COUNT], c->in[2]);
		break;
	default: fmt_snprintf(buf, n, "rax=0x%lx", c->in[0]); break;
	}
}

static void fuzz_report_mismatch(const struct fuzz_case *c, const char *why)
{
	char in[128];

	E.mismatches++;
	E.bad_by_kind[c->kind]++;
	if (E.printed++ >= FUZZ_PRINT_MAX)
		return;
	describe_inputs(c, in, sizeof(in));
	fuzz_out_line("MISMATCH case=%u kind=%s %s: %s%s", c->index, fuzz_kinds[c->kind].name, in, why,
		      E.mode == MODE_RECORD ? " (without vmxray)" : "");
}

static void fuzz_one(uint64_t index)
{
	struct fuzz_case c;
	char why[160];
	bool ok;

	fuzz_generate(index, &c);
	if (E.mode != MODE_RECORD || fuzz_kinds[c.kind].bare)
		fuzz_run_case(&c);
	if (E.out)
		E.out[index] = c;
	if (!(c.flags & FC_RAN))
		return;
	E.ran++;
	E.ran_by_kind[c.kind]++;
	why[0] = 0;
	ok = fuzz_check_arch(&c, why, sizeof(why));
	if (ok && E.mode == MODE_CHECK)
		ok = fuzz_compare(&c, why, sizeof(why));
	if (ok)
		E.matched++;
	else
		fuzz_report_mismatch(&c, why);
}

/* ---- is vmxray still there? ---- */

static bool vmxray_signature(void)
{
	struct cpuid_regs r;
	char sig[12];

	if (probe_cpuid(VMXRAY_CPUID_LEAF_BASE, 0, &r) != PROBE_NO_FAULT || r.eax < VMXRAY_CPUID_MAX_LEAF)
		return false;
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	return !memcmp(sig, VMXRAY_CPUID_SIGNATURE, sizeof(sig));
}

static void fuzz_check_alive(uint64_t after)
{
	struct probe_regs r = { .rax = VMXRAY_HC_VERSION };
	int v;

	if (!vmxray_signature()) {
		E.hv_failures++;
		fuzz_out_line("HVFAIL after case %lu: CPUID 0x40000000 no longer says %s", after, VMXRAY_CPUID_SIGNATURE);
		return;
	}
	v = probe_vmcall(&r);
	if (v != PROBE_NO_FAULT || r.rax != 0 || r.rbx != BUILD_VERSION) {
		char d[48];

		E.hv_failures++;
		describe_vector(v, (uint32_t)probe_fault_info.error, d, sizeof(d));
		fuzz_out_line("HVFAIL after case %lu: VERSION hypercall: %s, RAX 0x%lx RBX 0x%lx", after, d, r.rax, r.rbx);
	}
}

/* ---- the machine, once ---- */

static bool cpuid_bit(uint32_t leaf, uint32_t sub, unsigned reg, unsigned bit)
{
	struct cpuid_regs r = cpu_cpuid(leaf, sub);
	uint32_t w[4] = { r.eax, r.ebx, r.ecx, r.edx };

	return bit_test(w[reg], bit);
}

enum { EAX, EBX, ECX, EDX };

/* CR4 bits this CPU enumerates (SDM Vol. 3A, 2.5, and CPUID); VMXE is left out because
 * vmxray hides it: fuzz_generate must not depend on whether vmxray runs. */
static uint64_t env_cr4_allowed(void)
{
	static const struct {
		uint64_t bit;
		uint32_t leaf, sub;
		uint8_t reg, n;
	} f[] = {
		{ CR4_VME, 1, 0, EDX, 1 },	 { CR4_PVI, 1, 0, EDX, 1 },	 { CR4_TSD, 1, 0, EDX, 4 },
		{ CR4_DE, 1, 0, EDX, 2 },	 { CR4_PSE, 1, 0, EDX, 3 },	 { CR4_PAE, 1, 0, EDX, 6 },
		{ CR4_MCE, 1, 0, EDX, 7 },	 { CR4_PGE, 1, 0, EDX, 13 },	 { CR4_OSFXSR, 1, 0, EDX, 24 },
		{ CR4_OSXMMEXCPT, 1, 0, EDX, 25 }, { CR4_UMIP, 7, 0, ECX, 2 },	 { CR4_LA57, 7, 0, ECX, 16 },
		{ CR4_SMXE, 1, 0, ECX, 6 },	 { CR4_FSGSBASE, 7, 0, EBX, 0 }, { CR4_PCIDE, 1, 0, ECX, 17 },
		{ CR4_OSXSAVE, 1, 0, ECX, 26 },	 { CR4_KL, 7, 0, ECX, 23 },	 { CR4_SMEP, 7, 0, EBX, 7 },
		{ CR4_SMAP, 7, 0, EBX, 20 },	 { CR4_PKE, 7, 0, ECX, 3 },	 { CR4_CET, 7, 0, ECX, 7 },
		{ CR4_PKS, 7, 0, ECX, 31 },	 { CR4_UINTR, 7, 0, EDX, 5 },	 { CR4_LASS, 7, 1, EAX, 6 },
		{ CR4_LAM_SUP, 7, 1, EAX, 26 },	 { CR4_FRED, 7, 1, EAX, 17 },
	};
	uint64_t allowed = CR4_PCE;

	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		if (f[i].leaf <= E.max_basic && cpuid_bit(f[i].leaf, f[i].sub, f[i].reg, f[i].n))
			allowed |= f[i].bit;
	return allowed;
}

static void env_read_xcr0(void)
{
	uint64_t cr4 = cpu_read_cr4();
	struct cpuid_regs d;

	if (!E.xsave || E.max_basic < 0xD)
		return;
	d = cpu_cpuid(0xD, 0);
	E.xcr0_supported = d.eax | (uint64_t)d.edx << 32;
	if (!(cr4 & CR4_OSXSAVE) && probe_mov_to_cr4(cr4 | CR4_OSXSAVE) != PROBE_NO_FAULT) {
		E.xsave = false;
		return;
	}
	probe_xgetbv(0, &E.xcr0);
	if (!(cr4 & CR4_OSXSAVE))
		probe_mov_to_cr4(cr4);
}

static void env_read_cpu(void)
{
	struct cpuid_regs r = cpu_cpuid(1, 0);
	uint64_t v = 0;

	E.max_basic = cpu_cpuid(0, 0).eax;
	E.max_ext = cpu_cpuid(0x80000000u, 0).eax;
	E.maxphyaddr = E.max_ext >= 0x80000008u ? (cpu_cpuid(0x80000008u, 0).eax & 0xFF) : 36;
	if (E.maxphyaddr < 32 || E.maxphyaddr > 52)
		E.maxphyaddr = 36;
	E.xsave = bit_test(r.ecx, CPUID1_ECX_XSAVE_BIT);
	E.x2apic = bit_test(r.ecx, CPUID1_ECX_X2APIC_BIT);
	E.mtrr = bit_test(r.edx, CPUID1_EDX_MTRR_BIT);
	E.pat = bit_test(r.edx, CPUID1_EDX_PAT_BIT);
	if (probe_rdmsr(MSR_IA32_APIC_BASE, &v) == PROBE_NO_FAULT)
		E.x2apic_mode = v & APIC_BASE_EXTD;
	if (E.mtrr && probe_rdmsr(MSR_IA32_MTRRCAP, &v) == PROBE_NO_FAULT) {
		E.mtrr_vcnt = v & MTRRCAP_VCNT_MASK;
		E.mtrr_fixed = v & MTRRCAP_FIX;
	}
	E.cr4_allowed = env_cr4_allowed();
	env_read_xcr0();
	E.serial = serial_present();
}

/* The memory types boot/efi_io.c counts as guest RAM. */
static bool env_is_ram_type(UINT32 t)
{
	switch (t) {
	case EfiLoaderCode: case EfiLoaderData: case EfiBootServicesCode: case EfiBootServicesData:
	case EfiRuntimeServicesCode: case EfiRuntimeServicesData: case EfiConventionalMemory:
	case EfiACPIReclaimMemory: case EfiACPIMemoryNVS: case 14 /* EfiPersistentMemory */:
		return true;
	default:
		return false;
	}
}

static void env_ram_add(uint64_t base, uint64_t len)
{
	uint64_t end = base + len;
	unsigned i = 0;

	while (i < E.ram_count) { /* absorb what touches [base, end) */
		struct fuzz_range *x = &E.ram[i];

		if (x->base <= end && base <= x->base + x->len) {
			end = x->base + x->len > end ? x->base + x->len : end;
			base = x->base < base ? x->base : base;
			memmove(x, x + 1, (E.ram_count - i - 1) * sizeof(*x));
			E.ram_count--;
			continue;
		}
		i++;
	}
	if (E.ram_count == FUZZ_RAM_MAX)
		return;
	for (i = 0; i < E.ram_count && E.ram[i].base < base; i++)
		;
	memmove(&E.ram[i + 1], &E.ram[i], (E.ram_count - i) * sizeof(E.ram[0]));
	E.ram[i] = (struct fuzz_range){ base, end - base };
	E.ram_count++;
}

static void env_read_ram(void)
{
	UINTN entries, key, dsize;
	UINT32 dver;
	EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&entries, &key, &dsize, &dver);

	if (!map)
		return;
	for (UINTN i = 0; i < entries; i++) {
		EFI_MEMORY_DESCRIPTOR *d = (EFI_MEMORY_DESCRIPTOR *)((UINT8 *)map + i * dsize);

		if (env_is_ram_type(d->Type))
			env_ram_add(d->PhysicalStart, d->NumberOfPages * EFI_PAGE_SIZE);
	}
	FreePool(map);
}

/* A page of ours at addr when addr is RAM; *ok says whether a buffer may reach there. */
static void *env_claim_neighbour(uint64_t addr, bool *ok)
{
	void *p;

	if (!touches_ram(addr, PAGE_SIZE) && !owned_overlap(addr, PAGE_SIZE)) {
		*ok = true;
		return NULL;
	}
	p = owned_overlap(addr, PAGE_SIZE) ? NULL : efimem_alloc_page_at(addr);
	*ok = p != NULL;
	return p;
}

static void env_find_edges(void)
{
	for (unsigned i = 0; i < E.ram_count && E.edge_count < FUZZ_EDGE_MAX; i++) {
		const struct fuzz_range *x = &E.ram[i];
		struct fuzz_edge *g = &E.edges[E.edge_count];

		if (x->base >= PAGE_SIZE && E.edge_count < FUZZ_EDGE_MAX) {
			g->boundary = x->base;
			g->ram_below = false;
			g->page = efimem_alloc_page_at(x->base);
			g++;
			E.edge_count++;
		}
		if (E.edge_count < FUZZ_EDGE_MAX) {
			g->boundary = x->base + x->len;
			g->ram_below = true;
			g->page = efimem_alloc_page_at(x->base + x->len - PAGE_SIZE);
			E.edge_count++;
		}
	}
}

static bool env_read_owned(void)
{
	struct probe_regs r = { .rax = VMXRAY_HC_OWNED_RANGES, .rbx = (uintptr_t)E.hcbuf, .rcx = PAGE_SIZE };
	const uint64_t *w = (const uint64_t *)E.hcbuf;

	if (probe_vmcall(&r) != PROBE_NO_FAULT || (int64_t)r.rax < 1)
		return false;
	E.owned_count = r.rax < FUZZ_OWNED_MAX ? (unsigned)r.rax : FUZZ_OWNED_MAX;
	for (unsigned i = 0; i < E.owned_count; i++) {
		E.owned[i].base = w[2 * i];
		E.owned[i].len = w[2 * i + 1];
	}
	for (unsigned i = 0; i < E.owned_count; i++) {
		struct fuzz_owned *o = &E.owned[i];

		o->below = o->base >= PAGE_SIZE ? env_claim_neighbour(o->base - PAGE_SIZE, &o->below_ok) : NULL;
		o->above = env_claim_neighbour(o->base + o->len, &o->above_ok);
	}
	return (uint64_t)E.owned_count == r.rax;
}

/* efimem_alloc_page_at() cannot return page 0 (it would be NULL). */
static bool env_claim_page0(void)
{
	EFI_PHYSICAL_ADDRESS a = 0;

	return uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress, EfiBootServicesData, 1, &a) == EFI_SUCCESS;
}

static void env_print_memory(void)
{
	unsigned pages = 0, sides = 0;

	for (unsigned i = 0; i < E.edge_count; i++)
		pages += E.edges[i].page != NULL;
	for (unsigned i = 0; i < E.owned_count; i++)
		sides += E.owned[i].below_ok + E.owned[i].above_ok;
	fuzz_out_line("INFO guest RAM: %u ranges up to 0x%lx, %u edges (%u with our page); %u owned ranges (%u sides to straddle); page 0 %s",
		      E.ram_count, E.ram_count ? E.ram[E.ram_count - 1].base + E.ram[E.ram_count - 1].len : 0,
		      E.edge_count, pages, E.owned_count, sides,
		      !touches_ram_nowrap(0, PAGE_SIZE) ? "not RAM" : E.page0 ? "ours" : "someone else's");
}

static void env_free(void)
{
	for (unsigned i = 0; i < E.edge_count; i++)
		efimem_free_pages(E.edges[i].page, 1);
	for (unsigned i = 0; i < E.owned_count; i++) {
		efimem_free_pages(E.owned[i].below, 1);
		efimem_free_pages(E.owned[i].above, 1);
	}
	if (E.page0)
		uefi_call_wrapper(BS->FreePages, 2, (EFI_PHYSICAL_ADDRESS)0, 1);
	efimem_free_pages(E.scratch, 1);
	efimem_free_pages(E.hcbuf, FUZZ_HCBUF_PAGES);
}

/* ---- the record file ---- */

static void path_make(void)
{
	size_t i;

	fmt_snprintf(E.path_ascii, sizeof(E.path_ascii), "\\EFI\\vmxray\\fuzz-%lu.bin", E.seed);
	for (i = 0; E.path_ascii[i] && i < ARRAY_SIZE(E.path) - 1; i++)
		E.path[i] = (CHAR16)E.path_ascii[i];
	E.path[i] = 0;
}

static bool record_write(void)
{
	uint64_t len = sizeof(struct fuzz_file_header) + E.count * sizeof(struct fuzz_case);
	uint8_t *buf = AllocatePool(len);
	struct fuzz_file_header h = { FUZZ_FILE_MAGIC, FUZZ_FILE_VERSION, sizeof(struct fuzz_case), E.seed, E.count };
	EFI_STATUS s;

	if (!buf) {
		fuzz_out_line("ERROR cannot allocate %lu bytes for %s", len, E.path_ascii);
		return false;
	}
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), E.out, E.count * sizeof(struct fuzz_case));
	s = fuzz_file_write(E.image, E.path, buf, len);
	FreePool(buf);
	if (EFI_ERROR(s)) {
		fuzz_out_line("ERROR cannot write %s: EFI status 0x%lx", E.path_ascii, (uint64_t)s);
		return false;
	}
	fuzz_out_line("INFO wrote %lu cases to %s", E.count, E.path_ascii);
	return true;
}

static bool record_read(void)
{
	void *data = NULL;
	uint64_t len = 0;
	EFI_STATUS s = fuzz_file_read(E.image, E.path, &data, &len);
	const struct fuzz_file_header *h = data;

	if (EFI_ERROR(s)) {
		fuzz_out_line("ERROR cannot read %s (EFI status 0x%lx): run mode=record seed=%lu before vmxray loads",
			      E.path_ascii, (uint64_t)s, E.seed);
		return false;
	}
	if (len < sizeof(*h) || memcmp(h->magic, FUZZ_FILE_MAGIC, 8) || h->version != FUZZ_FILE_VERSION ||
	    h->case_size != sizeof(struct fuzz_case) || h->seed != E.seed ||
	    len < sizeof(*h) + h->count * sizeof(struct fuzz_case)) {
		fuzz_out_line("ERROR %s is not a version %u record of seed %lu", E.path_ascii, FUZZ_FILE_VERSION, E.seed);
		FreePool(data);
		return false;
	}
	E.rec = (const struct fuzz_case *)(h + 1);
	E.rec_count = h->count;
	if (E.rec_count < E.count)
		fuzz_out_line("INFO the record has %lu cases: cases from %lu on are checked without it", E.rec_count,
			      E.rec_count);
	return true;
}

/* ---- arguments ---- */

static bool parse_u64(const char *s, uint64_t *v)
{
	unsigned base = 10;

	*v = 0;
	if (s[0] == '0' && s[1] == 'x') {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d = *s >= '0' && *s <= '9' ? (unsigned)(*s - '0')
			   : *s >= 'a' && *s <= 'f' ? (unsigned)(*s - 'a' + 10) : 99;

		if (d >= base)
			return false;
		*v = *v * base + d;
	}
	return true;
}

static bool apply_option(const char *w, bool first)
{
	size_t n = strlen(w);

	if (!strncmp(w, "seed=", 5))
		return parse_u64(w + 5, &E.seed);
	if (!strncmp(w, "count=", 6))
		return parse_u64(w + 6, &E.count) && E.count > 0 && E.count <= FUZZ_MAX_COUNT;
	if (!strcmp(w, "mode=record") || !strcmp(w, "mode=check") || !strcmp(w, "mode=live")) {
		E.mode = w[5] == 'r' ? MODE_RECORD : w[5] == 'c' ? MODE_CHECK : MODE_LIVE;
		return true;
	}
	/* The shell passes the command line with the command's own name first. */
	return first && n >= 4 && !strcmp(w + n - 4, ".efi");
}

static bool option_word(void *ctx, unsigned index, const char *w)
{
	if (!apply_option(w, index == 0)) {
		fuzz_out_line("ERROR bad argument '%s' (usage: vmxfuzz seed=N count=N mode=record|check|live)", w);
		*(bool *)ctx = false;
	}
	return true;
}

static bool parse_options(EFI_HANDLE image)
{
	bool ok = true;
	cmdline_split(image, CMDLINE_LOWER, 48, option_word, &ok);
	return ok;
}

/* ---- main ---- */

static const char *const mode_names[] = { "record", "check", "live" };

/* "INFO cases by kind: ..." over as many lines as it takes. */
static void fuzz_print_kinds(void)
{
	char line[160] = "";
	size_t len = 0;

	for (unsigned k = 1; k < FK_COUNT; k++) {
		char item[48];

		if (!E.ran_by_kind[k])
			continue;
		if (E.bad_by_kind[k])
			fmt_snprintf(item, sizeof(item), " %s=%lu(%lu bad)", fuzz_kinds[k].name, E.ran_by_kind[k],
				     E.bad_by_kind[k]);
		else
			fmt_snprintf(item, sizeof(item), " %s=%lu", fuzz_kinds[k].name, E.ran_by_kind[k]);
		if (len + strlen(item) >= sizeof(line)) {
			fuzz_out_line("INFO cases by kind:%s", line);
			len = 0;
		}
		len += fmt_snprintf(line + len, sizeof(line) - len, "%s", item);
	}
	fuzz_out_line("INFO cases by kind:%s", line);
}

static unsigned fuzz_summary(void)
{
	uint64_t failed = E.mismatches + E.hv_failures;

	if (E.printed > FUZZ_PRINT_MAX)
		fuzz_out_line("INFO %lu more mismatches not printed", E.printed - FUZZ_PRINT_MAX);
	if (E.ran)
		fuzz_print_kinds();
	fuzz_out_line("cases=%lu mismatches=%lu hypervisor_failures=%lu", E.ran, E.mismatches, E.hv_failures);
	fuzz_out_line("%lu passed, %lu failed", E.matched, failed);
	return (unsigned)(failed ? 1 : 0);
}

/* The mode must fit whether vmxray runs: a record made under vmxray would compare
 * vmxray with itself. */
static bool fuzz_mode_fits(void)
{
	bool hv = vmxray_signature();

	if (E.mode == MODE_RECORD && hv) {
		fuzz_out_line("ERROR vmxray is running: mode=record must run before vmxray is loaded");
		return false;
	}
	if (E.mode != MODE_RECORD && !hv) {
		fuzz_out_line("ERROR vmxray is not running (CPUID 0x40000000): mode=%s needs it", mode_names[E.mode]);
		return false;
	}
	return true;
}

static bool fuzz_setup(void)
{
	E.scratch = efimem_alloc_pages(1, UINT64_MAX);
	E.hcbuf = efimem_alloc_pages(FUZZ_HCBUF_PAGES, UINT64_MAX);
	if (!E.scratch || !E.hcbuf) {
		fuzz_out_line("ERROR AllocatePages failed");
		return false;
	}
	memset(E.scratch, 0, PAGE_SIZE);
	env_read_cpu();
	env_read_ram();
	if (E.mode == MODE_RECORD) {
		E.out = AllocatePool(E.count * sizeof(struct fuzz_case));
		if (!E.out) {
			fuzz_out_line("ERROR cannot allocate the record (%lu cases)", E.count);
			return false;
		}
		return true;
	}
	if (!env_read_owned())
		fuzz_out_line("INFO OWNED_RANGES failed or returned too many ranges: %u kept", E.owned_count);
	env_find_edges();
	E.page0 = touches_ram_nowrap(0, PAGE_SIZE) && env_claim_page0();
	env_print_memory();
	return E.mode == MODE_LIVE || record_read();
}

static void fuzz_loop(void)
{
	for (uint64_t i = 0; i < E.count; i++) {
		fuzz_one(i);
		if (E.mode != MODE_RECORD && (i + 1) % FUZZ_ALIVE_EVERY == 0)
			fuzz_check_alive(i);
	}
	if (E.mode != MODE_RECORD)
		fuzz_check_alive(E.count - 1);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	bool ok;

	InitializeLib(image, st);
	fuzz_out_init("vmxfuzz", st);
	E.image = image;
	E.seed = 1;
	E.count = FUZZ_DEFAULT_COUNT;
	E.mode = MODE_CHECK;
	ok = parse_options(image);
	path_make();
	probe_init();
	ok = ok && fuzz_mode_fits();
	if (ok)
		fuzz_out_line("INFO mode=%s seed=%lu count=%lu record=%s", mode_names[E.mode], E.seed, E.count,
			      E.mode == MODE_LIVE ? "none" : E.path_ascii);
	ok = ok && fuzz_setup();
	if (ok) {
		fuzz_loop();
		if (E.mode == MODE_RECORD && !record_write())
			E.mismatches++;
	} else {
		E.mismatches++;
	}
	fuzz_summary();
	env_free();
	if (E.out)
		FreePool(E.out);
	if (E.rec)
		FreePool((void *)((const struct fuzz_file_header *)E.rec - 1));
	return E.mismatches + E.hv_failures ? EFI_ABORTED : EFI_SUCCESS;
}
