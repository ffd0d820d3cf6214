/* Traces in memory (vmx/exit/trace.h): the records' hardware edge (TSC, VMCS, the rings'
 * locks, the log). The record format, the ring and the filter are pure
 * (vmx/study/trace_record.c, vmx/study/tracering.c, vmx/policy/trace_filter.c). */
#include "vmx/exit/trace.h"

#include "arch/cpu.h"
#include "drivers/log.h"
#include "vmx/decode/exit_reasons.h"
#include "vmx/hv.h"
#include "vmx/policy/hypercall_abi.h"
#include "vmx/vmcs/controls.h"
#include "vmx/vmcs/vmcs.h"

/* Pages of the pool a ring may never take: EPT splits after launch need them. */
#define TRACE_POOL_KEEP_PAGES 128

/* The guest's TSC: the host's plus TSC_OFFSET when "use TSC offsetting" is on (SDM Vol.
 * 3C, 26.3 "Changes to Instruction Behavior in VMX Non-Root Operation", RDTSC). vmxray
 * does not set it today, so this is the host TSC. */
static uint64_t guest_tsc(uint64_t host)
{
	if (g_hv.ctls.proc & (uint32_t)CPU_BASED_USE_TSC_OFFSETTING)
		return host + vmcs_read64(TSC_OFFSET);
	return host;
}

bool trace_begin(struct vcpu *v, const struct vmexit *e, uint64_t t0)
{
	struct trace_record *r = &v->trace_cur;

	r->reason = (uint16_t)e->basic;
	r->cpu = (uint8_t)v->index;
	r->flags = (e->reason >> 31) ? TRACE_F_ENTRY_FAILURE : 0;
	r->qual = e->qual;
	r->rip = v->at_exit.rip;
	r->tsc = guest_tsc(t0);
	trace_detail_before(&r->detail, e->basic, e->qual, v->regs.gpr);
	if (trace_detail_kind(e->basic) == TRACE_KIND_EPT && (exit_reason_facts(e->basic) & EXIT_GPA))
		r->detail.ept.gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
	if (!trace_filter_match(&g_hv.cfg.trace_filter, r)) {
		v->trace.filtered++;
		v->trace_open = false;
		return false;
	}
	v->trace_t0 = t0;
	v->trace_open = v->trace.cap != 0;
	return true;
}

void trace_end(struct vcpu *v)
{
	struct trace_record *r = &v->trace_cur, tmp;
	uint64_t first;

	v->trace_open = false;
	trace_detail_after(&r->detail, r->reason, r->qual, v->regs.gpr);
	r->injected = v->injected;
	uint64_t spent = cpu_rdtsc() - v->trace_t0;
	r->cycles = spent > UINT32_MAX ? UINT32_MAX : (uint32_t)spent;
	if (spent > UINT32_MAX)
		r->flags |= TRACE_F_CYCLES_CAPPED;
	spin_lock(&v->trace_lock);
	struct trace_record *slot = tracering_push(&v->trace);
	uint32_t seq = slot->seq;
	*slot = *r;
	slot->seq = seq;
	bool stream = g_hv.cfg.trace_out == TRACE_OUT_STREAM;
	if (stream)
		tracering_read(&v->trace, v->trace.head - 1, &tmp, 1, &first);
	spin_unlock(&v->trace_lock);
	if (stream) {
		char text[TRACE_TEXT_MAX + 1];
		if (trace_record_encode(&tmp, text, sizeof(text)))
			log_info("TRACE %s", text);
	}
}

