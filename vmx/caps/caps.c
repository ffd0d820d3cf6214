/* VMX capability snapshot, negotiation and predicates. Pure: see vmx/caps/caps.h.
 * SDM Vol. 3C, Appendix A "VMX Capability Reporting Facility". */
#include "vmx/caps/caps.h"

#include "arch/cpuid_bits.h"

#include <string.h>

#include "drivers/fmt.h"
#include "vmx/decode/decode.h" /* enum guest_activity */

/* ---- Snapshot ---- */

static const char *const msr_names[VMX_CAPS_MSR_COUNT] = {
	"IA32_VMX_BASIC",          "IA32_VMX_PINBASED_CTLS",      "IA32_VMX_PROCBASED_CTLS",
	"IA32_VMX_EXIT_CTLS",      "IA32_VMX_ENTRY_CTLS",         "IA32_VMX_MISC",
	"IA32_VMX_CR0_FIXED0",     "IA32_VMX_CR0_FIXED1",         "IA32_VMX_CR4_FIXED0",
	"IA32_VMX_CR4_FIXED1",     "IA32_VMX_VMCS_ENUM",          "IA32_VMX_PROCBASED_CTLS2",
	"IA32_VMX_EPT_VPID_CAP",   "IA32_VMX_TRUE_PINBASED_CTLS", "IA32_VMX_TRUE_PROCBASED_CTLS",
	"IA32_VMX_TRUE_EXIT_CTLS", "IA32_VMX_TRUE_ENTRY_CTLS",    "IA32_VMX_VMFUNC",
	"IA32_VMX_PROCBASED_CTLS3",
};
_Static_assert(MSR_IA32_VMX_PROCBASED_CTLS3 - MSR_IA32_VMX_FIRST == 18, "msr_names order");

static bool is_vmx_msr(uint32_t msr)
{
	return msr >= MSR_IA32_VMX_FIRST && msr <= MSR_IA32_VMX_LAST;
}

const char *vmx_caps_msr_name(uint32_t msr)
{
	return is_vmx_msr(msr) ? msr_names[msr - MSR_IA32_VMX_FIRST] : NULL;
}

bool vmx_caps_msr_valid(const struct vmx_caps *c, uint32_t msr)
{
	return is_vmx_msr(msr) && bit_test(c->msr_valid, msr - MSR_IA32_VMX_FIRST);
}

uint64_t vmx_caps_msr(const struct vmx_caps *c, uint32_t msr)
{
	return vmx_caps_msr_valid(c, msr) ? c->msr[msr - MSR_IA32_VMX_FIRST] : 0;
}

void vmx_caps_set_msr(struct vmx_caps *c, uint32_t msr, uint64_t value)
{
	if (!is_vmx_msr(msr))
		return;
	c->msr[msr - MSR_IA32_VMX_FIRST] = value;
	c->msr_valid |= 1u << (msr - MSR_IA32_VMX_FIRST);
}

/* Allowed 1-setting of a control in a 32-bit capability MSR (bits 63:32). The TRUE MSRs
 * report the same allowed 1-settings (A.3.1), so the plain MSR answers for both. */
static bool allowed1(const struct vmx_caps *c, uint32_t msr, uint64_t control)
{
	return (vmx_caps_msr(c, msr) >> 32) & control;
}

static bool proc_allowed1(const struct vmx_caps *c, uint64_t control)
{
	return allowed1(c, MSR_IA32_VMX_PROCBASED_CTLS, control);
}

static bool proc2_allowed1(const struct vmx_caps *c, uint64_t control)
{
	return allowed1(c, MSR_IA32_VMX_PROCBASED_CTLS2, control);
}

/* Existence rules, SDM Vol. 3C, Appendix A: A.1 (TRUE MSRs only if IA32_VMX_BASIC[55]),
 * A.3.3 (PROCBASED_CTLS2 only with "activate secondary controls" allowed-1), A.3.4
 * (PROCBASED_CTLS3 only with "activate tertiary controls" allowed-1), A.10 (EPT_VPID_CAP
 * only with "enable EPT" or "enable VPID" allowed-1), A.11 (VMFUNC only with "enable VM
 * functions" allowed-1). The others exist on every processor that has VMX. */
