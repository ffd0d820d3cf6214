/* vmxdiff: the differential conformance probe (issue 16). The same program runs on bare
 * Bochs and under vmxray; tests/integration/92-differential.sh compares its lines, and any
 * difference is a vmxray defect (or a documented, expected difference, left out here).
 *
 * It copies the mode-switching blob (tests/guest/vmxdiff_modes.asm, see there) to
 * DIFF_BASE, builds its page tables, calls it with interrupts off, and prints one line per
 * probe record: "vmxdiff: INFO DIFF <mode>.<probe> vec=.. ec=.. ip=+.. cs=.. eax=.. ebx=..
 * ecx=.. edx=.. db=<count>/<ip>/<ip> dr6=.. frame=..": the exception that ended the probe
 * (every probe ends in one, at least the UD2 after its instruction), its error code or
 * "none", where it happened relative to the probe's first byte, the registers then, and
 * the single-step traps on the way.
 *
 * Left out because they differ by design under vmxray (the policy, vmx/policy/):
 *   - VMCALL (#UD on bare hardware, vmxray's hypercall ABI under vmxray);
 *   - the IA32_VMX_* MSRs (0x480-0x492: #GP under vmxray, VMX is hidden), IA32_FEATURE_CONTROL
 *     (vmxray shows it locked), IA32_MISC_ENABLE (BTS/PEBS unavailable), CR4.VMXE (#GP);
 *   - CPUID leaves 0x40000000 and up (vmxray's leaves), leaf 0x14 (Intel PT);
 * and normalized: CPUID.1 ECX VMX, DTES64, PDCM and the hypervisor bit, EDX DS; CPUID.7.0
 * EBX Intel PT (cleared before printing, bare and vmxray alike).
 * The blob runs with interrupts off; the STI shadow and NMIs are probed afterwards by
 * tests/guest/vmxdiff_intr.asm (mode "intr": 64-bit, interrupts from the local APIC, its
 * own IDT), whose records are printed the same way. */
#include <efi.h>
#include <efilib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "drivers/fmt.h"
#include "tools/efilib/efimem.h"
#include "tools/efilib/probe.h"
#include "tools/efilib/report.h"
#include "vmx/policy/hypercall_abi.h"

/* Must match tests/guest/vmxdiff_modes.asm. */
#define DIFF_BASE 0x8000u
#define DIFF_ENTRY (DIFF_BASE + 2)
#define DIFF_END 0x1D000u /* first byte past what the blob and its tables use */
#define DIFF_BLOB_MAX 0x2800u
#define REC_BASE 0xB000u
#define REC_MAX 340u
#define PDPT 0x1C000u
#define PDPT2 0x1C020u
#define PAE_PD 0x10000u /* 4 page directories */
#define PD32 0x14000u
#define PT_LO 0x15000u    /* PAE: the first 2 MiB in 4-KiB pages; linear 0 -> WRAP_LO */
#define PT_HI 0x16000u    /* PAE: linear 0xFFE00000-0xFFFFFFFF; only the last page present */
#define WRAP_LO 0x17000u  /* UD2 at +0 (after the 4-GiB EIP wrap); CPUID at +0xFFE (16-bit) */
#define WRAP_HI 0x18000u  /* linear 0xFFFFF000: marker A at +0, CPUID at +0xFFE */
#define PD3B 0x19000u     /* PDPT2's entry 3 */
#define PT_HI_B 0x1A000u
#define MARK_B 0x1B000u   /* linear 0xFFFFF000 through PDPT2: marker B */
#define EV_STACK 0xA8F8u    /* qword: the stack top for the long.db_delivery_ept_exit probe */
#define STACK_FALLBACK 0xAE00u /* the blob's own stack area */
#define MARKER_A 0x4141A000u
#define MARKER_B 0x4242B000u

#define PTE_P 1ull
#define PTE_RW 2ull
#define PTE_PS 0x80ull

struct diff_record {
	uint16_t mode, name;
	uint32_t vec, ec, rip, cs, eax, ebx, ecx, edx, dbn, db0, db1, dr6, frame, start;
};
_Static_assert(sizeof(struct diff_record) == 60, "REC_SIZE in vmxdiff_modes.asm");

extern const uint8_t vmxdiff_blob[], vmxdiff_blob_end[];
extern const char vmxdiff_intr_base[];
extern const uint32_t vmxdiff_intr_count;
extern uint32_t vmxdiff_intr_strays;
uint32_t vmxdiff_intr_run(struct diff_record *rec, uint64_t apic_mmio, void *idt_page);

