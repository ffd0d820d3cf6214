/* VM-entry checks on the guest-state area other than the segment registers: SDM Vol. 3C,
 * 27.3.1.1 "Checks on Guest Control Registers, Debug Registers, and MSRs", 27.3.1.3
 * "Checks on Guest Descriptor-Table Registers", 27.3.1.4 "Checks on Guest RIP, RFLAGS, and
 * SSP", 27.3.1.5 "Checks on Guest Non-Register State", 27.3.1.6 "Checks on Guest
 * Page-Directory-Pointer-Table Entries". Pure. */
#include "arch/bits.h"
#include "arch/cr.h"
#include "arch/msr.h"
#include "vmx/checker/checker_internal.h"

/* ---- 27.3.1.1 ---- */

#define EFER_DEFINED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
/* IA32_DEBUGCTL bits defined on processors with VMX: 0 LBR, 1 BTF, 15:6 (SDM Vol. 3B,
 * 18.4.1 "IA32_DEBUGCTL MSR"); 5:2 and 63:16 are reserved. */
#define DEBUGCTL_DEFINED (bits_mask(1, 0) | bits_mask(15, 6))
#define DEBUGCTL_BTF BIT(1)

static void guest_cr0_cr4(struct check *c)
{
	const char *sec = VMX_CHECK_SEC_GUEST_CR;
	const struct vmx_caps *k = c->caps;
	uint64_t cr0 = check_get(c, GUEST_CR0), cr4 = check_get(c, GUEST_CR4);
	/* "If bit 31 in the primary processor-based VM-execution controls is 1 and the
	 * 'unrestricted guest' VM-execution control is 1, bits 31 (PG) and 0 (PE) of the CR0
	 * field are not checked against IA32_VMX_CR0_FIXED0". */
	uint64_t exempt = c->unrestricted ? CR0_PE | CR0_PG : 0;

	check_no_bits(c, check_fixed_bits(cr0, vmx_caps_cr0_fixed0(k), vmx_caps_cr0_fixed1(k)) & ~exempt,
		      sec, "guest CR0 must set every bit IA32_VMX_CR0_FIXED0 sets and no bit IA32_VMX_CR0_FIXED1 clears (PE and PG exempt with \"unrestricted guest\" = 1)",
		      GUEST_CR0);
	check_expect(c, !(cr0 & CR0_PG) || (cr0 & CR0_PE), sec, "CR0.PG = 1 requires CR0.PE = 1",
		     GUEST_CR0);
	check_no_bits(c, check_fixed_bits(cr4, vmx_caps_cr4_fixed0(k), vmx_caps_cr4_fixed1(k)), sec,
		      "guest CR4 must set every bit IA32_VMX_CR4_FIXED0 sets and no bit IA32_VMX_CR4_FIXED1 clears",
		      GUEST_CR4);
	check_expect(c, !(cr4 & CHECK_CR4_CET) || (cr0 & CR0_WP), sec,
		     "CR4.CET = 1 requires CR0.WP = 1", GUEST_CR0);
}

static void guest_paging_mode(struct check *c)
{
	const char *sec = VMX_CHECK_SEC_GUEST_CR;
	uint64_t cr0 = check_get(c, GUEST_CR0), cr4 = check_get(c, GUEST_CR4);

	if (c->ia32e) {
		check_expect(c, cr0 & CR0_PG, sec, "with \"IA-32e mode guest\" = 1, CR0.PG must be 1",
			     GUEST_CR0);
		check_expect(c, cr4 & CR4_PAE, sec, "with \"IA-32e mode guest\" = 1, CR4.PAE must be 1",
			     GUEST_CR4);
	} else {
		check_expect(c, !(cr4 & CR4_PCIDE), sec,
			     "with \"IA-32e mode guest\" = 0, CR4.PCIDE must be 0", GUEST_CR4);
	}
	check_no_bits(c, check_get(c, GUEST_CR3) & check_phys_reserved(c), sec,
		      "guest CR3 bits 63:MAXPHYADDR must be 0", GUEST_CR3);
}

static void guest_debug(struct check *c)
{
	const char *sec = VMX_CHECK_SEC_GUEST_CR;

	if (!(c->entry & VM_ENTRY_LOAD_DEBUG_CONTROLS))
		return;
	check_no_bits(c, check_get(c, GUEST_IA32_DEBUGCTL) & ~DEBUGCTL_DEFINED, sec,
		      "with \"load debug controls\" = 1, reserved bits of IA32_DEBUGCTL (5:2, 63:16) must be 0",
		      GUEST_IA32_DEBUGCTL);
	check_no_bits(c, check_get(c, GUEST_DR7) & bits_mask(63, 32), sec,
		      "with \"load debug controls\" = 1, DR7 bits 63:32 must be 0", GUEST_DR7);
}

