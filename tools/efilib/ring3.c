/* CPL-3 excursions for in-guest tests: see ring3.h. */
#include "tools/efilib/ring3.h"

#include <string.h>

#include "arch/bits.h"
#include "arch/cpu.h"
#include "arch/cr.h"
#include "arch/msr.h"
#include "arch/seg_ar.h"
#include "drivers/fmt.h"
#include "tools/efilib/efimem.h"

/* Paging-structure entry bits (SDM Vol. 3A, 4.5 "4-Level Paging and 5-Level Paging"). */
#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_US (1ULL << 2)
#define PTE_PS (1ULL << 7)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ULL
#define PT_ENTRIES 512

/* Segment descriptors (SDM Vol. 3A, 3.4.5 "Segment Descriptors"): base 0, limit 4 GiB,
 * P = 1, DPL = 3. Code: type 0xA (execute/read), L = 1 (64-bit). Data: type 0x2. */
#define GDT_USER_CODE64 0x00AFFA000000FFFFULL
#define GDT_USER_DATA 0x00CFF2000000FFFFULL
/* 64-bit TSS descriptor access byte: P = 1, DPL 0, type 9 (available); LTR makes it
 * busy (type 0xB, bit 1 of the access byte). SDM Vol. 3A, "TSS Descriptor in 64-bit
 * mode". */
#define TSS_ACCESS_BUSY_BIT 0x02
#define TSS_SIZE 104
#define TSS_RSP0_OFFSET 4
#define TSS_IOMAP_OFFSET 102
#define SEL_RPL3 3

/* Our block below 4 GiB: page tables, stacks. */
enum {
	R3_PML4 = 0,
	R3_PDPT = 1,
	R3_PD = 2, /* 4 pages: one PD per GiB */
	R3_STACK0 = 6, /* 2 pages, CPL-0 stack for exceptions from CPL 3 (TSS.RSP0) */
	R3_STACK3 = 8, /* 1 page */
	R3_PAGES = 9,
};
#define R3_IDENTITY_GIB 4

/* Allocated once and never freed: when TR cannot be given back its old selector, the
 * CPU keeps this TSS as TR until the next LTR (by the OS, usually). */
static uint8_t *ring3_tss;

struct ring3_saved {
	struct cpu_dtr gdtr;
	uint64_t cr3, cr4, rflags, fs_base, gs_base;
	uint16_t tr, ds, es, fs, gs;
};

static inline void seg_load_ds(uint16_t s)
{
	__asm__ volatile("mov %0, %%ds" ::"r"(s));
}

static inline void seg_load_es(uint16_t s)
{
	__asm__ volatile("mov %0, %%es" ::"r"(s));
}

static inline void seg_load_fs(uint16_t s)
{
	__asm__ volatile("mov %0, %%fs" ::"r"(s));
}

static inline void seg_load_gs(uint16_t s)
{
	__asm__ volatile("mov %0, %%gs" ::"r"(s));
}

static inline void cpu_sti(void)
{
	__asm__ volatile("sti" ::: "memory");
}

static bool ring3_env_ok(size_t gdt_len, char *why, size_t n)
{
	uint64_t top = (uint64_t)(uintptr_t)ring3_code_hlt_next + 16;

	if (cpu_read_cr4() & CR4_LA57) {
		fmt_snprintf(why, n, "5-level paging (CR4.LA57) is not handled by ring3.c");
		return false;
	}
	if (!(cpu_rdmsr(MSR_IA32_EFER) & EFER_LMA)) {
		fmt_snprintf(why, n, "not in IA-32e mode");
		return false;
	}
	if (top > GiB(R3_IDENTITY_GIB)) {
		fmt_snprintf(why, n, "program loaded above 4 GiB (0x%lx), outside the user identity map", top);
		return false;
	}
	if (gdt_len + 32 > 0x10000) {
		fmt_snprintf(why, n, "GDT too large to extend (%lu bytes)", (unsigned long)gdt_len);
		return false;
	}
	return true;
}

/* Identity map of the first 4 GiB in 2 MiB pages, all U/S = 1; the other PDPT entries
 * of the first 512 GiB and all other PML4 entries as in the current tables. */