static uint64_t *table(uint32_t addr)
{
	return (uint64_t *)(uintptr_t)addr;
}

static void build_tables(void)
{
	uint32_t *pd32 = (uint32_t *)(uintptr_t)PD32;
	for (unsigned i = 0; i < 1024; i++)
		pd32[i] = (i << 22) | PTE_P | PTE_RW | PTE_PS;
	for (unsigned i = 0; i < 4; i++) {
		uint64_t *pd = table(PAE_PD + i * 0x1000);
		table(PDPT)[i] = (PAE_PD + i * 0x1000) | PTE_P;
		table(PDPT2)[i] = (PAE_PD + i * 0x1000) | PTE_P;
		for (unsigned j = 0; j < 512; j++)
			pd[j] = ((uint64_t)(i * 512 + j) << 21) | PTE_P | PTE_RW | PTE_PS;
	}
	table(PAE_PD)[0] = PT_LO | PTE_P | PTE_RW;
	table(PAE_PD + 0x3000)[511] = PT_HI | PTE_P | PTE_RW;
	for (unsigned k = 0; k < 512; k++)
		table(PT_LO)[k] = ((uint64_t)k << 12) | PTE_P | PTE_RW;
	table(PT_LO)[0] = WRAP_LO | PTE_P | PTE_RW;
	memset(table(PT_HI), 0, 4096);
	table(PT_HI)[511] = WRAP_HI | PTE_P | PTE_RW;
	memcpy(table(PD3B), table(PAE_PD + 0x3000), 4096);
	table(PD3B)[511] = PT_HI_B | PTE_P | PTE_RW;
	memset(table(PT_HI_B), 0, 4096);
	table(PT_HI_B)[511] = MARK_B | PTE_P | PTE_RW;
	table(PDPT2)[3] = PD3B | PTE_P;

	uint8_t *lo = (uint8_t *)(uintptr_t)WRAP_LO, *hi = (uint8_t *)(uintptr_t)WRAP_HI;
	memset(lo, 0xCC, 4096);
	memset(hi, 0xCC, 4096);
	lo[0] = 0x0F, lo[1] = 0x0B;         /* ud2 */
	lo[0xFFE] = 0x0F, lo[0xFFF] = 0xA2; /* cpuid */
	hi[0xFFE] = 0x0F, hi[0xFFF] = 0xA2;
	*(uint32_t *)hi = MARKER_A;
	*(uint32_t *)(uintptr_t)MARK_B = MARKER_B;
}

/* What vmxray changes by design (see the top of this file). */
static void normalize(const char *probe, struct diff_record *r)
{
	if (!strcmp(probe, "cpuid1")) {
		r->ecx &= ~((1u << 2) | (1u << 5) | (1u << 15) | (1u << 31));
		r->edx &= ~(1u << 21);
	} else if (!strcmp(probe, "cpuid7")) {
		r->ebx &= ~(1u << 25);
	} else if (!strcmp(probe, "db_delivery_ept_exit")) {
		r->frame = 0; /* its stack is another page under vmxray and on bare hardware */
	}
}

/* names: where the record's mode and name offsets count from (0 for the blob's records,
 * whose offsets are addresses below 64 KiB). */
static void print_record(struct diff_record *r, const char *names)
{
	const char *mode = names + r->mode;
	const char *probe = names + r->name;
	char ec[16];

	normalize(probe, r);
	if (r->ec == 0xFFFFFFFFu)
		memcpy(ec, "none", 5);
	else
		fmt_snprintf(ec, sizeof(ec), "0x%x", r->ec);
	report_info("DIFF %s.%s vec=%u ec=%s ip=+0x%x cs=0x%x eax=0x%x ebx=0x%x ecx=0x%x edx=0x%x db=%u/+0x%x/+0x%x "
		    "dr6=0x%x frame=%u",
		    mode, probe, r->vec, ec, r->rip - r->start, r->cs, r->eax, r->ebx, r->ecx, r->edx, r->dbn,
		    r->dbn > 0 ? r->db0 - r->start : 0, r->dbn > 1 ? r->db1 - r->start : 0,
		    r->dbn > 0 ? r->dr6 : 0, r->frame);
}

/* A page nothing has touched yet, for a stack that an event delivery is the first to
 * write: under vmxray the last page of its first owned range (the EPT shows the guest a
 * scratch page there from the first access on; OWNED_RANGES hypercall), on bare
 * hardware (VMCALL: #UD) a free page. Either way the probe sees the same memory. */
