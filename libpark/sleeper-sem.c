/*
 * The async-signal-safe portable sleeper: a POSIX unnamed semaphore per
 * parker. unpark posts it after its swap read PARKED_CONDVAR, and sem_post
 * is async-signal-safe, so unpark may run in a signal handler, also one
 * that interrupted this parker's own thread in the middle of its park (a
 * mutex there would deadlock). The semaphore counts: a post made while the
 * parker is between its state change and its wait makes the wait return at
 * once, and a post left over from an earlier park is one spurious wake,
 * which park__sleeper_settle() sends back to sleep.
 */
#include "config.h"

#include "park-internal.h"

#include <errno.h>

const char park__sleeper_name[] = "sem";

int park__sleeper_init(struct park_parker *p)
{
	if (PARK_FAULT_OR(PARK_FAULT_SLEEPER_INIT, (errno = ENOMEM, -1),
			  sem_init(&p->sem, 0, 0)) < 0)
		return -errno;
	return 0;
}

void park__sleeper_destroy(struct park_parker *p)
{
	sem_destroy(&p->sem);
}

/* Returns true when the monotonic deadline passed. EINTR (a signal
 * handler ran in this thread) and a stale post are spurious wakes. */
static bool sem_wait_until(struct park_parker *p,
			   const struct timespec *deadline)
{
	if (!deadline) {
		sem_wait(&p->sem);
		return false;
	}
#ifdef HAVE_SEM_CLOCKWAIT
	return sem_clockwait(&p->sem, CLOCK_MONOTONIC, deadline) < 0 &&
	       errno == ETIMEDOUT;
#else
	/* Only a CLOCK_REALTIME deadline: a timeout is believed only when
	 * the monotonic deadline has passed too. */
	struct timespec realtime;
	park__clock_realtime_deadline(deadline, &realtime);
	return sem_timedwait(&p->sem, &realtime) < 0 && errno == ETIMEDOUT &&
	       park__clock_remaining_ns(deadline) == 0;
#endif
}

int park__sleeper_park(struct park_parker *p, const struct timespec *deadline)
{
	int r = park__sleeper_enter(p);
	while (r == 0)
		r = park__sleeper_settle(p, sem_wait_until(p, deadline));
	/* Posts for this park that it did not wait for (it left by a
	 * timeout, or by EINTR and a look at the word): drop them, so they
	 * do not pile up as spurious wakes. None can be for a later park:
	 * only an unpark that reads PARKED_CONDVAR posts, and this thread is
	 * the one that would have to write it. A post still in flight stays,
	 * one spurious wake at most per unparker. */
	while (sem_trywait(&p->sem) == 0)
		;
	return r;
}

void park__sleeper_wake(struct park_parker *p)
{
	int saved = errno;
	sem_post(&p->sem);
	errno = saved;
}
