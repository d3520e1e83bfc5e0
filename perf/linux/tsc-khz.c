/*
 * The host's TSC frequency in kHz, measured against CLOCK_MONOTONIC_RAW
 * over 200 ms: refvmm's guests read the host's TSC (plus an offset), so
 * this is the value for the guest kernel's tsc_early_khz=. Linux's own
 * calibration against the PIT needs thousands of port reads within
 * 10 ms (pit_calibrate_tsc's loop minimum), which emulated port I/O
 * cannot give. Runs on the host, never in the guest.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

static uint64_t ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(void)
{
	const struct timespec wait = {.tv_nsec = 200000000};
	uint64_t t0, t1, c0, c1;

	t0 = ns_now();
	c0 = __rdtsc();
	nanosleep(&wait, NULL);
	t1 = ns_now();
	c1 = __rdtsc();
	if (t1 <= t0 || c1 <= c0) {
		fprintf(stderr, "tsc-khz: the clock or the TSC did not move\n");
		return 1;
	}
	printf("%llu\n", (unsigned long long)((c1 - c0) * 1000000ull / (t1 - t0)));
	return 0;
}