bool vmx_caps_msr_exists(const struct vmx_caps *c, uint32_t msr)
{
	if (!c->cpu.vmx || !is_vmx_msr(msr))
		return false;
	switch (msr) {
	case MSR_IA32_VMX_PROCBASED_CTLS2:
		return proc_allowed1(c, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS);
	case MSR_IA32_VMX_PROCBASED_CTLS3:
		return proc_allowed1(c, CPU_BASED_ACTIVATE_TERTIARY_CONTROLS);
	case MSR_IA32_VMX_EPT_VPID_CAP:
		return proc2_allowed1(c, SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID);
	case MSR_IA32_VMX_VMFUNC:
		return proc2_allowed1(c, SECONDARY_EXEC_ENABLE_VMFUNC);
	case MSR_IA32_VMX_TRUE_PINBASED_CTLS:
	case MSR_IA32_VMX_TRUE_PROCBASED_CTLS:
	case MSR_IA32_VMX_TRUE_EXIT_CTLS:
	case MSR_IA32_VMX_TRUE_ENTRY_CTLS:
		return vmx_caps_msr(c, MSR_IA32_VMX_BASIC) & VMX_BASIC_TRUE_CTLS;
	default:
		return true;
	}
}

static void decode_vendor(struct vmx_cpuid_info *i, const struct vmx_cpuid_regs *r)
{
	const uint32_t words[3] = { r->ebx, r->edx, r->ecx };

	for (unsigned k = 0; k < 12; k++)
		i->vendor[k] = (char)(words[k / 4] >> (8 * (k % 4)));
	i->vendor[12] = 0;
}

/* Display family and model (SDM Vol. 2A, CPUID, "Processor Version Information"). */
static void decode_signature(struct vmx_cpuid_info *i, uint32_t eax)
{
	uint32_t family = bits_get(eax, 11, 8);
	uint32_t model = bits_get(eax, 7, 4);

	i->stepping = bits_get(eax, 3, 0);
	i->family = family == 0xF ? family + bits_get(eax, 27, 20) : family;
	i->model = (family == 0x6 || family == 0xF) ? (bits_get(eax, 19, 16) << 4) + model : model;
}

static void decode_leaf1(struct vmx_cpuid_info *i, const struct vmx_cpuid_regs *r)
{
	decode_signature(i, r->eax);
	i->vmx = bit_test(r->ecx, CPUID1_ECX_VMX_BIT);
	i->smx = bit_test(r->ecx, CPUID1_ECX_SMX_BIT);
	i->x2apic = bit_test(r->ecx, CPUID1_ECX_X2APIC_BIT);
	i->xsave = bit_test(r->ecx, CPUID1_ECX_XSAVE_BIT);
	i->osxsave = bit_test(r->ecx, CPUID1_ECX_OSXSAVE_BIT);
	i->hypervisor = bit_test(r->ecx, CPUID1_ECX_HYPERVISOR_BIT);
	i->pae = bit_test(r->edx, CPUID1_EDX_PAE_BIT);
}

static struct vmx_cpuid_regs src_cpuid(const struct vmx_caps_source *s, uint32_t leaf)
{
	return s->cpuid(s->ctx, leaf, 0);
}

