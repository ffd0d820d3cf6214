/* The opt-in intercepts (`intercept=`, issue 21): names, what they ask of VMX, and whether
 * this CPU can do them. One table: vmx/policy/intercepts.def. Pure.
 *
 * The option is parsed (and every name checked) before the capabilities are read; the
 * capabilities are checked in hv_prepare, before VMXON: a name the CPU cannot do is
 * refused there with one line naming the intercept and the control bit it lacks, and
 * vmxray returns to the firmware unchanged. */
#ifndef VMXRAY_VMX_POLICY_INTERCEPT_H
#define VMXRAY_VMX_POLICY_INTERCEPT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmx/caps/caps.h"
#include "vmx/vmcs/controls.h"

enum intercept_id {
#define INTERCEPT(id, name, pin, proc, proc2, exit, reasons, handlers) INTERCEPT_##id,
#include "vmx/policy/intercepts.def"
#undef INTERCEPT
	INTERCEPT_COUNT
};

struct intercept_row {
	const char *name;
	uint64_t ctl[VMX_CTRL_GROUP_COUNT]; /* control bits it sets, by group */
	const char *reasons;                /* exit reasons' short names, comma separated */
};

static const struct intercept_row intercept_rows[INTERCEPT_COUNT] = {
#define INTERCEPT(id, name, pin, proc, proc2, exit, reasons, handlers)                                 \
	[INTERCEPT_##id] = { name, { [VMX_CTRL_PIN] = (pin), [VMX_CTRL_PROC] = (proc),                  \
				     [VMX_CTRL_PROC2] = (proc2), [VMX_CTRL_EXIT] = (exit) }, reasons },
#include "vmx/policy/intercepts.def"
#undef INTERCEPT
};

/* intercept=ept:FIRST-LAST:w|x: writes (w) or instruction fetches (x) in the
 * guest-physical range [first, last] exit (whole 4 KiB pages). */
#define INTERCEPT_EPT_WRITE 1u
#define INTERCEPT_EPT_EXEC 2u

/* What intercept= asked for. */
struct intercept_set {
	uint32_t rows;       /* bit per enum intercept_id */
	uint32_t exceptions; /* the exception bitmap's vectors (0-31) */
	uint8_t ept_access;  /* 0, INTERCEPT_EPT_WRITE or INTERCEPT_EPT_EXEC */
	uint64_t ept_first, ept_last;
};

/* The vectors `all` and the mnemonics may name: those with a '#' mnemonic in
 * arch/exceptions.def (not NMI, which NMI exiting governs; not the reserved ones). */
uint32_t intercept_exception_vectors(void);

/* One item of the list: "all", a row's name, an exception mnemonic without '#' in lower
 * case (pf, gp, ...), or ept:FIRST-LAST:w|x. False for anything else. */
bool intercept_parse_item(struct intercept_set *s, const char *item, size_t n);
/* A comma-separated list (no empty item). */
bool intercept_parse_list(struct intercept_set *s, const char *list, size_t n);

/* Adds the control bits of the set's rows to the request's required bits. */
void intercept_request(const struct intercept_set *s, struct vmx_ctrl_request *r);

/* Whether this CPU can set every control bit of row id (allowed-1). When not, and
 * `missing` is not NULL, the first bit it lacks. */
bool intercept_row_allowed(const struct vmx_caps *c, enum intercept_id id, struct vmx_missing_bit *missing);
/* Whether intercept=ept:... can be done here: the access is stepped with the monitor
 * trap flag (SDM Vol. 3C, 26.5.2 "Monitor Trap Flag"), so that bit must be allowed-1.
 * The page keeps read (and execute or write) permission: no execute-only EPT needed. */
bool intercept_ept_allowed(const struct vmx_caps *c);

/* The first thing of s this CPU cannot do, in words (NULL when all can be done). */
const char *intercept_refusal(const struct vmx_caps *c, const struct intercept_set *s, char *buf, size_t n);

#endif
