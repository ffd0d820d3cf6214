/* INIT and SIPI between processors, in software (ipi=soft, the default).
 *
 * Why: an INIT that reaches a processor in VMX non-root mode exits, and vmxray then
 * plays the processor's part (vmx/exit/exit_init_sipi.c). Debian's Bochs 2.7 never clears
 * such an INIT, so the vCPU exits again on every entry and cannot be restarted
 * (docs/ARCHITECTURE.md, "INIT and SIPI between processors"). So vmxray keeps INIT and SIPI from ever
 * reaching a virtualized processor as signals:
 *
 *  - the local APIC page is read-only in the EPT (only when there is more than one
 *    processor): a guest write to it exits as an EPT violation; the instruction is
 *    decoded (vmx/decode/mmio_decode.h) and its write done to the real APIC, except a write
 *    of the ICR that sends INIT or SIPI to a virtualized processor. In x2APIC mode the
 *    ICR is MSR 0x830, whose writes exit through the MSR bitmap;
 *  - an INIT is a flag in the target's vcpu plus an NMI to make it exit (NMI exiting is
 *    on); the target then enters the INIT state of the processor (SDM Vol. 3A, "Processor
 *    State After Reset", INIT column; its local APIC as in "Local APIC State After an
 *    INIT Reset") and waits in root mode, as the processor would in wait-for-SIPI;
 *  - the first SIPI after it starts the target in real mode at vector << 12.
 *
 * IPIs vmxray does not take over go to the hardware unchanged: other delivery modes,
 * logical destinations, INIT to the sending processor itself, and INIT/SIPI to a
 * processor that is not virtualized. A write the decoder does not know turns the
 * intercept off (logged): the guest's write then goes to the APIC directly, and INIT
 * falls back to the hardware path. Cost: every guest write to the APIC page (EOI,
 * timer, ICR) exits; STATS counts them (apic_writes). */
#include "arch/bits.h"
#include "arch/cpu.h"
#include "arch/exception.h"
#include "arch/msr.h"
#include "drivers/fmt.h"
#include "drivers/log.h"
#include "vmx/decode/apic.h"
#include "vmx/decode/decode.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/guest_mem.h"
#include "vmx/hv.h"
#include "vmx/exit/inject.h"
#include "vmx/exit/lapic_hw.h"
#include "vmx/exit/soft_ipi.h"
#include "vmx/decode/mmio_decode.h"
#include "vmx/policy/setup.h"
#include "vmx/vmcs/vmcs.h"
#include "vmx/vmcs/vmx_hw.h"

#include <string.h>


/* ---- the APIC-page intercept: decode the write, emulate it ---- */

/* The page goes back to the guest for good (vmx/exit/guest_mem.h): from now on its
 * writes reach the APIC directly, and INIT falls back to the hardware path. */
void apic_intercept_release(const char *why)
{
	spin_lock(&g_hv.lock);
	if (g_hv.apic_intercept) {
		g_hv.apic_intercept = false;
		(void)ept_map_4k(&g_hv.ept, g_hv.apic_base, g_hv.apic_base, EPT_READ | EPT_WRITE | EPT_EXECUTE,
				 mtrr_type_of(&g_hv.mtrr, g_hv.apic_base), &g_hv.ept_alloc);
		vmx_ept_changed();
		log_warn("IPI: APIC-page intercept off (%s), INIT and SIPI are signals now", why);
	}
	spin_unlock(&g_hv.lock);
	vmx_ept_flush_if_stale();
}

/* The write cannot be emulated: say what was at RIP, then give the page back. */
static void apic_intercept_off(const uint8_t *insn, unsigned n, enum mmio_verdict why)
{
	if (g_hv.apic_intercept)
		log_warn("IPI: APIC write not emulated: %s (%02x %02x %02x %02x %02x %02x, %u bytes fetched)",
			 mmio_verdict_name(why), n > 0 ? insn[0] : 0, n > 1 ? insn[1] : 0, n > 2 ? insn[2] : 0,
			 n > 3 ? insn[3] : 0, n > 4 ? insn[4] : 0, n > 5 ? insn[5] : 0, n);
	apic_intercept_release(mmio_verdict_name(why));
}

/* An exit during event delivery (the push of an interrupt or exception frame onto a
 * stack on the APIC page): the event was not delivered, so it is injected again for the
 * guest's retry, as SDM Vol. 3C, 28.2.4 "Information for VM Exits During Event
 * Delivery" and 27.6 "Event Injection" lay out (bits 30:12 of the IDT-vectoring field
 * are undefined; software events carry their instruction length). */
