/* INIT and SIPI delivered in software to a virtualized processor (ipi=soft): a flag in
 * the target's vcpu plus an NMI to make it exit; the target then loads the INIT state and
 * waits in root mode for the SIPI. Runs in root mode on both sides; hardware edge
 * (IPIs, XSETBV). Why: vmx/exit/exit_apic.c. */
#include "vmx/exit/soft_ipi.h"

#include "arch/cpu.h"
#include "arch/exception.h"
#include "drivers/log.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/inject.h"
#include "vmx/exit/lapic_hw.h"
#include "vmx/hv.h"
#include "vmx/policy/emulate_rules.h"
#include "vmx/policy/ipi_fanout.h"
#include "vmx/policy/nmi_source.h"
#include "vmx/vmcs/vmcs.h"

#define SIPI_LATCHED 0x100u
/* How long the sender of an INIT waits for the target to take it, and how often it
 * sends the NMI again meanwhile (an NMI that lands in root mode just after the target
 * last looked at init_pending would otherwise leave it in the guest until its next
 * exit). */
#define INIT_ACK_SPINS 2000000
#define INIT_REKICK_SPINS 100000

/* Makes the target exit: an NMI (NMI exiting is on). At most one is in flight per
 * target (nmi_kick_send); the target takes it back in vcpu_take_nmi, so the guest never
 * sees it. */
static void kick(struct vcpu *t)
{
	if (!nmi_kick_send(__atomic_exchange_n(&t->kick_pending, 1, __ATOMIC_SEQ_CST)))
		return;
	struct apic_icr nmi = { .delivery = APIC_DM_NMI, .assert = true };
	if (!apic_send(__atomic_load_n(&t->apic_id_now, __ATOMIC_ACQUIRE), &nmi))
		__atomic_store_n(&t->kick_pending, 0, __ATOMIC_RELEASE); /* none in flight */
}

void vcpu_kick(struct vcpu *t)
{
	kick(t);
}

/* Whether the guest on this CPU runs an NMI handler already, or gets an NMI at the next
 * entry: then only one more NMI may wait (nmi_held_add). */
static bool guest_in_nmi(const struct vcpu *v)
{
	if (!v->launched)
		return false;
	uint32_t entry = vmcs_read32(VM_ENTRY_INTR_INFO_FIELD);
	bool nmi_queued = (entry & INTR_INFO_VALID) && ((entry >> 8) & 7) == INTR_TYPE_NMI;
	return nmi_queued || (vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & INTERRUPTIBILITY_NMI);
}

/* n more NMIs for the guest on this CPU (this CPU only: root mode's NMI handler may run
 * in the middle, hence the compare-and-swap). */