static uint64_t untouched_page(void *buf)
{
	struct probe_regs r = { .rax = VMXRAY_HC_OWNED_RANGES, .rbx = (uintptr_t)buf, .rcx = 4096 };
	const uint64_t *pairs = buf;

	if (probe_vmcall(&r) == PROBE_NO_FAULT && (int64_t)r.rax >= 1 && pairs[1] >= 4096)
		return pairs[0] + pairs[1] - 4096;
	return (uintptr_t)efimem_alloc_pages(1, UINT64_MAX);
}

static bool take_low_memory(void)
{
	for (uint32_t a = DIFF_BASE; a < DIFF_END; a += 4096) {
		if (!efimem_alloc_page_at(a)) {
			report_fail("low_memory", "page 0x%x is not free", a);
			for (uint32_t b = DIFF_BASE; b < a; b += 4096)
				efimem_free_pages((void *)(uintptr_t)b, 1);
			return false;
		}
	}
	return true;
}

#define MSR_IA32_APIC_BASE 0x1Bu
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)

/* The interrupt and NMI probes (tests/guest/vmxdiff_intr.asm), xAPIC only. */
static unsigned run_intr_probes(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_IA32_APIC_BASE));
	uint64_t base = (uint64_t)hi << 32 | lo;
	if ((base & (APIC_BASE_EN | APIC_BASE_EXTD)) != APIC_BASE_EN) {
		report_info("intr probes not run: IA32_APIC_BASE 0x%lx (xAPIC only)", base);
		return 0;
	}
	struct diff_record *rec = efimem_alloc_pages(1, UINT64_MAX);
	void *idt = efimem_alloc_pages(1, UINT64_MAX);
	if (!report_check(rec && idt && vmxdiff_intr_count * sizeof(*rec) <= 4096, "intr_memory", "no pages"))
		return 0;
	memset(rec, 0, 4096);
	unsigned n = vmxdiff_intr_run(rec, base & ~0xFFFull, idt);
	if (report_check(n == vmxdiff_intr_count, "intr_records", "%u records, %u expected", n, vmxdiff_intr_count))
		for (unsigned i = 0; i < n; i++)
			print_record(&rec[i], vmxdiff_intr_base);
	report_info("intr stray interrupts: %u", vmxdiff_intr_strays);
	efimem_free_pages(rec, 1);
	efimem_free_pages(idt, 1);
	return n;
}

/* The blob reloads CR3 with 32-bit code and never sets CR4.PCIDE or LA57 again. */
static bool firmware_state_fits(void)
{
	uint64_t cr3, cr4;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	return report_check(cr3 < (1ull << 32) && !(cr4 & ((1u << 17) | (1u << 12))), "firmware_state",
			    "CR3 0x%lx, CR4 0x%lx: the blob cannot come back to this state", cr3, cr4);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	InitializeLib(image, st);
	probe_init();
	report_init("vmxdiff", st);
	report_to_file(image, L"\\EFI\\vmxray\\vmxdiff.log");
	size_t size = (size_t)(vmxdiff_blob_end - vmxdiff_blob);
	if (report_check(size <= DIFF_BLOB_MAX, "blob_size", "%lu bytes", (uint64_t)size) && firmware_state_fits() &&
	    take_low_memory()) {
		memcpy((void *)(uintptr_t)DIFF_BASE, vmxdiff_blob, size);
		memset((void *)(uintptr_t)REC_BASE, 0, REC_MAX * sizeof(struct diff_record));
		build_tables();
		void *buf = efimem_alloc_pages(1, UINT64_MAX);
		uint64_t page = buf ? untouched_page(buf) : 0;
		report_check(page != 0, "untouched_page", "no page");
		*(volatile uint64_t *)(uintptr_t)EV_STACK = page ? page + 0x800 : STACK_FALLBACK;
		uint64_t (*blob)(void) = (uint64_t (*)(void))(uintptr_t)DIFF_ENTRY;
		uint64_t ret = blob(); /* records written; bits 63:32 records expected */
		unsigned n = (uint32_t)ret, expected = (unsigned)(ret >> 32);
		report_pass("returned_to_uefi");
		if (report_check(n == expected && n <= REC_MAX, "records", "%u records, %u expected", n, expected)) {
			struct diff_record *r = (struct diff_record *)(uintptr_t)REC_BASE;
			for (unsigned i = 0; i < n; i++)
				print_record(&r[i], NULL);
			n += run_intr_probes();
			report_info("DIFF-COUNT %u", n);
		}
		for (uint32_t a = DIFF_BASE; a < DIFF_END; a += 4096)
			efimem_free_pages((void *)(uintptr_t)a, 1);
	}
	return report_summary() ? EFI_ABORTED : EFI_SUCCESS;
}
