/* The hardware edge of the GDB stub: see vmx/debug/gdb_hw.h. */
#include "vmx/debug/gdb_hw.h"

#include "arch/bits.h"
#include "arch/cpu.h"
#include "arch/cr.h"
#include "arch/paging.h"
#include "drivers/uart16550.h"
#include "ept/ept.h"
#include "drivers/uart16550_hw.h"
#include "vmx/checker/checker_hw.h"
#include "vmx/vmcs/controls.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/guest_mem.h"
#include "vmx/exit/inject.h"
#include "vmx/exit/step_hw.h"
#include "drivers/log.h"
#include "vmx/hv.h"
#include "vmx/launch/launch.h"
#include "vmx/vmcs/vmcs.h"

/* 16550 registers (PC16550D datasheet). */
#define UART_RBR 0
#define UART_THR 0
#define UART_LSR 5
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define UART_SPIN_LIMIT 100000

#define DB_VECTOR_BIT (1u << 1)

static uint16_t gdb_port;

bool gdb_hw_uart_init(uint16_t port)
{
	struct uart16550 u;
	struct uart_desc at = { UART_SPACE_IO, port, 1 };
	uart16550_attach_hw(&u, &at);
	if (!uart16550_init(&u))
		return false;
	gdb_port = port;
	while (cpu_inb(port + UART_LSR) & LSR_DR) /* what the firmware left in the FIFO */
		(void)cpu_inb(port + UART_RBR);
	return true;
}

bool gdb_edge_getc(uint8_t *c)
{
	if (!(cpu_inb(gdb_port + UART_LSR) & LSR_DR))
		return false;
	*c = cpu_inb(gdb_port + UART_RBR);
	return true;
}

void gdb_edge_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (unsigned k = 0; k < UART_SPIN_LIMIT && !(cpu_inb(gdb_port + UART_LSR) & LSR_THRE); k++)
			cpu_pause();
		cpu_outb(gdb_port + UART_THR, (uint8_t)s[i]);
	}
}

/* gdb's order of the first 16 registers, as vmxray's GPR numbers. */
static const uint8_t GPR_OF_GDB[16] = {
	GPR_RAX, GPR_RBX, GPR_RCX, GPR_RDX, GPR_RSI, GPR_RDI, GPR_RBP, GPR_RSP,
	GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
};

static void selectors_read(uint16_t *sel)
{
	sel[GDB_SEG_CS] = vmcs_read16(GUEST_CS_SELECTOR);
	sel[GDB_SEG_SS] = vmcs_read16(GUEST_SS_SELECTOR);
	sel[GDB_SEG_DS] = vmcs_read16(GUEST_DS_SELECTOR);
	sel[GDB_SEG_ES] = vmcs_read16(GUEST_ES_SELECTOR);
	sel[GDB_SEG_FS] = vmcs_read16(GUEST_FS_SELECTOR);
	sel[GDB_SEG_GS] = vmcs_read16(GUEST_GS_SELECTOR);
}

static bool dirty(uint64_t mask, enum gdb_reg r)
{
	return mask & (1ULL << r);
}

static void selectors_write(const uint16_t *sel, uint64_t mask)
{
	if (dirty(mask, GDB_REG_cs)) vmcs_write16(GUEST_CS_SELECTOR, sel[GDB_SEG_CS]);
	if (dirty(mask, GDB_REG_ss)) vmcs_write16(GUEST_SS_SELECTOR, sel[GDB_SEG_SS]);
	if (dirty(mask, GDB_REG_ds)) vmcs_write16(GUEST_DS_SELECTOR, sel[GDB_SEG_DS]);
	if (dirty(mask, GDB_REG_es)) vmcs_write16(GUEST_ES_SELECTOR, sel[GDB_SEG_ES]);
	if (dirty(mask, GDB_REG_fs)) vmcs_write16(GUEST_FS_SELECTOR, sel[GDB_SEG_FS]);
	if (dirty(mask, GDB_REG_gs)) vmcs_write16(GUEST_GS_SELECTOR, sel[GDB_SEG_GS]);
}

static void state_read(const struct vcpu *v, struct gdb_guest_state *s)
{
	for (unsigned i = 0; i < 16; i++)
		s->gpr[i] = GPR_OF_GDB[i] == GPR_RSP ? vmcs_readnw(GUEST_RSP) : v->regs.gpr[GPR_OF_GDB[i]];
	s->rip = vmcs_readnw(GUEST_RIP);
	s->rflags = vmcs_readnw(GUEST_RFLAGS);
	selectors_read(s->sel);
	s->fs_base = vmcs_readnw(GUEST_FS_BASE);
	s->gs_base = vmcs_readnw(GUEST_GS_BASE);
	s->cr0 = vmcs_readnw(GUEST_CR0);
	s->cr0_mask = vmcs_readnw(CR0_GUEST_HOST_MASK);
	s->cr0_shadow = vmcs_readnw(CR0_READ_SHADOW);
	s->cr4 = vmcs_readnw(GUEST_CR4);
	s->cr4_mask = vmcs_readnw(CR4_GUEST_HOST_MASK);
	s->cr4_shadow = vmcs_readnw(CR4_READ_SHADOW);
	s->cr2 = cpu_read_cr2(); /* not in the VMCS: root mode leaves the guest's */
	s->cr3 = vmcs_readnw(GUEST_CR3);
	s->efer = vmcs_read64(GUEST_IA32_EFER);
}

