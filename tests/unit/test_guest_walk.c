/* Unit tests: vmx/decode/guest_walk.c, the guest page-table walker, over a fake guest-physical
 * memory, in each paging mode: exact guest-physical addresses, exact #PF error codes,
 * the entries reported for the accessed and dirty flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "arch/cr.h"
#include "arch/msr.h"
#include "vmx/decode/guest_walk.h"

/* ---- fake guest-physical memory: a few 4 KiB pages at any address, zeros elsewhere ---- */
#define FAKE_PAGES 16

struct fake_mem {
	unsigned n;
	uint64_t base[FAKE_PAGES];
	uint8_t page[FAKE_PAGES][4096];
	unsigned reads;
};

static uint8_t *fake_page(struct fake_mem *m, uint64_t gpa, bool create)
{
	uint64_t base = gpa & ~0xFFFULL;
	for (unsigned i = 0; i < m->n; i++)
		if (m->base[i] == base)
			return m->page[i];
	if (!create)
		return NULL;
	assert_true(m->n < FAKE_PAGES);
	m->base[m->n] = base;
	memset(m->page[m->n], 0, 4096);
	return m->page[m->n++];
}

static uint64_t fake_read(void *ctx, uint64_t gpa, unsigned size)
{
	struct fake_mem *m = ctx;
	uint8_t *p = fake_page(m, gpa, false);
	uint64_t v = 0;

	m->reads++;
	assert_true(size == 4 || size == 8);
	assert_int_equal(gpa % size, 0); /* entries are naturally aligned */
	if (p)
		memcpy(&v, p + (gpa & 0xFFF), size);
	return v;
}

static void put32(struct fake_mem *m, uint64_t gpa, uint32_t v)
{
	memcpy(fake_page(m, gpa, true) + (gpa & 0xFFF), &v, 4);
}

static void put64(struct fake_mem *m, uint64_t gpa, uint64_t v)
{
	memcpy(fake_page(m, gpa, true) + (gpa & 0xFFF), &v, 8);
}

static struct fake_mem mem;

#define P PTE_P
#define RW PTE_RW
#define US PTE_US
#define PS PTE_PS
#define XD PTE_XD

static struct guest_paging paging(uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer)
{
	memset(&mem, 0, sizeof(mem));
	return (struct guest_paging){
		.cr0 = cr0 | CR0_PE,
		.cr3 = cr3,
		.cr4 = cr4,
		.efer = efer,
		.cpl = 0,
		.maxphyaddr = 40,
		.page1gb = true,
		.read = fake_read,
		.ctx = &mem,
	};
}

static void expect_ok(const struct guest_paging *p, uint64_t la, enum guest_access a, uint64_t gpa)
{
	struct guest_walk w = guest_walk(p, la, a);
	assert_int_equal(w.status, GUEST_WALK_OK);
	assert_int_equal(w.gpa, gpa);
}

static void expect_pf(const struct guest_paging *p, uint64_t la, enum guest_access a, uint32_t ec)
{
	struct guest_walk w = guest_walk(p, la, a);
	assert_int_equal(w.status, GUEST_WALK_PF);
	assert_int_equal(w.error_code, ec);
}

static void test_paging_off(void **state)
{
	(void)state;
	struct guest_paging p = paging(0, 0xdead000, 0, 0);
	struct guest_walk w = guest_walk(&p, 0x12345678, GUEST_ACCESS_WRITE);

	assert_int_equal(w.status, GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0x12345678);
	assert_int_equal(w.entries, 0);
	assert_int_equal(mem.reads, 0);
	p.cpl = 3; /* no paging, no protection */
	expect_ok(&p, 0xFFFFFFFF, GUEST_ACCESS_WRITE, 0xFFFFFFFF);
}

/* 32-bit paging, CR3 = 0x1000: PDE 0x48 (la 0x12000000-0x123FFFFF) -> PT 0x3000, PTE 0x34
 * (la 0x12034000) -> frame 0x7777000. */
