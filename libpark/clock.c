/*
 * CLOCK_MONOTONIC arithmetic for timeouts and deadlines. Callers pass any
 * int64_t and any valid timespec (tv_sec from INT64_MIN to INT64_MAX), so
 * every sum and difference here saturates instead of overflowing.
 */
#include "config.h"

#include "park-internal.h"

#define NSEC_PER_SEC 1000000000LL
/* Deadlines further out than this are treated as "never": no one waits a
 * century. */
#define FAR_FUTURE_SEC (100LL * 365 * 24 * 3600)
/* time_t is 32 bits on some systems; a timeval or timespec never gets
 * more than it holds. */
#define TIME_T_MAX (sizeof(time_t) < sizeof(int64_t) ? (int64_t)INT32_MAX \
						     : INT64_MAX)

static void monotonic_now(struct timespec *now)
{
	clock_gettime(CLOCK_MONOTONIC, now);
}

/* a - b, clamped to the int64_t range. */
static int64_t sub_saturating(int64_t a, int64_t b)
{
	if (b < 0 && a > INT64_MAX + b)
		return INT64_MAX;
	if (b > 0 && a < INT64_MIN + b)
		return INT64_MIN;
	return a - b;
}

bool park__clock_valid(const struct timespec *ts)
{
	return ts->tv_nsec >= 0 && ts->tv_nsec < NSEC_PER_SEC;
}

bool park__clock_deadline(int64_t timeout_ns, struct timespec *deadline)
{
	int64_t sec = timeout_ns / NSEC_PER_SEC;
	if (sec > FAR_FUTURE_SEC)
		return false;
	monotonic_now(deadline);
	/* One second of room for the carry below. */
	if (sec > sub_saturating(TIME_T_MAX - 1, (int64_t)deadline->tv_sec))
		return false;
	deadline->tv_sec = (time_t)((int64_t)deadline->tv_sec + sec);
	deadline->tv_nsec += (long)(timeout_ns % NSEC_PER_SEC);
	if (deadline->tv_nsec >= NSEC_PER_SEC) {
		deadline->tv_sec++;
		deadline->tv_nsec -= NSEC_PER_SEC;
	}
	return true;
}

int64_t park__clock_remaining_ns(const struct timespec *deadline)
{
	struct timespec now;
	monotonic_now(&now);
	int64_t sec = sub_saturating((int64_t)deadline->tv_sec,
				     (int64_t)now.tv_sec);
	if (sec < 0)
		return 0;
	if (sec > FAR_FUTURE_SEC)
		return INT64_MAX;
	/* At most a century of nanoseconds plus one second: no overflow. */
	int64_t ns = sec * NSEC_PER_SEC + (deadline->tv_nsec - now.tv_nsec);
	return ns > 0 ? ns : 0;
}

void park__clock_timeval(int64_t ns, struct timeval *tv)
{
	/* Round up: waking a microsecond early would report a timeout that
	 * has not happened yet. */
	int64_t us = ns / 1000 + (ns % 1000 != 0);
	int64_t sec = us / 1000000;
	if (sec > TIME_T_MAX) {
		tv->tv_sec = (time_t)TIME_T_MAX;
		tv->tv_usec = 999999;
		return;
	}
	tv->tv_sec = (time_t)sec;
	tv->tv_usec = (suseconds_t)(us % 1000000);
}

int64_t park__clock_now_ns(void)
{
	struct timespec now;
	monotonic_now(&now);
	return (int64_t)now.tv_sec * NSEC_PER_SEC + now.tv_nsec;
}
