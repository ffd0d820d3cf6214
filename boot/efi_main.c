/* vmxray's UEFI entry. Two halves (see boot/handoff.h):
 *  - efi_main / boot_finish run in the image the firmware loaded, which becomes guest
 *    code after launch;
 *  - vmxray_main runs in the relocated copy inside the reservation: options, log,
 *    capabilities, EPT, per-CPU launch. It is the only place that calls into vmx/. */
#include <efi.h>
#include <efilib.h>

#include "arch/bits.h"
#include "arch/cpu.h"
#include "arch/cr.h"
#include "boot/acpi.h"
#include "boot/chain.h"
#include "boot/efi_io.h"
#include "boot/handoff.h"
#include "boot/madt.h"
#include "boot/mp.h"
#include "boot/relocate.h"
#include "boot/serial_hw.h"
#include "drivers/log.h"
#include "drivers/logring.h"
#include "drivers/uart16550.h"
#include "drivers/uart16550_hw.h"
#include "vmx/exit/ulog.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/trace.h"
#include "vmx/hv.h"
#include "vmx/launch/launch.h"
#include "git_rev.h" /* build/gen: VMXRAY_GIT_REV, the commit that was built */

#include <string.h>

extern char ImageBase[];
extern struct elf64_dyn _DYNAMIC[];
int64_t vmxray_trampoline(int64_t (*fn)(struct handoff *), struct handoff *h);
int64_t vmxray_main(struct handoff *h);
int64_t vmxray_ap_main(struct handoff *h);

/* What the copy hands each AP through the MP services protocol. Lives in the copy
 * (read by the APs before any of them launches). */
struct ap_call {
	int64_t (*fn)(struct handoff *h); /* vmxray_ap_main in the copy */
	const struct handoff *bsp;
};
void boot_config_apply(struct hv_config *cfg, const struct vmxray_options *o);

static struct uart16550 g_uart;
static struct serial_choice g_serial; /* which UART, and why (serial=) */
static bool g_console_sink;            /* log lines reach the UEFI console */

/* Pages beyond the image copy: per-CPU data, bitmaps, EPT and host page tables. */
#define POOL_FIXED_PAGES 512
#define POOL_PAGES_PER_CPU 16
#define RESERVE_MAX_CPUS 8
/* The log ring's default size rides on the reservation; a larger logbuf= takes the rest
 * from the pool. */
#define POOL_LOG_RING_PAGES (LOG_RING_DEFAULT_KIB * 1024 / PAGE_SIZE)

/* ---- the original image ---- */

static EFI_STATUS reserve_and_copy(struct handoff *h)
{
	EFI_LOADED_IMAGE *li;
	EFI_SYSTEM_TABLE *st = h->system_table;
	EFI_STATUS s = uefi_call_wrapper(st->BootServices->HandleProtocol, 3, h->image_handle,
					 &LoadedImageProtocol, (void **)&li);
	if (EFI_ERROR(s))
		return s;
	h->orig_base = (uint64_t)(uintptr_t)li->ImageBase;
	h->image_size = align_up(li->ImageSize, PAGE_SIZE);
	h->reserve_pages = h->image_size / PAGE_SIZE + POOL_FIXED_PAGES + POOL_PAGES_PER_CPU * RESERVE_MAX_CPUS +
			  POOL_LOG_RING_PAGES;
	/* EfiReservedMemoryType: an OS never uses or maps it as RAM after ExitBootServices. */
	EFI_PHYSICAL_ADDRESS base = 0;
	s = uefi_call_wrapper(st->BootServices->AllocatePages, 4, AllocateAnyPages, EfiReservedMemoryType,
			      h->reserve_pages, &base);
	if (EFI_ERROR(s))
		return s;
	h->reserve_base = base;
	h->copy_base = base;
	memcpy((void *)(uintptr_t)base, li->ImageBase, li->ImageSize);
	memset((uint8_t *)(uintptr_t)base + li->ImageSize, 0, h->image_size - li->ImageSize);
	uint64_t dyn_off = (uint64_t)(uintptr_t)_DYNAMIC - h->orig_base;
	if (reloc_apply((uint8_t *)(uintptr_t)base, h->image_size,
			(const struct elf64_dyn *)(uintptr_t)(base + dyn_off)) < 0)
		return EFI_LOAD_ERROR;
	return EFI_SUCCESS;
}