static void test_32bit_4k(void **state)
{
	(void)state;
	struct guest_paging p = paging(CR0_PG, 0x1000, 0, 0);
	put32(&mem, 0x1000 + 0x48 * 4, 0x3000 | P | RW | US);
	put32(&mem, 0x3000 + 0x34 * 4, 0x7777000 | P | RW | US);

	struct guest_walk w = guest_walk(&p, 0x12034abc, GUEST_ACCESS_READ);
	assert_int_equal(w.status, GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0x7777abc);
	assert_int_equal(w.page_size, 0x1000);
	assert_int_equal(w.entries, 2);
	assert_int_equal(w.entry_gpa[0], 0x1000 + 0x48 * 4);
	assert_int_equal(w.entry_gpa[1], 0x3000 + 0x34 * 4);
	/* Bits 63:32 of the linear address do not exist outside IA-32e mode. */
	expect_ok(&p, 0xFFFFFFFF12034abcULL, GUEST_ACCESS_READ, 0x7777abc);
	/* Not present: the next PTE, and a PDE nobody wrote. */
	expect_pf(&p, 0x12035000, GUEST_ACCESS_READ, 0);
	expect_pf(&p, 0x12035000, GUEST_ACCESS_WRITE, PF_ERR_W);
	p.cpl = 3;
	expect_pf(&p, 0x80000000, GUEST_ACCESS_WRITE, PF_ERR_W | PF_ERR_U);
	expect_pf(&p, 0x80000000, GUEST_ACCESS_READ, PF_ERR_U);
	/* PS in a PDE without CR4.PSE is ignored: the PDE still points at a page table. */
	put32(&mem, 0x1000 + 0x49 * 4, 0x3000 | P | RW | US | PS);
	expect_ok(&p, 0x12434abc, GUEST_ACCESS_READ, 0x7777abc);
}

static void test_32bit_4m(void **state)
{
	(void)state;
	struct guest_paging p = paging(CR0_PG, 0x1000, CR4_PSE, 0);
	/* la 0x80000000-0x803FFFFF -> 0x12_0C400000 (PSE-36: PDE bits 20:13 = 0x12). */
	put32(&mem, 0x1000 + 0x200 * 4, 0x0C400000 | (0x12u << 13) | P | RW | PS);
	struct guest_walk w = guest_walk(&p, 0x80123456, GUEST_ACCESS_WRITE);
	assert_int_equal(w.status, GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0x120C523456ULL);
	assert_int_equal(w.page_size, 0x400000);
	assert_int_equal(w.entries, 1);
	/* Bit 21 is reserved in a 4-MByte PDE. */
	put32(&mem, 0x1000 + 0x201 * 4, 0x0C400000 | (1u << 21) | P | RW | PS);
	expect_pf(&p, 0x80423456, GUEST_ACCESS_READ, PF_ERR_P | PF_ERR_RSVD);
	/* With MAXPHYADDR 36, bits 20:17 (physical bits 39:36) are reserved too. */
	p.maxphyaddr = 36;
	expect_pf(&p, 0x80123456, GUEST_ACCESS_WRITE, PF_ERR_P | PF_ERR_RSVD | PF_ERR_W);
	put32(&mem, 0x1000 + 0x200 * 4, 0x0C400000 | (0x9u << 13) | P | RW | PS);
	expect_ok(&p, 0x80123456, GUEST_ACCESS_READ, 0x90C523456ULL);
}