static void collect_cpuid(struct vmx_cpuid_info *i, const struct vmx_caps_source *s)
{
	struct vmx_cpuid_regs r = src_cpuid(s, 0);

	i->max_leaf = r.eax;
	decode_vendor(i, &r);
	if (i->max_leaf >= 1) {
		r = src_cpuid(s, 1);
		decode_leaf1(i, &r);
	}
	i->max_ext_leaf = src_cpuid(s, 0x80000000u).eax;
	if (i->max_ext_leaf >= 0x80000001u)
		i->page1gb = bit_test(src_cpuid(s, 0x80000001u).edx, CPUID80000001_EDX_PAGE1GB_BIT);
	/* SDM Vol. 3A, 4.1.4: "For processors that do not support CPUID function 80000008H,
	 * the width is generally 36 if CPUID.01H:EDX.PAE [bit 6] = 1 and 32 otherwise." */
	i->maxphyaddr = i->pae ? 36 : 32;
	i->linaddr_width = 48;
	if (i->max_ext_leaf >= 0x80000008u) {
		r = src_cpuid(s, 0x80000008u);
		i->maxphyaddr = (uint8_t)bits_get(r.eax, 7, 0);
		i->linaddr_width = (uint8_t)bits_get(r.eax, 15, 8);
	}
}

void vmx_caps_collect(struct vmx_caps *c, const struct vmx_caps_source *src)
{
	memset(c, 0, sizeof(*c));
	collect_cpuid(&c->cpu, src);
	/* IA32_FEATURE_CONTROL exists when CPUID.1:ECX.VMX or .SMX is 1 (SDM Vol. 4). */
	if (c->cpu.vmx || c->cpu.smx) {
		c->feature_control = src->rdmsr(src->ctx, MSR_IA32_FEATURE_CONTROL);
		c->feature_control_valid = true;
	}
	for (uint32_t msr = MSR_IA32_VMX_FIRST; msr <= MSR_IA32_VMX_LAST; msr++)
		if (vmx_caps_msr_exists(c, msr))
			vmx_caps_set_msr(c, msr, src->rdmsr(src->ctx, msr));
}

/* ---- VMX at all ---- */

bool vmx_caps_has_vmx(const struct vmx_caps *c)
{
	return c->cpu.vmx;
}

/* SDM Vol. 3C, 24.7: "If the lock bit is clear, VMXON causes a general-protection
 * exception"; with the lock set, "if bit 2 is clear, VMXON outside SMX operation causes
 * a general-protection exception". An unlocked MSR can still be written by us. */
enum vmx_feature_control_state vmx_caps_feature_control_state(const struct vmx_caps *c)
{
	uint64_t fc = c->feature_control;

	if (!c->feature_control_valid)
		return VMX_FEATURE_CONTROL_LOCKED_DISABLED;
	if (!(fc & FEATURE_CONTROL_LOCK))
		return VMX_FEATURE_CONTROL_UNLOCKED;
	if (fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)
		return VMX_FEATURE_CONTROL_LOCKED_ENABLED;
	return VMX_FEATURE_CONTROL_LOCKED_DISABLED;
}

const char *vmx_feature_control_state_name(enum vmx_feature_control_state s)
{
	switch (s) {
	case VMX_FEATURE_CONTROL_UNLOCKED:
		return "unlocked";
	case VMX_FEATURE_CONTROL_LOCKED_ENABLED:
		return "locked-enabled";
	case VMX_FEATURE_CONTROL_LOCKED_DISABLED:
		return "locked-disabled";
	}
	return "?";
}

uint64_t vmx_caps_feature_control_enable_value(const struct vmx_caps *c)
{
	return c->feature_control | FEATURE_CONTROL_VMX_OUTSIDE_SMX | FEATURE_CONTROL_LOCK;
}

const char *vmx_caps_unusable_reason(const struct vmx_caps *c)
{
	if (!vmx_caps_has_vmx(c))
		return "this CPU does not support VT-x (CPUID.1:ECX.VMX[bit 5] = 0)";
	if (vmx_caps_feature_control_state(c) == VMX_FEATURE_CONTROL_LOCKED_DISABLED)
		return "VT-x is disabled in the firmware setup "
		       "(IA32_FEATURE_CONTROL is locked with VMX disabled)";
	return NULL;
}

/* ---- IA32_VMX_BASIC, MISC, fixed bits ---- */

static uint64_t basic(const struct vmx_caps *c)
{
	return vmx_caps_msr(c, MSR_IA32_VMX_BASIC);
}