static void finish_log(struct handoff *h)
{
	static struct uart16550 u;
	log_set_level(h->opts.log_level);
	log_set_cpu_fn(cpu_apic_id);
	/* The UART is already programmed; only find it again. */
	uart16550_attach_hw(&u, &h->uart);
	uart16550_adopt(&u);
	if (u.present)
		log_add_sink(uart16550_log_sink, &u);
}

/* The AP procedure, in the original image: like efi_main, it enters the copy through
 * the trampoline, so that after VMLAUNCH the AP resumes here as a guest and returns to
 * the firmware's MP code. */
static VOID EFIAPI ap_entry(VOID *arg)
{
	const struct ap_call *c = arg;
	struct handoff h = *c->bsp;
	vmxray_trampoline(c->fn, &h);
}

static EFI_STATUS boot_finish(struct handoff *h, EFI_STATUS s)
{
	if (h->cpus_launched == 0) {
		uefi_call_wrapper(BS->FreePages, 2, h->reserve_base, h->reserve_pages);
		Print(L"vmxray: not started (status %r); the boot continues without it\n", s);
		return s;
	}
	finish_log(h);
	/* Written whole: with interrupts on, the firmware's timer handler (its CPUIDs traced
	 * by root mode with trace=cpuid) cut this line in two in Bochs. */
	uint64_t rflags = cpu_read_rflags();
	cpu_cli();
	log_info("vmxray is running: the firmware continues as its guest on %u CPU(s)", h->cpus_launched);
	if (rflags & RFLAGS_IF)
		__asm__ volatile("sti" ::: "memory");
	EFI_STATUS c = chain_next(h->image_handle, &h->opts);
	return EFI_ERROR(s) ? s : c;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	struct handoff h;

	memset(&h, 0, sizeof(h));
	h.image_handle = image;
	h.system_table = st;
	EFI_STATUS s = reserve_and_copy(&h);
	efi_lib_init(image, st);
	if (EFI_ERROR(s)) {
		Print(L"vmxray: cannot reserve memory for the hypervisor: %r\n", s);
		if (h.reserve_base)
			uefi_call_wrapper(BS->FreePages, 2, h.reserve_base, h.reserve_pages);
		return s;
	}
	int64_t (*fn)(struct handoff *) =
		(int64_t(*)(struct handoff *))((uint64_t)(uintptr_t)vmxray_main - h.orig_base + h.copy_base);
	h.ap_entry = (uint64_t)(uintptr_t)ap_entry;
	s = (EFI_STATUS)vmxray_trampoline(fn, &h);
	return boot_finish(&h, s);
}

/* ---- the relocated copy ---- */

static void start_log(const struct vmxray_options *o)
{
	log_remove_all_sinks();
	log_set_level(o->log_level);
	log_set_cpu_fn(cpu_apic_id);
	log_add_sink(logring_sink, &g_logring); /* every line, UART or not (hvctl log) */
	if (g_ulog.uart)
		ulog_flush(&g_ulog); /* a second start (a failed launch): what the first queued */
	uart16550_attach_hw(&g_uart, &g_serial.at);
	if (uart16550_init(&g_uart)) {
		/* Through the queue, so that the launch never waits for the UART (vmx/exit/ulog.h). */
		ulog_start(&g_uart, !o->log_tx_sync);
		log_add_sink(ulog_sink, &g_ulog);
	}
	bool console = o->console == OPT_CONSOLE_ON ||
		       (o->console == OPT_CONSOLE_AUTO && !(g_uart.present && efi_console_on_serial()));
	if (console)
		log_add_sink(efi_console_sink, NULL);
	g_console_sink = console;
}

