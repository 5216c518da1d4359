/*
 * The parker's state machine: EMPTY, PARKED_CONDVAR, PARKED_DRIVER,
 * NOTIFIED. Every transition of the state word is in this file, except the
 * sleeper's own wait (sleeper-*.c), which calls back into the two helpers
 * park__sleeper_enter() and park__sleeper_settle() below.
 *
 * All state operations are sequentially consistent, as in tokio's Parker; see
 * docs/design.md for why no wakeup is lost.
 */
#include "config.h"

#include "park-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *state_name(uint32_t state)
{
	static const char *const names[] = {"EMPTY", "PARKED_CONDVAR",
					    "PARKED_DRIVER", "NOTIFIED"};
	return state < 4 ? names[state] : "not a state";
}

void park__state_corrupt(const char *where, uint32_t state)
{
	fprintf(stderr,
		"libpark: %s found the parker in state %u (%s), which no "
		"code path can reach there: memory corruption or a libpark "
		"bug; aborting\n",
		where, (unsigned)state, state_name(state));
	abort();
}

/* Takes the token an unpark raced in with. A swap, not a store, so that
 * this thread acquires everything the unparker wrote before its swap.
 * Returns PARK_TOKEN, or 0 when a misusing park took it first. */
static int take_racing_token(struct park_parker *p, uint32_t seen,
			     const char *where)
{
	if (seen != PARK_STATE_NOTIFIED)
		park__state_corrupt(where, seen);
	uint32_t old = atomic_exchange(&p->state, PARK_STATE_EMPTY);
	if (old == PARK_STATE_NOTIFIED)
		return PARK_TOKEN;
	/* EMPTY: a thread parking on this parker without owning it took the
	 * token between our two reads; there is nothing left to take. */
	if (old != PARK_STATE_EMPTY)
		park__state_corrupt(where, old);
	return 0;
}

int park__sleeper_enter(struct park_parker *p)
{
	for (;;) {
		uint32_t seen = PARK_STATE_EMPTY;
		if (atomic_compare_exchange_strong(&p->state, &seen,
						   PARK_STATE_PARKED_CONDVAR))
			return 0;
		if (take_racing_token(p, seen, "sleeper park"))
			return PARK_TOKEN;
	}
}

int park__sleeper_settle(struct park_parker *p, bool timed_out)
{
	uint32_t seen = PARK_STATE_NOTIFIED;
	if (atomic_compare_exchange_strong(&p->state, &seen, PARK_STATE_EMPTY))
		return PARK_TOKEN;
	if (seen == PARK_STATE_EMPTY) {
		/* Token taken by a non-owning park (misuse): do not report
		 * it twice; wait for the next one. */
		if (timed_out)
			return PARK_TIMED_OUT;
		atomic_compare_exchange_strong(&p->state, &seen,
					       PARK_STATE_PARKED_CONDVAR);
		return 0;
	}
	if (seen != PARK_STATE_PARKED_CONDVAR)
		park__state_corrupt("sleeper wake-up", seen);
	if (timed_out && atomic_compare_exchange_strong(&p->state, &seen,
							PARK_STATE_EMPTY))
		return PARK_TIMED_OUT;
	/* Spurious wake, or an unpark raced the timeout: look again. */
	return 0;
}

static void count(_Atomic uint64_t *counter)
{
	/* Only the parking thread writes: no read-modify-write needed. */
	atomic_store_explicit(
	    counter, atomic_load_explicit(counter, memory_order_relaxed) + 1,
	    memory_order_relaxed);
}

/* Where a park that did not take the fast path ended, for its counter. */
enum park_path { PATH_OTHER, PATH_SLEEPER, PATH_SPIN };

static int count_result(struct park_parker *p, int r, enum park_path path)
{
	if (r < 0)
		return r;
	if (r & PARK_DRIVER)
		count(&p->parks_driver);
	else if (path == PATH_SLEEPER)
		count(&p->parks_sleeper);
	else if (path == PATH_SPIN)
		count(&p->parks_spin);
	switch (PARK_REASON(r)) {
	case PARK_TOKEN:
		count(&p->tokens);
		break;
	case PARK_TIMED_OUT:
		count(&p->timeouts);
		break;
	default:
		count(&p->spurious);
		break;
	}
	return r;
}

/* The fast path: a pending token, one compare-and-swap. */
static bool take_token(struct park_parker *p)
{
	uint32_t seen = PARK_STATE_NOTIFIED;
	return atomic_compare_exchange_strong(&p->state, &seen,
					      PARK_STATE_EMPTY);
}

