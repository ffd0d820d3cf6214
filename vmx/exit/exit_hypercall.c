/* VMCALL: vmxray's hypercall ABI (vmx/policy/hypercall_abi.h). Only CPL 0 may call: VMCALL
 * exits at any CPL (SDM Vol. 3C, 26.1.2), so vmxray gives CPL > 0 the #UD a CPU
 * without a VMM would. Every buffer is checked before anything is written. */
#include "arch/cpu.h"
#include "arch/spinlock.h"
#include "drivers/fmt.h"
#include "drivers/log.h"
#include "drivers/logring.h"
#include "vmx/exit/exit.h"
#include "vmx/study/dump_hw.h"
#include "vmx/hv.h"
#include "vmx/policy/hypercall.h"
#include "vmx/policy/hypercall_abi.h"
#include "vmx/exit/inject.h"
#include "vmx/exit/trace.h"

#include <string.h>

/* May the hypercall write `needed` bytes at buf (size given by the guest)? On ENOSPC the
 * guest learns the size it needs in RBX. */
static int64_t hc_check_buffer(struct vcpu *v, uint64_t buf, uint64_t size, uint64_t needed)
{
	int64_t st = hypercall_check_buffer(&g_hv.ram, g_hv.owned, g_hv.owned_count, buf, size, needed);
	if (st == VMXRAY_HC_ENOSPC)
		v->regs.gpr[GPR_RBX] = needed;
	return st;
}

static int64_t hc_stats(struct vcpu *v, uint64_t buf, uint64_t size)
{
	uint64_t needed = VMXRAY_STATS_COUNTERS * 8;
	int64_t st = hc_check_buffer(v, buf, size, needed);
	if (st != VMXRAY_HC_OK)
		return st;
	uint64_t *out = (uint64_t *)(uintptr_t)buf;
	for (unsigned r = 0; r < VMXRAY_STATS_COUNTERS; r++) {
		uint64_t sum = 0;
		for (unsigned c = 0; c < g_hv.cpu_count; c++)
			sum += (r < VMX_EXIT_REASON_SLOTS && g_hv.vcpu[c]) ? g_hv.vcpu[c]->exit_count[r] : 0;
		out[r] = sum;
	}
	return VMXRAY_STATS_COUNTERS;
}

static int64_t hc_owned_ranges(struct vcpu *v, uint64_t buf, uint64_t size)
{
	uint64_t needed = g_hv.owned_count * 16ULL;
	int64_t st = hc_check_buffer(v, buf, size, needed);
	if (st != VMXRAY_HC_OK)
		return st;
	uint64_t *out = (uint64_t *)(uintptr_t)buf;
	for (unsigned i = 0; i < g_hv.owned_count; i++) {
		out[2 * i] = g_hv.owned[i].base;
		out[2 * i + 1] = g_hv.owned[i].size;
	}
	return g_hv.owned_count;
}

struct log_read {
	uint64_t offset, first, count, end, lost;
	char *dst;
	uint64_t cap;
};

static void log_read_locked(void *ctx)
{
	struct log_read *r = ctx;

	r->count = logring_read(&g_logring, r->offset, r->dst, r->cap, &r->first);
	r->end = g_logring.head;
	r->lost = g_logring.lost;
}

/* The buffer is checked as the guest declared it, whole: nothing is written anywhere
 * the guest could not write itself. */
static int64_t hc_log_read(struct vcpu *v, uint64_t buf, uint64_t size, uint64_t offset)
{
	if (size == 0)
		return VMXRAY_HC_EINVAL;
	int64_t st = hypercall_check_buffer(&g_hv.ram, g_hv.owned, g_hv.owned_count, buf, size, size);
	if (st != VMXRAY_HC_OK)
		return st;
	struct log_read r = { .offset = offset, .dst = (char *)(uintptr_t)buf, .cap = size };
	log_call_locked(log_read_locked, &r);
	v->regs.gpr[GPR_RBX] = r.first;
	v->regs.gpr[GPR_RCX] = r.end;
	v->regs.gpr[GPR_RDX] = r.lost;
	return (int64_t)r.count;
}