static EFI_STATUS read_options(struct handoff *h, struct vmxray_options *o)
{
	EFI_LOADED_IMAGE *li;
	static char text[4096], err[OPT_ERROR_MAX];

	options_set_defaults(o);
	if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, h->image_handle, &LoadedImageProtocol,
					(void **)&li)))
		return EFI_LOAD_ERROR;
	INTN n = efi_read_config(li, text, sizeof(text));
	bool ok = n >= 0 && options_parse_config(o, text, (size_t)n, err, sizeof(err));
	static const char too_big[] = "vmxray.cfg is larger than 4095 bytes";
	if (n < 0)
		memcpy(err, too_big, sizeof(too_big));
	if (ok) {
		efi_load_options_ascii(li, text, sizeof(text));
		ok = options_parse_cmdline(o, text, err, sizeof(err));
	}
	if (!ok) {
		/* Once: on the console, and on the UART only where the console does not
		 * already reach a serial port (the firmware would carry the same line there). */
		Print(L"vmxray: %a\n", err);
		struct uart_desc at = { UART_SPACE_IO, o->serial_port, 1 };
		uart16550_attach_hw(&g_uart, &at);
		if (o->serial_port && !efi_console_on_serial() && uart16550_init(&g_uart))
			uart16550_write(&g_uart, "vmxray: ", 8), uart16550_write(&g_uart, err, strlen(err)),
				uart16550_write(&g_uart, "\n", 1);
		return EFI_INVALID_PARAMETER;
	}
	return EFI_SUCCESS;
}

static void log_banner(const struct vmxray_options *o)
{
	char opts[512], vendor[13];
	struct cpuid_regs r = cpu_cpuid(0, 0);
	memcpy(vendor, &r.ebx, 4);
	memcpy(vendor + 4, &r.edx, 4);
	memcpy(vendor + 8, &r.ecx, 4);
	vendor[12] = '\0';
	struct cpuid_regs f = cpu_cpuid(1, 0);
	options_describe(o, opts, sizeof(opts));
	log_info("vmxray %d.%d (%s) starting", VMXRAY_VERSION_MAJOR, VMXRAY_VERSION_MINOR, VMXRAY_GIT_REV);
	log_info("options: %s", opts);
	log_info("CPU: %s family 0x%x model 0x%x stepping %u, VMX %s", vendor,
		 ((f.eax >> 8) & 0xF) + ((f.eax >> 20) & 0xFF), ((f.eax >> 4) & 0xF) | ((f.eax >> 12) & 0xF0),
		 f.eax & 0xF, (f.ecx >> 5) & 1 ? "present" : "absent");
}

/* Which UART the log goes to, and why. Without one, the console must say so even with
 * console=off: otherwise nothing would tell the user where the log went. */
/* How the serial log went out so far (drivers/ulog.h): the integration tests read the
 * "written while vmxray waited" count of the launch (0 with log_tx=async). */
static void log_serial_queue(const char *when)
{
	if (!g_uart.present)
		return;
	log_info("log: serial %s %s: %lu bytes queued, %lu written while vmxray waited for the UART, %lu full-queue waits",
		 g_ulog.async ? "async" : "sync (log_tx=sync)", when, g_ulog.queued, g_ulog.sync_bytes,
		 g_ulog.full_waits);
}

static void log_serial_choice(void)
{
	log_info("serial: %s", g_serial.text);
	if (!g_uart.present && !g_console_sink)
		Print(L"vmxray: serial: %a\n", g_serial.text);
}

static EFI_STATUS status_of(enum hv_status st)
{
	switch (st) {
	case HV_OK: return EFI_SUCCESS;
	case HV_ERR_NO_VMX:
	case HV_ERR_MISSING_CAPS: return EFI_UNSUPPORTED;
	case HV_ERR_NO_MEMORY: return EFI_OUT_OF_RESOURCES;
	default: return EFI_ABORTED;
	}
}

/* The log ring moves from its early buffer to the top of the reservation, below the
 * pool's end; returns its address (0: it stays where it is). */
static uint64_t place_log_ring(const struct handoff *h, uint64_t *pool_size)
{
	uint64_t bytes = (uint64_t)(h->opts.logbuf_kib ? h->opts.logbuf_kib : LOG_RING_DEFAULT_KIB) * 1024;
	if (bytes + POOL_FIXED_PAGES * PAGE_SIZE / 2 > *pool_size)
		return 0;
	uint64_t base = h->reserve_base + h->reserve_pages * PAGE_SIZE - bytes;
	if (!logring_rehome(&g_logring, (char *)(uintptr_t)base, bytes))
		return 0;
	*pool_size -= bytes;
	return base;
}

_Static_assert(MADT_MAX_IDS == HV_MAX_APIC_IDS, "g_hv.madt_apic_id holds what the MADT parser keeps");

