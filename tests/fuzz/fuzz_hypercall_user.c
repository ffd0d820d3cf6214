/* Fuzz target: vmx/policy/hypercall_user.c, the check of a buffer that a CPL 3 caller
 * (user_hypercalls=on) gives as a guest-virtual address: the caller controls the
 * address, the sizes and every paging-structure entry the walk reads.
 *
 * Input: a header (paging mode, CR0.WP, CR4.SMAP/PSE, EFER.NXE, RFLAGS.AC, 64-bit mode,
 * CR3, the PAE PDPTEs, the buffer's address, size and needed bytes, one RAM range and
 * vmxray's range), then the guest-physical bytes 0..FZ_MEM of the paging structures
 * (zeros above).
 * Checks: no memory error; the status is one of OK, EINVAL, ENOSPC, EFAULT; on an error
 * no pieces and no bytes; on OK the pieces cover exactly `needed` bytes, at most
 * HC_BUFFER_MAX_PIECES, none crosses a 4 KiB page (linear or physical), each is what a
 * fresh CPL 3 write walk of its linear address gives, and lies in guest RAM outside
 * vmxray's range (checked here with the range arithmetic, not the check's own helper);
 * on EFAULT for an aligned, bounded, non-wrapping buffer some page of it does fail the
 * walk or the RAM test.
 */
// fuzz-srcs: vmx/policy/hypercall_user.c vmx/policy/hypercall_check.c vmx/decode/guest_walk.c arch/memory.c

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/cr.h"
#include "arch/msr.h"
#include "tests/fuzz/fuzz_input.h"
#include "vmx/policy/hypercall.h"
#include "vmx/policy/hypercall_abi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MEM 0x10000
static uint8_t fz_mem[FZ_MEM];

static uint64_t fz_read(void *ctx, uint64_t gpa, unsigned size)
{
	uint64_t v = 0;

	(void)ctx;
	if (gpa < FZ_MEM && gpa + size <= FZ_MEM)
		memcpy(&v, fz_mem + gpa, size);
	return v;
}

static const uint64_t mode_regs[6][3] = {
	/* cr0 (besides WP), cr4 (besides SMAP/PSE), efer (besides NXE) */
	{ CR0_PE, 0, 0 },                                     /* paging off */
	{ CR0_PE | CR0_PG, 0, 0 },                            /* 32-bit */
	{ CR0_PE | CR0_PG, CR4_PAE, 0 },                      /* PAE */
	{ CR0_PE | CR0_PG, CR4_PAE, EFER_LME | EFER_LMA },    /* 4-level */
	{ CR0_PE | CR0_PG, CR4_PAE | CR4_LA57, EFER_LME | EFER_LMA }, /* 5-level */
	{ CR0_PE | CR0_PG, CR4_PAE, EFER_LME | EFER_LMA },    /* 4-level, again (most used) */
};

struct fz_case {
	struct guest_paging p;
	bool mode64;
	struct mem_map ram;
	struct mem_range owned;
	uint64_t va, size, needed;
};

static void fz_case_read(struct fz *f, struct fz_case *c)
{
	unsigned mode = fz_u8(f) % 6, flags = fz_u8(f);

	memset(c, 0, sizeof(*c));
	c->p.cr0 = mode_regs[mode][0] | (flags & 1 ? CR0_WP : 0);
	c->p.cr4 = mode_regs[mode][1] | (flags & 2 ? CR4_SMAP : 0) | (flags & 4 ? CR4_PSE : 0);
	c->p.efer = mode_regs[mode][2] | (flags & 8 ? EFER_NXE : 0);
	c->p.rflags_ac = flags & 16;
	c->p.cpl = flags & 32 ? 3 : 0;
	c->mode64 = (c->p.efer & EFER_LMA) && !(flags & 64);
	c->p.cr3 = fz_u64(f);
	for (unsigned i = 0; i < 4; i++)
		c->p.pdptr[i] = fz_u64(f);
	c->p.maxphyaddr = 36 + fz_u8(f) % 17;
	c->p.page1gb = flags & 128;
	c->p.read = fz_read;
	c->va = fz_u64(f);
	c->size = fz_u64(f);
	c->needed = fz_u8(f) & 1 ? fz_u16(f) : fz_u64(f);
	mem_map_add(&c->ram, fz_u32(f), fz_u32(f));
	c->owned.base = fz_u32(f);
	c->owned.size = fz_u16(f) * 4096ULL;
	fz_bytes(f, fz_mem, sizeof(fz_mem));
}

