/* vmxhostile: a guest that tries to reach vmxray's memory, log and other processors
 * through every route issue 20 found, and reports what happened to each attempt.
 *
 * An EFI application for the UEFI shell, run under vmxray (tests/integration/93-hostile.sh,
 * two CPUs). Every check prints "vmxhostile: PASS #n name" (the attempt was stopped the
 * way the architecture or vmxray's policy says), "FAIL #n name: why" or "SKIP #n name:
 * why", and the lines go to \EFI\vmxray\vmxhostile.log too. Root mode's side of the
 * story (canaries intact, no panic or root-mode exception, the refusals and rate-limit
 * lines) is in vmxray's serial log, which the integration test checks.
 *
 * Routes tried: IA32_APIC_BASE onto vmxray's memory, then an ICR write there; the
 * RTIT/DS/PEBS MSRs that write memory without EPT; an MTRR pair with a discontinuous
 * mask; DUMP_VMCS in a loop; hypercall buffers inside vmxray's memory; the shared
 * UART (huge divisor, another line format, loopback); writes to the intercepted APIC
 * page through XCHG, LOCK XCHG, LOCK MOV and an undecoded LOCK OR; INS into vmxray's
 * memory and to a non-canonical address. Not tried: INS past a real-mode segment limit
 * (needs a switch to real mode; covered by tests/unit/test_string_io.c). */
#include <efi.h>
#include <efilib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "arch/bits.h"
#include "arch/cpu.h"
#include "arch/msr.h"
#include "boot/mp.h"
#include "drivers/fmt.h"
#include "tools/efilib/efimem.h"
#include "tools/efilib/probe.h"
#include "tools/efilib/report.h"
#include "vmx/policy/hypercall_abi.h"

#define MSR_APIC_BASE 0x1B
#define APIC_BASE_X2APIC (1ULL << 10)
#define APIC_BASE_EN (1ULL << 11)
#define MSR_MTRRCAP 0xFE
#define MSR_PHYSBASE(n) (0x200 + 2 * (n))
#define MSR_PHYSMASK(n) (0x201 + 2 * (n))
#define MTRR_V (1ULL << 11)
#define MSR_RTIT_OUTPUT_BASE 0x560
#define MSR_RTIT_CTL 0x570
#define MSR_PEBS_ENABLE 0x3F1
#define MSR_DS_AREA 0x600
#define APIC_TPR 0x80
#define APIC_ICR_LOW 0x300
#define PORT_KBC_STATUS 0x64
#define COM1 0x3F8
#define DUMP_LOOP 20

static struct {
	uint64_t owned_base, owned_len;
	uint64_t *buf;
} H;

static bool vmcall(struct probe_regs *r)
{
	return probe_vmcall(r) == PROBE_NO_FAULT;
}

static void expect_fault(const char *name, int got, int vector)
{
	char d[96];
	if (probe_is(got, vector)) {
		report_pass(name);
		return;
	}
	probe_describe(got, d, sizeof(d));
	report_fail(name, "expected %s, got %s", probe_vector_name(vector), d);
}

static bool owned_ranges(void)
{
	struct probe_regs r = { .rax = VMXRAY_HC_OWNED_RANGES, .rbx = (uintptr_t)H.buf, .rcx = PAGE_SIZE };
	if (!vmcall(&r) || (int64_t)r.rax < 1) {
		report_fail("hc.owned_ranges", "VMCALL failed or RAX = %ld: is vmxray running?", (int64_t)r.rax);
		return false;
	}
	H.owned_base = H.buf[0];
	H.owned_len = H.buf[1];
	report_info("owned range 0: 0x%lx + 0x%lx (%ld ranges)", H.owned_base, H.owned_len, (int64_t)r.rax);
	return true;
}

/* ---- IA32_APIC_BASE onto vmxray's memory, then an INIT to all others there ---- */