/* Read-only page (R/W = 0 in the PTE, user-mode everywhere). */
static void test_rw_and_wp(void **state)
{
	(void)state;
	struct guest_paging p = paging(CR0_PG, 0x1000, 0, 0);
	put32(&mem, 0x1000, 0x3000 | P | RW | US);
	put32(&mem, 0x3000 + 5 * 4, 0x9000 | P | US);

	expect_ok(&p, 0x5010, GUEST_ACCESS_READ, 0x9010);
	/* "If CR0.WP = 0, data may be written to any supervisor-mode address" (and any
	 * user-mode one with a read-only translation). */
	expect_ok(&p, 0x5010, GUEST_ACCESS_WRITE, 0x9010);
	p.cr0 |= CR0_WP;
	expect_pf(&p, 0x5010, GUEST_ACCESS_WRITE, PF_ERR_P | PF_ERR_W);
	expect_ok(&p, 0x5010, GUEST_ACCESS_READ, 0x9010);
	/* CPL 3 writes need R/W whatever WP says. */
	p.cpl = 3;
	expect_pf(&p, 0x5010, GUEST_ACCESS_WRITE, PF_ERR_P | PF_ERR_W | PF_ERR_U);
	p.cr0 &= ~CR0_WP;
	expect_pf(&p, 0x5010, GUEST_ACCESS_WRITE, PF_ERR_P | PF_ERR_W | PF_ERR_U);
	expect_ok(&p, 0x5010, GUEST_ACCESS_READ, 0x9010);
	/* R/W = 0 in the PDE makes every page under it read-only. */
	put32(&mem, 0x1000, 0x3000 | P | US);
	put32(&mem, 0x3000 + 6 * 4, 0xA000 | P | RW | US);
	expect_pf(&p, 0x6000, GUEST_ACCESS_WRITE, PF_ERR_P | PF_ERR_W | PF_ERR_U);
	p.cpl = 0;
	expect_ok(&p, 0x6000, GUEST_ACCESS_WRITE, 0xA000);
}

static void test_us_smap_smep(void **state)
{
	(void)state;
	struct guest_paging p = paging(CR0_PG | CR0_WP, 0x1000, 0, 0);
	put32(&mem, 0x1000, 0x3000 | P | RW); /* supervisor PDE */
	put32(&mem, 0x3000 + 1 * 4, 0x8000 | P | RW | US);
	put32(&mem, 0x1000 + 4, 0x4000 | P | RW | US); /* la 0x400000: user everywhere */
	put32(&mem, 0x4000, 0xB000 | P | RW | US);

	p.cpl = 3;
	expect_pf(&p, 0x1000, GUEST_ACCESS_READ, PF_ERR_P | PF_ERR_U);
	expect_pf(&p, 0x1000, GUEST_ACCESS_WRITE, PF_ERR_P | PF_ERR_W | PF_ERR_U);
	expect_ok(&p, 0x400123, GUEST_ACCESS_WRITE, 0xB123);
	p.cpl = 0;
	expect_ok(&p, 0x1000, GUEST_ACCESS_WRITE, 0x8000);
	expect_ok(&p, 0x400123, GUEST_ACCESS_READ, 0xB123);
	/* SMAP: supervisor data accesses to user pages fault unless RFLAGS.AC = 1. */
	p.cr4 |= CR4_SMAP;
	expect_pf(&p, 0x400123, GUEST_ACCESS_READ, PF_ERR_P);
	expect_pf(&p, 0x400123, GUEST_ACCESS_WRITE, PF_ERR_P | PF_ERR_W);
	expect_ok(&p, 0x1000, GUEST_ACCESS_READ, 0x8000);
	p.rflags_ac = true;
	expect_ok(&p, 0x400123, GUEST_ACCESS_WRITE, 0xB123);
	/* SMEP: supervisor fetches from user pages fault, and I/D is reported. */
	expect_ok(&p, 0x400123, GUEST_ACCESS_FETCH, 0xB123);
	p.cr4 |= CR4_SMEP;
	expect_pf(&p, 0x400123, GUEST_ACCESS_FETCH, PF_ERR_P | PF_ERR_ID);
	expect_ok(&p, 0x1000, GUEST_ACCESS_FETCH, 0x8000);
}

