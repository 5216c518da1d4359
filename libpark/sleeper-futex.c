/*
 * The Linux sleeper: a futex on the parker's state word itself. No mutex is
 * needed because the kernel compares the word with PARKED_CONDVAR and
 * sleeps atomically: an unpark that swapped in NOTIFIED before the wait
 * makes the wait return at once.
 */
#include "config.h"

#include "park-internal.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

const char park__sleeper_name[] = "futex";

/* Nothing to set up: the state word is the futex. The fault point stands
 * for the setup other sleepers have, so the callers' failure path is
 * tested on this build too. */
int park__sleeper_init(struct park_parker *p)
{
	(void)p;
	return PARK_FAULT_OR(PARK_FAULT_SLEEPER_INIT, -ENOMEM, 0);
}

void park__sleeper_destroy(struct park_parker *p)
{
	(void)p;
}

/* Returns true when the deadline passed. */
static bool futex_wait(struct park_parker *p, const struct timespec *deadline)
{
	/* WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline, so a
	 * spurious wake does not stretch the total sleep. */
	long rc = syscall(SYS_futex, &p->state, FUTEX_WAIT_BITSET_PRIVATE,
			  PARK_STATE_PARKED_CONDVAR, deadline, NULL,
			  FUTEX_BITSET_MATCH_ANY);
	return rc < 0 && errno == ETIMEDOUT;
}

int park__sleeper_park(struct park_parker *p, const struct timespec *deadline)
{
	int r = park__sleeper_enter(p);
	while (r == 0)
		r = park__sleeper_settle(p, futex_wait(p, deadline));
	return r;
}

/* A raw system call and nothing else: async-signal-safe. */
void park__sleeper_wake(struct park_parker *p)
{
	int saved = errno;
	syscall(SYS_futex, &p->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	errno = saved;
}
