/* A fake hardware edge for the GDB stub's protocol core (vmx/debug/gdb_stub.h): a
 * scripted wire, a set of vCPUs, 16 pages of guest-physical memory with vmxray's own
 * pages among them, and the EPT permissions the stub asks for. Used by
 * tests/unit/test_gdb_stub.c and tests/fuzz/fuzz_gdb_stub.c. */
#ifndef VMXRAY_TESTS_GDB_FAKE_H
#define VMXRAY_TESTS_GDB_FAKE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmx/debug/gdb_stub.h"

#define FAKE_PAGES 16
#define FAKE_MEM (FAKE_PAGES * 4096)
#define FAKE_APIC_PAGE 0xF000ULL

struct gdb_fake {
	const uint8_t *in;     /* what gdb sends */
	size_t in_len, in_pos;
	char out[65536];       /* what the stub sent */
	size_t out_len;
	unsigned pauses;       /* waits for input that never came */
	unsigned cpus;
	bool alive[4];
	uint8_t mem[FAKE_MEM];
	bool owned[FAKE_PAGES];
	unsigned ept[FAKE_PAGES];  /* current permissions per page */
	unsigned ept_sets;
	unsigned detached;
	char mon[128];            /* the last edge monitor call */
};
extern struct gdb_fake fake;

/* Fresh state: 2 live vCPUs, memory zero, no owned page, every page RWX (the APIC page
 * read+execute), the core reset. */
void fake_reset(void);
/* The core's paging for vCPU cpu: paging off (CR0.PG = 0) or 4-level paging rooted at
 * cr3, entries read from the fake memory. */
void fake_paging(unsigned cpu, bool paging, uint64_t cr3);
void fake_input(const uint8_t *in, size_t n);

#endif