/* PAE paging: the PDPTEs come from the caller (GUEST_PDPTR0-3), never from memory. */
static void test_pae(void **state)
{
	(void)state;
	struct guest_paging p = paging(CR0_PG | CR0_WP, 0x1fe0, CR4_PAE, 0);
	p.pdptr[0] = 0x2000 | P;
	p.pdptr[2] = 0x10000 | P;
	/* la 0x80000000 + 3 * 2 MiB: PDPTE 2, PDE 3: a 2-MByte page at 0x1_2340_0000. */
	put64(&mem, 0x10000 + 3 * 8, 0x123400000ULL | P | RW | PS);
	/* la 0x00201000: PDPTE 0, PDE 1 -> PT 0x3000, PTE 1 -> 0x5000. */
	put64(&mem, 0x2000 + 1 * 8, 0x3000 | P | RW | US);
	put64(&mem, 0x3000 + 1 * 8, 0x5000 | P | US);

	struct guest_walk w = guest_walk(&p, 0x80654321, GUEST_ACCESS_WRITE);
	assert_int_equal(w.status, GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0x123454321ULL);
	assert_int_equal(w.page_size, 0x200000);
	assert_int_equal(w.entries, 1); /* the PDPTE registers are not memory */
	assert_int_equal(w.entry_gpa[0], 0x10000 + 3 * 8);
	assert_int_equal(mem.reads, 1);

	w = guest_walk(&p, 0x00201abc, GUEST_ACCESS_READ);
	assert_int_equal(w.status, GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0x5abc);
	assert_int_equal(w.entries, 2);
	assert_int_equal(w.entry_gpa[1], 0x3000 + 8);
	expect_pf(&p, 0x00201abc, GUEST_ACCESS_WRITE, PF_ERR_P | PF_ERR_W); /* WP, read-only PTE */

	expect_pf(&p, 0x40000000, GUEST_ACCESS_READ, 0); /* PDPTE 1 not present */
	expect_pf(&p, 0xC0000000, GUEST_ACCESS_WRITE, PF_ERR_W); /* PDPTE 3 */
	/* Bits 62:MAXPHYADDR are reserved in PAE entries; XD without IA32_EFER.NXE too. */
	put64(&mem, 0x10000 + 4 * 8, 0x123400000ULL | P | RW | PS | (1ULL << 62));
	expect_pf(&p, 0x80800000, GUEST_ACCESS_READ, PF_ERR_P | PF_ERR_RSVD);
	put64(&mem, 0x10000 + 4 * 8, 0x123400000ULL | P | RW | PS | XD);
	expect_pf(&p, 0x80800000, GUEST_ACCESS_READ, PF_ERR_P | PF_ERR_RSVD);
	p.efer = EFER_NXE;
	expect_ok(&p, 0x80800000, GUEST_ACCESS_READ, 0x123400000ULL);
	expect_pf(&p, 0x80800000, GUEST_ACCESS_FETCH, PF_ERR_P | PF_ERR_ID);
	/* Bits 20:13 of a 2-MByte PDE are reserved. */
	put64(&mem, 0x10000 + 5 * 8, 0x123400000ULL | P | RW | PS | (1ULL << 13));
	expect_pf(&p, 0x80A00000, GUEST_ACCESS_READ, PF_ERR_P | PF_ERR_RSVD);
}

/* 4-level paging: PML4 at 0x1000. la 0x00007F80_4060_3123 -> PML4E 0xFF, PDPTE 1, PDE 3,
 * PTE 3. */
static void build_4level(void)
{
	put64(&mem, 0x1000 + 0xFF * 8, 0x2000 | P | RW | US);
	put64(&mem, 0x2000 + 1 * 8, 0x3000 | P | RW | US);
	put64(&mem, 0x3000 + 3 * 8, 0x4000 | P | RW | US);
	put64(&mem, 0x4000 + 3 * 8, 0xFEDCBA000ULL | P | RW | US);
}

