/* INIT and SIPI. With VMX on, INIT does not reset a processor: it exits (SDM Vol. 3C,
 * 26.2 "Other Causes of VM Exits"), and SIPIs exit while the vCPU waits for one. vmxray
 * does in the VMCS what the hardware would do to the processor: the INIT state of SDM
 * Vol. 3A, 10.1.1 "Processor State After Reset" (vmx/policy/init_state.h, the one table
 * both INIT paths load), then the
 * wait-for-SIPI activity state; a SIPI starts real-mode execution at vector << 12,
 * which unrestricted guest allows. */
#include "arch/cpu.h"
#include "arch/cr.h"
#include "arch/desc.h"
#include "arch/exception.h"
#include "arch/msr.h"
#include "arch/seg_ar.h"
#include "drivers/log.h"
#include "vmx/vmcs/controls.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/inject.h"
#include "vmx/hv.h"
#include "vmx/policy/init_state.h"
#include "vmx/vmcs/vmcs.h"
#include "vmx/vmcs/vmcs_segments.h"
#include "vmx/vmcs/vmx_hw.h"

/* Known test-bed limit: Debian's Bochs 2.7 does not clear an INIT that caused a VM
 * exit, so the INIT exits again every time the vCPU becomes active. With ipi=soft (the
 * default with more than one CPU) INITs between processors never reach them as signals
 * (vmx/exit/exit_apic.c); this path serves ipi=hardware, one CPU, and INIT to oneself.
 * See docs/ARCHITECTURE.md, "INIT and SIPI between processors". */
#define ACTIVITY_ACTIVE 0
#define ACTIVITY_WAIT_FOR_SIPI 3

/* A segment as after INIT: limit 0xFFFF (SDM Vol. 3A, Table 10-1). */
static void set_real_segment(enum vmcs_segment seg, uint16_t sel, uint64_t base, enum seg_ar_byte ar)
{
	struct seg_state s = { .selector = sel, .base = base, .limit = init_state_after_init.seg_limit, .ar = ar };
	vmcs_write_guest_segment(seg, &s);
}

static inline void cpu_write_dr(unsigned n, uint64_t v)
{
	switch (n) {
	case 0: __asm__ volatile("mov %0, %%dr0" ::"r"(v)); break;
	case 1: __asm__ volatile("mov %0, %%dr1" ::"r"(v)); break;
	case 2: __asm__ volatile("mov %0, %%dr2" ::"r"(v)); break;
	case 3: __asm__ volatile("mov %0, %%dr3" ::"r"(v)); break;
	default: __asm__ volatile("mov %0, %%dr6" ::"r"(v)); break;
	}
}

/* The INIT state that is no VMCS field: CR2, DR0-DR3, DR6 and XCR0 keep whatever the
 * guest left in them across VM exits and entries (SDM Vol. 3C, 28.3 "Loading Host
 * State" and 27.3.2 "Loading Guest State" switch none of them), so they are written
 * here, on the CPU that enters the guest next. Root mode uses none of them. */
static void load_init_registers(const struct init_state *s)
{
	cpu_write_cr2(s->cr2);
	for (unsigned i = 0; i < 4; i++)
		cpu_write_dr(i, s->dr[i]);
	cpu_write_dr(6, s->dr6);
	if (g_hv.caps.cpu.xsave)
		(void)xsetbv_safe(0, s->xcr0);
}