/* A CPL 3 write of len bytes at la: the walk's guest-physical address, or false. */
static bool page_ok(const struct fz_case *c, uint64_t la, uint64_t len, uint64_t *gpa)
{
	struct guest_paging user = c->p;
	struct guest_walk w;

	user.cpl = 3;
	w = guest_walk(&user, la, GUEST_ACCESS_WRITE);
	if (w.status != GUEST_WALK_OK)
		return false;
	*gpa = w.gpa;
	return mem_map_contains(&c->ram, w.gpa, len) &&
	       !(c->owned.size && w.gpa < c->owned.base + c->owned.size && c->owned.base < w.gpa + len);
}

static void check_ok(const struct fz_case *c, const struct hc_buffer *b)
{
	uint64_t la = c->va, total = 0;

	if (c->va & 7 || c->needed > VMXRAY_HC_USER_MAX_BYTES || c->size < c->needed || b->bytes != c->needed ||
	    b->pieces > HC_BUFFER_MAX_PIECES || (c->needed && !b->pieces))
		abort();
	for (unsigned i = 0; i < b->pieces; i++) {
		const struct hc_piece *p = &b->piece[i];
		uint64_t gpa;

		if (!p->len || (la & 4095) + p->len > 4096 || (p->gpa & 4095) + p->len > 4096)
			abort();
		if (!page_ok(c, la, p->len, &gpa) || gpa != p->gpa || p->walk.gpa != p->gpa)
			abort();
		if (!c->mode64 && la + p->len > 0x100000000ULL)
			abort();
		total += p->len;
		la += p->len;
		if (la < c->va && total != c->needed) /* wrapped before the end */
			abort();
	}
	if (total != c->needed)
		abort();
}

/* EFAULT for an aligned, bounded buffer that does not wrap: some page really fails. */
static void check_efault(const struct fz_case *c)
{
	uint64_t last = c->va + c->needed - 1, gpa;

	if (c->va & 7 || c->needed > VMXRAY_HC_USER_MAX_BYTES || c->size < c->needed || !c->needed)
		abort();
	if (last < c->va || (!c->mode64 && last > 0xFFFFFFFFULL))
		return;
	for (uint64_t done = 0; done < c->needed;) {
		uint64_t la = c->va + done, len = 4096 - (la & 4095);

		if (len > c->needed - done)
			len = c->needed - done;
		if (!page_ok(c, la, len, &gpa))
			return;
		done += len;
	}
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = fz_start(data, size);
	struct fz_case c;
	struct hc_buffer b;

	fz_case_read(&f, &c);
	memset(&b, 0x5A, sizeof(b));
	int64_t st = hypercall_check_user_buffer(&c.p, c.mode64, &c.ram, &c.owned, 1, c.va, c.size, c.needed, &b);
	switch (st) {
	case VMXRAY_HC_OK:
		check_ok(&c, &b);
		return 0;
	case VMXRAY_HC_EFAULT:
		check_efault(&c);
		break;
	case VMXRAY_HC_EINVAL:
		if (!(c.va & 7) && c.needed <= VMXRAY_HC_USER_MAX_BYTES)
			abort();
		break;
	case VMXRAY_HC_ENOSPC:
		if (c.size >= c.needed)
			abort();
		break;
	default:
		abort();
	}
	if (b.pieces || b.bytes)
		abort();
	return 0;
}
