/* Control-register exits. vmxray owns CR4.VMXE (the guest reads 0 through the read
 * shadow; setting it raises #GP, since VMX is hidden) and the CR0/CR4 bits that VMX
 * operation fixes (CR0.NE; PE and PG are the guest's under unrestricted guest).
 * SDM Vol. 3C, 25.6.6 "Guest/Host Masks and Read Shadows for CR0 and CR4" and 24.8
 * "Restrictions on VMX Operation". */
#include "arch/cr.h"
#include "arch/msr.h"
#include "drivers/fmt.h"
#include "vmx/vmcs/controls.h"
#include "vmx/decode/decode.h"
#include "vmx/exit/exit.h"
#include "vmx/hv.h"
#include "vmx/exit/inject.h"
#include "vmx/exit/pdpte.h"
#include "vmx/policy/policy.h"
#include "vmx/vmcs/vmcs.h"
#include "vmx/vmcs/vmx_hw.h"

/* The guest's view of CR0 and CR4: the bits vmxray owns (the mask) from the read shadow,
 * the rest from the register. Each field read once. */
static uint64_t guest_cr0_view(void)
{
	uint64_t mask = vmcs_readnw(CR0_GUEST_HOST_MASK);
	return (vmcs_readnw(CR0_READ_SHADOW) & mask) | (vmcs_readnw(GUEST_CR0) & ~mask);
}

static uint64_t guest_cr4_view(void)
{
	uint64_t mask = vmcs_readnw(CR4_GUEST_HOST_MASK);
	return (vmcs_readnw(GUEST_CR4) & ~mask) | (vmcs_readnw(CR4_READ_SHADOW) & mask);
}

/* What cr0_write_faults reads (vmx/policy/policy.c): CR0 as the guest sees it; of CR4 only
 * CET, PAE and PCIDE, which GUEST_CR4 holds as the guest wrote them (CR4_GUEST_HOST_MASK
 * owns VMXE and the bits the processor lacks, which read 0 there and in the shadow:
 * vmx/launch/vmcs_setup_hw.c); EFER and CS.L as the exit read them. */
static struct cr_context guest_cr0_context(uint64_t efer, bool cs_l)
{
	return (struct cr_context){ .cr0 = guest_cr0_view(), .cr4 = vmcs_readnw(GUEST_CR4), .efer = efer,
				    .cs_l = cs_l };
}

static struct cr_context guest_cr_context(const struct vcpu *v, uint64_t efer, bool cs_l)
{
	return (struct cr_context){
		.cr0 = guest_cr0_view(),
		.cr3 = vmcs_readnw(GUEST_CR3),
		.cr4 = guest_cr4_view(),
		.efer = efer,
		.cs_l = cs_l,
		.cr4_supported = v->cr_fixed.cr4_fixed1,
	};
}

static void flush_guest_tlb(void)
{
	if (g_hv.vpid)
		vmx_invvpid(INVVPID_SINGLE_CONTEXT, vmcs_read16(VIRTUAL_PROCESSOR_ID), 0);
}

/* CR0.PG changes move the guest in or out of IA-32e mode when EFER.LME is set
 * (SDM Vol. 3A, 10.8.5 "Initializing IA-32e Mode"): keep EFER.LMA and the
 * "IA-32e mode guest" entry control in step. */
static void update_long_mode(uint64_t efer, uint64_t old_cr0, uint64_t new_cr0)
{
	if (!(efer & EFER_LME) || !((old_cr0 ^ new_cr0) & CR0_PG))
		return;
	uint32_t entry = vmcs_read32(VM_ENTRY_CONTROLS);
	if (new_cr0 & CR0_PG) {
		efer |= EFER_LMA;
		entry |= (uint32_t)VM_ENTRY_IA32E_MODE;
	} else {
		efer &= ~EFER_LMA;
		entry &= ~(uint32_t)VM_ENTRY_IA32E_MODE;
	}
	vmcs_write64(GUEST_IA32_EFER, efer);
	vmcs_write32(VM_ENTRY_CONTROLS, entry);
}

