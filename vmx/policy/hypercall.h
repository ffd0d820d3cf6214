/* The pure check of a hypercall's buffer argument (vmx/policy/hypercall_check.c). */
#ifndef VMXRAY_VMX_HYPERCALL_H
#define VMXRAY_VMX_HYPERCALL_H
#include <stdbool.h>
#include <stdint.h>

#include "arch/memory.h"
#include "vmx/decode/guest_walk.h"
#include "vmx/policy/hypercall_abi.h"

/* Test-only function number, answered only with test=root-exception. */
#define VMXRAY_HC_TEST_ROOT_EXCEPTION 0x7E57

/* Pure: may a hypercall write `needed` bytes at guest-physical buf (size given by the
 * guest)? VMXRAY_HC_OK, or the negative status to return (vmx/policy/hypercall_abi.h). */
int64_t hypercall_check_buffer(const struct mem_map *ram, const struct mem_range *owned,
			       unsigned n_owned, uint64_t buf, uint64_t size, uint64_t needed);

/* ---- CPL 3 callers (user_hypercalls=on; vmx/policy/hypercall_user.c) ---- */

/* Whether CPL 3 may make this call: the read-only calls only. A new read-only call
 * (e.g. a trace-ring read) is one more case there. */
bool hypercall_user_allowed(uint64_t fn);

/* A buffer as vmxray writes it: its guest-physical pieces in order, one per 4 KiB page
 * of the caller's address space (CPL 0: one piece, the buffer itself), with the walk
 * that found each (its entries get the accessed and dirty flags before the write). */
#define HC_BUFFER_MAX_PIECES (VMXRAY_HC_USER_MAX_BYTES / 4096 + 1)

struct hc_piece {
	uint64_t gpa;
	uint64_t len;
	struct guest_walk walk; /* CPL 3 only */
};

struct hc_buffer {
	unsigned pieces;
	uint64_t bytes; /* the sum of the pieces' lengths */
	struct hc_piece piece[HC_BUFFER_MAX_PIECES];
};

/* Pure: may a CPL 3 hypercall write `needed` bytes at the caller's linear address va
 * (size given by the caller)? The caller's paging state is p (p->cpl is taken as 3:
 * the accesses are user-mode writes); mode64 says whether the caller runs in 64-bit
 * mode (otherwise linear addresses stop at 4 GiB). Every page is walked and checked
 * before the function returns VMXRAY_HC_OK with the pieces in *out; otherwise the
 * negative status (vmx/policy/hypercall_abi.h, "CPL 3") and out->pieces = 0. */
int64_t hypercall_check_user_buffer(const struct guest_paging *p, bool mode64, const struct mem_map *ram,
				    const struct mem_range *owned, unsigned n_owned, uint64_t va, uint64_t size,
				    uint64_t needed, struct hc_buffer *out);

#endif
