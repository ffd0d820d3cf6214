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
 * own IDT), whose records are printed the same way; then, with two CPUs, INIT-SIPI-SIPI to
 * the other one (lines "ap.*"), the guest moving its APIC ("apic.relocate"), x2APIC mode
 * where CPUID.1:ECX.x2APIC says it exists ("x2apic.*": mode transitions, ICR reserved
 * bits, self-IPIs, absent and write-only registers, INIT-SIPI-SIPI to the other CPU),
 * and the APIC disabled ("apic.disable").
 * EDX after INIT is printed, not compared: Bochs 2.7 leaves 0 where the SDM (and vmxray)
 * load the processor signature. */
#include <efi.h>
#include <efilib.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "boot/mp.h"
#include "drivers/fmt.h"
#include "tools/efilib/efimem.h"
#include "tools/efilib/probe.h"
#include "tools/efilib/report.h"
#include "vmx/policy/hypercall_abi.h"

/* Must match tests/guest/vmxdiff_modes.asm. */
#define DIFF_BASE 0x8000u
#define DIFF_ENTRY (DIFF_BASE + 2)
#define DIFF_END 0x1D000u /* first byte past what the blob and its tables use */
#define DIFF_LO_SIZE 0x2800u /* the low part, at DIFF_BASE; the rest (section hi) at HI_BASE */
#define HI_BASE 0x1C100u     /* the PDPT page, past the two PDPTs */
#define HI_SPLIT HI_BASE     /* dword: how many records are at REC_BASE */
#define REC2_BASE 0x1C800u   /* the records of section hi's probes */
#define REC2_MAX 34u
#define DIFF_BLOB_MAX (DIFF_LO_SIZE + (REC2_BASE - HI_BASE))
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

static uint64_t apic_base_msr(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_IA32_APIC_BASE));
	return (uint64_t)hi << 32 | lo;
}

