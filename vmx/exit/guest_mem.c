/* Guest memory for emulation: see vmx/exit/guest_mem.h. */
#include "vmx/exit/guest_mem.h"

#include "arch/bits.h"
#include "arch/cpu.h"
#include "arch/cr.h"
#include "arch/msr.h"
#include "arch/paging.h"
#include "vmx/caps/caps.h"
#include "vmx/decode/decode.h"
#include "vmx/hv.h"
#include "vmx/exit/inject.h"
#include "vmx/decode/string_io.h"
#include "vmx/vmcs/vmcs.h"

#define RFLAGS_AC_BIT (1ULL << 18)

typedef uint16_t __attribute__((aligned(1), may_alias)) u16_unaligned;
typedef uint32_t __attribute__((aligned(1), may_alias)) u32_unaligned;

bool guest_page_is_owned(uint64_t gpa)
{
	uint64_t page = align_down(gpa, PAGE_SIZE);
	for (unsigned i = 0; i < g_hv.owned_count; i++)
		if (mem_ranges_overlap(page, PAGE_SIZE, g_hv.owned[i].base, g_hv.owned[i].size))
			return true;
	return false;
}

/* Where the guest's view of guest-physical address gpa lies for the host (see the top
 * of this file); NULL beyond the host's identity map. A range inside one page is
 * contiguous there. */
uint8_t *gpa_host(uint64_t gpa)
{
	if (guest_page_is_owned(gpa))
		return g_hv.scratch_page + (gpa & (PAGE_SIZE - 1));
	if (gpa >= paging_identity_limit(vmx_caps_maxphyaddr(&g_hv.caps), g_hv.caps.cpu.page1gb))
		return NULL;
	return (uint8_t *)(uintptr_t)gpa;
}

/* The walker's callback: one paging-structure entry (4 or 8 bytes, naturally aligned). */
static uint64_t gpa_read_entry(void *ctx, uint64_t gpa, unsigned size)
{
	(void)ctx;
	const volatile uint8_t *h = gpa_host(gpa);
	if (!h)
		return 0;
	return size == 8 ? *(const volatile uint64_t *)h : *(const volatile uint32_t *)h;
}

struct guest_paging guest_paging_now(void)
{
	return (struct guest_paging){
		.cr0 = vmcs_readnw(GUEST_CR0),
		.cr3 = vmcs_readnw(GUEST_CR3),
		.cr4 = vmcs_readnw(GUEST_CR4),
		.efer = vmcs_read64(GUEST_IA32_EFER),
		.pdptr = { vmcs_read64(GUEST_PDPTR0), vmcs_read64(GUEST_PDPTR1), vmcs_read64(GUEST_PDPTR2),
			   vmcs_read64(GUEST_PDPTR3) },
		.cpl = vcpu_guest_cpl(),
		.rflags_ac = vmcs_readnw(GUEST_RFLAGS) & RFLAGS_AC_BIT,
		.maxphyaddr = vmx_caps_maxphyaddr(&g_hv.caps),
		.page1gb = g_hv.caps.cpu.page1gb,
		.read = gpa_read_entry,
		.ctx = NULL,
	};
}



/* The walker's compare-exchange (vmx/decode/guest_walk.h, guest_walk_set_ad): one
 * locked CMPXCHG on the entry, as the processor's own locked update of the flags (SDM
 * Vol. 3A, 4.8 "Accessed and Dirty Flags"). An entry on the intercepted APIC page is
 * no exception to the page's protection: the processor's own update there would have
 * been an EPT violation that is no linear access, which turns the intercept off
 * (exit_apic.c); so it does here, before the write, and the write then reaches the
 * page as the guest's own would. */
