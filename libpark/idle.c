/*
 * The idle set: the parkers of one driver that wait for work, so that a
 * producer can wake exactly one of them. Two intrusive lists under one
 * mutex:
 *
 *   idle   parkers that joined and were not taken, newest first (LIFO);
 *          its length is the low half of `counts`, readable without the
 *          lock;
 *   woken  parkers an unpark or a notify took, until their owner leaves
 *          or parks.
 *
 * The set holds a reference to every parker on the idle list and to those
 * unpark_one took. A parker notify took is on the woken list without one:
 * it is searching (the high half of `counts`) and holds the set's memory
 * instead (idle_hold), so that its owner may drop it at any point and its
 * last unref still ends the search (park__idle_release) rather than
 * leaving notify blocked by a searcher nobody owns.
 *
 * A parker's idle_set stays set until its owner leaves (or parks), so
 * "taken" and "never joined" can be told apart; the woken list lets the
 * set's last unref reach every parker that still points at it.
 *
 * No lost job (docs/design.md): join and the end of a search change
 * `counts` with a sequentially consistent read-modify-write before the
 * worker looks at its work source again; a producer publishes work, then
 * unpark_one or notify loads `counts` (seq_cst). One of the two sees the
 * other.
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

static int idle_of(uint64_t counts)
{
	return (int)(uint32_t)counts;
}

static int searching_of(uint64_t counts)
{
	return (int)(counts >> 32);
}

/* Moves p from the idle list to the woken list. A notify's take makes it
 * search, in the same read-modify-write that makes it not idle, and hands
 * the set's reference to the caller, who drops it after the unpark. */
static void take(park_idle *set, struct park_parker *p, bool notify)
{
	list_remove(&set->idle, p);
	list_push(&set->woken, p);
	p->idle_taken = true;
	if (!notify) {
		atomic_fetch_sub(&set->counts, 1);
		return;
	}
	p->idle_notified = true;
	p->idle_searching = true;
	atomic_fetch_add_explicit(&set->holds, 1, memory_order_relaxed);
	atomic_store(&p->idle_hold, set);
	atomic_fetch_add(&set->counts, PARK_IDLE_SEARCHER - 1);
}

/* Takes p off whichever list it is on and clears its membership; returns
 * whether it was still idle, and in *owned whether the set held a
 * reference to it (the caller drops it). */
static bool forget(park_idle *set, struct park_parker *p, bool *owned)
{
	bool was_idle = !p->idle_taken;
	*owned = true;
	if (was_idle) {
		list_remove(&set->idle, p);
		atomic_fetch_sub(&set->counts, 1);
	} else {
		list_remove(&set->woken, p);
		p->idle_taken = false;
		*owned = !p->idle_notified;
		p->idle_notified = false;
	}
	atomic_store(&p->idle_set, NULL);
	return was_idle;
}

/* Lock held: true when p's hold on set is over (left and not searching);
 * the caller drops it with hold_drop() after unlocking. */
