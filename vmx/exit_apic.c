/* INIT and SIPI between processors, in software (ipi=soft, the default).
 *
 * Why: an INIT that reaches a processor in VMX non-root mode exits, and vmxray then
 * plays the processor's part (vmx/exit_init_sipi.c). Debian's Bochs 2.7 never clears
 * such an INIT, so the vCPU exits again on every entry and cannot be restarted
 * (docs/ARCHITECTURE.md, "INIT and SIPI between processors"). So vmxray keeps INIT and SIPI from ever
 * reaching a virtualized processor as signals:
 *
 *  - the local APIC page is read-only in the EPT (only when there is more than one
 *    processor): a guest write to it exits as an EPT violation; the instruction is
 *    decoded (vmx/mmio_decode.h) and its write done to the real APIC, except a write
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
#include "vmx/apic.h"
#include "vmx/decode.h"
#include "vmx/exit.h"
#include "vmx/guest_mem.h"
#include "vmx/hv.h"
#include "vmx/inject.h"
#include "vmx/mmio_decode.h"
#include "vmx/setup.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_hw.h"

#define SIPI_LATCHED 0x100u
#define ICR_IDLE_SPINS 100000
/* How long the sender of an INIT waits for the target to take it, and how often it
 * sends the NMI again meanwhile (an NMI that lands in root mode just after the target
 * last looked at init_pending would otherwise leave it in the guest until its next
 * exit). */
#define INIT_ACK_SPINS 2000000
#define INIT_REKICK_SPINS 100000

/* ---- the real local APIC of this processor ---- */

static bool apic_x2apic_mode(void)
{
	return cpu_rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_X2APIC;
}

/* Root mode reaches the xAPIC only at the page vmxray checked at launch (hv.apic_base),
 * and only while IA32_APIC_BASE says the APIC is enabled there: never at the base the
 * guest last wrote. With EN=0, or another base, that address is memory the guest chose,
 * possibly vmxray's own (vmx/apic.h, apic_root_path). */
static enum apic_root_path apic_path(void)
{
	return apic_root_path(cpu_rdmsr(MSR_IA32_APIC_BASE), g_hv.apic_base);
}

static volatile uint32_t *apic_mmio(unsigned off)
{
	return (volatile uint32_t *)(uintptr_t)(g_hv.apic_base + off);
}

static uint32_t apic_read(unsigned off)
{
	switch (apic_path()) {
	case APIC_ROOT_X2APIC:
		return (uint32_t)cpu_rdmsr(APIC_MSR_BASE + off / 16);
	case APIC_ROOT_XAPIC:
		return *apic_mmio(off);
	default:
		return 0;
	}
}

