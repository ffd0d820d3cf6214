/* The page pool over the reservation and the guest-RAM map (see arch/memory.h). Pure. */
#include "arch/memory.h"

#include "arch/bits.h"

#include <string.h>

void pool_init(struct page_pool *p, uint64_t base, uint64_t size)
{
	p->base = align_up(base, PAGE_SIZE);
	p->end = align_down(base + size, PAGE_SIZE);
	p->next = p->base;
	p->high_water = 0;
}

void *pool_alloc_pages(struct page_pool *p, size_t n)
{
	uint64_t bytes = (uint64_t)n * PAGE_SIZE;

	if (n == 0 || bytes / PAGE_SIZE != n || p->end - p->next < bytes)
		return NULL;
	void *v = (void *)(uintptr_t)p->next;
	p->next += bytes;
	p->high_water += n;
	/* Eight bytes a store: libefi's memset is a byte loop, and the launch zeroes
	 * hundreds of pages (measured in Bochs: 11.6M ticks of launch before, see README). */
	for (uint64_t *q = v, *end = (uint64_t *)((uint8_t *)v + bytes); q < end; q++)
		*q = 0;
	return v;
}

void *pool_alloc_page_cb(void *ctx, uint64_t *pa_out)
{
	void *v = pool_alloc_pages(ctx, 1);
	if (v)
		*pa_out = (uint64_t)(uintptr_t)v;
	return v;
}

size_t pool_pages_free_cb(void *ctx)
{
	const struct page_pool *p = ctx;
	return (size_t)((p->end - p->next) / PAGE_SIZE);
}

void *pool_phys_to_virt_cb(void *ctx, uint64_t pa)
{
	(void)ctx;
	return (void *)(uintptr_t)pa;
}

bool mem_ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

static void remove_at(struct mem_map *m, unsigned i)
{
	memmove(&m->r[i], &m->r[i + 1], (m->count - i - 1) * sizeof(m->r[0]));
	m->count--;
}

void mem_map_add(struct mem_map *m, uint64_t base, uint64_t size)
{
	if (size == 0 || base + size < base)
		return;
	uint64_t end = base + size;
	unsigned i = 0;
	while (i < m->count) { /* absorb every range that touches [base, end) */
		uint64_t rb = m->r[i].base, re = m->r[i].base + m->r[i].size;
		if (rb <= end && base <= re) {
			base = rb < base ? rb : base;
			end = re > end ? re : end;
			remove_at(m, i);
			continue;
		}
		i++;
	}
	if (m->count == MEM_MAP_MAX) {
		m->truncated = true;
		return;
	}
	for (i = 0; i < m->count && m->r[i].base < base; i++)
		;
	memmove(&m->r[i + 1], &m->r[i], (m->count - i) * sizeof(m->r[0]));
	m->r[i] = (struct mem_range){ base, end - base };
	m->count++;
}

bool mem_map_contains(const struct mem_map *m, uint64_t base, uint64_t size)
{
	if (size == 0 || base + size < base)
		return false;
	for (unsigned i = 0; i < m->count; i++)
		if (base >= m->r[i].base && base + size <= m->r[i].base + m->r[i].size)
			return true;
	return false;
}

uint64_t mem_map_top(const struct mem_map *m)
{
	return m->count ? m->r[m->count - 1].base + m->r[m->count - 1].size : 0;
}