static void test_apic_relocation(void)
{
	uint64_t old;
	if (probe_rdmsr(MSR_APIC_BASE, &old) != PROBE_NO_FAULT) {
		report_fail("apic.base_readable", "RDMSR IA32_APIC_BASE faulted");
		return;
	}
	int f = probe_wrmsr(MSR_APIC_BASE, H.owned_base | (old & 0xFFF));
	if (f == PROBE_NO_FAULT)
		(void)probe_wrmsr(MSR_APIC_BASE, old); /* back at once: the APIC was moved */
	expect_fault("apic.base_onto_owned_gp", f, VECTOR_GP);
	if (f == PROBE_NO_FAULT)
		return;
	/* The APIC did not move: this is a store to vmxray's memory, which the EPT turns
	 * into the scratch page. If it reached an APIC it would INIT the other CPU, which
	 * the last check (every AP still answers) would see. */
	*(volatile uint32_t *)(uintptr_t)(H.owned_base + APIC_ICR_LOW) = 0x000C4500;
	struct probe_regs r = { .rax = VMXRAY_HC_VERSION };
	report_check(vmcall(&r) && r.rax == 0, "apic.icr_write_on_owned_page_harmless", "VERSION: RAX = %ld",
		     (int64_t)r.rax);
}

/* ---- MSRs whose hardware writes memory without EPT ---- */

static void test_memory_writing_msrs(void)
{
	expect_fault("msr.rtit_output_base_gp", probe_wrmsr(MSR_RTIT_OUTPUT_BASE, H.owned_base), VECTOR_GP);
	expect_fault("msr.rtit_ctl_gp", probe_wrmsr(MSR_RTIT_CTL, 1), VECTOR_GP);
	expect_fault("msr.ds_area_gp", probe_wrmsr(MSR_DS_AREA, H.owned_base), VECTOR_GP);
	expect_fault("msr.pebs_enable_gp", probe_wrmsr(MSR_PEBS_ENABLE, 1), VECTOR_GP);
}

/* ---- an MTRR pair with a discontinuous mask ---- */

static int mtrr_pair = -1;
static uint64_t mtrr_base_old, mtrr_mask_old;

static bool mtrr_find_free_pair(void)
{
	uint64_t cap, mask;
	if (probe_rdmsr(MSR_MTRRCAP, &cap) != PROBE_NO_FAULT || (cap & 0xFF) == 0)
		return false;
	for (int n = (int)(cap & 0xFF) - 1; n >= 0; n--) {
		if (probe_rdmsr(MSR_PHYSMASK(n), &mask) == PROBE_NO_FAULT && !(mask & MTRR_V)) {
			mtrr_pair = n;
			mtrr_mask_old = mask;
			(void)probe_rdmsr(MSR_PHYSBASE(n), &mtrr_base_old);
			return true;
		}
	}
	return false;
}

/* PhysMask = bit 12 only: every other 4 KiB page of all memory matches. */
static int mtrr_write_discontinuous(void)
{
	return probe_wrmsr(MSR_PHYSMASK(mtrr_pair), (1ULL << 12) | MTRR_V);
}

static void test_mtrr(void)
{
	if (!mtrr_find_free_pair()) {
		report_skip("mtrr.discontinuous_mask_refused_or_whole", "no free variable MTRR pair");
		return;
	}
	int f = probe_wrmsr(MSR_PHYSBASE(mtrr_pair), 0x4); /* WT at 0: valid, matches nothing yet */
	uint64_t back = 0;
	report_check(f == PROBE_NO_FAULT && probe_rdmsr(MSR_PHYSBASE(mtrr_pair), &back) == PROBE_NO_FAULT &&
			     back == 0x4,
		     "mtrr.physbase_reads_back", "WRMSR %s, read 0x%lx", f == PROBE_NO_FAULT ? "ok" : "faulted", back);
	f = mtrr_write_discontinuous();
	uint64_t mask = 0;
	bool held = f == PROBE_NO_FAULT && probe_rdmsr(MSR_PHYSMASK(mtrr_pair), &mask) == PROBE_NO_FAULT &&
		    mask == ((1ULL << 12) | MTRR_V);
	if (f == PROBE_NO_FAULT)
		(void)probe_wrmsr(MSR_PHYSMASK(mtrr_pair), mtrr_mask_old);
	/* WT on every other 4 KiB page: each 2 MiB of write-back memory needs a page table.
	 * vmxray either refuses it whole (#GP: the pool is too small) or does it whole;
	 * root mode's log says which, and never "could not follow". */
	report_info("MTRR discontinuous mask: %s", probe_is(f, VECTOR_GP) ? "refused (#GP)" :
						  held ? "accepted, EPT retyped" : "other");
	report_check(probe_is(f, VECTOR_GP) || held, "mtrr.discontinuous_mask_refused_or_whole",
		     "fault %d, PHYSMASK read 0x%lx", f, mask);
	report_check(probe_rdmsr(MSR_PHYSMASK(mtrr_pair), &mask) == PROBE_NO_FAULT && mask == mtrr_mask_old,
		     "mtrr.mask_unchanged", "PHYSMASK%d = 0x%lx, was 0x%lx", mtrr_pair, mask, mtrr_mask_old);
	(void)probe_wrmsr(MSR_PHYSBASE(mtrr_pair), mtrr_base_old);
}

