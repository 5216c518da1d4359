/*
 * The idle set: the parkers of one driver that wait for work, so that a
 * producer can wake exactly one of them. Two intrusive lists under one
 * mutex, both holding a reference to each parker on them:
 *
 *   idle   parkers that joined and were not taken, newest first (LIFO);
 *          `count` is its length, readable without the lock;
 *   woken  parkers an unpark took, until their owner leaves or parks.
 *
 * A parker's idle_set stays set until its owner leaves (or parks), so
 * "taken" and "never joined" can be told apart; the woken list lets the
 * set's last unref reach and release every parker that still points at it.
 *
 * No lost job (docs/design.md): join increments `count` with a sequentially
 * consistent read-modify-write before the worker looks at its work source
 * again; a producer publishes work, then unpark_one loads `count` (seq_cst).
 * One of the two sees the other.
 */
#include "config.h"

#include "park-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* --- the two lists (lock held) ------------------------------------------- */

static void list_push(struct park_parker **head, struct park_parker *p)
{
	p->idle_prev = NULL;
	p->idle_next = *head;
	if (*head)
		(*head)->idle_prev = p;
	*head = p;
}

static void list_remove(struct park_parker **head, struct park_parker *p)
{
	if (p->idle_prev)
		p->idle_prev->idle_next = p->idle_next;
	else
		*head = p->idle_next;
	if (p->idle_next)
		p->idle_next->idle_prev = p->idle_prev;
	p->idle_prev = p->idle_next = NULL;
}

/* Keep the driver served: the newest idle parker that is not asleep in
 * the driver, else the driver's parker (the only idle one then: one
 * parker at a time holds the driver, so this looks at two at most). */
static struct park_parker *pick(park_idle *set)
{
	for (struct park_parker *p = set->idle; p; p = p->idle_next)
		if (atomic_load(&p->state) != PARK_STATE_PARKED_DRIVER)
			return p;
	return set->idle;
}

/* Moves p from the idle list to the woken list. */
static void take(park_idle *set, struct park_parker *p)
{
	list_remove(&set->idle, p);
	list_push(&set->woken, p);
	p->idle_taken = true;
	atomic_fetch_sub(&set->count, 1);
}

/* Takes p off whichever list it is on and clears its membership; returns
 * whether it was still idle. The caller drops the set's reference. */
static bool forget(park_idle *set, struct park_parker *p)
{
	bool was_idle = !p->idle_taken;
	if (was_idle) {
		list_remove(&set->idle, p);
		atomic_fetch_sub(&set->count, 1);
	} else {
		list_remove(&set->woken, p);
		p->idle_taken = false;
	}
	atomic_store(&p->idle_set, NULL);
	return was_idle;
}

/* --- lifetime ------------------------------------------------------------- */

park_idle *park_idle_new(park_driver *driver)
{
	if (!driver) {
		errno = EINVAL;
		return NULL;
	}
	park_idle *set = PARK_FAULT_OR(PARK_FAULT_ALLOC, NULL,
				       aligned_alloc(PARK_CACHE_LINE,
						     sizeof *set));
	if (!set) {
		errno = ENOMEM;
		return NULL;
	}
	memset(set, 0, sizeof *set);
	int err = pthread_mutex_init(&set->lock, NULL);
	if (err) {
		free(set);
		errno = err;
		return NULL;
	}
	atomic_init(&set->count, 0);
	atomic_init(&set->refs, 1);
	set->driver = park_driver_ref(driver);
	return set;
}

park_idle *park_idle_ref(park_idle *set)
{
	if (!set) {
		errno = EINVAL;
		return NULL;
	}
	atomic_fetch_add_explicit(&set->refs, 1, memory_order_relaxed);
	return set;
}

/* Walks a list whose parkers may join another set as soon as idle_set is
 * cleared: read the link first, touch only state and refs after. */
static void release_list(struct park_parker *p, bool wake)
{
	while (p) {
		struct park_parker *next = p->idle_next;
		p->idle_prev = p->idle_next = NULL;
		p->idle_taken = false;
		atomic_store(&p->idle_set, NULL);
		if (wake)
			park_unparker_unpark((park_unparker *)p);
		park_parker_unref(p);
		p = next;
	}
}

