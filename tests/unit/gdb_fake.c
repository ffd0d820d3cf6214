/* A fake hardware edge for the GDB stub's protocol core: see tests/unit/gdb_fake.h. */
#include "tests/unit/gdb_fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/cr.h"
#include "ept/ept.h"

struct gdb_fake fake;

#define FAKE_PAUSE_MAX 1000 /* the stub waits for bytes the script does not hold */

static uint64_t fake_read(void *ctx, uint64_t gpa, unsigned size)
{
	uint64_t v = 0;
	(void)ctx;
	if (gpa + size <= FAKE_MEM)
		memcpy(&v, fake.mem + gpa, size);
	return v;
}

void fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.cpus = 2;
	fake.alive[0] = fake.alive[1] = true;
	for (unsigned i = 0; i < FAKE_PAGES; i++)
		fake.ept[i] = EPT_RWX;
	fake.ept[FAKE_APIC_PAGE / 4096] = EPT_READ | EPT_EXECUTE;
	gdb_core_reset();
	fake_paging(0, false, 0);
	fake_paging(1, false, 0);
}

void fake_paging(unsigned cpu, bool paging, uint64_t cr3)
{
	gdb_cpus[cpu].paging = (struct guest_paging){
		.cr0 = CR0_PE | (paging ? CR0_PG : 0),
		.cr3 = cr3,
		.cr4 = paging ? CR4_PAE : 0,
		.efer = paging ? (1ULL << 8) | (1ULL << 10) : 0, /* LME, LMA */
		.maxphyaddr = 40,
		.read = fake_read,
	};
}

void fake_input(const uint8_t *in, size_t n)
{
	fake.in = in;
	fake.in_len = n;
	fake.in_pos = 0;
}

bool gdb_edge_getc(uint8_t *c)
{
	if (fake.in_pos >= fake.in_len)
		return false;
	*c = fake.in[fake.in_pos++];
	return true;
}

void gdb_edge_write(const char *s, size_t n)
{
	if (fake.out_len + n >= sizeof(fake.out))
		abort(); /* the stub never says this much in one test */
	memcpy(fake.out + fake.out_len, s, n);
	fake.out_len += n;
	fake.out[fake.out_len] = '\0';
}

void gdb_edge_pause(void)
{
	if (++fake.pauses > FAKE_PAUSE_MAX) {
		fprintf(stderr, "gdb_fake: the stub waits for input the script does not have\n");
		abort();
	}
}

unsigned gdb_edge_cpu_count(void)
{
	return fake.cpus;
}

bool gdb_edge_cpu_alive(unsigned cpu)
{
	return cpu < fake.cpus && cpu < 4 && fake.alive[cpu];
}

volatile uint8_t *gdb_edge_gpa(uint64_t gpa)
{
	if (gpa >= FAKE_MEM || fake.owned[gpa / 4096])
		return NULL;
	return fake.mem + gpa;
}

bool gdb_edge_page_unguardable(uint64_t page)
{
	return page == FAKE_APIC_PAGE || (page < FAKE_MEM && fake.owned[page / 4096]);
}

unsigned gdb_edge_ept_normal(uint64_t page)
{
	return page == FAKE_APIC_PAGE ? EPT_READ | EPT_EXECUTE : EPT_RWX;
}

bool gdb_edge_ept_set(uint64_t page, unsigned perms)
{
	if (page >= FAKE_MEM)
		return false;
	fake.ept[page / 4096] = perms;
	fake.ept_sets++;
	return true;
}

void gdb_edge_mon_vmcs(unsigned self, unsigned cpu, gdb_emit_fn emit)
{
	snprintf(fake.mon, sizeof(fake.mon), "vmcs self=%u cpu=%u", self, cpu);
	emit(fake.mon);
}

void gdb_edge_mon_stats(gdb_emit_fn emit)
{
	snprintf(fake.mon, sizeof(fake.mon), "stats");
	emit(fake.mon);
}

void gdb_edge_mon_ept(uint64_t addr, uint64_t gpa, gdb_emit_fn emit)
{
	snprintf(fake.mon, sizeof(fake.mon), "ept addr=0x%llx gpa=0x%llx", (unsigned long long)addr,
		 (unsigned long long)gpa);
	emit(fake.mon);
}

void gdb_edge_detached(void)
{
	fake.detached++;
}