void vcpu_load_init_state(struct vcpu *v)
{
	const struct init_state *s = &init_state_after_init;
	uint64_t fixed0 = vmx_caps_cr0_fixed0(&g_hv.caps) & ~(CR0_PE | CR0_PG);
	vmcs_writenw(CR0_READ_SHADOW, s->cr0);
	vmcs_writenw(GUEST_CR0, s->cr0 | fixed0);
	vmcs_writenw(CR4_READ_SHADOW, s->cr4);
	vmcs_writenw(GUEST_CR4, s->cr4 | vmx_caps_cr4_fixed0(&g_hv.caps));
	vmcs_writenw(GUEST_CR3, s->cr3);
	vmcs_writenw(GUEST_DR7, s->dr7);
	vmcs_writenw(GUEST_RFLAGS, s->rflags);
	vmcs_writenw(GUEST_RIP, s->rip);
	vmcs_writenw(GUEST_RSP, s->rsp);
	vmcs_write64(GUEST_IA32_EFER, s->efer);
	vmcs_write32(VM_ENTRY_CONTROLS, vmcs_read32(VM_ENTRY_CONTROLS) & ~(uint32_t)VM_ENTRY_IA32E_MODE);
	set_real_segment(VMCS_SEG_CS, s->cs_selector, s->cs_base, SEG_AR_CODE_RX_ACCESSED);
	static const enum vmcs_segment data[] = { VMCS_SEG_SS, VMCS_SEG_DS, VMCS_SEG_ES, VMCS_SEG_FS,
						  VMCS_SEG_GS };
	for (unsigned i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		set_real_segment(data[i], 0, 0, SEG_AR_DATA_RW_ACCESSED);
	set_real_segment(VMCS_SEG_TR, 0, 0, SEG_AR_TSS_BUSY);
	set_real_segment(VMCS_SEG_LDTR, 0, 0, SEG_AR_LDT);
	vmcs_writenw(GUEST_GDTR_BASE, 0);
	vmcs_write32(GUEST_GDTR_LIMIT, s->seg_limit);
	vmcs_writenw(GUEST_IDTR_BASE, 0);
	vmcs_write32(GUEST_IDTR_LIMIT, s->seg_limit);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_writenw(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	v->injected = 0;
	/* General registers: EDX holds the processor signature after INIT, CPUID.01H:EAX
	 * ("000n06xxH"; before, a constant 600H). Bochs 2.7 leaves 0 there: vmxdiff's ap.*
	 * lines print EDX apart, not compared. */
	for (unsigned i = 0; i < GPR_COUNT; i++)
		v->regs.gpr[i] = 0;
	v->regs.gpr[GPR_RDX] = cpu_cpuid(1, 0).eax;
	v->nmi_pending = 0;
	/* INIT drops the NMI held: a window left armed for it would exit at every entry
	 * after the SIPI (nothing to inject, never turned off) */
	vcpu_event_windows_off();
	load_init_registers(s);
	if (g_hv.vpid)
		vmx_invvpid(INVVPID_SINGLE_CONTEXT, vmcs_read16(VIRTUAL_PROCESSOR_ID), 0);
}

bool vcpu_init_waits_for_sipi(void)
{
	return init_waits_for_sipi(cpu_rdmsr(MSR_IA32_APIC_BASE));
}

/* The INIT state, then wait-for-SIPI for an AP; the BSP runs from the reset vector
 * (vcpu_load_init_state leaves the activity state alone: active, as the exit found it). */
void exit_init_signal(struct vcpu *v, struct vmexit *e)
{
	(void)e;
	bool wait = vcpu_init_waits_for_sipi();
	log_debug("INIT: cpu%u %s", v->apic_id, wait ? "waits for SIPI" : "(BSP) starts at the reset vector");
	vcpu_load_init_state(v);
	vmcs_write32(GUEST_ACTIVITY_STATE, wait ? ACTIVITY_WAIT_FOR_SIPI : ACTIVITY_ACTIVE);
}

void exit_sipi(struct vcpu *v, struct vmexit *e)
{
	unsigned vector = e->qual & 0xFF;
	log_debug("SIPI: cpu%u starts at 0x%x", v->apic_id, vector << 12);
	vcpu_start_at_sipi(v, (uint8_t)vector);
}

/* The BSP after INIT: active at the reset vector vcpu_load_init_state left in the VMCS,
 * whatever activity state (HLT) the exit found. */
void vcpu_start_at_reset_vector(void)
{
	vmcs_write32(GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
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