static bool gpa_cmpxchg_entry(void *ctx, uint64_t gpa, unsigned size, uint64_t expected, uint64_t desired)
{
	(void)ctx;
	uint8_t *h = gpa_host(gpa);
	if (!h)
		return true; /* beyond the identity map: takes no writes */
	if (g_hv.apic_intercept && align_down(gpa, PAGE_SIZE) == g_hv.apic_base)
		apic_intercept_release("a paging-structure entry on the APIC page");
	if (size == 8)
		return __atomic_compare_exchange_n((uint64_t *)h, &expected, desired, false, __ATOMIC_SEQ_CST,
						   __ATOMIC_SEQ_CST);
	uint32_t e32 = (uint32_t)expected;
	return __atomic_compare_exchange_n((uint32_t *)h, &e32, (uint32_t)desired, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

bool guest_walk_commit_ad(const struct guest_walk *w, bool write)
{
	return guest_walk_set_ad(w, write, gpa_cmpxchg_entry, NULL);
}

/* How often a walk is tried again when another CPU changes an entry under it; after
 * that the guest runs the instruction again. */
#define SPAN_WALK_TRIES 4

static bool span_walk_once(const struct guest_paging *p, uint64_t la, uint64_t la2, enum guest_access a,
			   struct span *s, struct span_fault *f)
{
	struct guest_walk w[2];

	for (unsigned i = 0; i < s->pieces; i++) {
		f->la = i ? la2 : la;
		w[i] = guest_walk(p, f->la, a);
		if (w[i].status != GUEST_WALK_OK) {
			f->walk = w[i];
			return false;
		}
		s->gpa[i] = w[i].gpa;
	}
	for (unsigned i = 0; i < s->pieces; i++) {
		if (!guest_walk_set_ad(&w[i], a == GUEST_ACCESS_WRITE, gpa_cmpxchg_entry, NULL)) {
			f->walk = (struct guest_walk){ .status = GUEST_WALK_RETRY };
			return false;
		}
	}
	return true;
}

/* Translates [la, la + len), len <= 4096. Both pages are translated before either is
 * touched, so a fault on the second leaves memory as it was. */
bool span_translate(const struct guest_paging *p, bool mode64, uint64_t la, unsigned len,
			   enum guest_access a, struct span *s, struct span_fault *f)
{
	uint64_t la2;

	s->pieces = string_io_split_page(la, len, mode64, &s->len[0], &la2);
	s->len[1] = len - s->len[0];
	for (unsigned t = 0; t < SPAN_WALK_TRIES; t++) {
		if (span_walk_once(p, la, la2, a, s, f))
			return true;
		if (f->walk.status != GUEST_WALK_RETRY)
			return false;
	}
	return false;
}

/* The byte at offset i of a span, for the host. */
volatile uint8_t *span_byte(const struct span *s, unsigned i)
{
	unsigned piece = i < s->len[0] ? 0 : 1;
	return gpa_host(s->gpa[piece] + (piece ? i - s->len[0] : i));
}

/* Reads len bytes; an element (1, 2 or 4 bytes) within one page is one access of its
 * size, as the instruction makes it (it may be memory-mapped I/O). */
uint32_t span_read_element(const struct span *s, unsigned len)
{
	volatile uint8_t *h = s->pieces == 1 ? gpa_host(s->gpa[0]) : NULL;
	uint32_t v = 0;

	if (h && len == 4)
		return *(volatile u32_unaligned *)h;
	if (h && len == 2)
		return *(volatile u16_unaligned *)h;
	for (unsigned i = 0; i < len; i++) {
		volatile uint8_t *b = span_byte(s, i);
		v |= (uint32_t)(b ? *b : 0) << (8 * i);
	}
	return v;
}

void span_write_element(const struct span *s, unsigned len, uint32_t v)
{
	volatile uint8_t *h = s->pieces == 1 ? gpa_host(s->gpa[0]) : NULL;

	if (h && len == 4) {
		*(volatile u32_unaligned *)h = v;
		return;
	}
	if (h && len == 2) {
		*(volatile u16_unaligned *)h = (uint16_t)v;
		return;
	}
	for (unsigned i = 0; i < len; i++) {
		volatile uint8_t *b = span_byte(s, i);
		if (b)
			*b = (uint8_t)(v >> (8 * i));
	}
}

/* The fault a failed translation raises: #PF with CR2 = the linear address (CR2 is no
 * VMCS field; root mode never page-faults, so the register still holds the guest's
 * value and VM entry leaves it alone), or for a non-canonical address #GP(0), #SS(0)
 * through SS (SDM Vol. 2B, INS and OUTS, "64-Bit Mode Exceptions"). */
void inject_span_fault(struct vcpu *v, const struct span_fault *f, unsigned seg)
{
	if (f->walk.status == GUEST_WALK_RETRY)
		return; /* the paging structures keep changing: the guest runs it again */
	if (f->walk.status == GUEST_WALK_PF) {
		cpu_write_cr2(f->la);
		vcpu_inject_exception(v, VECTOR_PF, f->walk.error_code);
	} else if (seg == STRING_IO_SEG_SS) {
		vcpu_inject_exception(v, VECTOR_SS, 0);
	} else {
		vcpu_inject_gp0(v);
	}
}


/* The linear address of CS:RIP, and the mode it runs in. */
static uint64_t fetch_la(const struct guest_paging *p, bool *mode64, bool *db)
{
	struct seg_ar cs = seg_ar_decode(vmcs_read32(GUEST_CS_AR_BYTES));
	uint64_t rip = vmcs_readnw(GUEST_RIP);

	*mode64 = (p->efer & EFER_LMA) && cs.l;
	*db = cs.db;
	return *mode64 ? rip : (vmcs_readnw(GUEST_CS_BASE) + rip) & 0xFFFFFFFFULL;
}

/* Bytes [from, from + len) of the instruction, all on one page: translated for a fetch
 * (which sets the accessed flags of that page's entries only) and copied. */
static bool fetch_piece(const struct guest_paging *p, bool mode64, uint64_t la, uint8_t *buf, unsigned len)
{
	struct span s;
	struct span_fault f;

	if (!span_translate(p, mode64, la, len, GUEST_ACCESS_FETCH, &s, &f))
		return false;
	for (unsigned i = 0; i < len; i++) {
		volatile uint8_t *b = span_byte(&s, i);
		buf[i] = b ? *b : 0;
	}
	return true;
}

/* Only what the instruction can have touched: the bytes up to max on CS:RIP's page. The
 * next page is read only when the decoder asks for more (guest_fetch_insn_more): an
 * instruction that ends on this page never made the processor fetch from the next one,
 * which may not be mapped, or be MMIO, or have its accessed flag clear. */
unsigned guest_fetch_insn(uint8_t *buf, unsigned max, bool *mode64, bool *db)
{
	struct guest_paging p = guest_paging_now();
	uint64_t la = fetch_la(&p, mode64, db);
	unsigned len0, len;
	uint64_t la2;

	(void)string_io_split_page(la, max, *mode64, &len0, &la2);
	len = len0;
	return fetch_piece(&p, *mode64, la, buf, len) ? len : 0;
}

unsigned guest_fetch_insn_more(uint8_t *buf, unsigned have, unsigned max)
{
	struct guest_paging p = guest_paging_now();
	bool mode64, db;
	uint64_t la = fetch_la(&p, &mode64, &db);
	uint64_t at = mode64 ? la + have : (la + have) & 0xFFFFFFFFULL;
	unsigned len0;
	uint64_t la2;

	if (have >= max)
		return have;
	(void)string_io_split_page(at, max - have, mode64, &len0, &la2);
	return fetch_piece(&p, mode64, at, buf + have, len0) ? have + len0 : have;
}
