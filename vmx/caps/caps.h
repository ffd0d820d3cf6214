/* VMX capabilities: snapshot, negotiate, then ask. Pure.
 *
 * 1. Snapshot: vmx_caps_read() (vmx/caps/caps_hw.c) reads CPUID and every VMX capability MSR
 *    once into a struct vmx_caps, reading an MSR only where the SDM says it exists (a read
 *    of a missing MSR raises #GP). Tests build the same struct from recorded numbers with
 *    vmx_caps_collect() and a fake source.
 * 2. Negotiate: vmx_negotiate() turns (snapshot, required, optional) into the control
 *    values to write, or the list of required bits the CPU lacks, each named as in the SDM.
 * 3. Ask: the rest of vmxray asks the predicates below, never the raw MSRs.
 *
 * SDM Vol. 3C, Appendix A "VMX Capability Reporting Facility"; 32.5.1 "Algorithms for
 * Determining VMX Capabilities". */
#ifndef VMXRAY_VMX_CAPS_H
#define VMXRAY_VMX_CAPS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/bits.h"
#include "arch/msr.h"
#include "vmx/vmcs/controls.h"

#define VMX_CAPS_MSR_COUNT (MSR_IA32_VMX_LAST - MSR_IA32_VMX_FIRST + 1)

/* IA32_VMX_BASIC (SDM Vol. 3C, A.1 "Basic VMX Information"). */
#define VMX_BASIC_PHYS_ADDR_32     BIT(48) /* VMXON/VMCS addresses limited to 32 bits */
#define VMX_BASIC_DUAL_MONITOR     BIT(49) /* dual-monitor treatment of SMI and SMM */
#define VMX_BASIC_INS_OUTS_INFO    BIT(54) /* VM-exit instruction information for INS/OUTS */
#define VMX_BASIC_TRUE_CTLS        BIT(55) /* the IA32_VMX_TRUE_*_CTLS MSRs exist */
/* VM entry may deliver any hardware exception with or without an error code. */
#define VMX_BASIC_NO_HW_ERRCODE_CHECK BIT(56)
#define VMX_MEMTYPE_UC 0
#define VMX_MEMTYPE_WB 6

/* IA32_VMX_MISC (SDM Vol. 3C, A.6 "Miscellaneous Data"). */
#define VMX_MISC_STORE_LMA      BIT(5)  /* VM exits store EFER.LMA into "IA-32e mode guest" */
#define VMX_MISC_ACTIVITY_HLT   BIT(6)
#define VMX_MISC_ACTIVITY_SHUTDOWN BIT(7)
#define VMX_MISC_ACTIVITY_WAIT_SIPI BIT(8)
#define VMX_MISC_PT_IN_VMX      BIT(14) /* Intel PT usable in VMX operation */
#define VMX_MISC_SMBASE_READ    BIT(15) /* RDMSR can read IA32_SMBASE in SMM */
#define VMX_MISC_SMM_MONITOR_CTL_B2 BIT(28) /* IA32_SMM_MONITOR_CTL bit 2 can be set */
#define VMX_MISC_VMWRITE_ANY    BIT(29) /* VMWRITE can write VM-exit information fields */
#define VMX_MISC_INJECT_LEN0    BIT(30) /* entry injects soft int/exception with length 0 */

/* IA32_VMX_EPT_VPID_CAP (SDM Vol. 3C, A.10 "VPID and EPT Capabilities"). */
#define VMX_EPT_EXECUTE_ONLY     BIT(0)
#define VMX_EPT_PAGE_WALK_4      BIT(6)
#define VMX_EPT_PAGE_WALK_5      BIT(7)
#define VMX_EPT_MEMTYPE_UC       BIT(8)
#define VMX_EPT_MEMTYPE_WB       BIT(14)
#define VMX_EPT_PDE_2M           BIT(16)
#define VMX_EPT_PDPTE_1G         BIT(17)
#define VMX_EPT_INVEPT           BIT(20)
#define VMX_EPT_AD               BIT(21)
#define VMX_EPT_ADV_EXIT_INFO    BIT(22)
#define VMX_EPT_SUPER_SHSTK      BIT(23)
#define VMX_EPT_INVEPT_SINGLE    BIT(25)
#define VMX_EPT_INVEPT_ALL       BIT(26)
#define VMX_VPID_INVVPID         BIT(32)
#define VMX_VPID_INVVPID_ADDR    BIT(40)
#define VMX_VPID_INVVPID_SINGLE  BIT(41)
#define VMX_VPID_INVVPID_ALL     BIT(42)
#define VMX_VPID_INVVPID_SINGLE_GLOBALS BIT(43)