/* Every processor's APIC ID, from the ACPI MADT, read while boot services are up: the
 * ones vmxray will not run on still get the guest's broadcast INIT, SIPI and NMI
 * (vmx/exit/soft_ipi.c). Without a MADT (OVMF in Bochs publishes none) the list is
 * empty and such broadcasts reach vmxray's vCPUs only. */
static void read_madt(void)
{
	static struct madt_cpus m;
	size_t len;
	const uint8_t *t = acpi_find_table("APIC", &len);
	enum madt_status st = madt_parse(t, len, &m);
	for (unsigned i = 0; i < m.count; i++)
		g_hv.madt_apic_id[i] = m.id[i];
	g_hv.madt_apic_ids = m.count;
	if (st == MADT_OK)
		log_info("MADT: %u processors (of %u entries)%s", m.count, m.entries,
			 m.truncated ? "; more than vmxray keeps, the rest left out" : "");
	else if (st == MADT_ABSENT)
		log_info("MADT: none (broadcast INIT/SIPI/NMI reach vmxray's CPUs only)");
	else
		log_warn("MADT: %s; not used (broadcast INIT/SIPI/NMI reach vmxray's CPUs only)", madt_status_text(st));
}

static enum hv_status prepare_memory(struct handoff *h)
{
	if (EFI_ERROR(efi_ram_map(&g_hv.ram)))
		return HV_ERR_NO_MEMORY;
	g_hv.owned[0] = (struct mem_range){ h->reserve_base, h->reserve_pages * PAGE_SIZE };
	g_hv.owned_count = 1;
	g_hv.pm1a_cnt = acpi_find_pm1a_cnt();
	read_madt();
	uint64_t pool_size = h->reserve_pages * PAGE_SIZE - h->image_size;
	uint64_t ring = place_log_ring(h, &pool_size);
	pool_init(&g_hv.pool, h->copy_base + h->image_size, pool_size);
	if (g_hv.cfg.test_flags & HV_TEST_NO_MEMORY) {
		log_info("test=no-memory: cutting the page pool to %u pages", HV_TEST_NO_MEMORY_PAGES);
		pool_init(&g_hv.pool, h->copy_base + h->image_size, HV_TEST_NO_MEMORY_PAGES * PAGE_SIZE);
	}
	log_info("ACPI PM1a control port: 0x%x%s", g_hv.pm1a_cnt, g_hv.pm1a_cnt ? "" : " (unknown: no statistics at power-off)");
	log_info("memory: %lu KiB reserved at 0x%lx (image %lu KiB, pool %lu KiB); guest RAM top 0x%lx",
		 h->reserve_pages * 4, h->reserve_base, h->image_size / 1024,
		 (g_hv.pool.end - g_hv.pool.base) / 1024, mem_map_top(&g_hv.ram));
	if (ring)
		log_info("log ring: %lu KiB at 0x%lx (hvctl log reads it)", g_logring.size / 1024, ring);
	else
		log_warn("log ring: logbuf=%u KiB does not fit the reservation; keeping %lu bytes",
			 h->opts.logbuf_kib, g_logring.size);
	return HV_OK;
}

/* Runs on each AP (through ap_entry and the trampoline): launch it, or record why not. */
int64_t vmxray_ap_main(struct handoff *h)
{
	uint32_t apic = cpu_apic_id();
	struct vcpu *v = NULL;
	for (unsigned i = 1; i < g_hv.cpu_count; i++)
		if (g_hv.vcpu[i] && g_hv.vcpu[i]->apic_id == apic)
			v = g_hv.vcpu[i];
	if (!v)
		return (int64_t)EFI_NOT_FOUND;
	struct guest_entry e = { h->guest_rip, h->guest_rsp, h->guest_rflags, 0, EFI_ABORTED, NULL };
	enum hv_status st = vmx_cpu_launch(&g_hv, v, &e);
	log_error("cpu%u (APIC ID %u) was not virtualized (status %d); it runs without vmxray", apic, apic, st);
	return (int64_t)EFI_ABORTED;
}

/* Rule for processors that fail (docs/ARCHITECTURE.md): APs launch first, one at a time;
 * an AP that fails is reported by APIC ID and left running natively; the BSP launches
 * last. The launch counts as done when at least the BSP runs under vmxray. */