void gdb_hw_regs_capture(struct vcpu *v, struct gdb_cpu *c)
{
	struct gdb_guest_state s;
	state_read(v, &s);
	s.rflags = step_guest_rflags(v, s.rflags); /* the step's TF and IF hidden */
	gdb_regs_from_guest(&s, false, false, &c->regs);
	c->orig = c->regs;
	c->paging = guest_paging_now();
	c->paging.cpl = 0;          /* the debugger reads as the kernel would */
	c->paging.rflags_ac = true; /* and SMAP does not stop it */
	c->captured = true;
}

/* The fields of the registers in `mask`. */
static void state_write(struct vcpu *v, const struct gdb_guest_state *s, uint64_t mask)
{
	for (unsigned i = 0; i < 16; i++) {
		if (!dirty(mask, (enum gdb_reg)i))
			continue;
		if (GPR_OF_GDB[i] == GPR_RSP)
			vmcs_writenw(GUEST_RSP, s->gpr[i]);
		else
			v->regs.gpr[GPR_OF_GDB[i]] = s->gpr[i];
	}
	if (dirty(mask, GDB_REG_rip)) vmcs_writenw(GUEST_RIP, s->rip);
	if (dirty(mask, GDB_REG_eflags)) step_guest_rflags_write(v, s->rflags);
	selectors_write(s->sel, mask);
	if (dirty(mask, GDB_REG_fs_base)) vmcs_writenw(GUEST_FS_BASE, s->fs_base);
	if (dirty(mask, GDB_REG_gs_base)) vmcs_writenw(GUEST_GS_BASE, s->gs_base);
	if (dirty(mask, GDB_REG_cr0)) {
		vmcs_writenw(GUEST_CR0, s->cr0);
		vmcs_writenw(CR0_READ_SHADOW, s->cr0_shadow);
	}
	if (dirty(mask, GDB_REG_cr4)) {
		vmcs_writenw(GUEST_CR4, s->cr4);
		vmcs_writenw(CR4_READ_SHADOW, s->cr4_shadow);
	}
	if (dirty(mask, GDB_REG_cr2)) cpu_write_cr2(s->cr2);
	if (dirty(mask, GDB_REG_cr3)) vmcs_writenw(GUEST_CR3, s->cr3);
	if (dirty(mask, GDB_REG_efer)) vmcs_write64(GUEST_IA32_EFER, s->efer);
}

static void regs_apply(struct vcpu *v, const struct gdb_regfile *r)
{
	struct gdb_guest_state s;
	bool unused = false;
	state_read(v, &s);
	gdb_regs_to_guest(r, &s, false, &unused);
	state_write(v, &s, r->dirty);
}

/* Registers other than the GPRs and RIP can make the guest state one VM entry refuses
 * (CR0.PG without PE, a code segment that does not match EFER.LMA, ...), and a failed
 * VM entry would stop vmxray. The software VM-entry checker (vmx/checker.c) decides
 * first; a refused write is undone whole and logged. */
#define GDB_REGS_FREE ((1ULL << 17) - 1) /* rax..r15, rip: any value enters */

void gdb_hw_regs_writeback(struct vcpu *v, struct gdb_cpu *c)
{
	if (!c->regs.dirty)
		return;
	bool risky = c->regs.dirty & ~GDB_REGS_FREE;
	regs_apply(v, &c->regs);
	if (risky && vmx_check_current_vmcs(&g_hv.caps) != 0) {
		log_warn("gdb: register write refused: VM entry would fail with it (CHECK lines above); restored");
		struct gdb_regfile back = c->orig;
		back.dirty = c->regs.dirty;
		regs_apply(v, &back);
		c->regs = c->orig;
	}
	c->regs.dirty = 0;
}

/* Single step (vmx/exit/step_hw.c, shared with intercept=ept): RFLAGS.TF and an
 * intercepted #DB, the guest's own TF and IF hidden from it and from gdb's register
 * reads. The monitor trap flag is not used: Bochs 2.7 allows it on corei7_skylake_x and
 * tigerlake but its MTF VM exit does not come after one instruction. Measured on
 * tigerlake, 2 CPUs, with MTF (tests/integration/90-gdb.sh, GDB_TEST_CPU=tigerlake): a
 * fetch on a breakpoint's page armed an MTF step-over, no MTF exit came, the page stayed
 * open and the program ran through the breakpoint unseen ("gdbtarget: result=10").
 * STEP_MTF (vmx/policy/step.h) selects it at build time. */
void gdb_hw_step_arm(struct vcpu *v, struct gdb_cpu *c, bool on)
{
	if (c->stepping == on)
		return;
	c->stepping = on;
	if (on)
		step_arm(v, STEP_BY_GDB);
	else
		step_release(v, STEP_BY_GDB);
}

unsigned gdb_edge_ept_normal(uint64_t page)
{
	if (g_hv.apic_intercept && page == g_hv.apic_base)
		return EPT_READ | EPT_EXECUTE;
	return EPT_RWX;
}

bool gdb_edge_ept_set(uint64_t page, unsigned perms)
{
	spin_lock(&g_hv.lock);
	int rc = ept_map_4k(&g_hv.ept, page, page, perms, mtrr_type_of(&g_hv.mtrr, page), &g_hv.ept_alloc);
	vmx_ept_changed();
	spin_unlock(&g_hv.lock);
	vmx_ept_flush_if_stale();
	return rc == 0;
}

void gdb_hw_timer_set(uint32_t ticks)
{
	vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, ticks);
}
