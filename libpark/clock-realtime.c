/*
 * Monotonic deadlines for waits that only take a CLOCK_REALTIME one: the
 * sem sleeper without sem_clockwait(), the condvar sleeper without
 * pthread_condattr_setclock(). Such a wait can end early (the wall clock
 * jumped forward) or late (it jumped back); the caller re-checks the
 * monotonic deadline after a timeout, so only "late" remains, by the size
 * of the jump.
 */
#include "config.h"

#include "park-internal.h"

#define NSEC_PER_SEC 1000000000LL
#define MAX_WAIT_SEC (24 * 3600LL)

void park__clock_realtime_deadline(const struct timespec *deadline,
				   struct timespec *realtime)
{
	int64_t left = park__clock_remaining_ns(deadline);
	clock_gettime(CLOCK_REALTIME, realtime);
	/* At most a day at a time, so the sum fits any time_t (32 bits
	 * included); a wait that ends at the cap re-checks and waits again. */
	int64_t sec = left / NSEC_PER_SEC;
	if (sec >= MAX_WAIT_SEC) {
		sec = MAX_WAIT_SEC;
		left = sec * NSEC_PER_SEC;
	}
	realtime->tv_sec += (time_t)sec;
	realtime->tv_nsec += (long)(left % NSEC_PER_SEC);
	if (realtime->tv_nsec >= NSEC_PER_SEC) {
		realtime->tv_sec++;
		realtime->tv_nsec -= NSEC_PER_SEC;
	}
}