static unsigned launch_aps(struct handoff *h, EFI_MP_SERVICES_PROTOCOL *mp, const struct mp_cpus *cpus)
{
	static struct ap_call call;
	unsigned ok = 0;
	if (!mp || cpus->count < 2)
		return 0;
	call.fn = vmxray_ap_main;
	call.bsp = h;
	EFI_STATUS s = uefi_call_wrapper(mp->StartupAllAPs, 7, mp, (EFI_AP_PROCEDURE)(uintptr_t)h->ap_entry,
					 TRUE, NULL, 0, &call, NULL);
	if (EFI_ERROR(s))
		log_error("MP services could not start the APs: status 0x%lx", (uint64_t)s);
	for (unsigned i = 1; i < cpus->count; i++)
		ok += g_hv.vcpu[i] && g_hv.vcpu[i]->launched;
	return ok;
}

static enum hv_status create_vcpus(const struct mp_cpus *cpus)
{
	for (unsigned i = 0; i < cpus->count; i++)
		if (!vcpu_create(&g_hv, i, cpus->apic_id[i]))
			return HV_ERR_NO_MEMORY;
	trace_setup(&g_hv); /* trace rings: what the pool can give after the vcpus */
	return HV_OK;
}

int64_t vmxray_main(struct handoff *h)
{
	static struct mp_cpus cpus;
	efi_lib_init(h->image_handle, h->system_table);
	EFI_STATUS s = read_options(h, &h->opts);
	if (EFI_ERROR(s))
		return (int64_t)s;
	serial_select_hw(&h->opts.serial, &g_serial);
	start_log(&h->opts);
	h->uart = g_uart.present ? g_uart.at : (struct uart_desc){ UART_SPACE_NONE, 0, 1 };
	log_banner(&h->opts);
	log_serial_choice();
	boot_config_apply(&g_hv.cfg, &h->opts);
	EFI_MP_SERVICES_PROTOCOL *mp = mp_enumerate(&cpus, cpu_apic_id());
	if (cpus.count > RESERVE_MAX_CPUS) {
		log_warn("%u CPUs: vmxray virtualizes the first %u", cpus.count, RESERVE_MAX_CPUS);
		cpus.count = RESERVE_MAX_CPUS;
	}
	enum hv_status st = prepare_memory(h);
	if (st == HV_OK)
		st = hv_prepare(&g_hv);
	if (st == HV_OK)
		st = create_vcpus(&cpus);
	if (st == HV_OK)
		apic_intercept_setup(&g_hv);
	if (st == HV_ERR_NO_MEMORY)
		log_error("out of memory: the reservation is too small (page pool %lu KiB, %lu KiB "
			  "of it handed out)",
			  (g_hv.pool.end - g_hv.pool.base) / 1024, (g_hv.pool.next - g_hv.pool.base) / 1024);
	if (st != HV_OK) {
		log_error("vmxray cannot start on this machine; returning to the firmware unchanged");
		ulog_flush_all(); /* the firmware's UART again: nothing may stay queued */
		return (int64_t)status_of(st);
	}
	/* From here on root mode never calls UEFI, and APs must not: drop the console sink. */
	log_remove_sink(efi_console_sink);
	log_info("launching on %u CPU(s): the firmware continues in VMX non-root mode", cpus.count);
	log_serial_queue("before launch");
	h->cpus_launched = launch_aps(h, mp, &cpus);
	h->cpus_launched++; /* counts the BSP: true from the moment VMLAUNCH succeeds */
	/* A failed first VM entry takes the count back and resumes the firmware with
	 * EFI_ABORTED instead (vmx_cpu_fail_open): boot_finish then frees the reservation. */
	struct guest_entry e = { h->guest_rip, h->guest_rsp, h->guest_rflags, EFI_SUCCESS, EFI_ABORTED,
				 &h->cpus_launched };
	st = vmx_cpu_launch(&g_hv, g_hv.vcpu[0], &e);
	h->cpus_launched--;
	start_log(&h->opts);
	log_error("launch failed on the BSP (cpu%u)%s", g_hv.vcpu[0]->apic_id,
		  h->cpus_launched ? "; the APs already launched stay under vmxray" : "; returning to the firmware unchanged");
	ulog_flush_all();
	return (int64_t)status_of(st);
}
