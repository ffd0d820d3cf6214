/* Guest memory for emulation: see vmx/exit/guest_mem.h. */
#include "vmx/exit/guest_mem.h"

#include <string.h>

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
typedef uint64_t __attribute__((aligned(1), may_alias)) u64_unaligned;

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

/* What a fetch's walk needs (RFLAGS.AC counts for data accesses only: SMAP); the PDPTE
 * registers only where a walk reads them, PAE paging outside IA-32e mode. */
static struct guest_paging guest_paging_fetch(void)
{
	struct guest_paging p = {
		.cr0 = vmcs_readnw(GUEST_CR0),
		.cr3 = vmcs_readnw(GUEST_CR3),
		.cr4 = vmcs_readnw(GUEST_CR4),
		.efer = vmcs_read64(GUEST_IA32_EFER),
		.cpl = vcpu_guest_cpl(),
		.maxphyaddr = vmx_caps_maxphyaddr(&g_hv.caps),
		.page1gb = g_hv.caps.cpu.page1gb,
		.read = gpa_read_entry,
		.ctx = NULL,
	};
	if ((p.cr0 & CR0_PG) && (p.cr4 & CR4_PAE) && !(p.efer & EFER_LMA)) {
		p.pdptr[0] = vmcs_read64(GUEST_PDPTR0);
		p.pdptr[1] = vmcs_read64(GUEST_PDPTR1);
		p.pdptr[2] = vmcs_read64(GUEST_PDPTR2);
		p.pdptr[3] = vmcs_read64(GUEST_PDPTR3);
	}
	return p;
}