static void apic_write(unsigned off, uint32_t v)
{
	switch (apic_path()) {
	case APIC_ROOT_X2APIC:
		cpu_wrmsr(APIC_MSR_BASE + off / 16, v);
		break;
	case APIC_ROOT_XAPIC:
		*apic_mmio(off) = v;
		break;
	default:
		break;
	}
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

/* An IPI from root mode to one processor, physical destination; false when this CPU's
 * APIC is disabled or not at the checked page (no IPI can be sent). In xAPIC mode the
 * guest's ICR_HIGH is put back afterwards: the guest may write ICR_LOW again later and
 * expect its own destination there. */
static bool apic_send(uint32_t dest, const struct apic_icr *how)
{
	struct apic_icr icr = *how;
	icr.dest = dest;
	icr.logical = false;
	icr.shorthand = APIC_DEST_FIELD;
	enum apic_root_path p = apic_path();
	if (p == APIC_ROOT_X2APIC) {
		cpu_wrmsr(APIC_MSR_ICR, apic_icr_encode(&icr, true));
		return true;
	}
	if (p != APIC_ROOT_XAPIC)
		return false;
	uint64_t v = apic_icr_encode(&icr, false);
	uint32_t guest_high = *apic_mmio(APIC_REG_ICR_HIGH);
	for (unsigned i = 0; i < ICR_IDLE_SPINS && (*apic_mmio(APIC_REG_ICR_LOW) & APIC_ICR_BUSY); i++)
		cpu_pause();
	*apic_mmio(APIC_REG_ICR_HIGH) = (uint32_t)(v >> 32);
	*apic_mmio(APIC_REG_ICR_LOW) = (uint32_t)v;
	*apic_mmio(APIC_REG_ICR_HIGH) = guest_high;
	return true;
}

/* What an INIT does to the local APIC (SDM Vol. 3A, "Local APIC State After an INIT
 * Reset"): as at power-up except the APIC ID; IRR and ISR cannot be written, so the ISR
 * is drained with EOIs, and what waits in the IRR stays until the guest enables the
 * APIC again. The APIC base and x2APIC mode do not change. */
static void apic_init_reset(void)
{
	uint64_t base = cpu_rdmsr(MSR_IA32_APIC_BASE);
	if (!(base & APIC_BASE_ENABLE))
		return;
	bool x2 = base & APIC_BASE_X2APIC;
	unsigned max_lvt = (apic_read(APIC_REG_VERSION) >> 16) & 0xFF;
	static const unsigned lvts[] = { APIC_REG_LVT_TIMER, APIC_REG_LVT_THERMAL, APIC_REG_LVT_PERF,
					 APIC_REG_LVT_LINT0, APIC_REG_LVT_LINT1, APIC_REG_LVT_ERROR };
	for (unsigned i = 0; i < sizeof(lvts) / sizeof(lvts[0]); i++)
		apic_write(lvts[i], APIC_LVT_MASKED);
	if (max_lvt >= 6)
		apic_write(APIC_REG_LVT_CMCI, APIC_LVT_MASKED);
	apic_write(APIC_REG_TIMER_ICR, 0);
	apic_write(APIC_REG_TIMER_DCR, 0);
	apic_write(APIC_REG_TPR, 0);
	if (!x2) { /* read-only, or absent, in x2APIC mode */
		apic_write(APIC_REG_LDR, 0);
		apic_write(APIC_REG_DFR, 0xFFFFFFFFu);
	}
	for (unsigned n = 0; n < 256; n++) {
		bool in_service = false;
		for (unsigned r = 0; r < 8; r++)
			in_service |= apic_read(APIC_REG_ISR0 + r * 16) != 0;
		if (!in_service)
			break;
		apic_write(APIC_REG_EOI, 0);
	}
	apic_write(APIC_REG_ESR, 0);
	apic_write(APIC_REG_SVR, 0xFF); /* software-disabled, spurious vector 0xFF */
}

/* ---- delivery to a vCPU ---- */

/* Makes the target exit: an NMI (NMI exiting is on). At most one is in flight per
 * target; the target takes it back in vcpu_take_kick, so the guest never sees it. */
static void kick(struct vcpu *t)
{
	if (__atomic_exchange_n(&t->kick_pending, 1, __ATOMIC_ACQ_REL))
		return;
	struct apic_icr nmi = { .delivery = APIC_DM_NMI, .assert = true };
	if (!apic_send(__atomic_load_n(&t->apic_id_now, __ATOMIC_ACQUIRE), &nmi))
		__atomic_store_n(&t->kick_pending, 0, __ATOMIC_RELEASE); /* none in flight */
}

void vcpu_kick(struct vcpu *t)
{
	kick(t);
}

bool vcpu_take_kick(struct vcpu *v)
{
	return __atomic_exchange_n(&v->kick_pending, 0, __ATOMIC_ACQ_REL) != 0;
}

static void soft_init(struct vcpu *t)
{
	__atomic_store_n(&t->sipi_vector, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&t->init_pending, 1, __ATOMIC_RELEASE);
	if (__atomic_load_n(&t->wait_sipi, __ATOMIC_ACQUIRE))
		return; /* already waiting: it sees the new INIT itself */
	kick(t);
	for (unsigned i = 1; i <= INIT_ACK_SPINS; i++) {
		if (__atomic_load_n(&t->wait_sipi, __ATOMIC_ACQUIRE) || !__atomic_load_n(&t->init_pending, __ATOMIC_ACQUIRE))
			return;
		if (i % INIT_REKICK_SPINS == 0) {
			__atomic_store_n(&t->kick_pending, 0, __ATOMIC_RELEASE);
			kick(t);
		}
		cpu_pause();
	}
	log_warn("INIT to cpu%u: not taken yet; it enters the INIT state at its next VM exit", t->apic_id);
}

/* A SIPI counts only for a processor in wait-for-SIPI (or about to be: its INIT is
 * on the way), and only the first one (SDM Vol. 3A, "MP Initialization Protocol
 * Algorithm for MP Systems": the second SIPI of the sequence is ignored by a processor
 * that already started). */
static void soft_sipi(struct vcpu *t, uint8_t vector)
{
	if (!__atomic_load_n(&t->init_pending, __ATOMIC_ACQUIRE) && !__atomic_load_n(&t->wait_sipi, __ATOMIC_ACQUIRE))
		return;
	uint32_t none = 0;
	__atomic_compare_exchange_n(&t->sipi_vector, &none, SIPI_LATCHED | vector, false, __ATOMIC_ACQ_REL,
				    __ATOMIC_ACQUIRE);
}

/* The guest on `self` sends the IPI `icr`: true when vmxray delivered it (or it has no
 * effect), false when the write must go to the hardware as it is. */
static bool soft_ipi(struct vcpu *self, const struct apic_icr *icr, bool x2apic)
{
	enum ipi_kind kind = apic_ipi_kind(icr);
	if (kind == IPI_OTHER)
		return false;
	if (kind == IPI_INIT_DEASSERT)
		return true;
	if (icr->logical && icr->shorthand == APIC_DEST_FIELD) {
		static bool told;
		if (!told) {
			told = true;
			log_warn("%s with a logical destination (0x%x): left to the hardware",
				 kind == IPI_INIT ? "INIT" : "SIPI", icr->dest);
		}
		return false;
	}
	bool reached = false;
	for (unsigned i = 0; i < g_hv.cpu_count; i++) {
		struct vcpu *t = g_hv.vcpu[i];
		uint32_t id = t ? __atomic_load_n(&t->apic_id_now, __ATOMIC_ACQUIRE) : 0;
		if (!t || !apic_icr_reaches(icr, x2apic, self->apic_id_now, id))
			continue;
		reached = true;
		if (t == self || !t->launched) {
			/* Not a vCPU to restart in software: this processor itself (its INIT then
			 * exits, vmx/exit_init_sipi.c), or one that runs without vmxray. */
			(void)apic_send(id, icr);
			continue;
		}
		self->ipis_sent++;
		if (kind == IPI_INIT)
			soft_init(t);
		else
			soft_sipi(t, icr->vector);
	}
	/* A destination vmxray does not know (no such APIC ID, or a CPU beyond the ones it
	 * virtualizes): the hardware decides. */
	return reached || icr->shorthand != APIC_DEST_FIELD;
}

/* Runs on the target, in root mode, at the end of whatever exit it is in: the INIT
 * state, then wait for the SIPI (another INIT starts the wait over). */
void vcpu_soft_init(struct vcpu *v)
{
	for (;;) {
		if (__atomic_exchange_n(&v->init_pending, 0, __ATOMIC_ACQ_REL)) {
			vcpu_load_init_state(v);
			apic_init_reset();
			if (g_hv.caps.cpu.xsave)
				(void)xsetbv_safe(0, 1); /* XCR0 after INIT: x87 only */
			__atomic_store_n(&v->wait_sipi, 1, __ATOMIC_RELEASE);
			v->soft_inits++;
			log_debug("INIT (software): cpu%u waits for SIPI", v->apic_id);
		}
		uint32_t s = __atomic_load_n(&v->sipi_vector, __ATOMIC_ACQUIRE);
		if (s && !__atomic_load_n(&v->init_pending, __ATOMIC_ACQUIRE) &&
		    __atomic_compare_exchange_n(&v->sipi_vector, &s, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&v->wait_sipi, 0, __ATOMIC_RELEASE);
			v->soft_sipis++;
			log_debug("SIPI (software): cpu%u starts at 0x%x", v->apic_id, (s & 0xFF) << 12);
			vcpu_start_at_sipi(v, (uint8_t)s);
			v->nmi_pending = false; /* none was taken while waiting */
			vmx_ept_flush_if_stale();
			return;
		}
		cpu_pause();
	}
}

/* ---- the intercepts ---- */

void apic_intercept_setup(struct hv *hv)
{
	uint64_t base = cpu_rdmsr(MSR_IA32_APIC_BASE);
	hv->apic_base = base & APIC_BASE_ADDR_MASK;
	if (hv->cfg.ipi_hardware || hv->cpu_count < 2 || !(base & APIC_BASE_ENABLE)) {
		log_info("IPI: INIT and SIPI reach the processors as signals (%s)",
			 hv->cfg.ipi_hardware ? "ipi=hardware" : hv->cpu_count < 2 ? "one processor" : "APIC disabled");
		return;
	}
	uint8_t type = mtrr_type_of(&hv->mtrr, hv->apic_base);
	if (ept_map_4k(&hv->ept, hv->apic_base, hv->apic_base, EPT_READ | EPT_EXECUTE, type, &hv->ept_alloc) != 0) {
		log_warn("IPI: no EPT memory to write-protect the APIC page; INIT and SIPI stay signals");
		return;
	}
	hv->apic_intercept = true;
	msr_bitmap_intercept(hv->msr_bitmap, APIC_MSR_ICR, false, true);
	log_info("IPI: INIT and SIPI between the %u processors in software (APIC page 0x%lx "
		 "write-protected, x2APIC ICR intercepted)", hv->cpu_count, hv->apic_base);
}

/* The decoder cannot handle the write: give the page back to the guest for good. */
static void apic_intercept_off(const uint8_t *insn, unsigned n)
{
	spin_lock(&g_hv.lock);
	if (g_hv.apic_intercept) {
		g_hv.apic_intercept = false;
		(void)ept_map_4k(&g_hv.ept, g_hv.apic_base, g_hv.apic_base, EPT_READ | EPT_WRITE | EPT_EXECUTE,
				 mtrr_type_of(&g_hv.mtrr, g_hv.apic_base), &g_hv.ept_alloc);
		g_hv.ept_generation++;
		log_warn("IPI: APIC write by an instruction vmxray does not decode (%02x %02x %02x %02x "
			 "%02x %02x, %u bytes fetched); APIC-page intercept off, INIT and SIPI are signals now",
			 insn[0], n > 1 ? insn[1] : 0, n > 2 ? insn[2] : 0, n > 3 ? insn[3] : 0,
			 n > 4 ? insn[4] : 0, n > 5 ? insn[5] : 0, n);
	}
	spin_unlock(&g_hv.lock);
	vmx_ept_flush_if_stale();
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

/* True when the EPT violation was a guest write to the intercepted APIC page, now done. */
bool exit_apic_write(struct vcpu *v, struct vmexit *e, uint64_t gpa)
{
	if (align_down(gpa, PAGE_SIZE) != g_hv.apic_base || !ept_violation_qual_decode(e->qual).write)
		return false;
	if (!g_hv.apic_intercept) { /* turned off by another CPU: this CPU's TLB was stale */
		vmx_ept_flush_if_stale();
		return true;
	}
	uint8_t insn[15];
	bool mode64, db;
	unsigned n = guest_fetch_insn(insn, sizeof(insn), &mode64, &db);
	if (!n)
		return true; /* the mapping changed under us: the guest runs it again */
	struct mmio_insn mi;
	enum mmio_cpu_mode mode = mode64 ? MMIO_MODE_64 : db ? MMIO_MODE_32 : MMIO_MODE_16;
	if (mmio_decode_write(insn, n, mode, &mi) != MMIO_DECODE_OK) {
		apic_intercept_off(insn, n);
		return true;
	}
	uint64_t value = mi.src == MMIO_SRC_IMM ? mi.imm : gpr_value(v, mi.reg) >> (mi.high8 ? 8 : 0);
	unsigned off = (unsigned)(gpa & (PAGE_SIZE - 1));
	volatile void *reg = (volatile void *)(uintptr_t)gpa;
	uint64_t old = mi.xchg ? mmio_read(reg, mi.size) : 0;

	v->apic_writes++;
	bool done = false;
	/* With the APIC disabled or moved, this page is not this CPU's APIC: the write goes
	 * where the guest's own write would have gone, and sends nothing. */
	bool xapic_here = apic_path() == APIC_ROOT_XAPIC;
	if (off == APIC_REG_ICR_LOW && mi.size == 4 && xapic_here) {
		uint64_t icr = (uint64_t)*apic_mmio(APIC_REG_ICR_HIGH) << 32 | (uint32_t)value;
		struct apic_icr d = apic_icr_decode(icr, false);
		done = soft_ipi(v, &d, false);
	}
	if (!done)
		mmio_write(reg, mi.size, value);
	if (off == APIC_REG_ID && xapic_here)
		apic_refresh_id(v); /* soft IPIs and kicks follow the ID the guest wrote */
	if (mi.xchg)
		gpr_store(v, mi.reg, mi.high8, mi.size, old);
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "apic reg=0x%03x value=0x%lx insn=\"%s\" len=%u%s", off,
			     value, mmio_insn_name(&mi), mi.len, done ? " (IPI in software)" : "");
	vcpu_advance_rip(v, mi.len);
	return true;
}

/* WRMSR IA32_APIC_BASE (intercepted): false when the guest gets #GP (vmx/apic.h,
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
 * the hardware as it is. */
bool apic_x2apic_icr_write(struct vcpu *v, uint64_t value)
{
	if (!g_hv.apic_intercept || !apic_x2apic_mode())
		return false;
	struct apic_icr d = apic_icr_decode(value, true);
	return soft_ipi(v, &d, true);
}