/* IA32_VMX_VMFUNC (SDM Vol. 3C, A.11 "VM Functions"). */
#define VMX_VMFUNC_EPTP_SWITCHING BIT(0)

/* CPUID facts (SDM Vol. 2A, CPUID). family/model are the display values. */
struct vmx_cpuid_info {
	char vendor[13];
	uint32_t max_leaf, max_ext_leaf;
	uint32_t family, model, stepping;
	bool vmx;        /* CPUID.1:ECX[5] */
	bool smx;        /* CPUID.1:ECX[6] */
	bool x2apic;     /* CPUID.1:ECX[21] */
	bool xsave;      /* CPUID.1:ECX[26] */
	bool osxsave;    /* CPUID.1:ECX[27] */
	bool hypervisor; /* CPUID.1:ECX[31] */
	bool pae;        /* CPUID.1:EDX[6] */
	bool page1gb;    /* CPUID.80000001H:EDX[26] */
	uint8_t maxphyaddr; /* CPUID.80000008H:EAX[7:0], else 36 with PAE or 32 */
	uint8_t linaddr_width; /* CPUID.80000008H:EAX[15:8], else 48 */
};

struct vmx_caps {
	struct vmx_cpuid_info cpu;
	bool feature_control_valid;
	uint64_t feature_control;            /* IA32_FEATURE_CONTROL */
	uint32_t msr_valid;                  /* bit i: MSR_IA32_VMX_FIRST + i was read */
	uint64_t msr[VMX_CAPS_MSR_COUNT];    /* indexed by MSR number - MSR_IA32_VMX_FIRST */
};

/* Where a snapshot comes from: the CPU (caps_hw.c) or a test's recorded numbers. */
struct vmx_cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};
struct vmx_caps_source {
	struct vmx_cpuid_regs (*cpuid)(void *ctx, uint32_t leaf, uint32_t subleaf);
	uint64_t (*rdmsr)(void *ctx, uint32_t msr);
	void *ctx;
};

/* The snapshot of this CPU (vmx/caps/caps_hw.c, the hardware edge). */
void vmx_caps_read(struct vmx_caps *c);

/* Fill c from src: CPUID first, then each MSR that vmx_caps_msr_exists() allows, in
 * ascending order (so each existence rule sees the MSRs it depends on). */
void vmx_caps_collect(struct vmx_caps *c, const struct vmx_caps_source *src);

/* Whether msr may be read, given the CPUID facts and the MSRs already recorded. */
bool vmx_caps_msr_exists(const struct vmx_caps *c, uint32_t msr);
void vmx_caps_set_msr(struct vmx_caps *c, uint32_t msr, uint64_t value);
bool vmx_caps_msr_valid(const struct vmx_caps *c, uint32_t msr);
/* The recorded value, 0 when the MSR was not read. */
uint64_t vmx_caps_msr(const struct vmx_caps *c, uint32_t msr);
/* SDM name ("IA32_VMX_BASIC") of a VMX capability MSR, or NULL. */
const char *vmx_caps_msr_name(uint32_t msr);

/* ---- VMX at all, and whether the firmware lets us use it ---- */

/* SDM Vol. 3C, 24.7 "Enabling and Entering VMX Operation". */
enum vmx_feature_control_state {
	VMX_FEATURE_CONTROL_UNLOCKED,        /* we may enable VMX and set the lock ourselves */
	VMX_FEATURE_CONTROL_LOCKED_ENABLED,  /* lock = 1, VMX outside SMX = 1 */
	VMX_FEATURE_CONTROL_LOCKED_DISABLED, /* lock = 1, VMX outside SMX = 0: VMXON faults */
};