void trace_setup(struct hv *hv)
{
	bool any = hv->cfg.trace_mask[0] || hv->cfg.trace_mask[1];
	if (!any || hv->cfg.trace_out == TRACE_OUT_SERIAL || !hv->cpu_count)
		return;
	size_t pages = (size_t)hv->cfg.tracebuf_kib * 1024 / PAGE_SIZE;
	size_t free = pool_pages_free_cb(&hv->pool);
	size_t fit = free > TRACE_POOL_KEEP_PAGES ? (free - TRACE_POOL_KEEP_PAGES) / hv->cpu_count : 0;
	if (fit < pages) {
		log_warn("trace: tracebuf=%u KiB per CPU does not fit the reservation; %lu KiB per CPU",
			 hv->cfg.tracebuf_kib, (uint64_t)(fit * PAGE_SIZE / 1024));
		pages = fit;
	}
	for (unsigned i = 0; i < hv->cpu_count && pages; i++) {
		struct vcpu *v = hv->vcpu[i];
		if (v)
			tracering_init(&v->trace, pool_alloc_pages(&hv->pool, pages), pages * PAGE_SIZE);
	}
	log_info("trace: %lu records (%lu KiB) per CPU in memory, out=%s%s",
		 (uint64_t)(pages * PAGE_SIZE / TRACE_RECORD_BYTES), (uint64_t)(pages * PAGE_SIZE / 1024), hv->cfg.trace_out == TRACE_OUT_STREAM ? "stream" : hv->cfg.trace_out == TRACE_OUT_BOTH ? "both" : "memory",
		 trace_filter_empty(&hv->cfg.trace_filter) ? "" : " (filtered: trace_filter=)");
}

#define DUMP_CHUNK 16

/* One CPU's unread records, DUMP_CHUNK at a time under its lock (its CPU may go on
 * tracing meanwhile: what it overwrites is counted lost). The end line's counts hold
 * records + lost + read = next: every record written is in exactly one of them. */
static void dump_ring(struct vcpu *v)
{
	struct trace_record buf[DUMP_CHUNK];
	char text[TRACE_TEXT_MAX + 1];
	uint64_t first, dumped = 0;
	struct tracering snap;

	spin_lock(&v->trace_lock);
	uint64_t cursor = v->trace.consumed;
	spin_unlock(&v->trace_lock);
	log_info("TRACE begin cpu=%u apic=%u record_bytes=%u", v->index, v->apic_id, TRACE_RECORD_BYTES);
	for (;;) {
		spin_lock(&v->trace_lock);
		uint32_t n = tracering_read(&v->trace, cursor, buf, DUMP_CHUNK, &first);
		snap = v->trace;
		spin_unlock(&v->trace_lock);
		for (uint32_t i = 0; i < n; i++)
			if (trace_record_encode(&buf[i], text, sizeof(text)))
				log_info("TRACE %s", text);
		dumped += n;
		cursor = first + n;
		if (n < DUMP_CHUNK)
			break;
	}
	log_info("TRACE end cpu=%u records=%lu next=%lu lost=%lu read=%lu filtered=%lu open=%u", v->index, dumped,
		 snap.head, snap.lost, snap.read - dumped, snap.filtered, v->trace_open ? 1u : 0u);
}

void trace_dump_all(void)
{
	uint64_t t0 = cpu_rdtsc(), lines = 0;

	for (unsigned i = 0; i < g_hv.cpu_count; i++) {
		struct vcpu *v = g_hv.vcpu[i];
		if (v && v->trace.cap) {
			uint64_t before = v->trace.read;
			dump_ring(v);
			lines += v->trace.read - before;
		}
	}
	if (lines)
		log_info("TRACE dump records=%lu ticks=%lu", lines, cpu_rdtsc() - t0);
}

int64_t trace_read(uint64_t cursor, struct trace_record *dst, uint32_t max, uint64_t *first, uint64_t *end,
		   uint64_t *lost)
{
	uint64_t cpu = cursor >> VMXRAY_TRACE_CURSOR_CPU_SHIFT, at = cursor & VMXRAY_TRACE_CURSOR_SEQ_MASK;
	if (cpu >= g_hv.cpu_count || !g_hv.vcpu[cpu])
		return VMXRAY_HC_EINVAL;
	struct vcpu *v = g_hv.vcpu[cpu];
	uint32_t n = 0;
	*first = at;
	spin_lock(&v->trace_lock);
	if (v->trace.cap)
		n = tracering_read(&v->trace, at, dst, max, first);
	*end = v->trace.head;
	*lost = v->trace.lost;
	spin_unlock(&v->trace_lock);
	*first |= cpu << VMXRAY_TRACE_CURSOR_CPU_SHIFT;
	*end |= cpu << VMXRAY_TRACE_CURSOR_CPU_SHIFT;
	return n;
}
