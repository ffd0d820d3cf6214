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
#include "vmx/decode/decode.h" /* enum guest_activity */
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
	uint32_t rows;       /* bit per enum intercept_id, named: refused when the CPU cannot */
	uint32_t rows_all;   /* the rows `all` adds: those the CPU cannot do are left out */
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

/* Adds the control bits of `rows` (intercept_rows_resolve) and of the EPT range to the
 * request's required bits. */
void intercept_request(uint32_t rows, const struct intercept_set *s, struct vmx_ctrl_request *r);

/* Whether this CPU can set every control bit of row id (allowed-1). When not, and
 * `missing` is not NULL, the first bit it lacks. Inline: the capability matrix
 * (vmx/study/caps_matrix.c) lists the rows with it. */
static inline bool intercept_bits_allowed(const struct vmx_caps *c, enum vmx_ctrl_group g, uint64_t bits,
					  struct vmx_missing_bit *missing)
{
	struct vmx_ctrl_allowed a;
	if (!bits)
		return true;
	uint64_t lacking = vmx_caps_ctrl_allowed(c, g, &a) ? bits & ~a.allowed1 : bits;
	/* Secondary controls only count when the primary control that activates them can be
	 * set (SDM Vol. 3C, A.3.3 "Secondary Processor-Based VM-Execution Controls"). */
	if (!lacking && g == VMX_CTRL_PROC2)
		return intercept_bits_allowed(c, VMX_CTRL_PROC, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS, missing);
	if (!lacking)
		return true;
	if (missing) {
		missing->group = g;
		missing->bit = (unsigned)__builtin_ctzll(lacking);
	}
	return false;
}

static inline bool intercept_row_allowed(const struct vmx_caps *c, enum intercept_id id, struct vmx_missing_bit *missing)
{
	for (unsigned g = 0; g < VMX_CTRL_GROUP_COUNT; g++)
		if (!intercept_bits_allowed(c, (enum vmx_ctrl_group)g, intercept_rows[id].ctl[g], missing))
			return false;
	/* HLT is emulated by entering the HLT activity state (vmx/exit/exit_intercept_insn.c). */
	return id != INTERCEPT_HLT || vmx_caps_activity_supported(c, GUEST_ACTIVITY_HLT);
}
/* Whether intercept=ept:... can be done here: the access is stepped with RFLAGS.TF and
 * an intercepted #DB (vmx/policy/step.h), which every VMX CPU can; the page keeps read
 * (and execute or write) permission: no execute-only EPT needed. */
static inline bool intercept_ept_allowed(const struct vmx_caps *c)
{
	(void)c;
	return true;
}

/* The first thing of s this CPU cannot do, in words (NULL when all can be done); the
 * rows only `all` asked for do not count. */
const char *intercept_refusal(const struct vmx_caps *c, const struct intercept_set *s, char *buf, size_t n);
/* The rows to set on this CPU: the named ones and those of `all` the CPU allows. */
uint32_t intercept_rows_resolve(const struct vmx_caps *c, const struct intercept_set *s);

#endif