/* The interrupt and NMI probes (tests/guest/vmxdiff_intr.asm), xAPIC only. */
static unsigned run_intr_probes(void)
{
	uint64_t base = apic_base_msr();
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

/* ---- The guest moving and disabling its APIC (IA32_APIC_BASE, SDM Vol. 3A, "Relocating the
 * Local APIC Registers" and "Local APIC Status and Location"): what the old page and the
 * new one read, with interrupts off; the firmware's base and registers are put back. */
static void wrmsr64(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static uint32_t mmio32(uint64_t a)
{
	return *(volatile uint32_t *)(uintptr_t)a;
}

static void mmio32_write(uint64_t a, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)a = v;
}

/* The registers an EN=0 -> 1 cycle resets (SDM Vol. 3A, "Local APIC State After It Has Been
 * Software Disabled" and after EN=0: the power-up state): restored after it. */
static const uint16_t apic_kept[] = { 0x80, 0xD0, 0xE0, 0x320, 0x330, 0x340, 0x350, 0x360, 0x370, 0x3E0, 0x380 };

static unsigned run_apic_relocate_probe(uint64_t base_msr)
{
	if ((base_msr & (APIC_BASE_EN | APIC_BASE_EXTD)) != APIC_BASE_EN)
		return 0;
	uint32_t *ram = efimem_alloc_pages(1, 0xFFFFFFFFull);
	if (!report_check(ram != NULL, "apic_page", "no page below 4 GiB"))
		return 0;
	uint64_t old = base_msr & ~0xFFFull, moved = (uintptr_t)ram;
	for (unsigned i = 0; i < 1024; i++)
		ram[i] = 0x5A5A0000u | i;
	uint64_t flags;
	__asm__ volatile("pushfq; pop %0; cli" : "=r"(flags));
	uint32_t tpr = mmio32(old + 0x80);
	wrmsr64(MSR_IA32_APIC_BASE, moved | (base_msr & 0xFFF));
	uint32_t id_new = mmio32(moved + 0x20), ver_new = mmio32(moved + 0x30);
	uint32_t id_old = mmio32(old + 0x20);
	mmio32_write(moved + 0x80, 0x20);
	uint32_t tpr_new = mmio32(moved + 0x80);
	wrmsr64(MSR_IA32_APIC_BASE, base_msr);
	uint32_t ram_after = mmio32(moved + 0x80), tpr_back = mmio32(old + 0x80);
	mmio32_write(old + 0x80, tpr);
	__asm__ volatile("push %0; popfq" ::"r"(flags) : "cc");
	report_info("DIFF apic.relocate id_new=0x%x ver_new=0x%x id_old_page=0x%x tpr_new=0x%x ram_after=0x%x "
		    "tpr_back=0x%x",
		    id_new, ver_new, id_old, tpr_new, ram_after, tpr_back == tpr ? 0 : tpr_back);
	efimem_free_pages(ram, 1);
	return 1;
}

/* EN=0 and back (after the x2APIC probes, which leave the APIC disabled where x2APIC mode
 * exists: then the EN=0 write changes nothing). Bochs 2.7 does not bring the APIC back: the
 * registers are put back only where they read as registers (SVR not all ones). */
static unsigned run_apic_disable_probe(uint64_t base_msr)
{
	if ((base_msr & (APIC_BASE_EN | APIC_BASE_EXTD)) != APIC_BASE_EN)
		return 0;
	uint64_t old = base_msr & ~0xFFFull;
	uint64_t flags;
	__asm__ volatile("pushfq; pop %0; cli" : "=r"(flags));
	uint32_t saved[sizeof(apic_kept) / sizeof(apic_kept[0])], svr = mmio32(old + 0xF0);
	for (unsigned i = 0; i < sizeof(apic_kept) / sizeof(apic_kept[0]); i++)
		saved[i] = mmio32(old + apic_kept[i]);
	wrmsr64(MSR_IA32_APIC_BASE, base_msr & ~APIC_BASE_EN);
	uint32_t id_off = mmio32(old + 0x20);
	mmio32_write(old + 0x80, 0x30);
	uint32_t tpr_off = mmio32(old + 0x80);
	wrmsr64(MSR_IA32_APIC_BASE, base_msr);
	uint64_t base_on = apic_base_msr();
	uint32_t svr_on = mmio32(old + 0xF0), lvt_on = mmio32(old + 0x320);
	if (svr != 0xFFFFFFFFu) {
		mmio32_write(old + 0xF0, svr);
		for (unsigned i = 0; i < sizeof(apic_kept) / sizeof(apic_kept[0]); i++)
			mmio32_write(old + apic_kept[i], saved[i]);
	}
	__asm__ volatile("push %0; popfq" ::"r"(flags) : "cc");
	report_info("DIFF apic.disable id_old_page=0x%x tpr_write=0x%x base_after=0x%lx svr_after=0x%x "
		    "lvt_timer_after=0x%x",
		    id_off, tpr_off, base_on, svr_on, lvt_on);
	return 1;
}

/* ---- INIT and SIPI to the other processor (2 CPUs): vmxdiff_ap_tramp in
 * tests/guest/vmxdiff_intr.asm, in the page AP_PAGE (its first SIPI vector). */
extern const uint8_t vmxdiff_ap_tramp[], vmxdiff_ap_tramp_end[];
extern const uint32_t vmxdiff_ap_nmi_off;
#define AP_PAGE 0x1D000u
#define AP_WAIT_SPINS 5000000u
#define ICR_INIT 0x00004500u   /* INIT, level assert */
#define ICR_SIPI 0x00004600u   /* start-up, | vector */
#define ICR_NMI 0x00004400u

struct ap_mailbox { /* at AP_PAGE + 0x800: the A_* offsets in vmxdiff_intr.asm */
	uint32_t stage, nmis, edx1, ebx1, edx2, ebx2;
	uint16_t ivt_r[3]; /* LIDT operand: limit, base */
};

static uint32_t cpuid1_eax(void)
{
	uint32_t a = 1, b, c = 0, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return a;
}

static void icr_send(volatile uint32_t *apic, uint32_t dest, uint32_t lo)
{
	apic[0x310 / 4] = dest << 24;
	apic[0x300 / 4] = lo;
	for (unsigned i = 0; i < AP_WAIT_SPINS && (apic[0x300 / 4] & (1u << 12)); i++) /* delivery status */
		__asm__ volatile("pause");
}

/* Waits until *p reaches `want` (or the spins run out); returns what it holds. */
static uint32_t ap_wait(volatile uint32_t *p, uint32_t want)
{
	for (unsigned i = 0; i < AP_WAIT_SPINS && *p < want; i++)
		__asm__ volatile("pause");
	return *p;
}

/* The other processor's APIC ID (MP services' processor 1); false with one CPU. */
static bool other_cpu(uint32_t *apic_id)
{
	static EFI_GUID guid = EFI_MP_SERVICES_PROTOCOL_GUID;
	EFI_MP_SERVICES_PROTOCOL *mp = NULL;
	UINTN n = 0, enabled = 0;
	EFI_PROCESSOR_INFORMATION info;
	if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &guid, NULL, (void **)&mp)) || !mp ||
	    EFI_ERROR(uefi_call_wrapper(mp->GetNumberOfProcessors, 3, mp, &n, &enabled)) || enabled < 2)
		return false;
	for (UINTN i = 0; i < n; i++) {
		if (EFI_ERROR(uefi_call_wrapper(mp->GetProcessorInfo, 3, mp, i, &info)))
			continue;
		if ((info.StatusFlag & PROCESSOR_ENABLED_BIT) && !(info.StatusFlag & PROCESSOR_AS_BSP_BIT)) {
			*apic_id = (uint32_t)info.ProcessorId;
			return true;
		}
	}
	return false;
}

