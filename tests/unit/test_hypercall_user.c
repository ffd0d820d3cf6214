/* Unit tests: vmx/policy/hypercall_user.c, the check of a buffer a CPL 3 caller gives as a
 * guest-virtual address (user_hypercalls=on): over page tables in a fake guest memory,
 * in 4-level, PAE and 32-bit paging and with paging off, exact guest-physical pieces for
 * good buffers and the documented status with no pieces for bad ones (unmapped,
 * kernel-only, read-only, huge, wrapping, non-canonical, not RAM, vmxray's memory, and
 * buffers that cross a page boundary into such a page). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "arch/cr.h"
#include "arch/msr.h"
#include "vmx/policy/hypercall.h"
#include "vmx/policy/hypercall_abi.h"

/* ---- page tables: guest-physical 0..PT_MEM_SIZE, zeros above ---- */
#define PT_MEM_SIZE 0x40000
static uint8_t pt_mem[PT_MEM_SIZE];

static uint64_t pt_read(void *ctx, uint64_t gpa, unsigned size)
{
	uint64_t v = 0;

	(void)ctx;
	assert_true(size == 4 || size == 8);
	if (gpa + size <= PT_MEM_SIZE)
		memcpy(&v, pt_mem + gpa, size);
	return v;
}

static void put64(uint64_t gpa, uint64_t v)
{
	assert_true(gpa + 8 <= PT_MEM_SIZE);
	memcpy(pt_mem + gpa, &v, 8);
}

static void put32(uint64_t gpa, uint32_t v)
{
	assert_true(gpa + 4 <= PT_MEM_SIZE);
	memcpy(pt_mem + gpa, &v, 4);
}

#define P PTE_P
#define RW PTE_RW
#define US PTE_US
#define PS PTE_PS
#define U (P | RW | US)

/* Guest RAM: [1 MiB, 128 MiB) and [4 GiB, 4 GiB + 64 MiB); vmxray owns [112 MiB, 113 MiB). */
#define OWNED_BASE 0x7000000ULL
#define OWNED_SIZE 0x100000ULL
static struct mem_map ram;
static const struct mem_range owned[1] = { { OWNED_BASE, OWNED_SIZE } };

static struct guest_paging paging(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	memset(pt_mem, 0, sizeof(pt_mem));
	memset(&ram, 0, sizeof(ram));
	mem_map_add(&ram, 0x100000, 0x7F00000);
	mem_map_add(&ram, 0x100000000ULL, 0x4000000);
	return (struct guest_paging){
		.cr0 = cr0 | CR0_PE,
		.cr3 = 0x1000,
		.cr4 = cr4,
		.efer = efer,
		.cpl = 3,
		.maxphyaddr = 40,
		.page1gb = true,
		.read = pt_read,
		.ctx = NULL,
	};
}

/* 4-level paging: PML4 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000, which maps the
 * 2 MiB at linear 0x400000 (PML4E 0, PDPTE 0, PDE 2); PTE i maps linear 0x400000 + i * 4 KiB.
 * PDE 3 maps linear 0x600000 as one 2 MiB page at 0x1000000. */
#define LA 0x400000ULL
static struct guest_paging four_level(void)
{
	struct guest_paging p = paging(CR0_PG | CR0_WP, CR4_PAE | CR4_SMAP, EFER_LME | EFER_LMA | EFER_NXE);

	put64(0x1000, 0x2000 | U);
	put64(0x2000, 0x3000 | U);
	put64(0x3000 + 2 * 8, 0x4000 | U);
	put64(0x3000 + 3 * 8, 0x1000000 | U | PS);
	return p;
}

static void pte(unsigned i, uint64_t v)
{
	put64(0x4000 + i * 8, v);
}

static int64_t check(const struct guest_paging *p, bool mode64, uint64_t va, uint64_t size, uint64_t needed,
		     struct hc_buffer *b)
{
	memset(b, 0xA5, sizeof(*b));
	return hypercall_check_user_buffer(p, mode64, &ram, owned, 1, va, size, needed, b);
}

static void expect_status(const struct guest_paging *p, bool mode64, uint64_t va, uint64_t size, uint64_t needed,
			  int64_t status)
{
	struct hc_buffer b;

	assert_int_equal(check(p, mode64, va, size, needed, &b), status);
	if (status == VMXRAY_HC_OK) {
		assert_int_equal(b.bytes, needed);
		assert_true(b.pieces >= 1);
		return;
	}
	assert_int_equal(b.pieces, 0); /* nothing to write */
	assert_int_equal(b.bytes, 0);
}