static void guest_efer(struct check *c)
{
	const char *sec = VMX_CHECK_SEC_GUEST_CR;
	uint64_t efer = check_get(c, GUEST_IA32_EFER);
	bool pg = check_get(c, GUEST_CR0) & CR0_PG;

	check_no_bits(c, efer & ~EFER_DEFINED, sec,
		      "with \"load IA32_EFER\" = 1, reserved bits of the guest IA32_EFER must be 0",
		      GUEST_IA32_EFER);
	check_expect(c, (bool)(efer & EFER_LMA) == c->ia32e, sec,
		     "with \"load IA32_EFER\" = 1, IA32_EFER.LMA must equal \"IA-32e mode guest\"",
		     GUEST_IA32_EFER);
	check_expect(c, !pg || (bool)(efer & EFER_LMA) == (bool)(efer & EFER_LME), sec,
		     "with \"load IA32_EFER\" = 1 and CR0.PG = 1, IA32_EFER.LMA must equal IA32_EFER.LME",
		     GUEST_IA32_EFER);
}

static void guest_msrs(struct check *c)
{
	const char *sec = VMX_CHECK_SEC_GUEST_CR;
	uint64_t bndcfgs = check_get(c, GUEST_BNDCFGS);

	check_expect(c, check_canonical(c, check_get(c, GUEST_SYSENTER_ESP)), sec,
		     "the guest IA32_SYSENTER_ESP must be canonical", GUEST_SYSENTER_ESP);
	check_expect(c, check_canonical(c, check_get(c, GUEST_SYSENTER_EIP)), sec,
		     "the guest IA32_SYSENTER_EIP must be canonical", GUEST_SYSENTER_EIP);
	if (c->entry & VM_ENTRY_LOAD_IA32_PAT)
		check_expect(c, check_pat_valid(check_get(c, GUEST_IA32_PAT)), sec,
			     "with \"load IA32_PAT\" = 1, every byte of the guest IA32_PAT must be 0, 1, 4, 5, 6 or 7",
			     GUEST_IA32_PAT);
	if (c->entry & VM_ENTRY_LOAD_IA32_EFER)
		guest_efer(c);
	if (c->entry & VM_ENTRY_LOAD_BNDCFGS)
		check_expect(c, !(bndcfgs & bits_mask(11, 2)) && check_canonical(c, bndcfgs & ~0xFFFULL),
			     sec, "with \"load IA32_BNDCFGS\" = 1, IA32_BNDCFGS bits 11:2 must be 0 and its base canonical",
			     GUEST_BNDCFGS);
}

void check_guest_cr(struct check *c)
{
	guest_cr0_cr4(c);
	guest_paging_mode(c);
	guest_debug(c);
	guest_msrs(c);
}

/* ---- 27.3.1.3 and 27.3.1.4 ---- */

static void guest_descriptor_tables(struct check *c)
{
	const char *sec = VMX_CHECK_SEC_GUEST_DT;

	check_expect(c, check_canonical(c, check_get(c, GUEST_GDTR_BASE)), sec,
		     "the GDTR base address must be canonical", GUEST_GDTR_BASE);
	check_expect(c, check_canonical(c, check_get(c, GUEST_IDTR_BASE)), sec,
		     "the IDTR base address must be canonical", GUEST_IDTR_BASE);
	check_no_bits(c, check_get(c, GUEST_GDTR_LIMIT) & bits_mask(31, 16), sec,
		      "GDTR limit bits 31:16 must be 0", GUEST_GDTR_LIMIT);
	check_no_bits(c, check_get(c, GUEST_IDTR_LIMIT) & bits_mask(31, 16), sec,
		      "IDTR limit bits 31:16 must be 0", GUEST_IDTR_LIMIT);
}

/* RFLAGS bits 63:22, 15, 5 and 3 are reserved. */
#define RFLAGS_RESERVED (bits_mask(63, 22) | BIT(15) | BIT(5) | BIT(3))