static void apic_reinject_event(struct vcpu *v)
{
	uint32_t info = vmcs_read32(IDT_VECTORING_INFO_FIELD);
	unsigned type = (info >> 8) & 7;

	if (!(info & (1u << 31)))
		return;
	v->injected = info & 0x80000FFFu;
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, v->injected);
	if (info & (1u << 11))
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, vmcs_read32(IDT_VECTORING_ERROR_CODE));
	if (type == 4 || type == 5 || type == 6) /* software interrupt, privileged or software exception */
		vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
}

static uint64_t gpr_value(const struct vcpu *v, unsigned reg)
{
	return reg == GPR_RSP ? vmcs_readnw(GUEST_RSP) : v->regs.gpr[reg];
}

/* A register after a write of `size` bytes (SDM Vol. 1, 3.4.1.1 "General-Purpose
 * Registers in 64-Bit Mode": a 32-bit write zero-extends, 8 and 16 keep the rest). */
static void gpr_store(struct vcpu *v, unsigned reg, bool high8, unsigned size, uint64_t value)
{
	uint64_t old = gpr_value(v, reg), nv;
	if (high8)
		nv = (old & ~0xFF00ULL) | ((value & 0xFF) << 8);
	else if (size == 8)
		nv = value;
	else if (size == 4)
		nv = (uint32_t)value;
	else {
		uint64_t m = size == 2 ? 0xFFFFULL : 0xFFULL;
		nv = (old & ~m) | (value & m);
	}
	if (reg == GPR_RSP)
		vmcs_writenw(GUEST_RSP, nv);
	else
		v->regs.gpr[reg] = nv;
}

static uint64_t mmio_read(volatile void *p, unsigned size)
{
	switch (size) {
	case 1: return *(volatile uint8_t *)p;
	case 2: return *(volatile uint16_t *)p;
	case 8: return *(volatile uint64_t *)p;
	default: return *(volatile uint32_t *)p;
	}
}

static void mmio_write(volatile void *p, unsigned size, uint64_t v)
{
	switch (size) {
	case 1: *(volatile uint8_t *)p = (uint8_t)v; break;
	case 2: *(volatile uint16_t *)p = (uint16_t)v; break;
	case 8: *(volatile uint64_t *)p = v; break;
	default: *(volatile uint32_t *)p = (uint32_t)v; break;
	}
}

static uint64_t segment_base(unsigned sreg)
{
	switch (sreg) {
	case 0: return vmcs_readnw(GUEST_ES_BASE);
	case 1: return vmcs_readnw(GUEST_CS_BASE);
	case 2: return vmcs_readnw(GUEST_SS_BASE);
	case 4: return vmcs_readnw(GUEST_FS_BASE);
	case 5: return vmcs_readnw(GUEST_GS_BASE);
	default: return vmcs_readnw(GUEST_DS_BASE);
	}
}

/* Where the decoded instruction stores, for comparison with the exit's linear address:
 * of the registers, only its base and index are read. */
static inline __attribute__((always_inline)) uint64_t operand_linear(const struct vcpu *v,
									const struct mmio_insn *mi, bool mode64)
{
	uint64_t with_rsp[16];
	const uint64_t *gpr = v->regs.gpr; /* all but RSP, which lives in GUEST_RSP */
	if (mi->mem.base == GPR_RSP || mi->mem.index == GPR_RSP) {
		memcpy(with_rsp, v->regs.gpr, sizeof(with_rsp));
		with_rsp[GPR_RSP] = vmcs_readnw(GUEST_RSP);
		gpr = with_rsp;
	}
	uint64_t seg_base = !mode64 || mi->mem.seg == 4 || mi->mem.seg == 5 ? segment_base(mi->mem.seg) : 0;
	return mmio_insn_linear(mi, gpr, v->at_exit.rip + mi->len, seg_base, mode64);
}

/* The last instruction each CPU decoded here, with its bytes: the same store to the APIC
 * page (an EOI write, mostly) exits again and again. The decode is a pure function of
 * the instruction's bytes and the mode (vmx/decode/mmio_decode.h), so bytes fetched now
 * that equal the remembered ones decode to the remembered result; other bytes are
 * decoded and remembered in their place. */