static EXIT_FAST_FN bool write_cr0(const struct vcpu *v, uint64_t value, uint64_t efer, bool cs_l)
{
	struct cr_context c = guest_cr0_context(efer, cs_l);
	if (cr0_write_faults(&c, value))
		return false;
	uint64_t fixed0 = v->cr_fixed.cr0_fixed0; /* without PE and PG: unrestricted guest */
	uint64_t fixed1 = v->cr_fixed.cr0_fixed1;
	update_long_mode(c.efer, c.cr0, value);
	vmcs_writenw(CR0_READ_SHADOW, value);
	vmcs_writenw(GUEST_CR0, (value | fixed0) & (fixed1 | CR0_PE | CR0_PG));
	if ((c.cr0 ^ value) & (CR0_PG | CR0_CD | CR0_NW))
		pdpte_load_if_pae(vmcs_readnw(GUEST_CR3)); /* rare: read here, not on every CR0 write */
	if ((c.cr0 ^ value) & (CR0_PG | CR0_WP | CR0_CD))
		flush_guest_tlb();
	return true;
}

static bool write_cr4(const struct vcpu *v, uint64_t value, uint64_t efer, bool cs_l)
{
	struct cr_context c = guest_cr_context(v, efer, cs_l);
	if (cr4_write_faults(&c, value))
		return false;
	vmcs_writenw(CR4_READ_SHADOW, value);
	vmcs_writenw(GUEST_CR4, value | v->cr_fixed.cr4_fixed0);
	if ((c.cr4 ^ value) & (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP))
		pdpte_load_if_pae(c.cr3);
	if ((c.cr4 ^ value) & (CR4_PGE | CR4_PAE | CR4_PSE | CR4_PCIDE | CR4_SMEP))
		flush_guest_tlb();
	return true;
}

static uint64_t gpr_read(struct vcpu *v, unsigned n)
{
	return n == GPR_RSP ? vmcs_readnw(GUEST_RSP) : v->regs.gpr[n];
}

static void gpr_write(struct vcpu *v, unsigned n, uint64_t value)
{
	if (n == GPR_RSP)
		vmcs_writenw(GUEST_RSP, value);
	else
		v->regs.gpr[n] = value;
}

/* MOV to CR3 (intercept=cr3): in 64-bit mode with CR4.PCIDE, bit 63 of the source asks
 * not to flush and is not loaded; bits above MAXPHYADDR are reserved (#GP(0)). The TLB
 * entries of the guest's VPID go (more than the PCID's non-global ones: a TLB may always
 * lose entries). PAE paging loads the PDPTEs (SDM Vol. 3A, 4.10.4.1 "Operations that
 * Invalidate TLBs and Paging-Structure Caches"; 4.5 "4-Level Paging and 5-Level Paging";
 * 4.4.1 "PDPTE Registers"). */
static bool write_cr3(uint64_t value, bool mode64)
{
	bool keep_tlb = false;
	if (mode64 && (guest_cr4_view() & CR4_PCIDE)) {
		keep_tlb = value >> 63;
		value &= ~(1ULL << 63);
	}
	if (g_hv.caps.cpu.maxphyaddr < 64 && (value >> g_hv.caps.cpu.maxphyaddr))
		return false;
	vmcs_writenw(GUEST_CR3, value);
	pdpte_load_if_pae(value);
	if (!keep_tlb)
		flush_guest_tlb();
	return true;
}

/* MOV to CR8 (intercept=cr8 ... CR8-load exiting; 64-bit mode only, CPL 0): the task
 * priority, bits 3:0; bits 63:4 reserved (#GP(0)). Without the TPR shadow CR8 is the local
 * APIC's TPR, which root mode shares and never changes: it is written there (SDM Vol. 3A,
 * 11.8.6 "Task Priority in IA-32e Mode"). */
static bool write_cr8(uint64_t value)
{
	if (value >> 4)
		return false;
	__asm__ volatile("mov %0, %%cr8" ::"r"(value) : "memory");
	return true;
}