static void ap_start(volatile uint32_t *apic, uint32_t ap)
{
	icr_send(apic, ap, ICR_INIT);
	icr_send(apic, ap, ICR_SIPI | (AP_PAGE >> 12));
	icr_send(apic, ap, ICR_SIPI | (AP_PAGE >> 12));
}

/* INIT-SIPI-SIPI to the other processor, which reports; two NMIs to it, the second
 * held while it is in its NMI handler; INIT-SIPI-SIPI again with that NMI held. The AP
 * is left halted: the firmware's MP services lose it (vmxdiff runs last). Three lines:
 * ap.start, ap.nmi_held, ap.restart_nmi_held. */
static unsigned run_ap_probes(uint64_t apic_base)
{
	uint32_t ap;
	if (!other_cpu(&ap) || (apic_base & (APIC_BASE_EN | APIC_BASE_EXTD)) != APIC_BASE_EN)
		return 0;
	if (!report_check(efimem_alloc_page_at(AP_PAGE), "ap_page", "page 0x%x is not free", AP_PAGE))
		return 0;
	volatile uint32_t *apic = (volatile uint32_t *)(uintptr_t)(apic_base & ~0xFFFull);
	uint8_t *page = (uint8_t *)(uintptr_t)AP_PAGE;
	memset(page, 0, 4096);
	memcpy(page, vmxdiff_ap_tramp, (size_t)(vmxdiff_ap_tramp_end - vmxdiff_ap_tramp));
	((uint32_t *)(page + 0x400))[2] = (AP_PAGE >> 4) << 16 | vmxdiff_ap_nmi_off;
	volatile struct ap_mailbox *m = (volatile struct ap_mailbox *)(page + 0x800);
	m->ivt_r[0] = 32 * 4 - 1;
	m->ivt_r[1] = (uint16_t)(AP_PAGE + 0x400);
	m->ivt_r[2] = (uint16_t)((AP_PAGE + 0x400) >> 16);

	ap_start(apic, ap);
	uint32_t stage = ap_wait(&m->stage, 1);
	report_info("DIFF ap.start stage=%u apic_id=%u", stage, m->ebx1 >> 24);
	icr_send(apic, ap, ICR_NMI);
	ap_wait(&m->nmis, 1);
	icr_send(apic, ap, ICR_NMI);
	uint32_t nmis = ap_wait(&m->nmis, 2); /* held: stays 1 */
	report_info("DIFF ap.nmi_held nmis=%u", nmis);
	ap_start(apic, ap);
	stage = ap_wait(&m->stage, 2);
	report_info("DIFF ap.restart_nmi_held stage=%u nmis=%u apic_id=%u", stage, m->nmis, m->ebx2 >> 24);
	/* EDX after INIT: the SDM says the processor signature (CPUID.01H:EAX), which vmxray
	 * loads; Bochs 2.7 leaves 0. Printed, not compared. */
	report_info("ap EDX after INIT: 0x%x, 0x%x; CPUID.01H:EAX 0x%x", m->edx1, m->edx2, cpuid1_eax());
	return 3; /* the page stays allocated: the AP halts in it */
}

/* ---- x2APIC mode (SDM Vol. 3A, "Extended XAPIC (x2APIC)"): the BSP's APIC through its MSRs,
 * with interrupts off, then back to the firmware's xAPIC through the disabled state (the only
 * way back, "x2APIC State Transitions"), its registers put back as run_apic_base_probes does.
 * Under vmxray WRMSR IA32_APIC_BASE and the ICR (0x830) exit (the soft-IPI path,
 * vmx/exit/exit_apic.c); the self-IPI register and the rest go to the APIC. Lines
 * "x2apic.*"; with two CPUs INIT-SIPI-SIPI through the x2APIC ICR restarts the AP once more. */