/* ---- DUMP_VMCS in a loop ---- */

static void test_dump_loop(void)
{
	unsigned ok = 0, again = 0, other = 0;
	uint64_t t0 = cpu_rdtsc();
	for (int i = 0; i < DUMP_LOOP; i++) {
		struct probe_regs r = { .rax = VMXRAY_HC_DUMP_VMCS };
		if (!vmcall(&r))
			other++;
		else if ((int64_t)r.rax == VMXRAY_HC_OK)
			ok++;
		else if ((int64_t)r.rax == VMXRAY_HC_EAGAIN)
			again++;
		else
			other++;
	}
	report_info("DUMP_VMCS x%d: %u dumps, %u refused (EAGAIN), %u other, %lu TSC ticks", DUMP_LOOP, ok, again,
		    other, cpu_rdtsc() - t0);
	/* A burst of 3 (vmx/exit/exit_hypercall.c), then one per ~2^31 TSC ticks. */
	report_check(ok >= 1 && ok <= 4 && again + ok == DUMP_LOOP, "hc.dump_vmcs_rate_limited",
		     "%u dumps, %u EAGAIN, %u other of %d calls", ok, again, other, DUMP_LOOP);
}

/* ---- hypercall buffers inside vmxray's memory ---- */

static void expect_efault(const char *name, uint64_t fn, uint64_t buf, uint64_t size)
{
	struct probe_regs r = { .rax = fn, .rbx = buf, .rcx = size, .rdx = 0 };
	report_check(vmcall(&r) && (int64_t)r.rax == VMXRAY_HC_EFAULT, name, "RAX = %ld", (int64_t)r.rax);
}

static void test_owned_buffers(void)
{
	expect_efault("hc.stats_into_owned_efault", VMXRAY_HC_STATS, H.owned_base, PAGE_SIZE);
	expect_efault("hc.owned_ranges_into_owned_efault", VMXRAY_HC_OWNED_RANGES, H.owned_base, PAGE_SIZE);
	expect_efault("hc.log_read_into_owned_efault", VMXRAY_HC_LOG_READ, H.owned_base, PAGE_SIZE);
	expect_efault("hc.log_read_straddles_owned_efault", VMXRAY_HC_LOG_READ, H.owned_base - 2048, PAGE_SIZE);
	expect_efault("hc.stats_ends_in_owned_efault", VMXRAY_HC_STATS, H.owned_base + H.owned_len - 8, PAGE_SIZE);
}

/* ---- the shared UART: divisor, line format, loopback ---- */

struct uart_regs {
	uint8_t lcr, mcr, dll, dlm;
};

static struct uart_regs uart_save(void)
{
	struct uart_regs u = { .lcr = cpu_inb(COM1 + 3), .mcr = cpu_inb(COM1 + 4) };
	cpu_outb(COM1 + 3, u.lcr | 0x80);
	u.dll = cpu_inb(COM1 + 0);
	u.dlm = cpu_inb(COM1 + 1);
	cpu_outb(COM1 + 3, u.lcr);
	return u;
}

static void uart_load(const struct uart_regs *u)
{
	cpu_outb(COM1 + 3, 0x80);
	cpu_outb(COM1 + 0, u->dll);
	cpu_outb(COM1 + 1, u->dlm);
	cpu_outb(COM1 + 3, u->lcr);
	cpu_outb(COM1 + 4, u->mcr);
}

/* Until the transmitter is empty (LSR.TEMT), bounded. */
static void uart_drain(void)
{
	for (unsigned i = 0; i < 1000000 && !(cpu_inb(COM1 + 5) & 0x40); i++)
		cpu_pause();
}