/* Holding the driver lock; releases it. */
static int park_in_driver(struct park_parker *p, park_driver *d,
			  const struct timespec *deadline)
{
	/* Arm before publishing PARKED_DRIVER so a failure leaves the state
	 * untouched. */
	int r = park__driver_arm(d, deadline);
	if (r != 0) {
		park__driver_unlock(d);
		return r;
	}
	uint32_t seen = PARK_STATE_EMPTY;
	if (!atomic_compare_exchange_strong(&p->state, &seen,
					    PARK_STATE_PARKED_DRIVER)) {
		park__driver_disarm(d);
		park__driver_unlock(d);
		/* Nothing to take means a misusing park stole it: return
		 * as a driver park without a token may. */
		r = take_racing_token(p, seen, "driver park");
		return r != 0 ? r : PARK_EVENTS;
	}
	for (;;) {
		r = park__driver_run_once(d);
		/* libevent's clock may be coarse (and an adopted base's is
		 * whatever the application chose): a timer can fire before
		 * CLOCK_MONOTONIC reaches the deadline. Sleep out the rest,
		 * unless an unpark came meanwhile. */
		if (r != PARK_TIMED_OUT || !deadline ||
		    atomic_load(&p->state) != PARK_STATE_PARKED_DRIVER)
			break;
		r = park__driver_arm(d, deadline);
		if (r != 0)
			break;
	}
	uint32_t old = atomic_exchange(&p->state, PARK_STATE_EMPTY);
	park__driver_unlock(d);
	if (old == PARK_STATE_NOTIFIED)
		return PARK_TOKEN | PARK_DRIVER;
	if (old != PARK_STATE_PARKED_DRIVER && old != PARK_STATE_EMPTY)
		park__state_corrupt("driver wake-up", old);
	return r < 0 ? r : r | PARK_DRIVER;
}

/* Entry to every path that may run the driver or sleep. In this order:
 * re-entry from a callback of this driver (-EDEADLK, also on the parker
 * whose park runs that loop), a driver inherited through fork() and not
 * reinitialised (-ECHILD), a second thread on this parker (-EBUSY). On
 * success the caller owns the parker until it clears busy. */
static int claim(struct park_parker *p)
{
	if (park__driver_running_here(p->driver))
		return -EDEADLK;
	if (park__driver_forked(p->driver))
		return -ECHILD;
	if (atomic_exchange(&p->busy, 1))
		return -EBUSY;
	/* Written only when it changes (the first park after a fork), so the
	 * word's line is not dirtied on every park. */
	uint32_t generation = park__fork_generation();
	if (atomic_load_explicit(&p->generation, memory_order_relaxed) !=
	    generation)
		atomic_store_explicit(&p->generation, generation,
				      memory_order_relaxed);
	return 0;
}

/* How often a spin reads the clock: every so many pauses. */
#define SPIN_CLOCK_EVERY 8

/* Before sleeping on the sleeper: watch the word for a token until the
 * budget is spent or the deadline passes. The word stays EMPTY meanwhile,
 * so an unpark is one swap that wakes nobody, and the token is taken as
 * the fast path takes it (docs/design.md, "Spinning"). Returns PARK_TOKEN,
 * PARK_TIMED_OUT, or 0 to go on and sleep. */
static int spin(struct park_parker *p, const struct timespec *deadline)
{
	int64_t budget = atomic_load_explicit(&p->spin_ns, memory_order_relaxed);
	if (budget == 0)
		return 0;
	int done_by = 0;
	if (deadline) {
		int64_t left = park__clock_remaining_ns(deadline);
		if (left <= budget) {
			budget = left;
			done_by = PARK_TIMED_OUT;
		}
	}
	int64_t now = park__clock_now_ns();
	int64_t end = budget < INT64_MAX - now ? now + budget : INT64_MAX;
	do {
		for (int i = 0; i < SPIN_CLOCK_EVERY; i++) {
			if (atomic_load_explicit(&p->state, memory_order_relaxed) ==
				PARK_STATE_NOTIFIED &&
			    take_token(p))
				return PARK_TOKEN;
			park__cpu_relax();
		}
	} while (park__clock_now_ns() < end);
	return done_by;
}

/* Everything but the fast path and the zero-timeout poll. */
static int park_slow(struct park_parker *p, const struct timespec *deadline)
{
	park_driver *d = p->driver;
	int r = claim(p);
	if (r < 0)
		return r;
	enum park_path path = PATH_OTHER;
	if (park__driver_try_lock(d) == PARK_TRYLOCK_ACQUIRED) {
		r = park_in_driver(p, d, deadline);
	} else if ((r = spin(p, deadline)) != 0) {
		path = PATH_SPIN;
	} else {
		path = PATH_SLEEPER;
		r = park__sleeper_park(p, deadline);
	}
	atomic_store(&p->busy, 0);
	return count_result(p, r, path);
}