#define X2APIC_MSR(off) (0x800u + ((off) >> 4))
#define X2APIC_ID X2APIC_MSR(0x20)
#define X2APIC_VERSION X2APIC_MSR(0x30)
#define X2APIC_TPR X2APIC_MSR(0x80)
#define X2APIC_EOI X2APIC_MSR(0xB0)
#define X2APIC_ISR0 X2APIC_MSR(0x100)
#define X2APIC_IRR0 X2APIC_MSR(0x200)
#define X2APIC_ICR X2APIC_MSR(0x300)
#define X2APIC_SELF_IPI 0x83Fu
#define X2APIC_VEC 0x1Fu /* a vector the probe's private IDT (0-31) takes */
#define ICR_SELF (1u << 18)  /* destination shorthand 01: self */
#define X2APIC_NO_CPU 0x12345ull /* an x2APIC ID no processor has */

/* The lines are kept until interrupts are on again and the APIC out of x2APIC mode:
 * printing goes through boot services, which enable interrupts (and a pending self-IPI or
 * the firmware's timer would then meet an APIC its handlers do not expect). */
#define X2_LINES 24
static char x2_text[X2_LINES][160];
static unsigned x2_count;

static void __attribute__((format(printf, 1, 2))) x2_line(const char *fmt, ...)
{
	va_list ap;
	if (x2_count >= X2_LINES)
		return;
	va_start(ap, fmt);
	fmt_vsnprintf(x2_text[x2_count++], sizeof(x2_text[0]), fmt, ap);
	va_end(ap);
}

static bool cpu_has_x2apic(void)
{
	uint32_t a = 1, b, c = 0, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return c & (1u << 21);
}

/* "vec=.. ec=.." of a probe result, as the blob's records print them. */
static const char *fault_str(int r, char *buf, size_t n)
{
	if (r == PROBE_NO_FAULT)
		fmt_snprintf(buf, n, "vec=none");
	else
		fmt_snprintf(buf, n, "vec=%d ec=0x%lx", r, probe_fault_info.error);
	return buf;
}

static void sti_window(void *arg)
{
	(void)arg;
	__asm__ volatile("sti; nop; nop; nop; cli" ::: "memory");
}

/* The pending self-IPI at X2APIC_VEC: IRR, whether it is taken in an STI window (the
 * probe's IDT turns it into probe result 31), ISR then, ISR after EOI. */
static void x2apic_self_ipi_line(const char *name, uint32_t msr, uint64_t value)
{
	char f[48];
	uint64_t irr = 0, isr = 0, isr_after = 0;
	int r = probe_wrmsr(msr, value);
	fault_str(r, f, sizeof(f));
	probe_rdmsr(X2APIC_IRR0, &irr);
	int taken = probe_call(sti_window, NULL);
	probe_rdmsr(X2APIC_ISR0, &isr);
	probe_wrmsr(X2APIC_EOI, 0);
	probe_rdmsr(X2APIC_ISR0, &isr_after);
	x2_line("x2apic.%s %s irr=0x%lx taken=%d isr=0x%lx isr_after_eoi=0x%lx", name, f, irr, taken, isr,
		    isr_after);
}

