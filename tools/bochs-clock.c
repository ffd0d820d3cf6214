/*
 * bochs-clock.so: a fixed host clock for Bochs 2.7 (LD_PRELOAD by tools/run), so that a run
 * with "clock: sync=none" repeats to the tick.
 *
 * Bochs reads the host's clock in three places (found with gdb breakpoints on every clock
 * call of /usr/bin/bochs-bin and its plugins; none other was hit in a boot):
 *   - BX_CPU_C::BX_CPU_C calls srand(time(NULL)), and RDRAND/RDSEED return bytes of the C
 *     library's rand() (cpu/rdrand.cc): the guest's random numbers (OVMF's RNG protocol, the
 *     kernel's EFI-stub seed and entropy pool) change with the second Bochs started in;
 *   - the CMOS clock starts at time(NULL) (clock: time0=local, the default);
 *   - the "realtime" virtual timers (bx_virt_timer_c::timer_handler) advance by
 *     gettimeofday(), about 30 times per host second. They do not reach the guest: a
 *     2-CPU Linux boot with time() fixed alone took the same ticks and printed the same
 *     serial log as one with both fixed (README, Benchmarks); fixed anyway, so that no
 *     host input is left.
 * Here time() is one fixed second (VMXRAY_BOCHS_TIME, default 2026-01-01 00:00:00 UTC), and
 * gettimeofday() starts there and advances by a fixed 10 ms per call, so that every call
 * sees the same value in every run. Nothing else in Bochs asks the host for the time.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#define DEFAULT_EPOCH 1767225600LL /* 2026-01-01 00:00:00 UTC */
#define USEC_PER_CALL 10000LL

static long long epoch(void)
{
	static long long e = -1;
	if (e < 0) {
		const char *s = getenv("VMXRAY_BOCHS_TIME");
		char *end;
		long long v = s ? strtoll(s, &end, 10) : -1;
		e = (s && *s && !*end && v >= 0) ? v : DEFAULT_EPOCH;
	}
	return e;
}

time_t time(time_t *t)
{
	time_t v = (time_t)epoch();
	if (t)
		*t = v;
	return v;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	static uint64_t calls;
	uint64_t n = __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
	long long us = epoch() * 1000000LL + (long long)n * USEC_PER_CALL;
	(void)tz;
	tv->tv_sec = (time_t)(us / 1000000LL);
	tv->tv_usec = (suseconds_t)(us % 1000000LL);
	return 0;
}