static void test_4level_4k(void **state)
{
	(void)state;
	struct guest_paging p = paging(CR0_PG | CR0_WP, 0x1000 | 0x18 /* PWT, PCD */, CR4_PAE, EFER_LME | EFER_LMA);
	build_4level();

	struct guest_walk w = guest_walk(&p, 0x00007F8040603123ULL, GUEST_ACCESS_WRITE);
	assert_int_equal(w.status, GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0xFEDCBA123ULL);
	assert_int_equal(w.page_size, 0x1000);
	assert_int_equal(w.entries, 4);
	assert_int_equal(w.entry_gpa[0], 0x1000 + 0xFF * 8);
	assert_int_equal(w.entry_gpa[1], 0x2000 + 8);
	assert_int_equal(w.entry_gpa[2], 0x3000 + 3 * 8);
	assert_int_equal(w.entry_gpa[3], 0x4000 + 3 * 8);
	p.cpl = 3;
	expect_ok(&p, 0x00007F8040603123ULL, GUEST_ACCESS_WRITE, 0xFEDCBA123ULL);
	/* Not present at each level. */
	expect_pf(&p, 0x0000000000000000ULL, GUEST_ACCESS_READ, PF_ERR_U);
	expect_pf(&p, 0x00007F80C0000000ULL, GUEST_ACCESS_WRITE, PF_ERR_W | PF_ERR_U);
	expect_pf(&p, 0x00007F8040800000ULL, GUEST_ACCESS_READ, PF_ERR_U);
	expect_pf(&p, 0x00007F8040604000ULL, GUEST_ACCESS_READ, PF_ERR_U);
	/* Non-canonical: #GP, not #PF. */
	struct guest_walk nc = guest_walk(&p, 0x0000800000000000ULL, GUEST_ACCESS_READ);
	assert_int_equal(nc.status, GUEST_WALK_NONCANONICAL);
	nc = guest_walk(&p, 0xFFFF7FFFFFFFF000ULL, GUEST_ACCESS_READ);
	assert_int_equal(nc.status, GUEST_WALK_NONCANONICAL);
	/* U/S = 0 in the PDPTE only. */
	put64(&mem, 0x2000 + 1 * 8, 0x3000 | P | RW);
	expect_pf(&p, 0x00007F8040603123ULL, GUEST_ACCESS_READ, PF_ERR_P | PF_ERR_U);
	p.cpl = 0;
	expect_ok(&p, 0x00007F8040603123ULL, GUEST_ACCESS_READ, 0xFEDCBA123ULL);
}

static void test_4level_large_and_reserved(void **state)
{
	(void)state;
	struct guest_paging p = paging(CR0_PG | CR0_WP, 0x1000, CR4_PAE, EFER_LME | EFER_LMA | EFER_NXE);
	build_4level();
	/* Upper half: la 0xFFFF8000_0000_0000 -> PML4E 0x100 -> PDPT 0x5000. */
	put64(&mem, 0x1000 + 0x100 * 8, 0x5000 | P | RW);
	put64(&mem, 0x5000 + 0 * 8, 0x40000000ULL | P | RW | PS);     /* 1 GiB at 1 GiB */
	put64(&mem, 0x5000 + 1 * 8, 0x6000 | P | RW);
	put64(&mem, 0x6000 + 2 * 8, 0x7FE00000ULL | P | RW | PS | XD); /* 2 MiB at 0x7FE00000 */

	struct guest_walk w = guest_walk(&p, 0xFFFF800012345678ULL, GUEST_ACCESS_READ);
	assert_int_equal(w.status, GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0x52345678ULL);
	assert_int_equal(w.page_size, 0x40000000);
	assert_int_equal(w.entries, 2);
	w = guest_walk(&p, 0xFFFF800040412345ULL, GUEST_ACCESS_WRITE);
	assert_int_equal(w.status, GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0x7FE12345ULL);
	assert_int_equal(w.page_size, 0x200000);
	assert_int_equal(w.entries, 3);
	assert_int_equal(w.entry_gpa[2], 0x6000 + 2 * 8);
	expect_pf(&p, 0xFFFF800040412345ULL, GUEST_ACCESS_FETCH, PF_ERR_P | PF_ERR_ID);
	/* Without 1-GByte pages, PS in a PDPTE is reserved. */
	p.page1gb = false;
	expect_pf(&p, 0xFFFF800012345678ULL, GUEST_ACCESS_READ, PF_ERR_P | PF_ERR_RSVD);
	p.page1gb = true;
	/* Bits 29:13 of a 1-GByte PDPTE are reserved. */
	put64(&mem, 0x5000 + 3 * 8, 0xC0000000ULL | (1ULL << 20) | P | RW | PS);
	expect_pf(&p, 0xFFFF8000C0000000ULL, GUEST_ACCESS_READ, PF_ERR_P | PF_ERR_RSVD);
	/* PS in a PML4E is reserved. */
	put64(&mem, 0x1000 + 0x101 * 8, 0x5000 | P | RW | PS);
	expect_pf(&p, 0xFFFF808000000000ULL, GUEST_ACCESS_WRITE, PF_ERR_P | PF_ERR_RSVD | PF_ERR_W);
	/* Physical-address bits at or above MAXPHYADDR (40) are reserved; 62:52 are not. */
	put64(&mem, 0x4000 + 3 * 8, 0xFEDCBA000ULL | (1ULL << 40) | P | RW | US);
	expect_pf(&p, 0x00007F8040603123ULL, GUEST_ACCESS_READ, PF_ERR_P | PF_ERR_RSVD);
	put64(&mem, 0x4000 + 3 * 8, 0xFEDCBA000ULL | (0x7FULL << 52) | P | RW | US);
	expect_ok(&p, 0x00007F8040603123ULL, GUEST_ACCESS_READ, 0xFEDCBA123ULL);
	/* XD without IA32_EFER.NXE is reserved. */
	p.efer &= ~EFER_NXE;
	expect_pf(&p, 0xFFFF800040412345ULL, GUEST_ACCESS_READ, PF_ERR_P | PF_ERR_RSVD);
	/* I/D is reported only with NXE or SMEP. */
	put64(&mem, 0x4000 + 3 * 8, 0xFEDCBA000ULL | P | RW);
	p.cpl = 3;
	expect_pf(&p, 0x00007F8040603123ULL, GUEST_ACCESS_FETCH, PF_ERR_P | PF_ERR_U);
}

