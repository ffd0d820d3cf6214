/* VMCALL: vmxray's hypercall ABI (vmx/policy/hypercall_abi.h). VMCALL exits at any CPL
 * (SDM Vol. 3C, 26.1.2), so vmxray gives CPL > 0 the #UD a CPU without a VMM would,
 * except the read-only calls from CPL 3 with user_hypercalls=on. Every buffer is
 * checked, every page of it, before anything is written. */
#include "arch/cpu.h"
#include "arch/spinlock.h"
#include "drivers/fmt.h"
#include "drivers/log.h"
#include "drivers/logring.h"
#include "arch/cr.h"
#include "arch/msr.h"
#include "vmx/decode/decode.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/guest_mem.h"
#include "vmx/study/dump_hw.h"
#include "vmx/hv.h"
#include "vmx/policy/hypercall.h"
#include "vmx/policy/hypercall_abi.h"
#include "vmx/exit/inject.h"
#include "vmx/exit/trace.h"
#include "vmx/vmcs/vmcs.h"

#include <string.h>

/* ---- the buffer a call writes: guest-physical from CPL 0, guest-virtual from CPL 3 ---- */

/* Whether the caller runs in 64-bit mode (IA32_EFER.LMA and CS.L): its linear addresses
 * are 64 bits wide, otherwise 32. */
static bool hc_caller_mode64(const struct guest_paging *p)
{
	return (p->efer & EFER_LMA) && seg_ar_decode(vmcs_read32(GUEST_CS_AR_BYTES)).l;
}

/* How often the check is made again when another CPU changes a paging-structure entry
 * between the walk and the setting of its accessed and dirty flags. */
#define HC_USER_WALK_TRIES 4

static bool hc_commit_ad(const struct hc_buffer *b)
{
	for (unsigned i = 0; i < b->pieces; i++)
		if (!guest_walk_commit_ad(&b->piece[i].walk, true))
			return false;
	return true;
}

static int64_t hc_user_buffer(uint64_t va, uint64_t size, uint64_t needed, struct hc_buffer *b)
{
	struct guest_paging p = guest_paging_now();
	bool mode64 = hc_caller_mode64(&p);

	for (unsigned t = 0; t < HC_USER_WALK_TRIES; t++) {
		int64_t st = hypercall_check_user_buffer(&p, mode64, &g_hv.ram, g_hv.owned, g_hv.owned_count, va, size,
							 needed, b);
		if (st != VMXRAY_HC_OK || hc_commit_ad(b))
			return st;
	}
	b->pieces = 0;
	return VMXRAY_HC_EAGAIN;
}

/* May the hypercall write `needed` bytes at buf (size given by the guest)? The pieces
 * to write into *b; on ENOSPC the guest learns the size it needs in RBX. */
static int64_t hc_buffer_get(struct vcpu *v, uint64_t buf, uint64_t size, uint64_t needed, struct hc_buffer *b)
{
	int64_t st;

	if (vcpu_guest_cpl() != 0) {
		st = hc_user_buffer(buf, size, needed, b);
	} else {
		st = hypercall_check_buffer(&g_hv.ram, g_hv.owned, g_hv.owned_count, buf, size, needed);
		b->pieces = st == VMXRAY_HC_OK && needed ? 1 : 0;
		b->bytes = b->pieces ? needed : 0;
		b->piece[0] = (struct hc_piece){ .gpa = buf, .len = needed };
	}
	if (st == VMXRAY_HC_ENOSPC)
		v->regs.gpr[GPR_RBX] = needed;
	return st;
}

/* n bytes of src into the checked buffer at byte offset `at` (at + n <= b->bytes). */
static void hc_buffer_write_at(const struct hc_buffer *b, uint64_t at, const void *src, uint64_t n)
{
	const uint8_t *s = src;

	for (unsigned i = 0; i < b->pieces && n; i++) {
		const struct hc_piece *p = &b->piece[i];

		if (at >= p->len) {
			at -= p->len;
			continue;
		}
		uint64_t len = p->len - at < n ? p->len - at : n;
		memcpy((void *)(uintptr_t)(p->gpa + at), s, len);
		s += len;
		n -= len;
		at = 0;
	}
}

/* ---- the calls ---- */

static int64_t hc_stats(struct vcpu *v, uint64_t buf, uint64_t size)
{
	uint64_t out[VMXRAY_STATS_COUNTERS];
	struct hc_buffer b;
	int64_t st = hc_buffer_get(v, buf, size, sizeof(out), &b);
	if (st != VMXRAY_HC_OK)
		return st;
	for (unsigned r = 0; r < VMXRAY_STATS_COUNTERS; r++) {
		uint64_t sum = 0;
		for (unsigned c = 0; c < g_hv.cpu_count; c++)
			sum += (r < VMX_EXIT_REASON_SLOTS && g_hv.vcpu[c]) ? g_hv.vcpu[c]->exit_count[r] : 0;
		out[r] = sum;
	}
	hc_buffer_write_at(&b, 0, out, sizeof(out));
	return VMXRAY_STATS_COUNTERS;
}