bool vmx_caps_has_vmx(const struct vmx_caps *c);
/* Also LOCKED_DISABLED when the MSR was not read (no VMX, no SMX). */
enum vmx_feature_control_state vmx_caps_feature_control_state(const struct vmx_caps *c);
const char *vmx_feature_control_state_name(enum vmx_feature_control_state s);
/* IA32_FEATURE_CONTROL value that enables VMX outside SMX and locks (state UNLOCKED). */
uint64_t vmx_caps_feature_control_enable_value(const struct vmx_caps *c);
/* One message for the console when VT-x cannot be used at all, NULL when it can. */
const char *vmx_caps_unusable_reason(const struct vmx_caps *c);

/* ---- IA32_VMX_BASIC ---- */
uint32_t vmx_caps_vmcs_revision(const struct vmx_caps *c); /* bits 30:0 */
uint32_t vmx_caps_vmcs_size(const struct vmx_caps *c);     /* bits 44:32, bytes */
unsigned vmx_caps_vmcs_memtype(const struct vmx_caps *c);  /* bits 53:50 */
bool vmx_caps_true_ctls(const struct vmx_caps *c);         /* bit 55 */

/* ---- IA32_VMX_MISC ---- */
/* Bits 8:6 shifted down: bit 0 HLT, bit 1 shutdown, bit 2 wait-for-SIPI. */
unsigned vmx_caps_activity_states(const struct vmx_caps *c);
/* Whether a guest activity state (enum guest_activity, vmx/decode/decode.h) is supported;
 * the active state always is. */
bool vmx_caps_activity_supported(const struct vmx_caps *c, unsigned state);
unsigned vmx_caps_preemption_timer_rate(const struct vmx_caps *c); /* bits 4:0 */
unsigned vmx_caps_cr3_target_count(const struct vmx_caps *c);      /* bits 24:16 */
unsigned vmx_caps_max_msr_list(const struct vmx_caps *c);          /* 512 * (bits 27:25 + 1) */

/* ---- CR0/CR4 in VMX operation (SDM Vol. 3C, A.7 and A.8) ----
 * A bit set in FIXED0 must be 1; a bit clear in FIXED1 must be 0. */
uint64_t vmx_caps_cr0_fixed0(const struct vmx_caps *c);
uint64_t vmx_caps_cr0_fixed1(const struct vmx_caps *c);
uint64_t vmx_caps_cr4_fixed0(const struct vmx_caps *c);
uint64_t vmx_caps_cr4_fixed1(const struct vmx_caps *c);
unsigned vmx_caps_vmcs_max_index(const struct vmx_caps *c); /* IA32_VMX_VMCS_ENUM bits 9:1 */
unsigned vmx_caps_maxphyaddr(const struct vmx_caps *c);
unsigned vmx_caps_linaddr_width(const struct vmx_caps *c);

/* ---- EPT and VPID: each is false unless the control itself is available ---- */
bool vmx_caps_ept(const struct vmx_caps *c);          /* "Enable EPT" allowed-1 */
bool vmx_caps_ept_4level(const struct vmx_caps *c);
bool vmx_caps_ept_5level(const struct vmx_caps *c);
bool vmx_caps_ept_execute_only(const struct vmx_caps *c);
bool vmx_caps_ept_2m(const struct vmx_caps *c);
bool vmx_caps_ept_1g(const struct vmx_caps *c);
bool vmx_caps_ept_wb(const struct vmx_caps *c);
bool vmx_caps_ept_uc(const struct vmx_caps *c);
bool vmx_caps_ept_ad(const struct vmx_caps *c);
bool vmx_caps_invept_single(const struct vmx_caps *c);
bool vmx_caps_invept_all(const struct vmx_caps *c);
bool vmx_caps_vpid(const struct vmx_caps *c);         /* "Enable VPID" allowed-1 */
bool vmx_caps_invvpid_addr(const struct vmx_caps *c);
bool vmx_caps_invvpid_single(const struct vmx_caps *c);
bool vmx_caps_invvpid_all(const struct vmx_caps *c);
/* "Unrestricted guest" allowed-1 together with EPT, which it requires (SDM Vol. 3C,
 * 27.2.1.1 "VM-Execution Control Fields"). */