static uint64_t misc(const struct vmx_caps *c)
{
	return vmx_caps_msr(c, MSR_IA32_VMX_MISC);
}

uint32_t vmx_caps_vmcs_revision(const struct vmx_caps *c)
{
	return (uint32_t)bits_get(basic(c), 30, 0);
}

uint32_t vmx_caps_vmcs_size(const struct vmx_caps *c)
{
	return (uint32_t)bits_get(basic(c), 44, 32);
}

unsigned vmx_caps_vmcs_memtype(const struct vmx_caps *c)
{
	return (unsigned)bits_get(basic(c), 53, 50);
}

bool vmx_caps_true_ctls(const struct vmx_caps *c)
{
	return basic(c) & VMX_BASIC_TRUE_CTLS;
}

unsigned vmx_caps_activity_states(const struct vmx_caps *c)
{
	return (unsigned)bits_get(misc(c), 8, 6);
}

bool vmx_caps_activity_supported(const struct vmx_caps *c, unsigned state)
{
	if (state == GUEST_ACTIVITY_ACTIVE)
		return true;
	return state <= GUEST_ACTIVITY_WAIT_SIPI && bit_test(misc(c), 5 + state);
}

unsigned vmx_caps_preemption_timer_rate(const struct vmx_caps *c)
{
	return (unsigned)bits_get(misc(c), 4, 0);
}

unsigned vmx_caps_cr3_target_count(const struct vmx_caps *c)
{
	return (unsigned)bits_get(misc(c), 24, 16);
}

/* A.6: "If N is the value of bits 27:25, the recommended maximum number of MSRs ... is
 * 512 * (N + 1)". */
unsigned vmx_caps_max_msr_list(const struct vmx_caps *c)
{
	return 512u * ((unsigned)bits_get(misc(c), 27, 25) + 1);
}

uint64_t vmx_caps_cr0_fixed0(const struct vmx_caps *c)
{
	return vmx_caps_msr(c, MSR_IA32_VMX_CR0_FIXED0);
}

uint64_t vmx_caps_cr0_fixed1(const struct vmx_caps *c)
{
	return vmx_caps_msr(c, MSR_IA32_VMX_CR0_FIXED1);
}

uint64_t vmx_caps_cr4_fixed0(const struct vmx_caps *c)
{
	return vmx_caps_msr(c, MSR_IA32_VMX_CR4_FIXED0);
}

uint64_t vmx_caps_cr4_fixed1(const struct vmx_caps *c)
{
	return vmx_caps_msr(c, MSR_IA32_VMX_CR4_FIXED1);
}

unsigned vmx_caps_vmcs_max_index(const struct vmx_caps *c)
{
	return (unsigned)bits_get(vmx_caps_msr(c, MSR_IA32_VMX_VMCS_ENUM), 9, 1);
}

unsigned vmx_caps_maxphyaddr(const struct vmx_caps *c)
{
	return c->cpu.maxphyaddr;
}

unsigned vmx_caps_linaddr_width(const struct vmx_caps *c)
{
	return c->cpu.linaddr_width;
}

/* ---- EPT and VPID ---- */

static bool ept_vpid_cap(const struct vmx_caps *c, uint64_t bits)
{
	return (vmx_caps_msr(c, MSR_IA32_VMX_EPT_VPID_CAP) & bits) == bits;
}

bool vmx_caps_ept(const struct vmx_caps *c)
{
	return proc2_allowed1(c, SECONDARY_EXEC_ENABLE_EPT) &&
	       vmx_caps_msr_valid(c, MSR_IA32_VMX_EPT_VPID_CAP);
}

static bool ept_has(const struct vmx_caps *c, uint64_t bits)
{
	return vmx_caps_ept(c) && ept_vpid_cap(c, bits);
}

bool vmx_caps_ept_4level(const struct vmx_caps *c)
{
	return ept_has(c, VMX_EPT_PAGE_WALK_4);
}