static uint64_t read_cr8(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static bool mov_to_cr(struct vcpu *v, unsigned cr, uint64_t value, uint64_t efer, bool cs_l)
{
	switch (cr) {
	case 0:
		return write_cr0(v, value, efer, cs_l);
	case 3: /* CR3-load exiting (intercept=cr3, or when it could not be cleared) */
		return write_cr3(value, cs_l && (efer & EFER_LMA));
	case 8: /* CR8-load exiting (intercept=cr8) */
		return write_cr8(value);
	case 4:
		return write_cr4(v, value, efer, cs_l);
	default:
		(void)v;
		return false;
	}
}

/* The fast path's MOV to CR0 (vmx_exit_fast, vmx/exit/exit.c, once it has seen that the
 * register is one path 2 saves), the write an OS makes most: from a general register other
 * than RSP, the plain write of cr0_write_is_plain (vmx/policy/policy.h: PG, CD, NW and WP
 * kept; TS, MP, EM, AM, or NE, the bit vmxray owns, toggled), which needs no fault check
 * beyond it and none of write_cr0's IA-32e, PDPTE or TLB work. GUEST_CR0 holds the guest's
 * own value of every bit the mask leaves it (the mask owns NE and bits 63:32:
 * vmx/launch/vmcs_setup_hw.c), so it alone is the old value of the four bits. A value
 * with bits 63:32 set (#GP in 64-bit mode, truncated outside it) takes the whole path,
 * which reads the mode. One VMREAD besides the four of RIP's advance; the fixed bits
 * precomputed at launch (v->cr_fixed). False, with nothing written, for every other CR
 * access, and whenever RIP's advance needs more than one VMWRITE. */
EXIT_FAST_FN bool exit_cr0_write_fast(struct vcpu *v, uint64_t qual)
{
	if (qual & 0x3F) /* bits 3:0 the register (0), bits 5:4 the access type (0: MOV to CR) */
		return false;
	unsigned gpr = (unsigned)(qual >> 8) & 0xF;
	uint64_t value = v->regs.gpr[gpr];
	uint64_t cr0 = vmcs_readnw_nocheck(GUEST_CR0);
	uint64_t next;
	if (gpr == GPR_RSP || !cr0_write_is_plain(cr0, value) || !vcpu_next_rip_plain(&next))
		return false;
	vmcs_writenw(CR0_READ_SHADOW, value);
	vmcs_writenw(GUEST_CR0, (value | v->cr_fixed.cr0_fixed0) & (v->cr_fixed.cr0_fixed1 | CR0_PE | CR0_PG));
	vmcs_writenw(GUEST_RIP, next);
	v->injected = 0;
	v->exit_count[EXIT_REASON_CR_ACCESS]++;
	return true;
}

static const char *const access_names[4] = { "mov-to", "mov-from", "clts", "lmsw" };

EXIT_FAST_FN void exit_cr_access(struct vcpu *v, struct vmexit *e)
{
	struct cr_access_qual q = cr_access_qual_decode(e->qual);
	uint64_t value = 0;
	bool ok = true;

	if (q.access_type == CR_ACCESS_MOV_FROM_CR) { /* CR3-store or CR8-store exiting (intercept=cr3, cr8) */
		value = q.cr == 8 ? read_cr8() : vmcs_readnw(GUEST_CR3);
		gpr_write(v, q.gpr, value);
	} else {
		/* Read once for the operand size and the checks of the write. */
		uint64_t efer = vmcs_read64(GUEST_IA32_EFER);
		bool cs_l = (vmcs_read32(GUEST_CS_AR_BYTES) >> 13) & 1;
		switch (q.access_type) {
		case CR_ACCESS_MOV_TO_CR:
			value = mov_cr_operand(gpr_read(v, q.gpr), cs_l && (efer & EFER_LMA));
			ok = mov_to_cr(v, q.cr, value, efer, cs_l);
			break;
		case CR_ACCESS_CLTS:
			value = vmcs_readnw(CR0_READ_SHADOW) & ~CR0_TS;
			ok = write_cr0(v, value, efer, cs_l);
			break;
		default: /* CR_ACCESS_LMSW: loads CR0[3:0] but never clears PE */
			value = guest_cr0_view();
			value = (value & ~0xEULL) | (q.lmsw_source & 0xF) | (value & CR0_PE);
			ok = write_cr0(v, value, efer, cs_l);
			break;
		}
	}
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "cr=%u access=%s gpr=%s value=0x%016lx%s", q.cr,
			     access_names[q.access_type & 3], gpr_name(q.gpr), value,
			     ok ? "" : " fault=#GP");
	if (!ok) {
		vcpu_inject_gp0(v);
		return;
	}
	vcpu_skip_instruction(v);
}
