/* Reading a fuzzer's input as a stream of integers and byte strings. Past the end every
 * read gives zeros, so a harness never has to check lengths: a short input is simply a
 * state with many zero fields. Header-only, for the harnesses in tests/fuzz/. */
#ifndef VMXRAY_TESTS_FUZZ_INPUT_H
#define VMXRAY_TESTS_FUZZ_INPUT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fz {
	const uint8_t *p;
	size_t n;
};

static inline struct fz fz_start(const uint8_t *data, size_t size)
{
	return (struct fz){ data, size };
}

static inline bool fz_empty(const struct fz *f)
{
	return f->n == 0;
}

/* Copies up to n bytes into out, zero-filling what the input lacks. */
static inline void fz_bytes(struct fz *f, void *out, size_t n)
{
	size_t take = n < f->n ? n : f->n;

	memcpy(out, f->p, take);
	memset((uint8_t *)out + take, 0, n - take);
	f->p += take;
	f->n -= take;
}

static inline uint8_t fz_u8(struct fz *f)
{
	uint8_t v;

	fz_bytes(f, &v, 1);
	return v;
}

static inline uint16_t fz_u16(struct fz *f)
{
	uint16_t v;

	fz_bytes(f, &v, 2);
	return v;
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint32_t v;

	fz_bytes(f, &v, 4);
	return v;
}

static inline uint64_t fz_u64(struct fz *f)
{
	uint64_t v;

	fz_bytes(f, &v, 8);
	return v;
}

static inline bool fz_bool(struct fz *f)
{
	return fz_u8(f) & 1;
}

/* A value below bound (bound > 0). */
static inline uint32_t fz_below(struct fz *f, uint32_t bound)
{
	return fz_u32(f) % bound;
}

#endif