static void ring3_build_tables(uint64_t *block, uint64_t cr3)
{
	uint64_t *pml4 = block + R3_PML4 * PT_ENTRIES;
	uint64_t *pdpt = block + R3_PDPT * PT_ENTRIES;
	uint64_t *pd = block + R3_PD * PT_ENTRIES;
	const uint64_t *cur_pml4 = (const uint64_t *)(uintptr_t)(cr3 & PTE_ADDR_MASK);

	for (uint64_t i = 0; i < R3_IDENTITY_GIB * PT_ENTRIES; i++)
		pd[i] = (i * MiB(2)) | PTE_P | PTE_RW | PTE_US | PTE_PS;
	memset(pdpt, 0, PAGE_SIZE);
	if (cur_pml4[0] & PTE_P) {
		const uint64_t *cur_pdpt = (const uint64_t *)(uintptr_t)(cur_pml4[0] & PTE_ADDR_MASK);

		for (unsigned i = R3_IDENTITY_GIB; i < PT_ENTRIES; i++)
			pdpt[i] = cur_pdpt[i];
	}
	for (unsigned i = 0; i < R3_IDENTITY_GIB; i++)
		pdpt[i] = (uint64_t)(uintptr_t)(pd + i * PT_ENTRIES) | PTE_P | PTE_RW | PTE_US;
	pml4[0] = (uint64_t)(uintptr_t)pdpt | PTE_P | PTE_RW | PTE_US;
	for (unsigned i = 1; i < PT_ENTRIES; i++)
		pml4[i] = cur_pml4[i];
}

