/* Whose NMI is it: vmxray's kick, or the guest's. Pure.
 *
 * vmxray makes another CPU exit with an NMI (a "kick": vmx/exit/soft_ipi.c, NMI exiting
 * is on). The hardware cannot tell that NMI from any other: NMIs carry no source, and
 * they do not queue beyond one (SDM Vol. 3A, "NMI Handling": "While an NMI interrupt
 * handler is executing, the processor blocks delivery of subsequent NMIs until the next
 * execution of the IRET instruction"; one more NMI is held pending meanwhile, further
 * ones are lost into it). So a kick and another NMI sent close together may reach the
 * CPU as one. vmxray therefore does its own bookkeeping, per target CPU:
 *
 *  - kick_pending: at most one kick in flight (a sender sends only when it set the flag
 *    from 0 to 1); the first NMI to arrive after it was set stands for the kick, and
 *    takes the flag back;
 *  - soft_nmis: NMIs the guest sent to this CPU by an ICR write vmxray emulates
 *    (ipi=soft, vmx/exit/soft_ipi.c). They never go to the hardware as NMIs: the sender
 *    counts them here and kicks. The target takes the count whenever it looks (at every
 *    NMI, and at every full exit path), so a soft NMI is never lost, whether its kick
 *    merged with another NMI or not;
 *  - any other NMI (the platform's, an LVT's, a logical-destination or ipi=hardware
 *    IPI): vmxray cannot account for it, and it is the guest's. Like Linux on bare
 *    hardware (arch/x86/kernel/nmi.c, default_do_nmi: an NMI no source claims is
 *    reported as "unknown", never dropped) and KVM (arch/x86/kvm/vmx/vmx.c: an NMI that
 *    exits the guest goes to the host's own handler, since KVM has no NMIs of its own to
 *    hide), an NMI with no kick in flight is delivered to the guest.
 *
 * The one case the hardware leaves undecidable: an unaccounted NMI that merges with a
 * kick in flight arrives as a single NMI. vmxray takes it as the kick (no spurious NMI
 * reaches the guest; the other is lost, as a third NMI is lost on bare hardware while
 * one is handled and one pending). An unaccounted NMI that arrives before the kick,
 * unmerged, is taken as the kick and the kick then as the guest's: the guest still
 * gets exactly one NMI, a little late.
 *
 * Virtual NMIs are on (vmx/policy/setup.c): the guest's own NMI blocking is virtual and
 * never holds back a physical NMI, which exits (SDM Vol. 3C, "Pin-Based VM-Execution
 * Controls", Virtual NMIs: "NMIs are never blocked and the 'blocking by NMI' bit ...
 * indicates 'virtual-NMI blocking'"); only root mode's blocking (from an NMI exit until
 * vmxray's IRET, cpu_unblock_nmi; SDM Vol. 3C, "Saving Non-Register State": an NMI that
 * exits leaves NMIs blocked) makes one wait, held pending as on any processor. */
#ifndef VMXRAY_VMX_POLICY_NMI_SOURCE_H
#define VMXRAY_VMX_POLICY_NMI_SOURCE_H
#include <stdbool.h>
#include <stdint.h>

/* What the CPU saw, taken atomically by the caller in this order: the kick flag (only
 * when a hardware NMI arrived), then the soft-NMI count. */
struct nmi_look {
	bool hw_nmi;         /* an NMI reached this CPU: exit reason 0 type NMI, or root vector 2 */
	bool kick_taken;     /* kick_pending was 1 and is now 0 (only taken when hw_nmi) */
	uint32_t soft_nmis;  /* soft NMIs counted for this CPU since the last look */
	bool wait_sipi;      /* this CPU waits for a SIPI: it takes no NMI */
};

/* What the NMI that arrived (if one did) was. */
enum nmi_verdict {
	NMI_NONE,        /* no hardware NMI at this look (a full exit path looking for soft NMIs) */
	NMI_KICK,        /* vmxray's own NMI, taken back: nothing for the guest */
	NMI_UNACCOUNTED, /* an NMI vmxray neither sent nor counted: the guest's */
	NMI_DROPPED,     /* this CPU waits for a SIPI: it takes no NMI */
};

struct nmi_decision {
	enum nmi_verdict verdict;
	unsigned guest_nmis; /* NMIs to hold for the guest (nmi_held_add caps them) */
};

/* Soft NMIs counted for the guest each give it one NMI; an unaccounted hardware NMI one
 * more (it may also have carried soft NMIs' kick: the hardware merged them). */
struct nmi_decision nmi_source_decide(const struct nmi_look *look);

/* Whether a kick must go out to a CPU whose kick flag was `was_pending` before the
 * sender set it: only when none is in flight. A second kick while one is in flight
 * would be a second NMI with one flag, and reach the guest as a spurious NMI. */
static inline bool nmi_kick_send(uint32_t was_pending)
{
	return was_pending == 0;
}

/* NMIs held for the guest (vcpu nmi_pending) after `add` more: at most one NMI runs
 * in the guest and one waits behind it (SDM Vol. 3A, "NMI Handling"), as KVM counts them
 * (arch/x86/kvm/x86.c, process_nmi: "limit further NMIs to just one" while one is in
 * progress, "otherwise, allow two"). guest_in_nmi: the guest is blocked by (virtual) NMI,
 * or an NMI is already set to be injected at the next entry. */
static inline uint8_t nmi_held_add(uint8_t held, unsigned add, bool guest_in_nmi)
{
	unsigned cap = guest_in_nmi ? 1 : 2;
	unsigned sum = held + add;
	return (uint8_t)(sum > cap ? cap : sum);
}

const char *nmi_verdict_name(enum nmi_verdict v);

#endif
