/* INIT and SIPI. With VMX on, INIT does not reset a processor: it exits (SDM Vol. 3C,
 * 26.2 "Other Causes of VM Exits"), and SIPIs exit while the vCPU waits for one. vmxray
 * does in the VMCS what the hardware would do to the processor: the INIT state of SDM
 * Vol. 3A, 10.1.1 "Processor State After Reset" (Table 10-1, INIT column), then the
 * wait-for-SIPI activity state; a SIPI starts real-mode execution at vector << 12,
 * which unrestricted guest allows. */
#include "arch/cr.h"
#include "arch/desc.h"
#include "drivers/log.h"
#include "vmx/caps/controls.h"
#include "vmx/exit/exit.h"
#include "vmx/hv.h"
#include "vmx/vmcs/vmcs.h"
#include "vmx/vmcs/vmx_hw.h"

/* Known test-bed limit: Debian's Bochs 2.7 does not clear an INIT that caused a VM
 * exit, so the INIT exits again every time the vCPU becomes active. With ipi=soft (the
 * default with more than one CPU) INITs between processors never reach them as signals
 * (vmx/exit/exit_apic.c); this path serves ipi=hardware, one CPU, and INIT to oneself.
 * See docs/ARCHITECTURE.md, "INIT and SIPI between processors". */
#define ACTIVITY_ACTIVE 0
#define ACTIVITY_WAIT_FOR_SIPI 3
#define AR_CODE_REAL 0x9B /* present, code, read, accessed */
#define AR_DATA_REAL 0x93 /* present, data, write, accessed */
#define INIT_CR0 (CR0_ET | CR0_CD | CR0_NW)

static void set_real_segment(uint32_t sel_f, uint32_t base_f, uint32_t limit_f, uint32_t ar_f,
			     uint16_t sel, uint64_t base, uint32_t ar)
{
	vmcs_write_raw(sel_f, sel);
	vmcs_write_raw(base_f, base);
	vmcs_write_raw(limit_f, 0xFFFF);
	vmcs_write_raw(ar_f, ar);
}

void vcpu_load_init_state(struct vcpu *v)
{
	uint64_t fixed0 = vmx_caps_cr0_fixed0(&g_hv.caps) & ~(CR0_PE | CR0_PG);
	vmcs_writenw(CR0_READ_SHADOW, INIT_CR0);
	vmcs_writenw(GUEST_CR0, INIT_CR0 | fixed0);
	vmcs_writenw(CR4_READ_SHADOW, 0);
	vmcs_writenw(GUEST_CR4, vmx_caps_cr4_fixed0(&g_hv.caps));
	vmcs_writenw(GUEST_CR3, 0);
	vmcs_writenw(GUEST_DR7, 0x400);
	vmcs_writenw(GUEST_RFLAGS, RFLAGS_FIXED);
	vmcs_writenw(GUEST_RIP, 0xFFF0);
	vmcs_writenw(GUEST_RSP, 0);
	vmcs_write64(GUEST_IA32_EFER, 0);
	vmcs_write32(VM_ENTRY_CONTROLS, vmcs_read32(VM_ENTRY_CONTROLS) & ~(uint32_t)VM_ENTRY_IA32E_MODE);
	set_real_segment(GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES, 0xF000,
			 0xFFFF0000, AR_CODE_REAL);
	static const uint32_t data[][4] = {
		{ GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES },
		{ GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES },
		{ GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES },
		{ GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES },
		{ GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES },
	};
	for (unsigned i = 0; i < 5; i++)
		set_real_segment(data[i][0], data[i][1], data[i][2], data[i][3], 0, 0, AR_DATA_REAL);
	set_real_segment(GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES, 0, 0, 0x8B);
	set_real_segment(GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT, GUEST_LDTR_AR_BYTES, 0,
			 0, 0x82);
	vmcs_writenw(GUEST_GDTR_BASE, 0);
	vmcs_write32(GUEST_GDTR_LIMIT, 0xFFFF);
	vmcs_writenw(GUEST_IDTR_BASE, 0);
	vmcs_write32(GUEST_IDTR_LIMIT, 0xFFFF);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_writenw(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	v->injected = 0;
	/* General registers: EDX holds the processor signature after INIT. */
	for (unsigned i = 0; i < GPR_COUNT; i++)
		v->regs.gpr[i] = 0;
	v->regs.gpr[GPR_RDX] = 0x600;
	v->nmi_pending = false;
	if (g_hv.vpid)
		vmx_invvpid(INVVPID_SINGLE_CONTEXT, vmcs_read16(VIRTUAL_PROCESSOR_ID), 0);
}

void exit_init_signal(struct vcpu *v, struct vmexit *e)
{
	(void)e;
	log_debug("INIT: cpu%u waits for SIPI", v->apic_id);
	vcpu_load_init_state(v);
	vmcs_write32(GUEST_ACTIVITY_STATE, ACTIVITY_WAIT_FOR_SIPI);
}

void exit_sipi(struct vcpu *v, struct vmexit *e)
{
	unsigned vector = e->qual & 0xFF;
	log_debug("SIPI: cpu%u starts at 0x%x", v->apic_id, vector << 12);
	vcpu_start_at_sipi(v, (uint8_t)vector);
}

void vcpu_start_at_sipi(struct vcpu *v, uint8_t vector)
{
	(void)v;
	vmcs_write16(GUEST_CS_SELECTOR, (uint16_t)(vector << 8));
	vmcs_writenw(GUEST_CS_BASE, (uint64_t)vector << 12);
	vmcs_writenw(GUEST_RIP, 0);
	/* A SIPI starts the processor with no blocking of any kind. Bochs saves "blocking
	 * by SMI" for a vCPU that waited for SIPI, which VM entry then refuses outside SMM
	 * (SDM Vol. 3C, 27.3.1.5 "Checks on Guest Non-Register State"). */
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
}