bool vmx_caps_ept_5level(const struct vmx_caps *c)
{
	return ept_has(c, VMX_EPT_PAGE_WALK_5);
}

bool vmx_caps_ept_execute_only(const struct vmx_caps *c)
{
	return ept_has(c, VMX_EPT_EXECUTE_ONLY);
}

bool vmx_caps_ept_2m(const struct vmx_caps *c)
{
	return ept_has(c, VMX_EPT_PDE_2M);
}

bool vmx_caps_ept_1g(const struct vmx_caps *c)
{
	return ept_has(c, VMX_EPT_PDPTE_1G);
}

bool vmx_caps_ept_wb(const struct vmx_caps *c)
{
	return ept_has(c, VMX_EPT_MEMTYPE_WB);
}

bool vmx_caps_ept_uc(const struct vmx_caps *c)
{
	return ept_has(c, VMX_EPT_MEMTYPE_UC);
}

bool vmx_caps_ept_ad(const struct vmx_caps *c)
{
	return ept_has(c, VMX_EPT_AD);
}

bool vmx_caps_invept_single(const struct vmx_caps *c)
{
	return ept_has(c, VMX_EPT_INVEPT | VMX_EPT_INVEPT_SINGLE);
}

bool vmx_caps_invept_all(const struct vmx_caps *c)
{
	return ept_has(c, VMX_EPT_INVEPT | VMX_EPT_INVEPT_ALL);
}

bool vmx_caps_vpid(const struct vmx_caps *c)
{
	return proc2_allowed1(c, SECONDARY_EXEC_ENABLE_VPID) &&
	       vmx_caps_msr_valid(c, MSR_IA32_VMX_EPT_VPID_CAP);
}

static bool vpid_has(const struct vmx_caps *c, uint64_t bits)
{
	return vmx_caps_vpid(c) && ept_vpid_cap(c, VMX_VPID_INVVPID | bits);
}

bool vmx_caps_invvpid_addr(const struct vmx_caps *c)
{
	return vpid_has(c, VMX_VPID_INVVPID_ADDR);
}

bool vmx_caps_invvpid_single(const struct vmx_caps *c)
{
	return vpid_has(c, VMX_VPID_INVVPID_SINGLE);
}

bool vmx_caps_invvpid_all(const struct vmx_caps *c)
{
	return vpid_has(c, VMX_VPID_INVVPID_ALL);
}

bool vmx_caps_unrestricted(const struct vmx_caps *c)
{
	return proc2_allowed1(c, SECONDARY_EXEC_UNRESTRICTED_GUEST) && vmx_caps_ept(c);
}

/* ---- Control groups ---- */

struct group_msrs {
	uint32_t plain, true_msr; /* true_msr 0: the group has none */
};

static const struct group_msrs group_msrs[VMX_CTRL_GROUP_COUNT] = {
	[VMX_CTRL_PIN] = { MSR_IA32_VMX_PINBASED_CTLS, MSR_IA32_VMX_TRUE_PINBASED_CTLS },
	[VMX_CTRL_PROC] = { MSR_IA32_VMX_PROCBASED_CTLS, MSR_IA32_VMX_TRUE_PROCBASED_CTLS },
	[VMX_CTRL_PROC2] = { MSR_IA32_VMX_PROCBASED_CTLS2, 0 },
	[VMX_CTRL_PROC3] = { MSR_IA32_VMX_PROCBASED_CTLS3, 0 },
	[VMX_CTRL_EXIT] = { MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_TRUE_EXIT_CTLS },
	[VMX_CTRL_ENTRY] = { MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_TRUE_ENTRY_CTLS },
};

/* A.3.4: IA32_VMX_PROCBASED_CTLS3 reports only allowed 1-settings, all 64 bits of it;
 * every tertiary control may be 0. */
static void tertiary_allowed(const struct vmx_caps *c, struct vmx_ctrl_allowed *a)
{
	a->raw = vmx_caps_msr(c, MSR_IA32_VMX_PROCBASED_CTLS3);
	a->allowed1 = a->raw;
}