struct guest_paging guest_paging_now(void)
{
	struct guest_paging p = guest_paging_fetch();
	p.rflags_ac = vmcs_readnw(GUEST_RFLAGS) & RFLAGS_AC_BIT;
	return p;
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
static uint64_t fetch_la(const struct guest_paging *p, uint64_t rip, bool *mode64, bool *db)
{
	struct seg_ar cs = seg_ar_decode(vmcs_read32(GUEST_CS_AR_BYTES));

	*mode64 = (p->efer & EFER_LMA) && cs.l;
	*db = cs.db;
	return *mode64 ? rip : (vmcs_readnw(GUEST_CS_BASE) + rip) & 0xFFFFFFFFULL;
}

/* ---- instruction fetch, with the last translation remembered ----
 *
 * The same instruction exits again and again (an EOI write to the intercepted APIC page
 * above all), and each time its bytes are fetched through the guest's page tables. The
 * translation is a function of CR0, CR3, CR4, EFER, the CPL, the linear page and the
 * paging-structure entries the walk read (SDM Vol. 3A, 4.1 "Paging Modes and Control
 * Bits"; MAXPHYADDR and 1-GByte-page support are fixed): so each CPU remembers its last
 * fetch walk, and while all of that still holds what it held (each entry re-read from
 * guest memory, with the accessed flag the walk set), the walk would come out the same
 * and is not done again. Anything else changed (another CPU rewrote an entry, cleared
 * an accessed flag, the guest switched CR3 or mode) walks again. PAE paging outside
 * IA-32e mode, whose PDPTE registers are part of the walk, is not remembered. */
struct fetch_memo {
	bool valid;
	uint64_t la_page, cr0, cr3, cr4, efer;
	unsigned cpl, entries;
	const volatile uint8_t *entry[GUEST_WALK_MAX_ENTRIES]; /* where each entry is, for the host */
	uint64_t entry_val[GUEST_WALK_MAX_ENTRIES];           /* what it held after the walk */
	uint8_t entry_size[GUEST_WALK_MAX_ENTRIES];
	const volatile uint8_t *page;                         /* the page, for the host */
};
static struct fetch_memo fetch_memos[HV_MAX_CPUS];

static uint64_t host_entry(const volatile uint8_t *h, unsigned size)
{
	return size == 8 ? *(const volatile uint64_t *)h : *(const volatile uint32_t *)h;
}

static bool fetch_memo_holds(const struct fetch_memo *m, const struct guest_paging *p, uint64_t la_page)
{
	if (!m->valid || m->la_page != la_page || m->cr3 != p->cr3 || m->cr0 != p->cr0 || m->cr4 != p->cr4 ||
	    m->efer != p->efer || m->cpl != p->cpl)
		return false;
	for (unsigned i = 0; i < m->entries; i++)
		if (host_entry(m->entry[i], m->entry_size[i]) != m->entry_val[i])
			return false;
	return true;
}

static void fetch_memo_store(struct fetch_memo *m, const struct guest_paging *p, uint64_t la_page,
			     const struct guest_walk *w, const volatile uint8_t *page)
{
	m->valid = false;
	if ((p->cr0 & CR0_PG) && (p->cr4 & CR4_PAE) && !(p->efer & EFER_LMA))
		return; /* PAE: the PDPTE registers are part of the walk */
	for (unsigned i = 0; i < w->entries; i++) {
		const volatile uint8_t *h = gpa_host(w->entry_gpa[i]);
		if (!h)
			return;
		m->entry[i] = h;
		m->entry_val[i] = w->entry_val[i] | PTE_A; /* as guest_walk_set_ad left it */
		m->entry_size[i] = w->entry_size[i];
	}
	m->entries = w->entries;
	m->la_page = la_page;
	m->cr0 = p->cr0;
	m->cr3 = p->cr3;
	m->cr4 = p->cr4;
	m->efer = p->efer;
	m->cpl = p->cpl;
	m->page = page;
	m->valid = true;
}

/* The page holding la translated for a fetch, for the host in *page (NULL beyond the
 * identity map: it reads as zeros). False when there is no translation. Sets the
 * accessed flags of the entries, as the fetch does. */
static bool fetch_page(const struct guest_paging *p, uint64_t la, const volatile uint8_t **page)
{
	struct fetch_memo *m = &fetch_memos[vcpu_current()->index];
	uint64_t la_page = align_down(la, PAGE_SIZE);

	if (fetch_memo_holds(m, p, la_page)) {
		*page = m->page;
		return true;
	}
	for (unsigned t = 0; t < SPAN_WALK_TRIES; t++) {
		struct guest_walk w = guest_walk(p, la_page, GUEST_ACCESS_FETCH);
		if (w.status != GUEST_WALK_OK)
			return false;
		if (!guest_walk_set_ad(&w, false, gpa_cmpxchg_entry, NULL))
			continue; /* an entry changed under the walk: again */
		*page = gpa_host(align_down(w.gpa, PAGE_SIZE));
		if (*page)
			fetch_memo_store(m, p, la_page, &w, *page);
		return true;
	}
	return false;
}

/* Bytes [from, from + len) of the instruction, all on one page: translated for a fetch
 * (which sets the accessed flags of that page's entries only) and copied. */
static bool fetch_piece(const struct guest_paging *p, uint64_t la, uint8_t *buf, unsigned len)
{
	const volatile uint8_t *page;

	if (!fetch_page(p, la, &page))
		return false;
	if (!page) {
		memset(buf, 0, len);
		return true;
	}
	const volatile uint8_t *from = page + (la & (PAGE_SIZE - 1));
	unsigned i = 0;
	for (; i + 8 <= len; i += 8) /* a 15-byte instruction: one quadword and the rest */
		*(u64_unaligned *)(buf + i) = *(const volatile u64_unaligned *)(from + i);
	for (; i < len; i++)
		buf[i] = from[i];
	return true;
}

/* Only what the instruction can have touched: the bytes up to max on CS:RIP's page. The
 * next page is read only when the decoder asks for more (guest_fetch_insn_more): an
 * instruction that ends on this page never made the processor fetch from the next one,
 * which may not be mapped, or be MMIO, or have its accessed flag clear. */
unsigned guest_fetch_insn(uint8_t *buf, unsigned max, bool *mode64, bool *db)
{
	struct guest_paging p = guest_paging_fetch();
	uint64_t la = fetch_la(&p, vmcs_readnw(GUEST_RIP), mode64, db);
	unsigned room = PAGE_SIZE - (unsigned)(la & (PAGE_SIZE - 1));
	unsigned len = max < room ? max : room;

	return fetch_piece(&p, la, buf, len) ? len : 0;
}

unsigned guest_fetch_insn_more(uint8_t *buf, unsigned have, unsigned max)
{
	struct guest_paging p = guest_paging_fetch();
	bool mode64, db;
	uint64_t la = fetch_la(&p, vmcs_readnw(GUEST_RIP), &mode64, &db);
	uint64_t at = mode64 ? la + have : (la + have) & 0xFFFFFFFFULL;
	unsigned len0;
	uint64_t la2;

	if (have >= max)
		return have;
	(void)string_io_split_page(at, max - have, mode64, &len0, &la2);
	return fetch_piece(&p, at, buf + have, len0) ? have + len0 : have;
}

/* The instruction's bytes without a fetch, where this CPU's last fetch already holds them:
 * the state fetch_memo_holds compares, read here field by field without the rest of a
 * struct guest_paging (no walk follows), and the same page. No accessed flag to set: the
 * memo holds only while they are set. */
const volatile uint8_t *guest_fetch_remembered(const struct vcpu *v, uint64_t rip, unsigned len, bool *mode64,
					      bool *db)
{
	const struct fetch_memo *m = &fetch_memos[v->index];
	if (!m->valid)
		return NULL;
	uint64_t efer = vmcs_read64_nocheck(GUEST_IA32_EFER);
	struct seg_ar cs = seg_ar_decode(vmcs_read32_nocheck(GUEST_CS_AR_BYTES));
	*mode64 = (efer & EFER_LMA) && cs.l;
	*db = cs.db;
	uint64_t la = *mode64 ? rip : (vmcs_readnw_nocheck(GUEST_CS_BASE) + rip) & 0xFFFFFFFFULL;
	unsigned off = (unsigned)(la & (PAGE_SIZE - 1));
	if (off + len > PAGE_SIZE || la - off != m->la_page || efer != m->efer ||
	    vmcs_readnw_nocheck(GUEST_CR3) != m->cr3 || vmcs_readnw_nocheck(GUEST_CR0) != m->cr0 ||
	    vmcs_readnw_nocheck(GUEST_CR4) != m->cr4 ||
	    ((vmcs_read32_nocheck(GUEST_SS_AR_BYTES) >> 5) & 3) != m->cpl) /* CPL: SS.DPL */
		return NULL;
	for (unsigned i = 0; i < m->entries; i++)
		if (host_entry(m->entry[i], m->entry_size[i]) != m->entry_val[i])
			return NULL;
	return m->page + off;
}