/* TRACE_READ: whole records only, into a buffer checked whole as for LOG_READ. */
static int64_t hc_trace_read(struct vcpu *v, uint64_t buf, uint64_t size, uint64_t cursor)
{
	_Static_assert(VMXRAY_TRACE_RECORD_BYTES == TRACE_RECORD_BYTES, "the ABI's record size");
	if (size < TRACE_RECORD_BYTES) {
		v->regs.gpr[GPR_RBX] = TRACE_RECORD_BYTES;
		return VMXRAY_HC_ENOSPC;
	}
	int64_t st = hypercall_check_buffer(&g_hv.ram, g_hv.owned, g_hv.owned_count, buf, size, size);
	if (st != VMXRAY_HC_OK)
		return st;
	uint64_t first, end, lost, max = size / TRACE_RECORD_BYTES;
	st = trace_read(cursor, (struct trace_record *)(uintptr_t)buf, max > UINT32_MAX ? UINT32_MAX : (uint32_t)max,
			&first, &end, &lost);
	if (st < 0)
		return st;
	v->regs.gpr[GPR_RBX] = first;
	v->regs.gpr[GPR_RCX] = end;
	v->regs.gpr[GPR_RDX] = lost;
	return st;
}

/* DUMP_VMCS prints ~150 lines (about 1 s of a 115200-baud UART, under the log lock
 * every CPU needs to log): all CPUs together get DUMP_VMCS_BURST dumps, then one per
 * DUMP_VMCS_INTERVAL_TSC TSC ticks (2^31: 0.7 s at 3 GHz; Bochs's TSC follows its
 * emulated instruction count). A refused call returns VMXRAY_HC_EAGAIN and logs
 * nothing; the next dump says how many were refused before it. */
#define DUMP_VMCS_INTERVAL_TSC (1ULL << 31)
#define DUMP_VMCS_BURST 3
static struct rate_limit dump_rate;
static uint64_t dumps_done, dumps_refused;

void hypercall_stats_print(void)
{
	log_info("hypercall: DUMP_VMCS dumps=%lu refused=%lu (rate limit: %u, then one per %llu TSC ticks)",
		 dumps_done, dumps_refused, DUMP_VMCS_BURST, DUMP_VMCS_INTERVAL_TSC);
}

static int64_t hc_dump_vmcs(struct vcpu *v)
{
	uint64_t refused;

	spin_lock(&g_hv.lock);
	bool ok = rate_limit_allow(&dump_rate, cpu_rdtsc(), DUMP_VMCS_INTERVAL_TSC, DUMP_VMCS_BURST, &refused);
	if (ok)
		dumps_done++;
	else
		dumps_refused++;
	spin_unlock(&g_hv.lock);
	if (!ok)
		return VMXRAY_HC_EAGAIN;
	if (refused)
		log_warn("hypercall: DUMP_VMCS rate-limited: %lu calls refused since the last dump (one per %llu TSC ticks)",
			 refused, DUMP_VMCS_INTERVAL_TSC);
	vmx_dump_current(v, "DUMP_VMCS hypercall");
	return VMXRAY_HC_OK;
}

static int64_t hypercall_dispatch(struct vcpu *v, uint64_t fn, uint64_t a1, uint64_t a2)
{
	switch (fn) {
	case VMXRAY_HC_VERSION:
		v->regs.gpr[GPR_RBX] = (VMXRAY_VERSION_MAJOR << 16) | VMXRAY_VERSION_MINOR;
		return VMXRAY_HC_OK;
	case VMXRAY_HC_STATS:
		return hc_stats(v, a1, a2);
	case VMXRAY_HC_DUMP_VMCS:
		return hc_dump_vmcs(v);
	case VMXRAY_HC_OWNED_RANGES:
		return hc_owned_ranges(v, a1, a2);
	case VMXRAY_HC_LOG_READ:
		return hc_log_read(v, a1, a2, v->regs.gpr[GPR_RDX]);
	case VMXRAY_HC_TRACE_READ:
		return hc_trace_read(v, a1, a2, v->regs.gpr[GPR_RDX]);
	default:
		return VMXRAY_HC_ENOSYS;
	}
}

void exit_vmcall(struct vcpu *v, struct vmexit *e)
{
	uint64_t fn = v->regs.gpr[GPR_RAX];

	if (vcpu_guest_cpl() != 0) {
		if (e->tracing)
			fmt_snprintf(e->detail, sizeof(e->detail), "function=%lu cpl>0 inject=#UD", fn);
		vcpu_inject_ud(v);
		return;
	}
	if (fn == VMXRAY_HC_TEST_ROOT_EXCEPTION && (g_hv.cfg.test_flags & HV_TEST_ROOT_EXCEPTION))
		__asm__ volatile("ud2"); /* test=root-exception: prove the root-mode fault path */
	int64_t st = hypercall_dispatch(v, fn, v->regs.gpr[GPR_RBX], v->regs.gpr[GPR_RCX]);
	v->regs.gpr[GPR_RAX] = (uint64_t)st;
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "function=%lu status=%ld", fn, st);
	vcpu_skip_instruction(v);
}