static int64_t hc_owned_ranges(struct vcpu *v, uint64_t buf, uint64_t size)
{
	uint64_t out[2 * HV_OWNED_MAX];
	struct hc_buffer b;
	int64_t st = hc_buffer_get(v, buf, size, g_hv.owned_count * 16ULL, &b);
	if (st != VMXRAY_HC_OK)
		return st;
	for (unsigned i = 0; i < g_hv.owned_count; i++) {
		out[2 * i] = g_hv.owned[i].base;
		out[2 * i + 1] = g_hv.owned[i].size;
	}
	hc_buffer_write_at(&b, 0, out, g_hv.owned_count * 16ULL);
	return g_hv.owned_count;
}

struct log_read {
	uint64_t offset, first, count, end, lost;
	const struct hc_buffer *b;
};

/* Piece by piece, each from where the one before ended. */
static void log_read_locked(void *ctx)
{
	struct log_read *r = ctx;
	uint64_t at = r->offset;

	r->first = r->offset < g_logring.tail ? g_logring.tail : r->offset;
	for (unsigned i = 0; i < r->b->pieces; i++) {
		const struct hc_piece *p = &r->b->piece[i];
		uint64_t first, n = logring_read(&g_logring, at, (char *)(uintptr_t)p->gpa, p->len, &first);

		if (i == 0)
			r->first = first;
		r->count += n;
		at = first + n;
		if (n < p->len)
			break;
	}
	r->end = g_logring.head;
	r->lost = g_logring.lost;
}

/* The buffer is checked as the guest declared it, whole: nothing is written anywhere
 * the guest could not write itself. */
static int64_t hc_log_read(struct vcpu *v, uint64_t buf, uint64_t size, uint64_t offset)
{
	struct hc_buffer b;

	if (size == 0)
		return VMXRAY_HC_EINVAL;
	int64_t st = hc_buffer_get(v, buf, size, size, &b);
	if (st != VMXRAY_HC_OK)
		return st;
	struct log_read r = { .offset = offset, .b = &b };
	log_call_locked(log_read_locked, &r);
	v->regs.gpr[GPR_RBX] = r.first;
	v->regs.gpr[GPR_RCX] = r.end;
	v->regs.gpr[GPR_RDX] = r.lost;
	return (int64_t)r.count;
}

/* TRACE_READ: whole records only, into a buffer checked whole before the first write
 * (guest-physical from CPL 0, every page walked from CPL 3). Records are copied a few at
 * a time through a small buffer on the root stack, so a CPL 3 buffer may cross pages
 * anywhere; a run stops where the ring overwrote the next record meanwhile. */
#define HC_TRACE_CHUNK 8
static int64_t hc_trace_read(struct vcpu *v, uint64_t buf, uint64_t size, uint64_t cursor)
{
	_Static_assert(VMXRAY_TRACE_RECORD_BYTES == TRACE_RECORD_BYTES, "the ABI's record size");
	struct trace_record chunk[HC_TRACE_CHUNK];
	struct hc_buffer b;

	if (size < TRACE_RECORD_BYTES) {
		v->regs.gpr[GPR_RBX] = TRACE_RECORD_BYTES;
		return VMXRAY_HC_ENOSPC;
	}
	uint64_t max = size / TRACE_RECORD_BYTES;
	int64_t st = hc_buffer_get(v, buf, size, max * TRACE_RECORD_BYTES, &b);
	if (st != VMXRAY_HC_OK)
		return st;
	uint64_t first = 0, end = 0, lost = 0, done = 0, at = cursor;
	while (done < max) {
		uint64_t f, want = max - done < HC_TRACE_CHUNK ? max - done : HC_TRACE_CHUNK;
		st = trace_read(at, chunk, (uint32_t)want, &f, &end, &lost);
		if (st < 0)
			return st;
		if (done == 0)
			first = f;
		else if (f != at)
			break; /* overwritten since the last chunk: the caller's next cursor says so */
		hc_buffer_write_at(&b, done * TRACE_RECORD_BYTES, chunk, (uint64_t)st * TRACE_RECORD_BYTES);
		done += (uint64_t)st;
		at = f + (uint64_t)st;
		if ((uint64_t)st < want)
			break;
	}
	v->regs.gpr[GPR_RBX] = first;
	v->regs.gpr[GPR_RCX] = end;
	v->regs.gpr[GPR_RDX] = lost;
	return (int64_t)done;
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
	if (dumps_done | dumps_refused) /* only when a guest asked */
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

/* CPL 0 may make every call; CPL 3 the read-only ones with user_hypercalls=on, not in
 * virtual-8086 mode (its addresses are no flat linear addresses); nobody else. */
static bool hc_caller_allowed(uint64_t fn)
{
	unsigned cpl = vcpu_guest_cpl();

	if (cpl == 0)
		return true;
	return cpl == 3 && g_hv.cfg.user_hypercalls && hypercall_user_allowed(fn) &&
	       !(vmcs_readnw(GUEST_RFLAGS) & RFLAGS_VM);
}

void exit_vmcall(struct vcpu *v, struct vmexit *e)
{
	uint64_t fn = v->regs.gpr[GPR_RAX];

	if (!hc_caller_allowed(fn)) {
		if (e->tracing)
			fmt_snprintf(e->detail, sizeof(e->detail), "function=%lu cpl=%u inject=#UD", fn, vcpu_guest_cpl());
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