static void test_uart(void)
{
	if (cpu_inb(COM1 + 5) == 0xFF) {
		report_skip("uart.settings_restored", "no COM1");
		return;
	}
	/* Nothing is printed from here until the checks: the console mirrors on COM1. What
	 * is still being sent leaves first: a character in flight at a divisor of FFFFh
	 * would take seconds (Bochs times them). */
	uart_drain();
	struct uart_regs saved = uart_save();
	struct uart_regs hostile = { .lcr = 0x1A, .mcr = 0x1B, .dll = 0xFF, .dlm = 0xFF }; /* 7E1, loop, ~1.8 baud */
	uart_load(&hostile);
	while (cpu_inb(COM1 + 5) & 1)
		(void)cpu_inb(COM1); /* empty the receiver */
	uint64_t t0 = cpu_rdtsc();
	/* A page of vmxray's memory not touched yet: vmxray logs the EPT violation. */
	(void)*(volatile uint8_t *)(uintptr_t)(H.owned_base + 3 * PAGE_SIZE);
	uint64_t ticks = cpu_rdtsc() - t0;
	struct uart_regs now = uart_save();
	bool looped = cpu_inb(COM1 + 5) & 1;
	uart_drain();
	uart_load(&saved);
	report_info("UART: vmxray's warning took %lu TSC ticks; after it LCR 0x%x MCR 0x%x divisor 0x%x%02x", ticks,
		    now.lcr, now.mcr, now.dlm, now.dll);
	report_check(!(now.mcr & 0x10), "uart.loopback_cleared_before_vmxray_writes", "MCR 0x%x", now.mcr);
	report_check(now.lcr == 0x03 && now.dll == 1 && now.dlm == 0, "uart.line_settings_restored",
		     "LCR 0x%x divisor 0x%x%02x", now.lcr, now.dlm, now.dll);
	report_check(!looped, "uart.guest_reads_none_of_vmxrays_lines", "the receiver holds looped-back data");
}

/* ---- writes to the intercepted APIC page ---- */

static volatile uint32_t *apic_tpr;

struct xchg_arg {
	uint32_t value;
	bool lock;
};

static void do_xchg(void *p)
{
	struct xchg_arg *a = p;
	uint32_t v = a->value;
	if (a->lock)
		__asm__ volatile("lock xchgl %0, (%1)" : "+r"(v) : "r"(apic_tpr) : "memory");
	else
		__asm__ volatile("xchgl %0, (%1)" : "+r"(v) : "r"(apic_tpr) : "memory");
	a->value = v;
}

/* F0 89 08: lock mov [rax], ecx. */
static void do_lock_mov(void *p)
{
	(void)p;
	__asm__ volatile(".byte 0xF0, 0x89, 0x08" ::"a"(apic_tpr), "c"(0) : "memory");
}

/* lock or dword [rax], 0: a locked read-modify-write vmxray does not decode. */
static void do_lock_or(void *p)
{
	(void)p;
	__asm__ volatile("lock orl $0, (%0)" ::"r"(apic_tpr) : "memory");
}

static void test_xchg(const char *name, bool lock)
{
	uint32_t before = *apic_tpr & 0xFF;
	struct xchg_arg a = { .value = 0x20, .lock = lock };
	int f = probe_call(do_xchg, &a);
	uint32_t after = *apic_tpr & 0xFF;
	*apic_tpr = before;
	report_check(f == PROBE_NO_FAULT && after == 0x20 && (a.value & 0xFF) == before, name,
		     "fault %d, TPR 0x%x -> 0x%x, register got 0x%x", f, before, after, a.value);
}

static void test_apic_page(void)
{
	uint64_t base;
	if (probe_rdmsr(MSR_APIC_BASE, &base) != PROBE_NO_FAULT || !(base & APIC_BASE_EN) ||
	    (base & APIC_BASE_X2APIC)) {
		report_skip("apic.page_writes", "no xAPIC (IA32_APIC_BASE 0x%lx)", base);
		return;
	}
	apic_tpr = (volatile uint32_t *)(uintptr_t)((base & ~0xFFFULL) + APIC_TPR);
	test_xchg("apic.xchg_tpr_emulated", false);
	test_xchg("apic.lock_xchg_tpr_emulated", true);
	expect_fault("apic.lock_mov_ud", probe_call(do_lock_mov, NULL), VECTOR_UD);
}