static void expect_piece(const struct hc_buffer *b, unsigned i, uint64_t gpa, uint64_t len)
{
	assert_true(i < b->pieces);
	assert_int_equal(b->piece[i].gpa, gpa);
	assert_int_equal(b->piece[i].len, len);
	assert_int_equal(b->piece[i].walk.status, GUEST_WALK_OK);
}

static void test_allowed_functions(void **state)
{
	(void)state;
	assert_true(hypercall_user_allowed(VMXRAY_HC_VERSION));
	assert_true(hypercall_user_allowed(VMXRAY_HC_STATS));
	assert_true(hypercall_user_allowed(VMXRAY_HC_LOG_READ));
	assert_true(hypercall_user_allowed(VMXRAY_HC_TRACE_READ));
	assert_false(hypercall_user_allowed(VMXRAY_HC_DUMP_VMCS));
	assert_false(hypercall_user_allowed(VMXRAY_HC_OWNED_RANGES));
	assert_false(hypercall_user_allowed(VMXRAY_HC_TEST_ROOT_EXCEPTION));
	assert_false(hypercall_user_allowed(99));
	assert_false(hypercall_user_allowed(~0ULL));
}

static void test_one_page(void **state)
{
	(void)state;
	struct guest_paging p = four_level();
	struct hc_buffer b;

	pte(0, 0x500000 | U);
	assert_int_equal(check(&p, true, LA + 0x100, 4096, 640, &b), VMXRAY_HC_OK);
	assert_int_equal(b.pieces, 1);
	assert_int_equal(b.bytes, 640);
	expect_piece(&b, 0, 0x500100, 640);
	/* The walk's entries are kept for the accessed and dirty flags. */
	assert_int_equal(b.piece[0].walk.entries, 4);
	assert_int_equal(b.piece[0].walk.entry_gpa[3], 0x4000);
	/* p->cpl is taken as 3 whatever the caller's structure says, and SMAP (set above,
	 * RFLAGS.AC clear) does not apply to a user-mode access. */
	p.cpl = 0;
	assert_int_equal(check(&p, true, LA, 4096, 8, &b), VMXRAY_HC_OK);
	expect_piece(&b, 0, 0x500000, 8);
	/* Nothing to write: no pieces, nothing walked. */
	assert_int_equal(check(&p, true, 0xdead000, 0, 0, &b), VMXRAY_HC_OK);
	assert_int_equal(b.pieces, 0);
}

/* Pages that are neighbours in the linear address space need not be in RAM. */
static void test_cross_page(void **state)
{
	(void)state;
	struct guest_paging p = four_level();
	struct hc_buffer b;

	pte(0, 0x500000 | U);
	pte(1, 0x123000 | U);
	assert_int_equal(check(&p, true, LA + 0xFF8, 16, 16, &b), VMXRAY_HC_OK);
	assert_int_equal(b.pieces, 2);
	expect_piece(&b, 0, 0x500FF8, 8);
	expect_piece(&b, 1, 0x123000, 8);
	/* The most that may be written, from an offset: five pieces. */
	for (unsigned i = 2; i < 5; i++)
		pte(i, (0x600000 + i * 0x1000) | U);
	assert_int_equal(check(&p, true, LA + 8, VMXRAY_HC_USER_MAX_BYTES, VMXRAY_HC_USER_MAX_BYTES, &b),
			 VMXRAY_HC_OK);
	assert_int_equal(b.pieces, HC_BUFFER_MAX_PIECES);
	assert_int_equal(b.bytes, VMXRAY_HC_USER_MAX_BYTES);
	expect_piece(&b, 0, 0x500008, 4096 - 8);
	expect_piece(&b, 1, 0x123000, 4096);
	expect_piece(&b, 4, 0x604000, 8);
}

static void test_unmapped(void **state)
{
	(void)state;
	struct guest_paging p = four_level();

	pte(0, 0x500000 | U);
	expect_status(&p, true, LA + 0x1000, 4096, 8, VMXRAY_HC_EFAULT);        /* PTE 1 not present */
	expect_status(&p, true, 0x40000000, 4096, 8, VMXRAY_HC_EFAULT);         /* PDPTE 1 not present */
	expect_status(&p, true, LA + 0xFF8, 16, 16, VMXRAY_HC_EFAULT);          /* second page not present */
	expect_status(&p, true, LA + 0xFF8, 4096, 8, VMXRAY_HC_OK);             /* ... unless not written */
	pte(1, 0x501000 | RW | US);                                              /* P clear */
	expect_status(&p, true, LA + 0x1000, 4096, 8, VMXRAY_HC_EFAULT);
}