static void guest_rip_rflags(struct check *c)
{
	const char *sec = VMX_CHECK_SEC_GUEST_RIP;
	uint64_t rip = check_get(c, GUEST_RIP), rflags = check_get(c, GUEST_RFLAGS);
	bool cs_l = seg_ar_decode((uint32_t)check_get(c, GUEST_CS_AR_BYTES)).l;

	if (c->ia32e && cs_l)
		check_expect(c, check_canonical(c, rip), sec,
			     "with \"IA-32e mode guest\" = 1 and CS.L = 1, RIP must be canonical", GUEST_RIP);
	else
		check_no_bits(c, rip & bits_mask(63, 32), sec,
			      "with \"IA-32e mode guest\" = 0 or CS.L = 0, RIP bits 63:32 must be 0", GUEST_RIP);
	check_no_bits(c, rflags & RFLAGS_RESERVED, sec,
		      "RFLAGS bits 63:22, 15, 5 and 3 are reserved and must be 0", GUEST_RFLAGS);
	check_expect(c, rflags & RFLAGS_FIXED, sec, "RFLAGS bit 1 must be 1", GUEST_RFLAGS);
	check_expect(c, !c->v86 || (!c->ia32e && (check_get(c, GUEST_CR0) & CR0_PE)), sec,
		     "RFLAGS.VM must be 0 with \"IA-32e mode guest\" = 1 or CR0.PE = 0", GUEST_RFLAGS);
	check_expect(c, !(c->event.valid && c->event.type == INTR_TYPE_EXT_INTR) || (rflags & RFLAGS_IF),
		     sec, "injecting an external interrupt requires RFLAGS.IF = 1", GUEST_RFLAGS);
}

void check_guest_dt_rip(struct check *c)
{
	guest_descriptor_tables(c);
	guest_rip_rflags(c);
}

/* ---- 27.3.1.5 Checks on Guest Non-Register State ---- */

#define NONREG VMX_CHECK_SEC_GUEST_NONREG

static bool event_allowed_in(const struct intr_info *e, unsigned activity)
{
	if (activity == GUEST_ACTIVITY_WAIT_SIPI)
		return false;
	if (activity == GUEST_ACTIVITY_SHUTDOWN)
		return e->type == INTR_TYPE_NMI_INTR ||
		       (e->type == INTR_TYPE_HARD_EXCEPTION && e->vector == 18);
	return true;
}

static void guest_activity(struct check *c)
{
	uint64_t act = check_get(c, GUEST_ACTIVITY_STATE);
	uint64_t intr = check_get(c, GUEST_INTERRUPTIBILITY_INFO);
	unsigned ss_dpl = seg_ar_decode((uint32_t)check_get(c, GUEST_SS_AR_BYTES)).dpl;
	bool supported = act <= GUEST_ACTIVITY_WAIT_SIPI &&
			 vmx_caps_activity_supported(c->caps, (unsigned)act);

	check_expect(c, supported, NONREG,
		     "the activity state must be active (0) or a state IA32_VMX_MISC[8:6] supports",
		     GUEST_ACTIVITY_STATE);
	check_expect(c, act != GUEST_ACTIVITY_HLT || ss_dpl == 0, NONREG,
		     "the HLT activity state requires SS.DPL = 0", GUEST_ACTIVITY_STATE);
	check_expect(c, act == GUEST_ACTIVITY_ACTIVE || !(intr & bits_mask(1, 0)), NONREG,
		     "blocking by STI or by MOV SS requires the active state", GUEST_ACTIVITY_STATE);
	check_expect(c, !c->event.valid || event_allowed_in(&c->event, (unsigned)act), NONREG,
		     "the injected event must be one the activity state allows (shutdown: NMI or #MC; wait-for-SIPI: none)",
		     GUEST_ACTIVITY_STATE);
}

static void guest_interruptibility(struct check *c)
{
	uint32_t v = (uint32_t)check_get(c, GUEST_INTERRUPTIBILITY_INFO);
	struct interruptibility b = interruptibility_decode(v);
	const struct intr_info *e = &c->event;
	bool if_flag = check_get(c, GUEST_RFLAGS) & RFLAGS_IF;

	check_no_bits(c, v & bits_mask(31, 5), NONREG,
		      "interruptibility-state bits 31:5 are reserved and must be 0", GUEST_INTERRUPTIBILITY_INFO);
	check_expect(c, !(b.sti && b.mov_ss), NONREG,
		     "blocking by STI and blocking by MOV SS must not both be 1", GUEST_INTERRUPTIBILITY_INFO);
	check_expect(c, !b.sti || if_flag, NONREG, "blocking by STI requires RFLAGS.IF = 1",
		     GUEST_INTERRUPTIBILITY_INFO);
	check_expect(c, !b.smi, NONREG, "blocking by SMI must be 0 outside SMM",
		     GUEST_INTERRUPTIBILITY_INFO);
	if (!e->valid)
		return;
	check_expect(c, e->type != INTR_TYPE_EXT_INTR || !(b.sti || b.mov_ss), NONREG,
		     "injecting an external interrupt requires no blocking by STI or by MOV SS",
		     GUEST_INTERRUPTIBILITY_INFO);
	check_expect(c, e->type != INTR_TYPE_NMI_INTR || !b.mov_ss, NONREG,
		     "injecting an NMI requires no blocking by MOV SS", GUEST_INTERRUPTIBILITY_INFO);
	check_expect(c, e->type != INTR_TYPE_NMI_INTR || !(c->pin & PIN_BASED_VIRTUAL_NMIS) || !b.nmi,
		     NONREG, "with \"virtual NMIs\" = 1, injecting an NMI requires blocking by NMI = 0",
		     GUEST_INTERRUPTIBILITY_INFO);
}

