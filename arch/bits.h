/* Mask-and-shift helpers for hardware words. Pure; used by every decoder.
 * No C bitfields over hardware words: their layout is implementation-defined. */
#ifndef VMXRAY_ARCH_BITS_H
#define VMXRAY_ARCH_BITS_H
#include <stdbool.h>
#include <stdint.h>

#define BIT(n) (1ULL << (n))

/* Mask of bits hi..lo inclusive (hi >= lo, hi <= 63). */
static inline uint64_t bits_mask(unsigned hi, unsigned lo)
{
	return ((hi - lo) >= 63 ? ~0ULL : ((1ULL << (hi - lo + 1)) - 1)) << lo;
}

/* Value of bits hi..lo of v, shifted down to bit 0. */
static inline uint64_t bits_get(uint64_t v, unsigned hi, unsigned lo)
{
	return (v & bits_mask(hi, lo)) >> lo;
}

static inline bool bit_test(uint64_t v, unsigned n)
{
	return (v >> n) & 1;
}

static inline uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static inline uint64_t align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

static inline bool is_aligned(uint64_t v, uint64_t a)
{
	return (v & (a - 1)) == 0;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)
#define PAGE_SIZE 4096ULL

#endif