static void test_kernel_only(void **state)
{
	(void)state;
	struct guest_paging p = four_level();

	pte(0, 0x500000 | P | RW); /* U/S clear in the PTE */
	expect_status(&p, true, LA, 4096, 8, VMXRAY_HC_EFAULT);
	pte(0, 0x500000 | U);
	put64(0x1000, 0x2000 | P | RW); /* ... or only in the PML4E */
	expect_status(&p, true, LA, 4096, 8, VMXRAY_HC_EFAULT);
	expect_status(&p, true, 0xFFFF800000000000ULL, 4096, 8, VMXRAY_HC_EFAULT); /* the kernel half */
}

static void test_read_only(void **state)
{
	(void)state;
	struct guest_paging p = four_level();

	pte(0, 0x500000 | P | US);
	expect_status(&p, true, LA, 4096, 8, VMXRAY_HC_EFAULT);
	/* A user-mode write needs R/W whatever CR0.WP (SDM Vol. 3A, 4.6.1). */
	p.cr0 &= ~CR0_WP;
	expect_status(&p, true, LA, 4096, 8, VMXRAY_HC_EFAULT);
	pte(0, 0x500000 | U);
	put64(0x2000, 0x3000 | P | US); /* R/W clear in the PDPTE */
	expect_status(&p, true, LA, 4096, 8, VMXRAY_HC_EFAULT);
	/* A writable page next to a read-only one: nothing is allowed. */
	put64(0x2000, 0x3000 | U);
	pte(1, 0x501000 | P | US);
	expect_status(&p, true, LA + 0xFF8, 16, 16, VMXRAY_HC_EFAULT);
}

static void test_size_and_alignment(void **state)
{
	(void)state;
	struct guest_paging p = four_level();
	struct hc_buffer b;

	pte(0, 0x500000 | U);
	expect_status(&p, true, LA + 4, 4096, 8, VMXRAY_HC_EINVAL);
	expect_status(&p, true, LA, VMXRAY_HC_USER_MAX_BYTES + 8, VMXRAY_HC_USER_MAX_BYTES + 8, VMXRAY_HC_EINVAL);
	expect_status(&p, true, LA, 1ULL << 40, 1ULL << 40, VMXRAY_HC_EINVAL);
	expect_status(&p, true, LA, ~0ULL, ~0ULL, VMXRAY_HC_EINVAL);
	expect_status(&p, true, LA, 639, 640, VMXRAY_HC_ENOSPC);
	/* A huge buffer of which only `needed` bytes are written is fine. */
	assert_int_equal(check(&p, true, LA, ~0ULL, 640, &b), VMXRAY_HC_OK);
	expect_piece(&b, 0, 0x500000, 640);
}

static void test_wrapping(void **state)
{
	(void)state;
	struct guest_paging p = four_level();

	expect_status(&p, true, 0xFFFFFFFFFFFFF000ULL, 0x2000, 0x2000, VMXRAY_HC_EFAULT);
	expect_status(&p, true, 0xFFFFFFFFFFFFFFF8ULL, 16, 16, VMXRAY_HC_EFAULT);
	/* Non-canonical, and crossing from canonical into non-canonical. */
	expect_status(&p, true, 0x0000800000000000ULL, 4096, 8, VMXRAY_HC_EFAULT);
	expect_status(&p, true, 0x00007FFFFFFFFFF8ULL, 16, 16, VMXRAY_HC_EFAULT);
	/* Outside 64-bit mode linear addresses end at 4 GiB. */
	expect_status(&p, false, 0xFFFFFFF8ULL, 16, 16, VMXRAY_HC_EFAULT);
	expect_status(&p, false, 0x100000000ULL + LA, 4096, 8, VMXRAY_HC_EFAULT);
}

static void test_vmxray_memory(void **state)
{
	(void)state;
	struct guest_paging p = four_level();

	pte(0, OWNED_BASE | U);
	expect_status(&p, true, LA, 4096, 8, VMXRAY_HC_EFAULT);
	pte(0, (OWNED_BASE + OWNED_SIZE - 0x1000) | U);
	expect_status(&p, true, LA + 0xFF8, 8, 8, VMXRAY_HC_EFAULT);
	/* A good page, then one that maps vmxray's memory: refused before anything. */
	pte(0, 0x500000 | U);
	pte(1, (OWNED_BASE + 0x3000) | U);
	expect_status(&p, true, LA + 0xFF8, 16, 16, VMXRAY_HC_EFAULT);
	/* The page just below and just above are the guest's. */
	pte(1, (OWNED_BASE - 0x1000) | U);
	expect_status(&p, true, LA + 0xFF8, 16, 16, VMXRAY_HC_OK);
	pte(1, (OWNED_BASE + OWNED_SIZE) | U);
	expect_status(&p, true, LA + 0xFF8, 16, 16, VMXRAY_HC_OK);
}