static void tss_descriptor_encode(uint8_t *d, uint64_t base)
{
	uint64_t limit = TSS_SIZE - 1;
	uint64_t lo = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | ((uint64_t)SEG_AR_TSS_AVAILABLE << 40) |
		      (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
	uint64_t hi = base >> 32;

	memcpy(d, &lo, 8);
	memcpy(d + 8, &hi, 8);
}

/* Copies the current GDT and appends user data, user code and TSS descriptors.
 * Returns the offset of the first appended descriptor (the user data selector). */
static uint16_t ring3_build_gdt(uint8_t *gdt, const struct cpu_dtr *cur, uint8_t *tss, uint64_t rsp0,
				struct cpu_dtr *out)
{
	size_t len = (size_t)cur->limit + 1;
	size_t off = align_up(len, 8);
	uint64_t d;

	memset(gdt, 0, off + 32);
	memcpy(gdt, (const void *)(uintptr_t)cur->base, len);
	d = GDT_USER_DATA;
	memcpy(gdt + off, &d, 8);
	d = GDT_USER_CODE64;
	memcpy(gdt + off + 8, &d, 8);
	tss_descriptor_encode(gdt + off + 16, (uint64_t)(uintptr_t)tss);

	memset(tss, 0, TSS_SIZE);
	memcpy(tss + TSS_RSP0_OFFSET, &rsp0, 8);
	uint16_t iomap = TSS_SIZE; /* no I/O permission bitmap: all ports denied at CPL 3 */
	memcpy(tss + TSS_IOMAP_OFFSET, &iomap, 2);

	out->base = (uint64_t)(uintptr_t)gdt;
	out->limit = (uint16_t)(off + 32 - 1);
	return (uint16_t)off;
}

static void ring3_save(struct ring3_saved *s)
{
	s->rflags = cpu_read_rflags();
	s->gdtr = cpu_sgdt();
	s->tr = cpu_str();
	s->cr3 = cpu_read_cr3();
	s->cr4 = cpu_read_cr4();
	s->ds = cpu_read_ds();
	s->es = cpu_read_es();
	s->fs = cpu_read_fs();
	s->gs = cpu_read_gs();
	s->fs_base = cpu_rdmsr(MSR_IA32_FS_BASE);
	s->gs_base = cpu_rdmsr(MSR_IA32_GS_BASE);
}

/* Whether sel names a 64-bit TSS descriptor inside gdtr: only then
 * can LTR give TR back. The firmware may run with TR = 0, which LTR cannot load; after
 * a first excursion TR holds our selector, which the firmware's GDT does not have. */
static bool tss_selector_loadable(const struct cpu_dtr *gdtr, uint16_t sel)
{
	uint32_t off = sel & ~7u;
	uint8_t type;

	if (!off || (sel & 4) || off + 15 > gdtr->limit)
		return false;
	type = ((const uint8_t *)(uintptr_t)gdtr->base)[off + 5];
	return (type & SEG_AR_P_TYPE_S_MASK) == SEG_AR_TSS_AVAILABLE ||
	       (type & SEG_AR_P_TYPE_S_MASK) == SEG_AR_TSS_BUSY;
}

/* The saved GDT's TSS descriptor is busy (it was loaded); LTR wants it available. */
static void ring3_reload_tr(void *arg)
{
	const struct ring3_saved *s = arg;
	uint8_t *desc = (uint8_t *)(uintptr_t)(s->gdtr.base + (s->tr & ~7u));

	desc[5] &= (uint8_t)~TSS_ACCESS_BUSY_BIT;
	cpu_ltr(s->tr);
}

/* Returns false when TR could not be put back (why filled); *tr_kept is set when TR
 * had nothing loadable to go back to and keeps our TSS. */
static bool ring3_restore(const struct ring3_saved *s, bool *tr_kept, char *why, size_t n)
{
	bool ok = true;

	cpu_write_cr3(s->cr3);
	cpu_write_cr4(s->cr4);
	cpu_lgdt(&s->gdtr);
	seg_load_ds(s->ds);
	seg_load_es(s->es);
	seg_load_fs(s->fs);
	seg_load_gs(s->gs);
	/* Loading a selector in 64-bit mode resets the base from the descriptor. */
	cpu_wrmsr(MSR_IA32_FS_BASE, s->fs_base);
	cpu_wrmsr(MSR_IA32_GS_BASE, s->gs_base);
	*tr_kept = !tss_selector_loadable(&s->gdtr, s->tr);
	if (!*tr_kept) {
		int r = probe_call(ring3_reload_tr, (void *)s);

		if (r != PROBE_NO_FAULT) {
			char d[96];

			probe_describe(r, d, sizeof(d));
			fmt_snprintf(why, n, "could not reload TR 0x%x: %s", s->tr, d);
			ok = false;
		}
	}
	if (s->rflags & RFLAGS_IF)
		cpu_sti();
	return ok;
}

bool ring3_run(const char *code, uint64_t rax, struct ring3_result *res, char *why, size_t why_len)
{
	struct ring3_saved s;
	struct cpu_dtr gdtr;
	struct cpu_dtr cur_gdtr = cpu_sgdt();
	size_t gdt_len = (size_t)cur_gdtr.limit + 1;
	size_t gdt_pages = (align_up(gdt_len, 8) + 32 + PAGE_SIZE - 1) / PAGE_SIZE;
	uint64_t *block;
	uint8_t *gdt, *tss;

	if (!ring3_env_ok(gdt_len, why, why_len))
		return false;
	block = efimem_alloc_pages(R3_PAGES, GiB(R3_IDENTITY_GIB) - 1);
	gdt = efimem_alloc_pages(gdt_pages, UINT64_MAX);
	if (!ring3_tss)
		ring3_tss = efimem_alloc_pages(1, UINT64_MAX);
	tss = ring3_tss;
	if (!block || !gdt || !tss) {
		efimem_free_pages(block, R3_PAGES);
		efimem_free_pages(gdt, gdt_pages);
		fmt_snprintf(why, why_len, "AllocatePages failed");
		return false;
	}

	uint8_t *stack0_top = (uint8_t *)(block + (R3_STACK0 + 2) * PT_ENTRIES);
	uint8_t *stack3_top = (uint8_t *)(block + (R3_STACK3 + 1) * PT_ENTRIES);
	uint16_t uds;

	ring3_save(&s);
	cpu_cli();
	ring3_build_tables(block, s.cr3);
	uds = ring3_build_gdt(gdt, &s.gdtr, tss, (uint64_t)(uintptr_t)stack0_top, &gdtr);

	cpu_lgdt(&gdtr);
	cpu_ltr((uint16_t)(uds + 16));
	/* SMEP/SMAP would stop CPL 0 at the now user pages; clearing PGE flushes global
	 * translations of the supervisor-only map. */
	cpu_write_cr4(s.cr4 & ~(CR4_SMEP | CR4_SMAP | CR4_PGE));
	cpu_write_cr3((uint64_t)(uintptr_t)(block + R3_PML4 * PT_ENTRIES));

	res->vector = probe_ring3_iret((uint64_t)(uintptr_t)code, (uint64_t)(uintptr_t)stack3_top,
				       (uint64_t)(uds + 8) | SEL_RPL3, (uint64_t)uds | SEL_RPL3, rax);
	res->fault = probe_fault_info;

	res->restore_error[0] = 0;
	res->restored = ring3_restore(&s, &res->tr_kept, res->restore_error, sizeof(res->restore_error));
	res->tr_before = s.tr;
	efimem_free_pages(block, R3_PAGES);
	efimem_free_pages(gdt, gdt_pages);
	return true;
}