static unsigned run_x2apic_probes(uint64_t base_msr, bool ap_ready, uint32_t ap)
{
	char f[48];
	unsigned n = 0;

	if (!cpu_has_x2apic()) { /* printed alike on bare hardware and under vmxray */
		report_info("DIFF x2apic.cpuid x2apic=0 (no x2APIC probes on this model)");
		return 1;
	}
	if ((base_msr & (APIC_BASE_EN | APIC_BASE_EXTD)) != APIC_BASE_EN)
		return 0;
	uint64_t old = base_msr & ~0xFFFull;
	uint64_t flags;
	__asm__ volatile("pushfq; pop %0; cli" : "=r"(flags));
	x2_line("x2apic.cpuid x2apic=1");
	n++;

	/* EXTD without EN: an invalid state (#GP), the base unchanged */
	uint64_t after = 0;
	int r = probe_wrmsr(MSR_IA32_APIC_BASE, (base_msr & ~APIC_BASE_EN) | APIC_BASE_EXTD);
	probe_rdmsr(MSR_IA32_APIC_BASE, &after);
	x2_line("x2apic.extd_without_en %s base_after=0x%lx", fault_str(r, f, sizeof(f)), after);
	n++;

	/* xAPIC -> x2APIC */
	r = probe_wrmsr(MSR_IA32_APIC_BASE, base_msr | APIC_BASE_EXTD);
	probe_rdmsr(MSR_IA32_APIC_BASE, &after);
	uint64_t id = 0, ver = 0;
	int rid = probe_rdmsr(X2APIC_ID, &id);
	probe_rdmsr(X2APIC_VERSION, &ver);
	x2_line("x2apic.enable %s base_after=0x%lx id_rd=%d id=0x%lx version=0x%lx", fault_str(r, f, sizeof(f)),
		    after, rid, id, ver);
	n++;
	if (r != PROBE_NO_FAULT || !(after & APIC_BASE_EXTD)) {
		__asm__ volatile("push %0; popfq" ::"r"(flags) : "cc");
		for (unsigned i = 0; i < x2_count; i++)
			report_info("DIFF %s", x2_text[i]);
		return n;
	}
	probe_wrmsr(X2APIC_TPR, 0);

	/* x2APIC -> xAPIC directly: #GP, still x2APIC */
	r = probe_wrmsr(MSR_IA32_APIC_BASE, base_msr);
	probe_rdmsr(MSR_IA32_APIC_BASE, &after);
	x2_line("x2apic.to_xapic_direct %s base_after=0x%lx", fault_str(r, f, sizeof(f)), after);
	n++;

	/* the ICR with reserved bits (0xFFF33000): #GP, nothing sent (to no processor anyway) */
	static const struct {
		const char *name;
		uint64_t icr;
	} rsvd[] = {
		{ "icr_rsvd_bit13_fixed", X2APIC_NO_CPU << 32 | (1u << 13) | 0x40 },
		{ "icr_rsvd_bit16_fixed", X2APIC_NO_CPU << 32 | (1u << 16) | 0x40 },
		{ "icr_rsvd_bit20_init", X2APIC_NO_CPU << 32 | (1u << 20) | ICR_INIT },
		{ "icr_rsvd_bit31_sipi", X2APIC_NO_CPU << 32 | (1u << 31) | ICR_SIPI | 0x9F },
		{ "icr_init_no_cpu", X2APIC_NO_CPU << 32 | ICR_INIT },
	};
	for (unsigned i = 0; i < sizeof(rsvd) / sizeof(rsvd[0]); i++) {
		r = probe_wrmsr(X2APIC_ICR, rsvd[i].icr);
		x2_line("x2apic.%s %s", rsvd[i].name, fault_str(r, f, sizeof(f)));
		n++;
	}
	if (ap_ready) { /* INIT with a reserved bit to the AP: #GP, the AP not reset */
		r = probe_wrmsr(X2APIC_ICR, (uint64_t)ap << 32 | (1u << 20) | ICR_INIT);
		x2_line("x2apic.icr_rsvd_bit20_init_ap %s", fault_str(r, f, sizeof(f)));
		n++;
	}

	/* self-IPIs: through the SELF IPI register, and through the ICR with the self shorthand */
	x2apic_self_ipi_line("self_ipi_83f", X2APIC_SELF_IPI, X2APIC_VEC);
	x2apic_self_ipi_line("self_ipi_icr", X2APIC_ICR, ICR_SELF | X2APIC_VEC);
	n += 2;

	/* reads of write-only or absent registers, a write of a read-only one: #GP */
	static const struct {
		const char *name;
		uint32_t msr;
		bool write;
	} bad[] = {
		{ "rdmsr_eoi", X2APIC_EOI, false },        { "rdmsr_self_ipi", X2APIC_SELF_IPI, false },
		{ "rdmsr_icr_high_831", 0x831, false },    { "rdmsr_absent_809", 0x809, false },
		{ "wrmsr_id_readonly", X2APIC_ID, true },  { "wrmsr_version_readonly", X2APIC_VERSION, true },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t val = 0;
		r = bad[i].write ? probe_wrmsr(bad[i].msr, 0) : probe_rdmsr(bad[i].msr, &val);
		x2_line("x2apic.%s %s value=0x%lx", bad[i].name, fault_str(r, f, sizeof(f)), val);
		n++;
	}

	/* two CPUs: INIT-SIPI-SIPI to the AP through the x2APIC ICR (it takes the second path
	 * of vmxdiff_ap_tramp: stage 2, then halts) */
	if (ap_ready) {
		volatile struct ap_mailbox *m = (volatile struct ap_mailbox *)(uintptr_t)(AP_PAGE + 0x800);
		m->stage = 1;
		m->ebx2 = 0;
		int ri = probe_wrmsr(X2APIC_ICR, (uint64_t)ap << 32 | ICR_INIT);
		for (unsigned i = 0; i < 100000; i++)
			__asm__ volatile("pause");
		int rs1 = probe_wrmsr(X2APIC_ICR, (uint64_t)ap << 32 | ICR_SIPI | (AP_PAGE >> 12));
		for (unsigned i = 0; i < 10000; i++)
			__asm__ volatile("pause");
		int rs2 = probe_wrmsr(X2APIC_ICR, (uint64_t)ap << 32 | ICR_SIPI | (AP_PAGE >> 12));
		uint32_t stage = ap_wait(&m->stage, 2);
		x2_line("x2apic.ap_init_sipi init=%d sipi=%d,%d stage=%u apic_id=%u", ri, rs1, rs2, stage,
			    m->ebx2 >> 24);
		n++;
	}

	/* out of x2APIC mode: the only way is through the disabled state ("x2APIC State
	 * Transitions"); it is left there for run_apic_disable_probe (Bochs 2.7 does not bring
	 * an APIC back after EN=0) */
	int rd = probe_wrmsr(MSR_IA32_APIC_BASE, base_msr & ~(APIC_BASE_EN | APIC_BASE_EXTD));
	probe_rdmsr(MSR_IA32_APIC_BASE, &after);
	x2_line("x2apic.disable %s base_after=0x%lx id_mmio=0x%x", fault_str(rd, f, sizeof(f)), after,
		    mmio32(old + 0x20));
	n++;
	__asm__ volatile("push %0; popfq" ::"r"(flags) : "cc");
	for (unsigned i = 0; i < x2_count; i++)
		report_info("DIFF %s", x2_text[i]);
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
		memcpy((void *)(uintptr_t)DIFF_BASE, vmxdiff_blob, size < DIFF_LO_SIZE ? size : DIFF_LO_SIZE);
		memset((void *)(uintptr_t)REC_BASE, 0, REC_MAX * sizeof(struct diff_record));
		build_tables(); /* before section hi: it shares the PDPT page */
		if (size > DIFF_LO_SIZE)
			memcpy((void *)(uintptr_t)HI_BASE, vmxdiff_blob + DIFF_LO_SIZE, size - DIFF_LO_SIZE);
		memset((void *)(uintptr_t)REC2_BASE, 0, REC2_MAX * sizeof(struct diff_record));
		void *buf = efimem_alloc_pages(1, UINT64_MAX);
		uint64_t page = buf ? untouched_page(buf) : 0;
		report_check(page != 0, "untouched_page", "no page");
		*(volatile uint64_t *)(uintptr_t)EV_STACK = page ? page + 0x800 : STACK_FALLBACK;
		uint64_t (*blob)(void) = (uint64_t (*)(void))(uintptr_t)DIFF_ENTRY;
		uint64_t ret = blob(); /* records written; bits 63:32 records expected */
		unsigned n = (uint32_t)ret, expected = (unsigned)(ret >> 32);
		report_pass("returned_to_uefi");
		unsigned split = size > DIFF_LO_SIZE ? *(volatile uint32_t *)(uintptr_t)HI_SPLIT : n;
		if (report_check(n == expected && split <= REC_MAX && split <= n && n - split <= REC2_MAX, "records",
				 "%u records (%u in the low area), %u expected", n, split, expected)) {
			struct diff_record *r = (struct diff_record *)(uintptr_t)REC_BASE;
			struct diff_record *r2 = (struct diff_record *)(uintptr_t)REC2_BASE;
			for (unsigned i = 0; i < n; i++)
				print_record(i < split ? &r[i] : &r2[i - split], NULL);
			n += run_intr_probes();
			unsigned ap_lines = run_ap_probes(apic_base_msr());
			uint32_t ap = 0;
			bool ap_ready = ap_lines > 0 && other_cpu(&ap);
			n += ap_lines;
			uint64_t base = apic_base_msr();
			n += run_apic_relocate_probe(base);
			n += run_x2apic_probes(base, ap_ready, ap); /* leaves the APIC disabled */
			n += run_apic_disable_probe(base);          /* last: EN=0 leaves Bochs's APIC off */
			report_info("DIFF-COUNT %u", n);
		}
		for (uint32_t a = DIFF_BASE; a < DIFF_END; a += 4096)
			efimem_free_pages((void *)(uintptr_t)a, 1);
	}
	return report_summary() ? EFI_ABORTED : EFI_SUCCESS;
}
