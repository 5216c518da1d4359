/* CLOCK_MONOTONIC arithmetic for timeouts and deadlines. */
#include "config.h"

#include "park-internal.h"

#define NSEC_PER_SEC 1000000000LL
/* Deadlines further out than this are treated as "never": no one waits a
 * century, and it keeps every sum below far from overflowing time_t. */
#define FAR_FUTURE_SEC (100LL * 365 * 24 * 3600)

static void park__clock_now(struct timespec *now)
{
	clock_gettime(CLOCK_MONOTONIC, now);
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
	park__clock_now(deadline);
	deadline->tv_sec += sec;
	deadline->tv_nsec += timeout_ns % NSEC_PER_SEC;
	if (deadline->tv_nsec >= NSEC_PER_SEC) {
		deadline->tv_sec++;
		deadline->tv_nsec -= NSEC_PER_SEC;
	}
	return true;
}

int64_t park__clock_remaining_ns(const struct timespec *deadline)
{
	struct timespec now;
	park__clock_now(&now);
	int64_t sec = (int64_t)deadline->tv_sec - (int64_t)now.tv_sec;
	if (sec < 0)
		return 0;
	if (sec > FAR_FUTURE_SEC)
		return INT64_MAX;
	int64_t ns = sec * NSEC_PER_SEC + (deadline->tv_nsec - now.tv_nsec);
	return ns > 0 ? ns : 0;
}

int64_t park__clock_now_ns(void)
{
	struct timespec now;
	park__clock_now(&now);
	return (int64_t)now.tv_sec * NSEC_PER_SEC + now.tv_nsec;
}
