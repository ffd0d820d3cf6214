/* Broken invariants, statistics and reset. */
#include "arch/cpu.h"
#include "arch/exception.h"
#include "drivers/fmt.h"
#include "drivers/log.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/trace.h"
#include "vmx/exit/ulog.h"
#include "vmx/study/dump_hw.h"
#include "vmx/hv.h"

#include <string.h>

_Noreturn void vmx_system_reset(void)
{
	log_error("resetting the system");
	ulog_flush_forced(&g_ulog); /* every line out before the machine goes */
	cpu_outb(0xCF9, 0x02);
	cpu_outb(0xCF9, 0x06); /* hard reset through the reset control register */
	for (unsigned i = 0; i < 100000 && (cpu_inb(0x64) & 2); i++)
		cpu_pause();
	cpu_outb(0x64, 0xFE); /* keyboard controller: pulse the reset line */
	cpu_stop();
}

_Noreturn void vmx_panic(struct vcpu *v, const char *why)
{
	log_error("PANIC: %s", why);
	vmx_dump_current(v, why);
	vmx_stats_print("panic");
	vmx_system_reset();
}

/* "STATS port 0x0064 in=N out=M": I/O exits by the first port of the access, all CPUs
 * (docs/LOGFORMAT.md); why each port is intercepted: docs/ARCHITECTURE.md. */
static void vmx_stats_print_ports(void)
{
	struct vcpu_io_port sum[VCPU_IO_PORT_SLOTS * 4];
	unsigned n = 0;

	for (unsigned c = 0; c < g_hv.cpu_count; c++) {
		const struct vcpu *v = g_hv.vcpu[c];
		for (unsigned i = 0; v && i < VCPU_IO_PORT_SLOTS; i++) {
			const struct vcpu_io_port *p = &v->io_port[i];
			if (!(p->in | p->out))
				continue;
			unsigned j = 0;
			while (j < n && sum[j].port != p->port)
				j++;
			if (j == n) {
				if (n == sizeof(sum) / sizeof(sum[0]))
					continue;
				sum[n++] = (struct vcpu_io_port){ p->port, 0, 0 };
			}
			sum[j].in += p->in;
			sum[j].out += p->out;
		}
	}
	for (unsigned j = 0; j < n; j++) {
		if (sum[j].port == VCPU_IO_PORT_OTHER)
			log_info("STATS port other in=%lu out=%lu", sum[j].in, sum[j].out);
		else
			log_info("STATS port 0x%04x in=%lu out=%lu", sum[j].port, sum[j].in, sum[j].out);
	}
}

void vmx_stats_print(const char *why)
{
	uint64_t total = 0;

	log_budget_lift(); /* the statistics are what this exit is for */
	/* tsc: when the machine asked to go away (tools/bench: what the lines cost after it) */
	log_info("STATS begin reason=%s cpus=%u tsc=%lu", why, g_hv.cpu_count, cpu_rdtsc());
	/* One row per exit reason with its per-CPU counts on the same line (docs/LOGFORMAT.md):
	 * at power-off every character waits for the UART (~87 us at 115200 baud), and a row
	 * per CPU and reason grew with the CPUs (2 CPUs: 41 lines, 2,164 characters, 9.5M Bochs
	 * ticks). A breakdown too long for one line goes out as "STATS cpu<N>" rows instead. */
	for (unsigned r = 0; r < EXIT_REASON_MAX; r++) {
		uint64_t sum = 0;
		char per_cpu[320];
		size_t n = 0;
		bool fits = true;
		per_cpu[0] = '\0';
		for (unsigned c = 0; c < g_hv.cpu_count; c++) {
			const struct vcpu *v = g_hv.vcpu[c];
			if (!v || !v->exit_count[r])
				continue;
			sum += v->exit_count[r];
			if (g_hv.cpu_count > 1 && fits) {
				size_t w = fmt_snprintf(per_cpu + n, sizeof(per_cpu) - n, " cpu%u=%lu", v->apic_id,
							v->exit_count[r]);
				fits = n + w < sizeof(per_cpu);
				n += fits ? w : 0;
			}
		}
		total += sum;
		if (!sum)
			continue;
		log_info("STATS total %s %lu%s", exit_reason_name(r), sum, fits ? per_cpu : "");
		for (unsigned c = 0; !fits && c < g_hv.cpu_count; c++)
			if (g_hv.vcpu[c] && g_hv.vcpu[c]->exit_count[r])
				log_info("STATS cpu%u %s %lu", g_hv.vcpu[c]->apic_id, exit_reason_name(r),
					 g_hv.vcpu[c]->exit_count[r]);
	}
	for (unsigned c = 0; c < g_hv.cpu_count; c++) {
		const struct vcpu *v = g_hv.vcpu[c];
		if (v && (v->soft_inits || v->soft_sipis || v->ipis_sent || v->apic_writes))
			log_info("IPI cpu%u init=%lu sipi=%lu sent=%lu outside=%lu apic_writes=%lu", v->apic_id,
				 v->soft_inits, v->soft_sipis, v->ipis_sent, v->ipis_outside, v->apic_writes);
	}
	vmx_stats_print_ports();
	if (g_hv.cfg.intercept_ept) { /* one per access to the range (docs/LOGFORMAT.md) */
		uint64_t ept = 0;
		for (unsigned c = 0; c < g_hv.cpu_count; c++)
			ept += g_hv.vcpu[c] ? g_hv.vcpu[c]->ept_range_exits : 0;
		log_info("STATS intercept_ept exits=%lu", ept);
	}
	if (g_ulog.uart && g_ulog.uart->present)
		log_info("log: serial %s at %s: %lu bytes queued (%lu of them the guest's), %lu written while a "
			 "writer waited for the UART, %lu full-queue waits, none dropped",
			 g_ulog.async ? "async" : "sync (log_tx=sync)", why, g_ulog.queued + g_ulog.guest_queued,
			 g_ulog.guest_queued, g_ulog.sync_bytes, g_ulog.full_waits);
	/* Root mode's own evidence that the guest never wrote its memory: every vCPU still
	 * holds the canary written at launch (the in-guest isolation test inverts every
	 * owned page it can reach, so one write that got through would show here). */
	unsigned intact = 0, present = 0;
	for (unsigned c = 0; c < g_hv.cpu_count; c++) {
		const struct vcpu *v = g_hv.vcpu[c];
		if (!v)
			continue;
		present++;
		intact += memcmp(v->canary, VCPU_CANARY, sizeof(VCPU_CANARY)) == 0;
	}
	uint64_t dropped_lines, dropped_bytes;
	uint32_t budget;
	log_dropped_totals(&dropped_lines, &dropped_bytes, &budget);
	log_info("log: dropped lines=%lu bytes=%lu (per-exit budget %u bytes)", dropped_lines, dropped_bytes, budget);
	hypercall_stats_print();
	log_info("STATS canaries intact=%u of %u", intact, present);
	log_info("STATS end exits=%lu", total);
	trace_dump_all(); /* the traced exits not read yet (vmx/exit/trace_hw.c) */
}