/* A zero timeout, as tokio's Parker has it: poll the driver if free; the
 * state is never touched, so a pending token stays pending. */
static int park_poll(struct park_parker *p)
{
	park_driver *d = p->driver;
	int r = claim(p);
	if (r < 0)
		return r;
	switch (park__driver_try_lock(d)) {
	case PARK_TRYLOCK_ACQUIRED:
		r = park__driver_poll(d);
		park__driver_unlock(d);
		if (r == 0)
			r = PARK_TIMED_OUT | PARK_DRIVER;
		break;
	case PARK_TRYLOCK_BUSY:
		r = PARK_TIMED_OUT;
		break;
	default:
		r = PARK_SHUTDOWN;
		break;
	}
	atomic_store(&p->busy, 0);
	return count_result(p, r, PATH_OTHER);
}

/* The entry points whose fast path is the whole call start on a cache line
 * of their own: the code of park's fast path (NULL check, busy read,
 * compare-and-swap, counter) is about 40 bytes, and where it straddled a
 * 64-byte boundary it ran a self_pair 12% slower through libpark.so, the
 * whole difference from a raw futex parker (docs/performance.md). */
#ifdef __GNUC__
#define PARK_FAST_ENTRY __attribute__((aligned(PARK_CACHE_LINE)))
#else
#define PARK_FAST_ENTRY
#endif

/* Takes a waiting token; 0 when there is none. busy set means a park is
 * in progress on this parker: another thread's, which gets -EBUSY instead
 * of stealing, or this thread's own, re-entered from a callback of the
 * loop it runs, which may take a token (it would not sleep) and otherwise
 * goes on to claim()'s -EDEADLK. */
static int park_fast(struct park_parker *p)
{
	if (atomic_load(&p->busy) && !park__driver_running_here(p->driver))
		return -EBUSY;
	if (!take_token(p))
		return 0;
	count(&p->tokens);
	return PARK_TOKEN;
}

PARK_FAST_ENTRY int park_parker_park(park_parker *p)
{
	if (!p)
		return -EINVAL;
	int r = park_fast(p);
	return r != 0 ? r : park_slow(p, NULL);
}

PARK_FAST_ENTRY int park_parker_park_timeout(park_parker *p, int64_t timeout_ns)
{
	if (!p || timeout_ns < 0)
		return -EINVAL;
	if (timeout_ns == 0)
		return park_poll(p);
	int r = park_fast(p);
	if (r != 0)
		return r;
	struct timespec deadline;
	bool bounded = park__clock_deadline(timeout_ns, &deadline);
	return park_slow(p, bounded ? &deadline : NULL);
}

PARK_FAST_ENTRY int park_parker_park_until(park_parker *p, const struct timespec *deadline)
{
	if (!p || !deadline || !park__clock_valid(deadline))
		return -EINVAL;
	int r = park_fast(p);
	if (r != 0)
		return r;
	int64_t remaining = park__clock_remaining_ns(deadline);
	if (remaining == 0)
		return count_result(p, PARK_TIMED_OUT, PATH_OTHER);
	return park_slow(p, remaining == INT64_MAX ? NULL : deadline);
}

/* A state copied by fork() from a parent whose thread was parked: that
 * thread is not in this process, and its sleeper or wake channel may be
 * the parent's. The token is recorded in the word; nothing is woken. */
static bool parked_in_this_process(struct park_parker *p)
{
	return atomic_load_explicit(&p->generation, memory_order_relaxed) ==
	       park__fork_generation();
}

PARK_FAST_ENTRY int park_unparker_unpark(const park_unparker *u)
{
	if (!u)
		return -EINVAL;
	struct park_parker *p = (struct park_parker *)u;
	uint32_t old = atomic_exchange(&p->state, PARK_STATE_NOTIFIED);
	switch (old) {
	case PARK_STATE_EMPTY:
	case PARK_STATE_NOTIFIED:
		return 0;
	case PARK_STATE_PARKED_CONDVAR:
		if (!parked_in_this_process(p))
			return 0;
		park__sleeper_wake(p);
		return 0;
	case PARK_STATE_PARKED_DRIVER:
		if (!parked_in_this_process(p))
			return 0;
		return park__driver_wake(p->driver);
	default:
		park__state_corrupt("unpark", old);
	}
}

