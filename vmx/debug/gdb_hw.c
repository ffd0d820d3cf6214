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

static bool stub_tf(const struct gdb_cpu *c)
{
	return c->stepping && !gdb_hw_mtf_allowed();
}

void gdb_hw_regs_capture(struct vcpu *v, struct gdb_cpu *c)
{
	struct gdb_guest_state s;
	state_read(v, &s);
	gdb_regs_from_guest(&s, stub_tf(c), c->guest_tf, &c->regs);
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
	if (dirty(mask, GDB_REG_eflags)) vmcs_writenw(GUEST_RFLAGS, s->rflags);
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
	if (dirty(mask, GDB_REG_eflags))
		v->at_exit.rflags = s->rflags;
}

static void regs_apply(struct vcpu *v, struct gdb_cpu *c, const struct gdb_regfile *r)
{
	struct gdb_guest_state s;
	state_read(v, &s);
	gdb_regs_to_guest(r, &s, stub_tf(c), &c->guest_tf);
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
	regs_apply(v, c, &c->regs);
	if (risky && vmx_check_current_vmcs(&g_hv.caps) != 0) {
		log_warn("gdb: register write refused: VM entry would fail with it (CHECK lines above); restored");
		struct gdb_regfile back = c->orig;
		back.dirty = c->regs.dirty;
		regs_apply(v, c, &back);
		c->regs = c->orig;
	}
	c->regs.dirty = 0;
}

/* The monitor trap flag where the CPU offers it (primary control bit 27), unless
 * GDB_STEP_MTF is 0. Bochs 2.7 allows it on corei7_skylake_x and tigerlake (not on
 * Haswell), but its MTF VM exit does not come after one instruction. Measured again on
 * tigerlake, 2 CPUs, with GDB_STEP_MTF 1 (tests/integration/90-gdb.sh,
 * GDB_TEST_CPU=tigerlake): a fetch on a breakpoint's page armed an MTF step-over, no
 * MTF exit came, the page stayed open and the program ran through the breakpoint
 * unseen ("gdbtarget: result=10"). Bochs signals the MTF event masked at VM entry and
 * unmasks it at the first instruction boundary; the exit then seems to wait for the
 * next asynchronous event. So every CPU steps with RFLAGS.TF and an intercepted #DB. */
#ifndef GDB_STEP_MTF
#define GDB_STEP_MTF 0
#endif

bool gdb_hw_mtf_allowed(void)
{
	struct vmx_ctrl_allowed a;
	return GDB_STEP_MTF && vmx_caps_ctrl_allowed(&g_hv.caps, VMX_CTRL_PROC, &a) &&
	       (a.allowed1 & CPU_BASED_MONITOR_TRAP_FLAG);
}

/* Single step: the monitor trap flag where the CPU has it (SDM Vol. 3C, 26.5.2
 * "Monitor Trap Flag"); otherwise RFLAGS.TF with #DB in the exception bitmap (SDM Vol.
 * 3A, 18.3.1.4 "Single-Step Exception Condition"), the guest's own TF kept aside so
 * that register reads show the guest's value. */
static enum gdb_step_insn step_insn(void)
{
	uint8_t b[4];
	bool mode64, db;
	unsigned n = guest_fetch_insn(b, sizeof(b), &mode64, &db);
	return gdb_core_step_insn(b, n, mode64);
}

/* A stepped PUSHF pushed the stub's TF: take it back out of the guest's stack (bit 8
 * of the image, bit 0 of its second byte), so the guest never sees the debugger. */
static void pushf_hide_tf(const struct gdb_cpu *c)
{
	struct guest_paging p = guest_paging_now();
	uint64_t rsp = vmcs_readnw(GUEST_RSP) + 1;
	p.cpl = 0;
	p.rflags_ac = true;
	if ((p.efer & EFER_LMA) == 0)
		rsp = (vmcs_readnw(GUEST_SS_BASE) + rsp) & 0xFFFFFFFFULL;
	struct guest_walk w = guest_walk(&p, rsp, GUEST_ACCESS_READ);
	volatile uint8_t *h = w.status == GUEST_WALK_OK && !guest_page_is_owned(w.gpa) ? gpa_host(w.gpa) : NULL;
	if (h && !c->guest_tf)
		*h = (uint8_t)(*h & ~1u);
}

/* MTF: an external interrupt pending at VM entry would be delivered first and the MTF
 * exit come at the handler's first instruction (SDM Vol. 3C, 26.5.2 "Monitor Trap
 * Flag"); blocking by STI keeps it pending for the stepped instruction. */
static void mtf_arm(struct gdb_cpu *c, bool on)
{
	uint32_t proc = vmcs_read32(CPU_BASED_VM_EXEC_CONTROL);
	proc = on ? proc | (uint32_t)CPU_BASED_MONITOR_TRAP_FLAG : proc & ~(uint32_t)CPU_BASED_MONITOR_TRAP_FLAG;
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, proc);
	uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	c->sti_block = on && gdb_core_step_blocks_irq(vmcs_readnw(GUEST_RFLAGS), intr, vmcs_read32(GUEST_ACTIVITY_STATE));
	if (c->sti_block)
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, intr | GDB_INTR_STI);
}

void gdb_hw_step_arm(struct vcpu *v, struct gdb_cpu *c, bool on)
{
	if (c->stepping == on)
		return;
	c->stepping = on;
	if (gdb_hw_mtf_allowed()) {
		mtf_arm(c, on);
		return;
	}
	uint64_t rf = vmcs_readnw(GUEST_RFLAGS);
	uint32_t bm = vmcs_read32(EXCEPTION_BITMAP);
	if (on) {
		enum gdb_step_insn k = step_insn();
		c->pushf = k == GDB_STEP_PUSHF;
		c->loads_flags = k == GDB_STEP_LOADS_FLAGS;
		c->guest_tf = rf & RFLAGS_TF;
		rf |= RFLAGS_TF;
		bm |= DB_VECTOR_BIT;
	} else {
		if (c->pushf)
			pushf_hide_tf(c);
		if (c->loads_flags) /* the TF POPF or IRET loaded is the guest's */
			c->guest_tf = rf & RFLAGS_TF;
		rf = (rf & ~RFLAGS_TF) | (c->guest_tf ? RFLAGS_TF : 0);
		bm &= ~DB_VECTOR_BIT | g_hv.cfg.intercept_exceptions; /* intercept=db keeps it */
	}
	vmcs_writenw(GUEST_RFLAGS, rf);
	vmcs_write32(EXCEPTION_BITMAP, bm);
	v->at_exit.rflags = rf; /* an emulated instruction then traps as the CPU would */
}

/* A #DB exception exit leaves DR6 as it was (SDM Vol. 3C, "Architectural State Before a VM
 * Exit": the exit qualification holds what would have been set). DR6 is
 * the guest's in root mode (no VM exit or entry switches it): the bits the guest's own
 * debugging caused go there, and the #DB to the guest. */
void gdb_hw_guest_db(struct vcpu *v, uint64_t bits)
{
	cpu_write_dr6(cpu_read_dr6() | bits);
	vcpu_inject_exception(v, VECTOR_DB, 0);
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