/* Last: vmxray gives the APIC page back for good (logged), and INIT and SIPI become
 * signals again, which Debian's Bochs never clears in VMX non-root mode (docs/
 * ARCHITECTURE.md): the APs cannot be woken by the firmware after this. */
static void test_apic_undecoded(void)
{
	if (!apic_tpr)
		return;
	uint32_t before = *apic_tpr;
	int f = probe_call(do_lock_or, NULL);
	report_check(f == PROBE_NO_FAULT && *apic_tpr == before, "apic.undecoded_lock_or_done", "fault %d", f);
}

/* ---- INS ---- */

struct ins_arg {
	uint64_t rdi;
};

static void do_insb(void *p)
{
	struct ins_arg *a = p;
	uint64_t rdi = a->rdi, rcx = 1;
	__asm__ volatile("rep insb" : "+D"(rdi), "+c"(rcx) : "d"(PORT_KBC_STATUS) : "memory");
	a->rdi = rdi;
}

static void test_ins(void)
{
	struct ins_arg a = { .rdi = 0x8000000000000000ULL };
	expect_fault("ins.noncanonical_gp", probe_call(do_insb, &a), VECTOR_GP);
	a.rdi = H.owned_base + 0x123;
	int f = probe_call(do_insb, &a);
	report_check(f == PROBE_NO_FAULT && a.rdi == H.owned_base + 0x124, "ins.into_owned_page_scratch",
		     "fault %d, RDI 0x%lx", f, a.rdi);
	/* INS past a real-mode segment limit needs a switch to real mode: the pure check is
	 * tests/unit/test_string_io.c's, the guest's view the differential suite's (vmxdiff). */
}

/* ---- afterwards: every processor still answers, vmxray too ---- */

struct ap_seen {
	volatile uint32_t hv, done;
};

static VOID EFIAPI ap_cpuid(VOID *arg)
{
	struct ap_seen *s = arg;
	if (cpu_cpuid(1, 0).ecx >> 31)
		__atomic_fetch_add(&s->hv, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&s->done, 1, __ATOMIC_SEQ_CST);
}

static void test_still_alive(void)
{
	static EFI_GUID guid = EFI_MP_SERVICES_PROTOCOL_GUID;
	static struct ap_seen s;
	EFI_MP_SERVICES_PROTOCOL *mp = NULL;
	UINTN n = 0, enabled = 0;
	struct probe_regs r = { .rax = VMXRAY_HC_VERSION };

	report_check(vmcall(&r) && r.rax == 0, "vmxray.answers_after", "VERSION: RAX = %ld", (int64_t)r.rax);
	if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &guid, NULL, (void **)&mp)) || !mp ||
	    EFI_ERROR(uefi_call_wrapper(mp->GetNumberOfProcessors, 3, mp, &n, &enabled)) || enabled < 2) {
		report_skip("smp.aps_alive_after", "one processor");
		return;
	}
	EFI_STATUS st = uefi_call_wrapper(mp->StartupAllAPs, 7, mp, ap_cpuid, TRUE, NULL, 5000000, (VOID *)&s, NULL);
	report_check(!EFI_ERROR(st) && s.done == enabled - 1 && s.hv == s.done, "smp.aps_alive_after",
		     "status 0x%lx, %u of %lu APs ran, %u under vmxray", (uint64_t)st, s.done, (uint64_t)(enabled - 1),
		     s.hv);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	InitializeLib(image, st);
	report_init("vmxhostile", st);
	report_to_file(image, L"\\EFI\\vmxray\\vmxhostile.log");
	probe_init();
	H.buf = efimem_alloc_pages(1, UINT64_MAX);
	if (!H.buf) {
		report_fail("setup", "AllocatePages failed");
	} else if (owned_ranges()) {
		test_apic_relocation();
		test_memory_writing_msrs();
		test_mtrr();
		test_dump_loop();
		test_owned_buffers();
		test_uart();
		test_ins();
		test_apic_page();
		test_still_alive();
		test_apic_undecoded();
	}
	if (H.buf)
		efimem_free_pages(H.buf, 1);
	return report_summary() ? EFI_ABORTED : EFI_SUCCESS;
}
