/*
 * The portable sleeper: a mutex and a condition variable per parker. The
 * state changes happen under the mutex, and unpark takes and drops the
 * mutex before signalling, so a parker between its state change and its
 * wait cannot miss the signal.
 *
 * Because unpark takes a mutex, it is NOT async-signal-safe in this build:
 * a handler that unparks while its own thread holds the parker's mutex
 * deadlocks. Builds that have unnamed semaphores use the sem sleeper
 * instead (sleeper-sem.c); this one is for systems without them (macOS).
 *
 * Timed waits, by what the system has:
 *  - pthread_condattr_setclock: a CLOCK_MONOTONIC condvar, the absolute
 *    deadline as it is;
 *  - else pthread_cond_timedwait_relative_np (macOS): the time left,
 *    computed again before each wait;
 *  - else a CLOCK_REALTIME deadline (clock-realtime.c).
 * The last two re-check the monotonic deadline when the wait times out.
 */
#include "config.h"

#include "park-internal.h"

#include <errno.h>

const char park__sleeper_name[] = "condvar";

static int cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	int err = PARK_FAULT_OR(PARK_FAULT_SLEEPER_INIT, ENOMEM,
				pthread_condattr_init(&attr));
	if (err)
		return err;
#ifdef HAVE_PTHREAD_CONDATTR_SETCLOCK
	err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
#endif
	if (!err)
		err = pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
	return err;
}

int park__sleeper_init(struct park_parker *p)
{
	int err = cond_init(&p->cond);
	if (err)
		return -err;
	err = pthread_mutex_init(&p->mutex, NULL);
	if (err) {
		pthread_cond_destroy(&p->cond);
		return -err;
	}
	return 0;
}

void park__sleeper_destroy(struct park_parker *p)
{
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->mutex);
}

/* With the mutex held. Returns true when the monotonic deadline passed. */
static bool cond_wait_until(struct park_parker *p,
			    const struct timespec *deadline)
{
	if (!deadline) {
		pthread_cond_wait(&p->cond, &p->mutex);
		return false;
	}
#if defined(HAVE_PTHREAD_CONDATTR_SETCLOCK)
	return pthread_cond_timedwait(&p->cond, &p->mutex, deadline) ==
	       ETIMEDOUT;
#elif defined(HAVE_PTHREAD_COND_TIMEDWAIT_RELATIVE_NP)
	int64_t left = park__clock_remaining_ns(deadline);
	if (left == 0)
		return true;
	struct timespec rel = {
		.tv_sec = (time_t)(left / 1000000000),
		.tv_nsec = (long)(left % 1000000000),
	};
	return pthread_cond_timedwait_relative_np(&p->cond, &p->mutex,
						  &rel) == ETIMEDOUT &&
	       park__clock_remaining_ns(deadline) == 0;
#else
	struct timespec realtime;
	park__clock_realtime_deadline(deadline, &realtime);
	return pthread_cond_timedwait(&p->cond, &p->mutex, &realtime) ==
		   ETIMEDOUT &&
	       park__clock_remaining_ns(deadline) == 0;
#endif
}

int park__sleeper_park(struct park_parker *p, const struct timespec *deadline)
{
	pthread_mutex_lock(&p->mutex);
	int r = park__sleeper_enter(p);
	while (r == 0)
		r = park__sleeper_settle(p, cond_wait_until(p, deadline));
	pthread_mutex_unlock(&p->mutex);
	return r;
}

void park__sleeper_wake(struct park_parker *p)
{
	int saved = errno;
	pthread_mutex_lock(&p->mutex);
	pthread_mutex_unlock(&p->mutex);
	pthread_cond_signal(&p->cond);
	errno = saved;
}