bool vmx_caps_unrestricted(const struct vmx_caps *c);

/* ---- Controls ----
 * The allowed settings of one control group. allowed0 and allowed1 keep the SDM's sense
 * of the MSR halves (A.3-A.5): a bit set in allowed0 must be 1 (its 0-setting is not
 * allowed); a bit clear in allowed1 must be 0. default1 is the default setting of each
 * bit (A.2 "Reserved Controls and Default Settings"), taken from the non-TRUE MSR. */
struct vmx_ctrl_allowed {
	bool present;  /* the group exists on this CPU */
	uint32_t msr;  /* the MSR the settings came from */
	uint64_t raw;  /* its value */
	uint64_t allowed0, allowed1, default1;
};
bool vmx_caps_ctrl_allowed(const struct vmx_caps *c, enum vmx_ctrl_group g,
			   struct vmx_ctrl_allowed *out);
/* Bits of value that VM entry would reject: set where they must be 0, clear where they
 * must be 1 (SDM Vol. 3C, 27.2.1.1). Every set bit when the group is absent. */
uint64_t vmx_caps_ctrl_bad_bits(const struct vmx_caps *c, enum vmx_ctrl_group g, uint64_t value);

/* What the caller asks for, indexed by group: req.required[VMX_CTRL_PROC2] = ... */
struct vmx_ctrl_request {
	uint64_t required[VMX_CTRL_GROUP_COUNT];
	uint64_t optional[VMX_CTRL_GROUP_COUNT];
};

/* The values to write into the VMCS control fields. */
struct vmx_controls {
	uint32_t pin, proc, proc2;
	uint64_t proc3;
	uint32_t exit, entry;
};
uint64_t vmx_controls_get(const struct vmx_controls *v, enum vmx_ctrl_group g);

#define VMX_MISSING_MAX 32
struct vmx_missing_bit {
	enum vmx_ctrl_group group;
	unsigned bit;
};
struct vmx_missing {
	unsigned count;  /* entries in item[] */
	bool truncated;  /* more were missing than item[] holds */
	struct vmx_missing_bit item[VMX_MISSING_MAX];
};

/* Negotiate every control group (SDM Vol. 3C, 32.5.1, Algorithm 3): bits with a single
 * allowed setting take it; named controls are 1 exactly when required or optional and
 * available; reserved bits keep their default setting. The "activate secondary/tertiary
 * controls" bits are set when the group is used. out is always written (missing required
 * bits left 0); returns false, with the missing required bits in group and bit order,
 * when one is unavailable. */
bool vmx_negotiate(const struct vmx_caps *c, const struct vmx_ctrl_request *req,
		   struct vmx_controls *out, struct vmx_missing *missing);

/* "secondary processor-based VM-execution controls bit 7 (Unrestricted guest)".
 * Returns the length the full text has (like snprintf). */
size_t vmx_missing_describe(const struct vmx_missing_bit *m, char *buf, size_t n);

/* ---- The capability matrix (vmx/study/caps_matrix.c; format documented there) ---- */
#define VMX_CAPS_LINE_MAX 192
typedef void (*vmx_caps_emit_fn)(void *ctx, const char *line);
/* req and used may be NULL (nothing requested, nothing negotiated yet). full: a line for
 * every control bit the CPU or the SDM knows (caps=full); otherwise only for the bits
 * vmxray asks for, used or missing (caps=short, the default: each line costs the launch
 * ~4,300 Bochs ticks on the emulated UART at 115200 baud). */
void vmx_caps_matrix(const struct vmx_caps *c, const struct vmx_ctrl_request *req,
		     const struct vmx_controls *used, bool full, vmx_caps_emit_fn emit, void *ctx);
/* The CAPS INTERCEPTS line: which opt-in intercepts (intercept=) this CPU can do. */
void vmx_caps_matrix_intercepts(const struct vmx_caps *c, vmx_caps_emit_fn emit, void *ctx);

#endif