/* A.3-A.5: bits 31:0 the allowed 0-settings, bits 63:32 the allowed 1-settings. With
 * IA32_VMX_BASIC[55] = 1 the TRUE MSR says which default1 bits may in fact be 0 (A.2). */
static void split_allowed(const struct vmx_caps *c, enum vmx_ctrl_group g,
			  struct vmx_ctrl_allowed *a)
{
	uint64_t plain = vmx_caps_msr(c, a->msr);

	a->default1 = bits_get(plain, 31, 0);
	if (group_msrs[g].true_msr && vmx_caps_true_ctls(c))
		a->msr = group_msrs[g].true_msr;
	a->raw = vmx_caps_msr(c, a->msr);
	a->allowed0 = bits_get(a->raw, 31, 0);
	a->allowed1 = bits_get(a->raw, 63, 32);
}

bool vmx_caps_ctrl_allowed(const struct vmx_caps *c, enum vmx_ctrl_group g,
			   struct vmx_ctrl_allowed *out)
{
	memset(out, 0, sizeof(*out));
	if ((unsigned)g >= VMX_CTRL_GROUP_COUNT)
		return false;
	out->msr = group_msrs[g].plain;
	out->present = vmx_caps_msr_valid(c, out->msr);
	if (!out->present)
		return false;
	if (g == VMX_CTRL_PROC3)
		tertiary_allowed(c, out);
	else
		split_allowed(c, g, out);
	return true;
}

uint64_t vmx_caps_ctrl_bad_bits(const struct vmx_caps *c, enum vmx_ctrl_group g, uint64_t value)
{
	struct vmx_ctrl_allowed a;

	if (!vmx_caps_ctrl_allowed(c, g, &a))
		return value; /* an absent group allows no bit to be 1 */
	return (value & ~a.allowed1) | (~value & a.allowed0);
}

uint64_t vmx_controls_get(const struct vmx_controls *v, enum vmx_ctrl_group g)
{
	switch (g) {
	case VMX_CTRL_PIN:
		return v->pin;
	case VMX_CTRL_PROC:
		return v->proc;
	case VMX_CTRL_PROC2:
		return v->proc2;
	case VMX_CTRL_PROC3:
		return v->proc3;
	case VMX_CTRL_EXIT:
		return v->exit;
	case VMX_CTRL_ENTRY:
		return v->entry;
	default:
		return 0;
	}
}

/* ---- Negotiation ---- */

/* Bits of a group that vmx/vmcs/controls.def names: the controls whose meaning we know. */
static uint64_t named_bits(enum vmx_ctrl_group g)
{
	uint64_t m = 0;

	for (size_t i = 0; i < vmx_ctrl_count; i++)
		if (vmx_ctrl_table[i].group == g)
			m |= BIT(vmx_ctrl_table[i].bit);
	return m;
}

/* SDM Vol. 3C, 32.5.1, Algorithm 3, step c: "If the relevant VMX capability MSR reports
 * that a control has a single setting, use that setting"; a flexible control "known to
 * the VMM" is set "based on functionality desired"; a flexible control whose meaning "is
 * not known to the VMM" is set "to its default setting". So a named default1 control
 * that the TRUE MSR lets be 0 (CR3-load exiting, say) is 0 unless asked for. */
static uint64_t group_value(const struct vmx_ctrl_allowed *a, enum vmx_ctrl_group g,
			    uint64_t wanted)
{
	uint64_t flexible = a->allowed1 & ~a->allowed0;
	uint64_t unknown_default1 = flexible & a->default1 & ~named_bits(g);

	return a->allowed0 | (wanted & a->allowed1) | unknown_default1;
}

struct negotiation {
	uint64_t required[VMX_CTRL_GROUP_COUNT];
	uint64_t optional[VMX_CTRL_GROUP_COUNT];
	uint64_t value[VMX_CTRL_GROUP_COUNT];
	uint64_t missing[VMX_CTRL_GROUP_COUNT];
};