static void test_not_ram(void **state)
{
	(void)state;
	struct guest_paging p = four_level();

	pte(0, 0xFEE00000ULL | U); /* the local APIC's page */
	expect_status(&p, true, LA, 4096, 8, VMXRAY_HC_EFAULT);
	pte(0, 0xA0000 | U); /* below 1 MiB: not RAM in this map */
	expect_status(&p, true, LA, 4096, 8, VMXRAY_HC_EFAULT);
	pte(0, 0x100000000ULL | U); /* RAM above 4 GiB */
	expect_status(&p, true, LA, 4096, 8, VMXRAY_HC_OK);
}

static void test_large_page(void **state)
{
	(void)state;
	struct guest_paging p = four_level();
	struct hc_buffer b;

	/* Linear 0x600000 is a 2 MiB page at 0x1000000: 4 KiB pieces all the same. */
	assert_int_equal(check(&p, true, 0x600FF8, 16, 16, &b), VMXRAY_HC_OK);
	assert_int_equal(b.pieces, 2);
	expect_piece(&b, 0, 0x1000FF8, 8);
	expect_piece(&b, 1, 0x1001000, 8);
	put64(0x3000 + 3 * 8, 0x1000000 | P | US | PS);
	expect_status(&p, true, 0x600000, 4096, 8, VMXRAY_HC_EFAULT);
}

/* PAE paging: the PDPTEs come from the VMCS (p->pdptr); PD 0x3000 -> PT 0x4000 for the
 * linear 2 MiB at 0x400000. */
static void test_pae(void **state)
{
	(void)state;
	struct guest_paging p = paging(CR0_PG | CR0_WP, CR4_PAE, 0);
	struct hc_buffer b;

	p.pdptr[0] = 0x3000 | P;
	put64(0x3000 + 2 * 8, 0x4000 | U);
	pte(0, 0x500000 | U);
	pte(1, 0x501000 | P | US);
	assert_int_equal(check(&p, false, LA + 8, 4096 - 8, 4096 - 8, &b), VMXRAY_HC_OK);
	expect_piece(&b, 0, 0x500008, 4096 - 8);
	expect_status(&p, false, LA + 0x1000, 4096, 8, VMXRAY_HC_EFAULT); /* read-only */
	expect_status(&p, false, 0x40000000, 4096, 8, VMXRAY_HC_EFAULT);  /* PDPTE 1 not present */
}

/* 32-bit paging: PD 0x1000; PDE 1 -> PT 0x2000 (linear 0x400000), PDE 2 a 4 MiB page. */
static void test_32bit(void **state)
{
	(void)state;
	struct guest_paging p = paging(CR0_PG | CR0_WP, CR4_PSE, 0);
	struct hc_buffer b;

	put32(0x1000 + 1 * 4, 0x2000 | U);
	put32(0x2000, 0x500000 | U);
	put32(0x1000 + 2 * 4, 0x1000000 | U | PS);
	assert_int_equal(check(&p, false, LA, 640, 640, &b), VMXRAY_HC_OK);
	expect_piece(&b, 0, 0x500000, 640);
	assert_int_equal(check(&p, false, 0x800ff8, 16, 16, &b), VMXRAY_HC_OK);
	expect_piece(&b, 1, 0x1001000, 8);
	put32(0x2000, 0x500000 | P | RW); /* kernel-only */
	expect_status(&p, false, LA, 640, 640, VMXRAY_HC_EFAULT);
}

/* Paging off (protected mode at CPL 3): no protection, but still only guest RAM outside vmxray. */
static void test_paging_off(void **state)
{
	(void)state;
	struct guest_paging p = paging(0, 0, 0);
	struct hc_buffer b;

	assert_int_equal(check(&p, false, 0x500000, 640, 640, &b), VMXRAY_HC_OK);
	expect_piece(&b, 0, 0x500000, 640);
	expect_status(&p, false, OWNED_BASE - 8, 16, 16, VMXRAY_HC_EFAULT);
	expect_status(&p, false, 0xFEE00000ULL, 4096, 8, VMXRAY_HC_EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed_functions),
		cmocka_unit_test(test_one_page),
		cmocka_unit_test(test_cross_page),
		cmocka_unit_test(test_unmapped),
		cmocka_unit_test(test_kernel_only),
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_size_and_alignment),
		cmocka_unit_test(test_wrapping),
		cmocka_unit_test(test_vmxray_memory),
		cmocka_unit_test(test_not_ram),
		cmocka_unit_test(test_large_page),
		cmocka_unit_test(test_pae),
		cmocka_unit_test(test_32bit),
		cmocka_unit_test(test_paging_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