/* 5-level paging (CR4.LA57): PML5E 1 -> the 4-level tables of build_4level. */
static void test_5level(void **state)
{
	(void)state;
	struct guest_paging p = paging(CR0_PG, 0x9000, CR4_PAE | CR4_LA57, EFER_LME | EFER_LMA);
	build_4level();
	put64(&mem, 0x9000 + 1 * 8, 0x1000 | P | RW | US);

	uint64_t la = (1ULL << 48) | 0x00007F8040603123ULL;
	struct guest_walk w = guest_walk(&p, la, GUEST_ACCESS_READ);
	assert_int_equal(w.status, GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0xFEDCBA123ULL);
	assert_int_equal(w.entries, 5);
	assert_int_equal(w.entry_gpa[0], 0x9000 + 8);
	/* Canonical at 57 bits: 0x0000_8000_0000_0000 is a fine address (PML5E 1). */
	expect_pf(&p, 0x0000800000000000ULL, GUEST_ACCESS_READ, 0);
	assert_int_equal(guest_walk(&p, 0x0100000000000000ULL, GUEST_ACCESS_READ).status, GUEST_WALK_NONCANONICAL);
	/* PS in a PML5E is reserved. */
	put64(&mem, 0x9000 + 2 * 8, 0x1000 | P | RW | PS);
	expect_pf(&p, 2ULL << 48, GUEST_ACCESS_READ, PF_ERR_P | PF_ERR_RSVD);
}

/* ---- guest_walk_set_ad: the flags only into an entry that still holds what the walk
 * read (issue 20, finding 7: a locked OR put A/D into an entry another vCPU had made
 * not present) ---- */

static uint64_t get_entry(struct fake_mem *m, uint64_t gpa, unsigned size)
{
	uint64_t v = 0;
	memcpy(&v, fake_page(m, gpa, false) + (gpa & 0xFFF), size);
	return v;
}

/* The compare-exchange over the fake memory; before the n-th call "another CPU" writes
 * race_value at race_gpa (n = 0: never). */
static struct {
	unsigned calls, race_at;
	uint64_t race_gpa, race_value;
} cas_fake;

static bool fake_cas(void *ctx, uint64_t gpa, unsigned size, uint64_t expected, uint64_t desired)
{
	struct fake_mem *m = ctx;
	if (++cas_fake.calls == cas_fake.race_at)
		put64(m, cas_fake.race_gpa, cas_fake.race_value);
	uint64_t now = get_entry(m, gpa, size);
	if (now != expected)
		return false;
	memcpy(fake_page(m, gpa, false) + (gpa & 0xFFF), &desired, size);
	return true;
}

static struct guest_paging paging_4level_one_page(void)
{
	struct guest_paging p = paging(CR0_PG, 0x1000, CR4_PAE, EFER_LME | EFER_LMA);
	put64(&mem, 0x1000, 0x2000 | P | RW);
	put64(&mem, 0x2000, 0x3000 | P | RW);
	put64(&mem, 0x3000, 0x4000 | P | RW);
	put64(&mem, 0x4000 + 5 * 8, 0x55000 | P | RW);
	return p;
}

