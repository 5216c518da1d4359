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

int park_sleeper_init(struct park_parker *p)
{
	(void)p;
	return park_fault_hit(PARK_FAULT_SLEEPER_INIT) ? -ENOMEM : 0;
}

void park_sleeper_destroy(struct park_parker *p)
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

int park_sleeper_park(struct park_parker *p, const struct timespec *deadline)
{
	int r = park_sleeper_enter(p);
	while (r == 0)
		r = park_sleeper_settle(p, futex_wait(p, deadline));
	return r;
}

void park_sleeper_wake(struct park_parker *p)
{
	syscall(SYS_futex, &p->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}