/* Pending debug exceptions: bits 3:0 B3-B0, 12 enabled breakpoint, 14 BS, 16 RTM. */
#define PENDING_DBG_RESERVED (bits_mask(11, 4) | BIT(13) | BIT(15) | bits_mask(63, 17))
#define PENDING_DBG_BS BIT(14)

static void guest_pending_debug(struct check *c)
{
	uint64_t v = check_get(c, GUEST_PENDING_DBG_EXCEPTIONS);
	bool blocking = check_get(c, GUEST_INTERRUPTIBILITY_INFO) & bits_mask(1, 0);
	bool hlt = check_get(c, GUEST_ACTIVITY_STATE) == GUEST_ACTIVITY_HLT;
	bool tf = check_get(c, GUEST_RFLAGS) & RFLAGS_TF;
	bool btf = check_get(c, GUEST_IA32_DEBUGCTL) & DEBUGCTL_BTF;

	check_no_bits(c, v & PENDING_DBG_RESERVED, NONREG,
		      "pending debug exceptions bits 11:4, 13, 15 and 63:17 are reserved and must be 0",
		      GUEST_PENDING_DBG_EXCEPTIONS);
	if (!blocking && !hlt)
		return;
	check_expect(c, !(tf && !btf) || (v & PENDING_DBG_BS), NONREG,
		     "with blocking by STI/MOV SS or HLT, pending-debug BS (bit 14) must be 1 when RFLAGS.TF = 1 and IA32_DEBUGCTL.BTF = 0",
		     GUEST_PENDING_DBG_EXCEPTIONS);
	check_expect(c, (tf && !btf) || !(v & PENDING_DBG_BS), NONREG,
		     "with blocking by STI/MOV SS or HLT, pending-debug BS (bit 14) must be 0 when RFLAGS.TF = 0 or IA32_DEBUGCTL.BTF = 1",
		     GUEST_PENDING_DBG_EXCEPTIONS);
}

/* Any value other than FFFFFFFF_FFFFFFFFH makes VM entry check the VMCS it names (its
 * revision identifier and shadow-VMCS indicator), which needs memory this checker does
 * not read; vmxray uses no shadow VMCS, so it always writes all ones. */
static void guest_vmcs_link(struct check *c)
{
	uint64_t link = check_get(c, VMCS_LINK_POINTER);

	if (link == ~0ULL)
		return;
	check_expect(c, check_page_address(c, link), NONREG,
		     "a VMCS link pointer other than FFFFFFFF_FFFFFFFFH must be 4-KByte aligned and within the physical-address width",
		     VMCS_LINK_POINTER);
	check_fail(c, NONREG,
		   "the VMCS link pointer must be FFFFFFFF_FFFFFFFFH (any other value names a VMCS vmxray never sets up)",
		   VMCS_LINK_POINTER, 0);
}

#undef NONREG

/* ---- 27.3.1.6: with EPT, the PDPTEs come from the VMCS and are checked there ---- */

static void guest_pdptes(struct check *c)
{
	static const uint32_t pdptr[4] = { GUEST_PDPTR0, GUEST_PDPTR1, GUEST_PDPTR2, GUEST_PDPTR3 };
	uint64_t cr0 = check_get(c, GUEST_CR0), cr4 = check_get(c, GUEST_CR4);
	uint64_t reserved = bits_mask(2, 1) | bits_mask(8, 5) | check_phys_reserved(c);

	if (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE) || c->ia32e ||
	    !check_secondary(c, SECONDARY_EXEC_ENABLE_EPT))
		return;
	for (unsigned i = 0; i < 4; i++) {
		uint64_t pdpte = check_get(c, pdptr[i]);

		if (pdpte & 1)
			check_no_bits(c, pdpte & reserved, VMX_CHECK_SEC_GUEST_PDPTE,
				      "a present PDPTE must have bits 2:1, 8:5 and 63:MAXPHYADDR clear",
				      pdptr[i]);
	}
}

void check_guest_state(struct check *c)
{
	guest_activity(c);
	guest_interruptibility(c);
	guest_pending_debug(c);
	guest_vmcs_link(c);
	guest_pdptes(c);
}