static void test_set_ad(void **state)
{
	(void)state;
	struct guest_paging p = paging_4level_one_page();
	struct guest_walk w = guest_walk(&p, 0x5123, GUEST_ACCESS_WRITE);
	assert_int_equal(w.status, GUEST_WALK_OK);
	assert_int_equal(w.entries, 4);
	assert_int_equal(w.entry_val[3], 0x55000 | P | RW);
	memset(&cas_fake, 0, sizeof(cas_fake));
	assert_true(guest_walk_set_ad(&w, true, fake_cas, &mem));
	assert_int_equal(get_entry(&mem, 0x1000, 8), 0x2000 | P | RW | PTE_A);
	assert_int_equal(get_entry(&mem, 0x3000, 8), 0x4000 | P | RW | PTE_A);
	assert_int_equal(get_entry(&mem, 0x4000 + 5 * 8, 8), 0x55000 | P | RW | PTE_A | PTE_D);
	/* A second walk finds the flags set and writes nothing. */
	w = guest_walk(&p, 0x5123, GUEST_ACCESS_WRITE);
	cas_fake.calls = 0;
	assert_true(guest_walk_set_ad(&w, true, fake_cas, &mem));
	assert_int_equal(cas_fake.calls, 0);
}

static void test_set_ad_races(void **state)
{
	(void)state;
	struct guest_paging p = paging_4level_one_page();
	struct guest_walk w = guest_walk(&p, 0x5123, GUEST_ACCESS_READ);
	/* Another CPU makes the PTE not present between the walk and the flags. */
	memset(&cas_fake, 0, sizeof(cas_fake));
	cas_fake.race_at = 4;
	cas_fake.race_gpa = 0x4000 + 5 * 8;
	cas_fake.race_value = 0;
	assert_false(guest_walk_set_ad(&w, false, fake_cas, &mem));
	assert_int_equal(get_entry(&mem, 0x4000 + 5 * 8, 8), 0); /* no A ORed into it */
	/* ... or points it elsewhere: the old translation's flag does not go there either. */
	put64(&mem, 0x4000 + 5 * 8, 0x55000 | P | RW);
	w = guest_walk(&p, 0x5123, GUEST_ACCESS_READ);
	memset(&cas_fake, 0, sizeof(cas_fake));
	cas_fake.race_at = 1;
	cas_fake.race_gpa = 0x4000 + 5 * 8;
	cas_fake.race_value = 0x66000 | P;
	assert_false(guest_walk_set_ad(&w, false, fake_cas, &mem) && get_entry(&mem, 0x4000 + 5 * 8, 8) != (0x66000 | P));
	assert_int_equal(get_entry(&mem, 0x4000 + 5 * 8, 8), 0x66000 | P);
	/* 32-bit entries are compared as 32 bits. */
	p = paging(CR0_PG, 0x1000, 0, 0);
	put32(&mem, 0x1000 + 0x48 * 4, 0x3000 | P | RW);
	put32(&mem, 0x3000 + 0x34 * 4, 0x7777000 | P | RW);
	w = guest_walk(&p, 0x12034abc, GUEST_ACCESS_WRITE);
	assert_int_equal(w.entry_size[0], 4);
	memset(&cas_fake, 0, sizeof(cas_fake));
	assert_true(guest_walk_set_ad(&w, true, fake_cas, &mem));
	assert_int_equal(get_entry(&mem, 0x3000 + 0x34 * 4, 4), 0x7777000 | P | RW | PTE_A | PTE_D);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paging_off),
		cmocka_unit_test(test_32bit_4k),
		cmocka_unit_test(test_32bit_4m),
		cmocka_unit_test(test_rw_and_wp),
		cmocka_unit_test(test_us_smap_smep),
		cmocka_unit_test(test_pae),
		cmocka_unit_test(test_4level_4k),
		cmocka_unit_test(test_4level_large_and_reserved),
		cmocka_unit_test(test_5level),
		cmocka_unit_test(test_set_ad),
		cmocka_unit_test(test_set_ad_races),
	};
	return cmocka_run_group_tests_name("guest_walk", tests, NULL, NULL);
}
