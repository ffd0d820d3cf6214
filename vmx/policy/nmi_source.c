/* Whose NMI is it (vmx/policy/nmi_source.h). Pure. */
#include "vmx/policy/nmi_source.h"

struct nmi_decision nmi_source_decide(const struct nmi_look *look)
{
	/* SDM Vol. 3A, "MP Initialization Protocol Algorithm for MP Systems": a processor
	 * in wait-for-SIPI takes no NMI. The flag and count were taken all the same, so
	 * none of it reaches the guest after the SIPI. */
	if (look->wait_sipi)
		return (struct nmi_decision){ look->hw_nmi ? NMI_DROPPED : NMI_NONE, 0 };
	if (!look->hw_nmi)
		return (struct nmi_decision){ NMI_NONE, look->soft_nmis };
	if (look->kick_taken)
		return (struct nmi_decision){ NMI_KICK, look->soft_nmis };
	return (struct nmi_decision){ NMI_UNACCOUNTED, look->soft_nmis + 1 };
}

const char *nmi_verdict_name(enum nmi_verdict v)
{
	switch (v) {
	case NMI_NONE:
		return "none";
	case NMI_KICK:
		return "kick";
	case NMI_UNACCOUNTED:
		return "unaccounted (the guest's)";
	case NMI_DROPPED:
		return "dropped (wait-for-SIPI)";
	}
	return "?";
}
