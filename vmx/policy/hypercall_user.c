/* Hypercalls from CPL 3 (user_hypercalls=on): which calls, and the pure check of a
 * buffer given as a guest-virtual address (vmx/policy/hypercall.h). */
#include "vmx/policy/hypercall.h"


#include "vmx/policy/hypercall_abi.h"

#define HC_PAGE 4096ULL

bool hypercall_user_allowed(uint64_t fn)
{
	switch (fn) {
	case VMXRAY_HC_VERSION:
	case VMXRAY_HC_STATS:
	case VMXRAY_HC_LOG_READ:
	case VMXRAY_HC_TRACE_READ:
		return true;
	default: /* DUMP_VMCS writes to vmxray's serial port; OWNED_RANGES shows vmxray's layout */
		return false;
	}
}

/* The last byte of [va, va + n), n > 0, inside the caller's linear address space:
 * 2^64 in 64-bit mode, 4 GiB otherwise (SDM Vol. 3A, 3.4 "Logical and Linear
 * Addresses"; a buffer that wraps around is refused, not wrapped). */
static bool user_range_fits(uint64_t va, uint64_t n, bool mode64)
{
	uint64_t last = va + (n - 1);

	if (last < va)
		return false;
	return mode64 || last <= 0xFFFFFFFFULL;
}

/* One page of the buffer: a user-mode write must be allowed there (SDM Vol. 3A, 4.6.1
 * "Determination of Access Rights": "Data may be written to any user-mode address with
 * a translation for which the R/W flag is 1 in every paging-structure entry"), and the
 * guest-physical bytes must be guest RAM outside vmxray. */
static bool user_piece(const struct guest_paging *user, const struct mem_map *ram, const struct mem_range *owned,
		       unsigned n_owned, uint64_t la, uint64_t len, struct hc_piece *out)
{
	out->walk = guest_walk(user, la, GUEST_ACCESS_WRITE);
	if (out->walk.status != GUEST_WALK_OK)
		return false;
	out->gpa = out->walk.gpa;
	out->len = len;
	return hypercall_check_buffer(ram, owned, n_owned, out->gpa, len, len) == VMXRAY_HC_OK;
}

int64_t hypercall_check_user_buffer(const struct guest_paging *p, bool mode64, const struct mem_map *ram,
				    const struct mem_range *owned, unsigned n_owned, uint64_t va, uint64_t size,
				    uint64_t needed, struct hc_buffer *out)
{
	struct guest_paging user = *p;

	out->pieces = 0;
	out->bytes = 0;
	if (va & 7)
		return VMXRAY_HC_EINVAL;
	if (needed > VMXRAY_HC_USER_MAX_BYTES)
		return VMXRAY_HC_EINVAL;
	if (size < needed)
		return VMXRAY_HC_ENOSPC;
	if (needed == 0)
		return VMXRAY_HC_OK;
	if (!user_range_fits(va, needed, mode64))
		return VMXRAY_HC_EFAULT;
	user.cpl = 3;
	for (uint64_t done = 0; done < needed;) {
		uint64_t la = va + done;
		uint64_t len = HC_PAGE - (la & (HC_PAGE - 1));

		if (len > needed - done)
			len = needed - done;
		if (!user_piece(&user, ram, owned, n_owned, la, len, &out->piece[out->pieces])) {
			out->pieces = 0;
			return VMXRAY_HC_EFAULT;
		}
		out->pieces++;
		done += len;
	}
	out->bytes = needed;
	return VMXRAY_HC_OK;
}