/* Nobody else holds a reference, so no call on the set can run: its
 * members are released without the lock. Idle ones get a token, so none
 * sleeps for ever on a set nobody can reach. */
void park_idle_unref(park_idle *set)
{
	if (!set || atomic_fetch_sub_explicit(&set->refs, 1,
					      memory_order_acq_rel) != 1)
		return;
	release_list(set->idle, true);
	release_list(set->woken, false);
	pthread_mutex_destroy(&set->lock);
	park_driver_unref(set->driver);
	free(set);
}

/* --- the owner's calls ---------------------------------------------------- */

int park_idle_join(park_idle *set, park_parker *p)
{
	if (!set || !p || p->driver != set->driver)
		return -EINVAL;
	/* Only the owner makes idle_set non-NULL, so a NULL read here stays
	 * NULL until this join sets it. */
	if (atomic_load(&p->idle_set))
		return -EBUSY;
	park_parker_ref(p);
	pthread_mutex_lock(&set->lock);
	list_push(&set->idle, p);
	p->idle_taken = false;
	atomic_store(&p->idle_set, set);
	/* The store of the Dekker pair: see the top of this file. */
	atomic_fetch_add(&set->count, 1);
	pthread_mutex_unlock(&set->lock);
	return 0;
}

int park_idle_leave(park_idle *set, park_parker *p)
{
	if (!set || !p)
		return -EINVAL;
	pthread_mutex_lock(&set->lock);
	if (atomic_load(&p->idle_set) != set) {
		pthread_mutex_unlock(&set->lock);
		return -EINVAL;
	}
	bool was_idle = forget(set, p);
	pthread_mutex_unlock(&set->lock);
	park_parker_unref(p);
	return was_idle;
}

int park_idle_park(park_idle *set, park_parker *p, int64_t timeout_ns)
{
	if (!set || !p)
		return -EINVAL;
	park_idle *joined = atomic_load(&p->idle_set);
	if (joined && joined != set)
		return -EBUSY;
	bool joined_here = !joined;
	if (joined_here) {
		int err = park_idle_join(set, p);
		if (err < 0)
			return err;
	}
	int r = timeout_ns < 0 ? park_parker_park(p)
			       : park_parker_park_timeout(p, timeout_ns);
	/* -EBUSY: another thread is parking on p; the set is its business
	 * then, unless this call put p in it. */
	if (r != -EBUSY || joined_here)
		park_idle_leave(set, p);
	return r;
}

/* --- any thread ----------------------------------------------------------- */

static int unpark_one_slow(park_idle *set)
{
	pthread_mutex_lock(&set->lock);
	struct park_parker *p = pick(set);
	if (!p) {
		/* Another unpark took the last one between our load and
		 * the lock: that one wakes it, and it looks for work. */
		pthread_mutex_unlock(&set->lock);
		return 0;
	}
	take(set, p);
	/* The owner may leave and drop p as soon as the lock is released:
	 * keep it alive for the unpark, made outside the lock so that the
	 * woken thread does not wait for it. */
	park_parker_ref(p);
	pthread_mutex_unlock(&set->lock);
	int r = park_unparker_unpark((park_unparker *)p);
	park_parker_unref(p);
	return r < 0 ? r : 1;
}

int park_idle_unpark_one(park_idle *set)
{
	if (!set)
		return -EINVAL;
	/* The load of the Dekker pair: nobody idle costs this and nothing
	 * else. */
	if (atomic_load(&set->count) == 0)
		return 0;
	return unpark_one_slow(set);
}

/* Rare (shutdown, broadcast): the unparks are made under the lock, which
 * keeps every woken parker alive without a reference each. */
int park_idle_unpark_all(park_idle *set)
{
	if (!set)
		return -EINVAL;
	if (atomic_load(&set->count) == 0)
		return 0;
	int n = 0, err = 0;
	pthread_mutex_lock(&set->lock);
	struct park_parker *p;
	while ((p = set->idle)) {
		take(set, p);
		int r = park_unparker_unpark((park_unparker *)p);
		if (r < 0 && !err)
			err = r;
		n++;
	}
	pthread_mutex_unlock(&set->lock);
	return err < 0 ? err : n;
}

int park_idle_count(const park_idle *set)
{
	if (!set)
		return -EINVAL;
	return atomic_load(&set->count);
}
