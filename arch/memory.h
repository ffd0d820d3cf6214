/* Physical memory bookkeeping: a page pool over the reservation and the map of guest
 * RAM used to check hypercall buffers. Pure. */
#ifndef VMXRAY_ARCH_MEMORY_H
#define VMXRAY_ARCH_MEMORY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct page_pool {
	uint64_t base, end, next; /* physical == virtual (identity) */
	uint64_t high_water;      /* pages handed out, for the statistics */
};

void pool_init(struct page_pool *p, uint64_t base, uint64_t size);
/* n zeroed, 4 KiB-aligned pages, or NULL when the pool is exhausted. */
void *pool_alloc_pages(struct page_pool *p, size_t n);
/* struct page_alloc / struct ept_alloc compatible callback: ctx is a struct page_pool. */
void *pool_alloc_page_cb(void *ctx, uint64_t *pa_out);
void *pool_phys_to_virt_cb(void *ctx, uint64_t pa);
/* struct ept_alloc's pages_free: whole pages the pool can still give. */
size_t pool_pages_free_cb(void *ctx);

struct mem_range {
	uint64_t base, size;
};

#define MEM_MAP_MAX 128
struct mem_map {
	struct mem_range r[MEM_MAP_MAX];
	unsigned count;
	bool truncated;
};

/* Adds [base, base+size) and merges it with adjacent or overlapping ranges (kept sorted). */
void mem_map_add(struct mem_map *m, uint64_t base, uint64_t size);
/* True when [base, base+size) lies entirely inside one range (size 0 is never inside). */
bool mem_map_contains(const struct mem_map *m, uint64_t base, uint64_t size);
bool mem_ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen);
uint64_t mem_map_top(const struct mem_map *m);

#endif