static bool hold_over(park_idle *set, struct park_parker *p)
{
	if (atomic_load(&p->idle_hold) != set || p->idle_notified ||
	    p->idle_searching)
		return false;
	atomic_store(&p->idle_hold, NULL);
	return true;
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
	atomic_init(&set->counts, 0);
	atomic_init(&set->refs, 1);
	atomic_init(&set->holds, 1);
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

static void hold_drop(park_idle *set)
{
	if (atomic_fetch_sub_explicit(&set->holds, 1, memory_order_acq_rel) != 1)
		return;
	pthread_mutex_destroy(&set->lock);
	park_driver_unref(set->driver);
	free(set);
}

/* Lock held. Walks a list whose parkers may join another set as soon as
 * idle_set is cleared: read the link first. Idle ones get a token, so
 * none sleeps for ever on a set nobody can reach. Dropping a reference
 * here never re-enters the set: a parker it holds holds nothing of it. */
static void release_list(struct park_parker *p, bool wake)
{
	while (p) {
		struct park_parker *next = p->idle_next;
		bool owned = !p->idle_notified;
		p->idle_prev = p->idle_next = NULL;
		p->idle_taken = false;
		p->idle_notified = false;
		atomic_store(&p->idle_set, NULL);
		if (wake)
			park_unparker_unpark((park_unparker *)p);
		if (owned)
			park_parker_unref(p);
		p = next;
	}
}

/* Nobody else holds a reference, so no call on the set can run; the lock
 * is for the parkers that hold it (their last unref, or a join elsewhere,
 * ends their hold at any time). Searchers keep the memory, not the set:
 * nothing can notify it any more, and each search ends as usual. */
void park_idle_unref(park_idle *set)
{
	if (!set || atomic_fetch_sub_explicit(&set->refs, 1,
					      memory_order_acq_rel) != 1)
		return;
	pthread_mutex_lock(&set->lock);
	release_list(set->idle, true);
	release_list(set->woken, false);
	set->idle = set->woken = NULL;
	atomic_fetch_sub(&set->counts, (uint32_t)atomic_load(&set->counts));
	pthread_mutex_unlock(&set->lock);
	hold_drop(set);
}

/* --- the owner's calls ---------------------------------------------------- */

static int notify_slow(park_idle *set, int searchers);

void park__idle_release(struct park_parker *p)
{
	park_idle *set = atomic_load(&p->idle_hold);
	pthread_mutex_lock(&set->lock);
	bool last = false;
	if (p->idle_searching) {
		p->idle_searching = false;
		last = searching_of(atomic_fetch_sub(&set->counts,
						     PARK_IDLE_SEARCHER)) == 1;
	}
	if (p->idle_notified) {
		/* Dropped while taken and not left (the set's last unref
		 * clears idle_notified when it got there first). */
		bool owned;
		forget(set, p, &owned);
	}
	atomic_store(&p->idle_hold, NULL);
	pthread_mutex_unlock(&set->lock);
	/* The hold keeps the memory; a set nobody references has nobody
	 * idle, and notify returns at once. */
	if (last)
		notify_slow(set, 1);
	hold_drop(set);
}

int park_idle_join(park_idle *set, park_parker *p)
{
	if (!set || !p || p->driver != set->driver)
		return -EINVAL;
	/* Only the owner makes idle_set non-NULL, so a NULL read here stays
	 * NULL until this join sets it. */
	if (atomic_load(&p->idle_set))
		return -EBUSY;
	/* Not joined, so only this thread changes the hold now. A search in
	 * another set ends as if its owner dropped it: this thread will look
	 * at this set's work, not that one's. */
	park_idle *held = atomic_load(&p->idle_hold);
	if (held && held != set) {
		park__idle_release(p);
		held = NULL;
	}
	park_parker_ref(p);
	pthread_mutex_lock(&set->lock);
	list_push(&set->idle, p);
	p->idle_taken = false;
	atomic_store(&p->idle_set, set);
	uint64_t change = 1;
	if (held) {
		/* Its search ends here: the look that follows the join is
		 * the look a last searcher owes (docs/design.md). */
		if (p->idle_searching)
			change -= PARK_IDLE_SEARCHER;
		p->idle_searching = false;
		atomic_store(&p->idle_hold, NULL);
	}
	/* The store of the Dekker pairs: see the top of this file. */
	atomic_fetch_add(&set->counts, change);
	pthread_mutex_unlock(&set->lock);
	if (held)
		hold_drop(set);
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
	bool owned;
	bool was_idle = forget(set, p, &owned);
	bool over = hold_over(set, p);
	pthread_mutex_unlock(&set->lock);
	if (owned)
		park_parker_unref(p);
	if (over)
		hold_drop(set);
	return was_idle;
}

int park_idle_stop_searching(park_idle *set, park_parker *p)
{
	if (!set || !p || p->driver != set->driver)
		return -EINVAL;
	/* Only a notify of a joined parker sets the hold, and only the owner
	 * clears it: a parker that is not searching here costs this load. */
	if (atomic_load(&p->idle_hold) != set)
		return 0;
	pthread_mutex_lock(&set->lock);
	bool last = false;
	if (p->idle_searching) {
		p->idle_searching = false;
		/* The store of the pass-on's Dekker pair: a last searcher
		 * looks at the work source after it. */
		last = searching_of(atomic_fetch_sub(&set->counts,
						     PARK_IDLE_SEARCHER)) == 1;
	}
	bool over = hold_over(set, p);
	pthread_mutex_unlock(&set->lock);
	if (over)
		hold_drop(set);
	return last;
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
	take(set, p, false);
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
	if (idle_of(atomic_load(&set->counts)) == 0)
		return 0;
	return unpark_one_slow(set);
}

static int notify_slow(park_idle *set, int searchers)
{
	pthread_mutex_lock(&set->lock);
	uint64_t counts = atomic_load(&set->counts);
	if (searching_of(counts) >= searchers || idle_of(counts) == 0) {
		/* A searcher started or the last idle one went since the
		 * first load: the searchers pass the wake on, the one that
		 * went looks for work (docs/design.md). */
		pthread_mutex_unlock(&set->lock);
		return 0;
	}
	struct park_parker *p = pick(set);
	take(set, p, true);
	pthread_mutex_unlock(&set->lock);
	/* The set's reference to p is ours now: the owner may drop p as
	 * soon as the lock is released, and our unref then ends its search
	 * (park__idle_release), passing this wake on. */
	int r = park_unparker_unpark((park_unparker *)p);
	park_parker_unref(p);
	return r < 0 ? r : 1;
}

int park__idle_notify_below(park_idle *set, int searchers)
{
	/* The load of both Dekker pairs: nobody idle, or enough searching,
	 * costs this and nothing else. Skipping needs a searcher (searchers
	 * >= 1), which passes the wake on: the argument of notify holds. */
	uint64_t counts = atomic_load(&set->counts);
	if (searching_of(counts) >= searchers || idle_of(counts) == 0)
		return 0;
	return notify_slow(set, searchers);
}

int park_idle_notify(park_idle *set)
{
	if (!set)
		return -EINVAL;
	return park__idle_notify_below(set, 1);
}

/* Rare (shutdown, broadcast): the unparks are made under the lock, which
 * keeps every woken parker alive without a reference each. Those it wakes
 * do not search: it neither reads nor changes the searching count. */
int park_idle_unpark_all(park_idle *set)
{
	if (!set)
		return -EINVAL;
	if (idle_of(atomic_load(&set->counts)) == 0)
		return 0;
	int n = 0, err = 0;
	pthread_mutex_lock(&set->lock);
	struct park_parker *p;
	while ((p = set->idle)) {
		take(set, p, false);
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
	return idle_of(atomic_load(&set->counts));
}

int park_idle_searching(const park_idle *set)
{
	if (!set)
		return -EINVAL;
	return searching_of(atomic_load(&set->counts));
}
