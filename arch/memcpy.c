/* memcpy and memset for the hypervisor image: string instructions, eight bytes a step.
 *
 * gnu-efi's libefi brings byte loops (init.o: five instructions a byte for memcpy, four for
 * memset). Copying vmxray's own image into its reservation took ~3 million instructions
 * that way; with REP MOVSQ/STOSQ (one instruction whose iterations the processor runs
 * itself; real processors with fast strings move a cache line at a time) that copy and
 * both library inits (boot/efi_io.c) took 144,256 Bochs ticks instead of 3,278,281.
 *
 * Defining them here keeps init.o out of the link: vmxray does not call InitializeLib
 * (boot/efi_io.c efi_lib_init sets what libefi needs). The in-guest programs still link
 * libefi's (they are not in this file's build). DF is clear on entry to every function
 * (System V ABI; UEFI's calling convention says the same). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	size_t q = n / 8, r = n % 8;

	__asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(q) : : "memory");
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(r) : : "memory");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	uint64_t v = 0x0101010101010101ull * (uint8_t)c;
	size_t q = n / 8, r = n % 8;

	__asm__ volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(v) : "memory");
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(r) : "a"(v) : "memory");
	return dst;
}
