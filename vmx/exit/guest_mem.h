/* Guest memory for emulation (hardware edge): guest-physical addresses as the host
 * reaches them, the guest's paging state from the VMCS, and accesses of up to a page
 * at a guest linear address through the guest's own page tables (vmx/decode/guest_walk.h).
 *
 * Guest-physical memory is host-physical memory (the EPT is an identity map), read
 * and written directly, except vmxray's own memory (g_hv.owned[]): the EPT shows the
 * guest the scratch page there (vmx/exit/exit_ept.c), so an emulated access reads and
 * writes the scratch page in its place, as the guest's own access would, and never
 * touches vmxray's data. Guest-physical addresses beyond the host's identity map
 * (only above 64 GiB, without 1-GByte pages) read as zeros and take no writes. */
#ifndef VMXRAY_VMX_GUEST_MEM_H
#define VMXRAY_VMX_GUEST_MEM_H
#include <stdbool.h>
#include <stdint.h>

#include "vmx/decode/guest_walk.h"
#include "vmx/vcpu.h"

/* An access of up to a page at a linear address: one guest-physical piece, or two
 * when it crosses into the next page. */
struct span {
	unsigned pieces;
	uint64_t gpa[2];
	unsigned len[2];
};

/* Why a span could not be translated: the walk's verdict and the linear address of
 * the page that failed (what CR2 receives). */
struct span_fault {
	struct guest_walk walk;
	uint64_t la;
};

/* Whether the page holding gpa is vmxray's own memory (g_hv.owned[]), which the EPT
 * hides from the guest. */
bool guest_page_is_owned(uint64_t gpa);

/* Where the guest's view of guest-physical address gpa lies for the host; NULL beyond
 * the host's identity map. A range inside one page is contiguous there. */
uint8_t *gpa_host(uint64_t gpa);

/* The current guest's paging state (VMCS guest-state area). */
struct guest_paging guest_paging_now(void);

/* Translates [la, la + len), len <= 4096, for an access of kind a, and sets the
 * accessed (and dirty) flags the access would. Both pages are translated before
 * either is touched, so a fault on the second leaves memory as it was. */
bool span_translate(const struct guest_paging *p, bool mode64, uint64_t la, unsigned len,
		    enum guest_access a, struct span *s, struct span_fault *f);

/* After a successful walk: the accessed (and on a write the dirty) flags of its entries,
 * as the processor's access would set them (guest_walk_set_ad over a locked
 * compare-exchange); false when another CPU changed an entry since the walk. */
bool guest_walk_commit_ad(const struct guest_walk *w, bool write);

/* The byte at offset i of a span, for the host (NULL: beyond the identity map). */
volatile uint8_t *span_byte(const struct span *s, unsigned i);

/* One element of 1, 2 or 4 bytes: within one page it is one access of its size, as the
 * instruction makes it (it may be memory-mapped I/O). */
uint32_t span_read_element(const struct span *s, unsigned len);
void span_write_element(const struct span *s, unsigned len, uint32_t v);

/* The fault a failed translation raises: #PF with CR2, or #GP(0) (#SS(0) when seg is
 * SS, enum string_io_seg) for a non-canonical address. */
void inject_span_fault(struct vcpu *v, const struct span_fault *f, unsigned seg);

/* Up to `max` bytes of the instruction at the guest's CS:RIP, fetched through the
 * guest's page tables, but none past the end of RIP's page; *mode64 tells whether the
 * guest runs in 64-bit mode and *db the code segment's default size (CS.D). Returns
 * how many bytes were read, 0 when none could be. */
unsigned guest_fetch_insn(uint8_t *buf, unsigned max, bool *mode64, bool *db);
/* The instruction goes on past the `have` bytes read so far (the decoder said so):
 * bytes up to max from the pages after. Returns the new count (have when nothing more
 * could be read). */
unsigned guest_fetch_insn_more(uint8_t *buf, unsigned have, unsigned max);

/* Where the `len` bytes at CS:RIP (rip: GUEST_RIP) lie for the host, when this CPU's last
 * guest_fetch_insn translated their page under the state in the VMCS now and every
 * paging-structure entry its walk read still holds what it held then; NULL otherwise
 * (and when the bytes cross the page's end): the caller fetches them. Sets *mode64 and
 * *db as guest_fetch_insn does. */
const volatile uint8_t *guest_fetch_remembered(const struct vcpu *v, uint64_t rip, unsigned len, bool *mode64,
					      bool *db);

/* The APIC-page intercept goes off (vmx/exit/exit_apic.c): the guest's writes to the
 * page reach it directly from now on. `why` is logged. */
void apic_intercept_release(const char *why);

#endif