void nmi_hold(struct vcpu *v, unsigned n)
{
	if (!n)
		return;
	bool in_nmi = guest_in_nmi(v);
	uint8_t held = __atomic_load_n(&v->nmi_pending, __ATOMIC_ACQUIRE);
	while (!__atomic_compare_exchange_n(&v->nmi_pending, &held, nmi_held_add(held, n, in_nmi), false,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
}

/* The kick flag first, then the soft-NMI count (vmx/policy/nmi_source.h): a sender that
 * counts a soft NMI after the flag was taken finds no kick in flight and sends one,
 * which lands as a kick; one that counts before finds the count read here. */
bool vcpu_take_nmi(struct vcpu *v)
{
	struct nmi_look look = { .hw_nmi = true };
	look.kick_taken = __atomic_exchange_n(&v->kick_pending, 0, __ATOMIC_SEQ_CST) != 0;
	look.soft_nmis = __atomic_exchange_n(&v->soft_nmis, 0, __ATOMIC_SEQ_CST);
	look.wait_sipi = __atomic_load_n(&v->wait_sipi, __ATOMIC_ACQUIRE);
	struct nmi_decision d = nmi_source_decide(&look);
	nmi_hold(v, d.guest_nmis);
	return d.guest_nmis != 0;
}

/* The guest's NMI IPI to t, in software: counted, and t kicked (t takes the count at
 * that NMI, or at any NMI before it). To this CPU itself: held at once, the exit path
 * delivers it. */
static void soft_nmi(struct vcpu *self, struct vcpu *t)
{
	if (t == self) {
		if (!__atomic_load_n(&t->wait_sipi, __ATOMIC_ACQUIRE))
			nmi_hold(t, 1);
		return;
	}
	__atomic_add_fetch(&t->soft_nmis, 1, __ATOMIC_SEQ_CST);
	kick(t);
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
		if (i % INIT_REKICK_SPINS == 0)
			kick(t); /* only when none is in flight: two would make a spurious NMI */
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

static const char *ipi_kind_name(enum ipi_kind kind)
{
	return kind == IPI_INIT ? "INIT" : kind == IPI_SIPI ? "SIPI" : "NMI";
}

/* One virtualized processor t that the IPI reaches: in software. */
static void soft_ipi_one(struct vcpu *self, struct vcpu *t, enum ipi_kind kind, const struct apic_icr *icr)
{
	self->ipis_sent++;
	if (kind == IPI_NMI)
		soft_nmi(self, t);
	else if (kind == IPI_INIT)
		soft_init(t);
	else
		soft_sipi(t, icr->vector);
}

/* An IPI vmxray takes in software (a shorthand, or the broadcast destination) reaches
 * processors outside its table too: each gets it from root mode, physical destination,
 * one by one (vmx/policy/ipi_fanout.h). */
static void soft_ipi_outside(struct vcpu *self, const struct apic_icr *icr, bool x2apic)
{
	uint32_t known[2 * HV_MAX_CPUS];
	unsigned nk = 0;
	for (unsigned i = 0; i < g_hv.cpu_count; i++) {
		const struct vcpu *t = g_hv.vcpu[i];
		if (!t)
			continue;
		known[nk++] = t->apic_id;
		known[nk++] = __atomic_load_n(&t->apic_id_now, __ATOMIC_ACQUIRE);
	}
	uint32_t self_id = __atomic_load_n(&self->apic_id_now, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < g_hv.madt_apic_ids; i++) {
		uint32_t id = g_hv.madt_apic_id[i];
		if (!ipi_fanout_needs(icr, x2apic, self_id, id, known, nk))
			continue;
		(void)apic_send(id, icr);
		self->ipis_outside++;
	}
}

/* The guest on `self` sends the IPI `icr`: true when vmxray delivered it (or it has no
 * effect), false when the write must go to the hardware as it is. */
bool soft_ipi(struct vcpu *self, const struct apic_icr *icr, bool x2apic)
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
			log_warn("%s with a logical destination (0x%x): left to the hardware", ipi_kind_name(kind),
				 icr->dest);
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
		if ((t == self && kind != IPI_NMI) || !t->launched) {
			/* Not a vCPU to restart in software: this processor itself (its INIT then
			 * exits, vmx/exit/exit_init_sipi.c), or one that runs without vmxray. */
			(void)apic_send(id, icr);
			continue;
		}
		soft_ipi_one(self, t, kind, icr);
	}
	/* A destination vmxray does not know (no such APIC ID, or a CPU beyond the ones it
	 * virtualizes): the hardware decides. */
	bool taken = reached || icr->shorthand != APIC_DEST_FIELD;
	if (taken)
		soft_ipi_outside(self, icr, x2apic);
	return taken;
}

/* Runs on the target, in root mode, at the end of whatever exit it is in: the INIT
 * state, then wait for the SIPI (another INIT starts the wait over). The BSP does not
 * wait: it runs from the reset vector (vcpu_init_waits_for_sipi).
 * wait_sipi goes to 1 before init_pending goes to 0: a sender's soft_sipi latches a
 * SIPI while either is set, so one sent between the two is never dropped. */
void vcpu_soft_init(struct vcpu *v)
{
	bool ap = vcpu_init_waits_for_sipi();
	for (;;) {
		if (ap)
			__atomic_store_n(&v->wait_sipi, 1, __ATOMIC_RELEASE);
		if (__atomic_exchange_n(&v->init_pending, 0, __ATOMIC_ACQ_REL)) {
			vcpu_load_init_state(v);
			apic_init_reset();
			v->soft_inits++;
			log_debug("INIT (software): cpu%u %s", v->apic_id,
				  ap ? "waits for SIPI" : "(BSP) starts at the reset vector");
			if (!ap) {
				vcpu_start_at_reset_vector();
				vmx_ept_flush_if_stale();
				return;
			}
		}
		uint32_t s = __atomic_load_n(&v->sipi_vector, __ATOMIC_ACQUIRE);
		if (s && !__atomic_load_n(&v->init_pending, __ATOMIC_ACQUIRE) &&
		    __atomic_compare_exchange_n(&v->sipi_vector, &s, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&v->wait_sipi, 0, __ATOMIC_RELEASE);
			v->soft_sipis++;
			log_debug("SIPI (software): cpu%u starts at 0x%x", v->apic_id, (s & 0xFF) << 12);
			vcpu_start_at_sipi(v, (uint8_t)s);
			v->nmi_pending = 0; /* none was taken while waiting */
			__atomic_store_n(&v->soft_nmis, 0, __ATOMIC_RELEASE);
			vmx_ept_flush_if_stale();
			return;
		}
		cpu_pause();
	}
}