static park_parker *parker_new(park_driver *d)
{
	park_parker *p = PARK_FAULT_OR(PARK_FAULT_ALLOC, NULL,
				       aligned_alloc(PARK_CACHE_LINE, sizeof *p));
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	memset(p, 0, sizeof *p);
	atomic_init(&p->state, PARK_STATE_EMPTY);
	atomic_init(&p->refs, 1);
	int err = park__sleeper_init(p);
	if (err < 0) {
		free(p);
		errno = -err;
		return NULL;
	}
	p->driver = park_driver_ref(d);
	return p;
}

park_parker *park_parker_new(park_driver *d)
{
	if (!d) {
		errno = EINVAL;
		return NULL;
	}
	return parker_new(d);
}

park_parker *park_parker_clone(const park_parker *p)
{
	if (!p) {
		errno = EINVAL;
		return NULL;
	}
	park_parker *clone = parker_new(p->driver);
	if (clone)
		atomic_store_explicit(&clone->spin_ns, park_parker_get_spin(p),
				      memory_order_relaxed);
	return clone;
}

int park_parker_set_spin(park_parker *p, int64_t spin_ns)
{
	if (!p || spin_ns < 0)
		return -EINVAL;
	atomic_store_explicit(&p->spin_ns, spin_ns, memory_order_relaxed);
	return 0;
}

int64_t park_parker_get_spin(const park_parker *p)
{
	if (!p)
		return -EINVAL;
	return atomic_load_explicit(&p->spin_ns, memory_order_relaxed);
}

park_driver *park_parker_get_driver(const park_parker *p)
{
	if (!p) {
		errno = EINVAL;
		return NULL;
	}
	return p->driver;
}

static struct park_parker *parker_ref(struct park_parker *p)
{
	if (!p) {
		errno = EINVAL;
		return NULL;
	}
	atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	return p;
}

static void parker_unref(struct park_parker *p)
{
	if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (atomic_load(&p->idle_hold))
		park__idle_release(p);
	/* Still busy at the last reference: a thread of the parent was in a
	 * park when this process forked. The copied sleeper may count that
	 * thread as a waiter (a condition variable would wait for it for ever
	 * in its destroy), so it is freed with the memory, not destroyed. */
	if (!atomic_load(&p->busy) || parked_in_this_process(p))
		park__sleeper_destroy(p);
	park_driver_unref(p->driver);
	free(p);
}

void park_parker_unref(park_parker *p)
{
	if (p)
		parker_unref(p);
}

park_parker *park_parker_ref(park_parker *p)
{
	return parker_ref(p);
}

/* An unparker is a reference to its parker's allocation: it keeps the
 * state word alive, and through the parker the driver it wakes. */
park_unparker *park_unparker_new(park_parker *p)
{
	return (park_unparker *)parker_ref(p);
}

park_unparker *park_unparker_ref(park_unparker *u)
{
	return (park_unparker *)parker_ref((struct park_parker *)u);
}

void park_unparker_unref(park_unparker *u)
{
	if (u)
		parker_unref((struct park_parker *)u);
}

int park_parker_get_stats(const park_parker *p, struct park_stats *stats)
{
	if (!p || !stats || stats->size < sizeof stats->size)
		return -EINVAL;
	struct park_stats now = {
	    .size = sizeof now,
	    .parks_driver = atomic_load_explicit(&p->parks_driver,
						 memory_order_relaxed),
	    .parks_sleeper = atomic_load_explicit(&p->parks_sleeper,
						  memory_order_relaxed),
	    .tokens = atomic_load_explicit(&p->tokens, memory_order_relaxed),
	    .timeouts = atomic_load_explicit(&p->timeouts,
					     memory_order_relaxed),
	    .spurious = atomic_load_explicit(&p->spurious,
					     memory_order_relaxed),
	    .parks_spin = atomic_load_explicit(&p->parks_spin,
					       memory_order_relaxed),
	};
	park__stats_copy(stats, &now, sizeof now);
	return 0;
}

/* An older caller gets the prefix it knows; a newer caller learns from
 * .size how much this library filled. Only whole counters: a size that
 * ends inside one stops before it. */
void park__stats_copy(void *out, const void *now, size_t now_size)
{
	size_t n;
	memcpy(&n, out, sizeof n);
	if (n > now_size)
		n = now_size;
	n = sizeof n + (n - sizeof n) / sizeof(uint64_t) * sizeof(uint64_t);
	memcpy((char *)out + sizeof n, (const char *)now + sizeof n,
	       n - sizeof n);
	memcpy(out, &n, sizeof n);
}