static void negotiate_group(const struct vmx_caps *c, struct negotiation *n, enum vmx_ctrl_group g)
{
	struct vmx_ctrl_allowed a;

	vmx_caps_ctrl_allowed(c, g, &a); /* an absent group allows nothing */
	n->missing[g] = n->required[g] & ~a.allowed1;
	n->value[g] = a.present ? group_value(&a, g, n->required[g] | n->optional[g]) : 0;
}

/* A secondary or tertiary group is used only through its "activate" bit in the primary
 * controls (SDM Vol. 3C, 25.6.2 "Processor-Based VM-Execution Controls"): required when
 * any of its bits is required (so a CPU without the group reports the activate bit as
 * missing too), optional when the group ends up with any bit set. */
static void request_activation(struct negotiation *n, enum vmx_ctrl_group g, uint64_t activate)
{
	if (n->required[g])
		n->required[VMX_CTRL_PROC] |= activate;
	else if (n->value[g])
		n->optional[VMX_CTRL_PROC] |= activate;
}

static void missing_add(struct vmx_missing *m, enum vmx_ctrl_group g, uint64_t bits)
{
	for (unsigned bit = 0; bit < 64; bit++) {
		if (!bit_test(bits, bit))
			continue;
		if (m->count == VMX_MISSING_MAX) {
			m->truncated = true;
			return;
		}
		m->item[m->count++] = (struct vmx_missing_bit){ g, bit };
	}
}

static void controls_store(struct vmx_controls *out, const uint64_t *v)
{
	out->pin = (uint32_t)v[VMX_CTRL_PIN];
	out->proc = (uint32_t)v[VMX_CTRL_PROC];
	out->proc2 = (uint32_t)v[VMX_CTRL_PROC2];
	out->proc3 = v[VMX_CTRL_PROC3];
	out->exit = (uint32_t)v[VMX_CTRL_EXIT];
	out->entry = (uint32_t)v[VMX_CTRL_ENTRY];
}

bool vmx_negotiate(const struct vmx_caps *c, const struct vmx_ctrl_request *req,
		   struct vmx_controls *out, struct vmx_missing *missing)
{
	struct negotiation n = { 0 };

	memcpy(n.required, req->required, sizeof(n.required));
	memcpy(n.optional, req->optional, sizeof(n.optional));
	negotiate_group(c, &n, VMX_CTRL_PROC2);
	negotiate_group(c, &n, VMX_CTRL_PROC3);
	request_activation(&n, VMX_CTRL_PROC2, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS);
	request_activation(&n, VMX_CTRL_PROC3, CPU_BASED_ACTIVATE_TERTIARY_CONTROLS);
	negotiate_group(c, &n, VMX_CTRL_PIN);
	negotiate_group(c, &n, VMX_CTRL_PROC);
	negotiate_group(c, &n, VMX_CTRL_EXIT);
	negotiate_group(c, &n, VMX_CTRL_ENTRY);
	/* With the activate bit 0 the group's field is ignored; keep it 0 too. */
	if (!(n.value[VMX_CTRL_PROC] & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))
		n.value[VMX_CTRL_PROC2] = 0;
	if (!(n.value[VMX_CTRL_PROC] & CPU_BASED_ACTIVATE_TERTIARY_CONTROLS))
		n.value[VMX_CTRL_PROC3] = 0;
	controls_store(out, n.value);
	memset(missing, 0, sizeof(*missing));
	for (unsigned g = 0; g < VMX_CTRL_GROUP_COUNT; g++)
		missing_add(missing, (enum vmx_ctrl_group)g, n.missing[g]);
	return missing->count == 0;
}

size_t vmx_missing_describe(const struct vmx_missing_bit *m, char *buf, size_t n)
{
	const char *text = vmx_ctrl_text(m->group, m->bit);

	return fmt_snprintf(buf, n, "%s bit %u (%s)", vmx_ctrl_group_name(m->group), m->bit,
			    text ? text : "reserved");
}