struct decode_memo {
	bool valid;
	enum mmio_cpu_mode mode;
	uint32_t gprs; /* the general registers the store reads or writes: bit n, GPR n */
	uint8_t bytes[MMIO_INSN_MAX_LEN];
	struct mmio_insn mi;
};
static struct decode_memo decode_memos[HV_MAX_CPUS];

typedef uint32_t __attribute__((aligned(1), may_alias)) u32_unaligned;
typedef uint64_t __attribute__((aligned(1), may_alias)) u64_unaligned;

/* a[0..n) == b[0..n), n <= 15: a quadword, a doubleword, then bytes; a is read only
 * within [0, n) (it may end a page). */
static inline __attribute__((always_inline)) bool bytes_equal(const volatile uint8_t *a, const uint8_t *b,
								 unsigned n)
{
	unsigned i = 0;
	if (n >= 8) {
		if (*(const volatile u64_unaligned *)a != *(const u64_unaligned *)b)
			return false;
		i = 8;
	}
	if (n - i >= 4) {
		if (*(const volatile u32_unaligned *)(a + i) != *(const u32_unaligned *)(b + i))
			return false;
		i += 4;
	}
	for (; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* The decode of insn[0..n): the remembered one when its bytes match, else a fresh one,
 * remembered when it decodes. NULL (with *st) when the bytes are no store vmxray
 * decodes. The result lives in this CPU's memo until its next decode. */
static const struct mmio_insn *decode_write(const struct vcpu *v, const uint8_t *insn, unsigned n,
					    enum mmio_cpu_mode mode, enum mmio_decode_status *st)
{
	struct decode_memo *m = &decode_memos[v->index];
	struct mmio_insn mi;

	if (m->valid && m->mode == mode && m->mi.len <= n && bytes_equal(m->bytes, insn, m->mi.len)) {
		*st = MMIO_DECODE_OK;
		return &m->mi;
	}
	*st = mmio_decode_write(insn, n, mode, &mi);
	m->valid = *st == MMIO_DECODE_OK;
	if (!m->valid)
		return NULL;
	m->mode = mode;
	memcpy(m->bytes, insn, mi.len);
	m->mi = mi;
	m->gprs = (mi.mem.base >= 0 ? 1u << mi.mem.base : 0) | (mi.mem.index >= 0 ? 1u << mi.mem.index : 0) |
		  (mi.src == MMIO_SRC_REG || mi.xchg ? 1u << mi.reg : 0);
	return &m->mi;
}

/* The APIC ID as it is now: xAPIC ID register bits 31:24, the x2APIC ID whole (SDM Vol. 3A,
 * "Local APIC ID"). Kept in the vcpu for other CPUs' soft IPIs and kicks. */
static void apic_refresh_id(struct vcpu *v)
{
	enum apic_root_path p = apic_path();
	if (p == APIC_ROOT_NONE)
		return;
	uint32_t id = apic_read(APIC_REG_ID);
	__atomic_store_n(&v->apic_id_now, p == APIC_ROOT_X2APIC ? id : id >> 24, __ATOMIC_RELEASE);
}

/* The store of apic_store below where it needs a decision: an ICR write (a soft IPI?), an
 * ID write (the vcpu follows it), XCHG (the old value to the register), or a trace line. */
static __attribute__((noinline)) void apic_store_decided(struct vcpu *v, struct vmexit *e,
							 const struct mmio_insn *mi, uint64_t gpa, uint64_t value)
{
	unsigned off = (unsigned)(gpa & (PAGE_SIZE - 1));
	volatile void *reg = (volatile void *)(uintptr_t)gpa;
	uint64_t old = mi->xchg ? mmio_read(reg, mi->size) : 0;

	bool done = false;
	/* With the APIC disabled or moved, this page is not this CPU's APIC: the write goes
	 * where the guest's own write would have gone, and sends nothing. */
	bool xapic_here = apic_path() == APIC_ROOT_XAPIC;
	if (off == APIC_REG_ICR_LOW && mi->size == 4 && xapic_here) {
		uint64_t icr = (uint64_t)*apic_mmio(APIC_REG_ICR_HIGH) << 32 | (uint32_t)value;
		struct apic_icr d = apic_icr_decode(icr, false);
		done = soft_ipi(v, &d, false);
	}
	if (!done)
		mmio_write(reg, mi->size, value);
	if (off == APIC_REG_ID && xapic_here)
		apic_refresh_id(v); /* soft IPIs and kicks follow the ID the guest wrote */
	if (mi->xchg)
		gpr_store(v, mi->reg, mi->high8, mi->size, old);
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "apic reg=0x%03x value=0x%lx insn=\"%s\" len=%u%s", off,
			     value, mmio_insn_name(mi), mi->len, done ? " (IPI in software)" : "");
}

/* The decoded store, done: to the real APIC, or as a soft IPI (an ICR write of INIT or
 * SIPI to a virtualized processor); then RIP past the instruction. A plain MOV to any
 * register but the ICR and the ID (an EOI above all) is one write here; the rest, and
 * a traced exit, go through apic_store_decided. */
static inline EXIT_FAST_FN void apic_store(struct vcpu *v, struct vmexit *e, const struct mmio_insn *mi,
					   uint64_t gpa)
{
	uint64_t value = mi->src == MMIO_SRC_IMM ? mi->imm : gpr_value(v, mi->reg) >> (mi->high8 ? 8 : 0);
	unsigned off = (unsigned)(gpa & (PAGE_SIZE - 1));

	v->apic_writes++;
	if (__builtin_expect(mi->xchg || off == APIC_REG_ICR_LOW || off == APIC_REG_ID || e->tracing, 0))
		apic_store_decided(v, e, mi, gpa, value);
	else
		mmio_write((volatile void *)(uintptr_t)gpa, mi->size, value);
	vcpu_advance_rip(v, mi->len);
}

/* The same store as this CPU's last emulated one, again (an EOI write, mostly): the
 * remembered decode stands when the bytes at CS:RIP, fetched without a walk where the
 * last fetch's translation still holds (guest_fetch_remembered), equal the decoded ones
 * in the same mode; the exit's own checks and the operand's address are judged as on the
 * whole path. False, with nothing done, when any of it does not hold: the whole path
 * fetches and decodes. */
static inline __attribute__((always_inline)) bool apic_write_again(struct vcpu *v, const struct decode_memo *m,
								   struct vmexit *e, struct mmio_exit *x, uint64_t gpa)
{
	bool mode64, db;

	if (!m->valid)
		return false;
	const volatile uint8_t *at = guest_fetch_remembered(v, v->at_exit.rip, m->mi.len, &mode64, &db);
	if (!at || (mode64 ? MMIO_MODE_64 : db ? MMIO_MODE_32 : MMIO_MODE_16) != m->mode ||
	    !bytes_equal(at, m->bytes, m->mi.len))
		return false;
	x->decoded_la = operand_linear(v, &m->mi, mode64);
	if (mmio_emulation_verdict(x, MMIO_DECODE_OK, &m->mi) != MMIO_EMULATE)
		return false;
	apic_store(v, e, &m->mi, gpa);
	return true;
}

static void apic_write_decode(struct vcpu *v, struct vmexit *e, struct mmio_exit *x, uint64_t gpa);

/* What the exit itself says of the write, for mmio_emulation_verdict (the operand's
 * address still to be filled in). */
static struct mmio_exit apic_exit_facts(uint64_t qual, uint64_t gpa)
{
	return (struct mmio_exit){
		.idt_vectoring_valid = vmcs_read32_nocheck(IDT_VECTORING_INFO_FIELD) & (1u << 31),
		.qual = qual,
		.offset = (unsigned)(gpa & (PAGE_SIZE - 1)),
		.gla = vmcs_readnw_nocheck(GUEST_LINEAR_ADDRESS),
	};
}

/* From vmx_exit_fast (vmx/exit/exit.c), with v->at_exit read: apic_write_again, when the
 * last store's registers are all in v->regs (not those the fast path leaves in the
 * processor) and the exit is one at the intercepted page. */
EXIT_FAST_FN bool exit_apic_write_fast(struct vcpu *v, struct vmexit *e)
{
	const struct decode_memo *m = &decode_memos[v->index];
	if (!m->valid || (m->gprs & EXIT_FAST_GPRS_NOT_SAVED) || !g_hv.apic_intercept)
		return false;
	uint64_t gpa = vmcs_read64_nocheck(GUEST_PHYSICAL_ADDRESS);
	if (align_down(gpa, PAGE_SIZE) != g_hv.apic_base)
		return false;
	e->qual = vmcs_readnw_nocheck(EXIT_QUALIFICATION);
	struct mmio_exit x = apic_exit_facts(e->qual, gpa);
	return apic_write_again(v, m, e, &x, gpa);
}

/* True when the EPT violation was a guest write to the intercepted APIC page, now done. */
bool exit_apic_write(struct vcpu *v, struct vmexit *e, uint64_t gpa)
{
	if (align_down(gpa, PAGE_SIZE) != g_hv.apic_base || !ept_violation_qual_decode(e->qual).write)
		return false;
	if (!g_hv.apic_intercept) { /* turned off by another CPU: this CPU's TLB was stale */
		vmx_ept_flush_if_stale();
		return true;
	}
	struct mmio_exit x = apic_exit_facts(e->qual, gpa);
	if (apic_write_again(v, &decode_memos[v->index], e, &x, gpa))
		return true;
	apic_write_decode(v, e, &x, gpa);
	return true;
}

/* The whole way: the exit's own checks, the fetch, the decode (remembered for
 * apic_write_again), the operand's address; then the store, or the intercept off. */
static void apic_write_decode(struct vcpu *v, struct vmexit *e, struct mmio_exit *x, uint64_t gpa)
{
	x->decoded_la = x->gla; /* the checks of the exit alone first */
	static const struct mmio_insn none; /* what the exit's own checks see of the instruction */
	uint8_t insn[MMIO_INSN_MAX_LEN] = { 0 };
	enum mmio_verdict verdict = mmio_emulation_verdict(x, MMIO_DECODE_OK, &none);
	if (verdict != MMIO_EMULATE) { /* the exit itself says: not the instruction at RIP */
		apic_intercept_off(insn, 0, verdict);
		if (verdict == MMIO_REFUSE_EVENT_DELIVERY)
			apic_reinject_event(v);
		return;
	}
	bool mode64, db;
	unsigned n = guest_fetch_insn(insn, sizeof(insn), &mode64, &db);
	if (!n)
		return; /* the mapping changed under us: the guest runs it again */
	enum mmio_cpu_mode mode = mode64 ? MMIO_MODE_64 : db ? MMIO_MODE_32 : MMIO_MODE_16;
	enum mmio_decode_status st;
	const struct mmio_insn *mi = decode_write(v, insn, n, mode, &st);
	if (st == MMIO_DECODE_TRUNCATED && n < sizeof(insn)) { /* it goes on on the next page */
		n = guest_fetch_insn_more(insn, n, sizeof(insn));
		mi = decode_write(v, insn, n, mode, &st);
	}
	if (mi)
		x->decoded_la = operand_linear(v, mi, mode64);
	verdict = mmio_emulation_verdict(x, st, mi ? mi : &none);
	if (verdict == MMIO_REFUSE_LOCK_UD) {
		vcpu_inject_ud(v);
		return;
	}
	if (verdict != MMIO_EMULATE) {
		apic_intercept_off(insn, n, verdict);
		return;
	}
	apic_store(v, e, mi, gpa);
}

/* WRMSR IA32_APIC_BASE (intercepted): false when the guest gets #GP (vmx/decode/apic.h,
 * apic_base_write_faults: reserved bits, or a base on vmxray's memory). Otherwise the
 * processor takes the write, and may itself refuse it (an invalid mode transition). */
bool apic_base_write(struct vcpu *v, uint64_t value)
{
	if (apic_base_write_faults(value, g_hv.ept.maxphyaddr, g_hv.owned, g_hv.owned_count))
		return false;
	if (msr_safe_write(MSR_IA32_APIC_BASE, value) != 0)
		return false;
	apic_refresh_id(v); /* entering x2APIC mode brings the x2APIC ID */
	return true;
}

/* WRMSR to the x2APIC ICR: true when vmxray took the IPI, false when the write goes to
 * the hardware as it is. With reserved bits set, the processor is asked first
 * (apic_x2apic_icr_reserved_probe): where it faults, the guest's write goes to it and
 * faults the same way (#GP, as the SDM says); where it ignores them (Bochs 2.7), so does
 * vmxray, and an INIT or SIPI is still taken in software. */
bool apic_x2apic_icr_write(struct vcpu *v, uint64_t value)
{
	if (!g_hv.apic_intercept || !apic_x2apic_mode())
		return false;
	if (apic_x2apic_icr_reserved(value)) {
		if (msr_safe_write(APIC_MSR_ICR, apic_x2apic_icr_reserved_probe(value)) != 0)
			return false;
		value &= ~APIC_X2APIC_ICR_RESERVED;
	}
	struct apic_icr d = apic_icr_decode(value, true);
	return soft_ipi(v, &d, true);
}
