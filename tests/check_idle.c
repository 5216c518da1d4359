/*
 * The idle set (park_idle_*), black box: every call, both rules of
 * unpark_one (the driver's parker last; otherwise the newest first) proved
 * through /proc, the join / re-check / park protocol under a hammer with
 * job accounting, the fast path's lack of system calls, and every error.
 * Built against the installed library, and per variant with the fault
 * points (PARK_WHITE_BOX) for the allocation failure.
 */
#include "config.h"

#include "helpers.h"
#ifdef PARK_WHITE_BOX
#include "park-internal.h"
#endif

#include <errno.h>
#include <event2/event.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static park_driver *driver;
static park_idle *set;

static void setup(void)
{
#ifdef PARK_WHITE_BOX
	park__fault_disarm();
#endif
	driver = park_driver_new();
	ck_assert_ptr_nonnull(driver);
	set = park_idle_new(driver);
	ck_assert_ptr_nonnull(set);
}

static void teardown(void)
{
	park_idle_unref(set);
	park_driver_unref(driver);
}

static bool under_valgrind(void)
{
	return getenv("PARK_UNDER_VALGRIND") != NULL;
}

/* --- a worker thread making park_idle_park calls ------------------------- */

struct idler {
	pthread_t thread;
	park_parker *parker;
	int64_t timeout_ns;
	_Atomic pid_t tid;
	/* Parks until a park returns something other than PARK_EVENTS
	 * (a driver event served: park again, as a pool worker would). */
	_Atomic int parks;
	int result;
};

static void *idler_main(void *arg)
{
	struct idler *t = arg;
	t->tid = current_tid();
	do {
		t->parks++;
		t->result = park_idle_park(set, t->parker, t->timeout_ns);
	} while (t->result == (PARK_EVENTS | PARK_DRIVER));
	return NULL;
}

static void idler_start(struct idler *t, park_parker *p, int64_t timeout_ns)
{
	t->parker = p;
	t->timeout_ns = timeout_ns;
	t->tid = 0;
	t->parks = 0;
	ck_assert_int_eq(pthread_create(&t->thread, NULL, idler_main, t), 0);
	while (t->tid == 0)
		usleep(100);
}

static void idler_start_in_driver(struct idler *t, park_parker *p)
{
	idler_start(t, p, -1);
	ck_assert_msg(wait_in_driver(t->tid), "idler never slept in the driver");
}

static void idler_start_on_sleeper(struct idler *t, park_parker *p)
{
	idler_start(t, p, -1);
	ck_assert_msg(wait_on_sleeper(t->tid, p),
		      "idler never slept on its sleeper");
}

static int idler_join(struct idler *t)
{
	ck_assert_int_eq(pthread_join(t->thread, NULL), 0);
	return t->result;
}

/* True once the thread has returned (its park ended). */
static bool idler_done(struct idler *t)
{
	return pthread_tryjoin_np(t->thread, NULL) == 0;
}

static bool wait_count(int want)
{
	for (int i = 0; i < 20000; i++) {
		if (park_idle_count(set) == want)
			return true;
		usleep(1000);
	}
	return false;
}

/* --- the calls, one thread ------------------------------------------------ */

START_TEST(test_new_ref_unref_count)
{
	ck_assert_int_eq(park_idle_count(set), 0);
	park_idle *again = park_idle_ref(set);
	ck_assert_ptr_eq(again, set);
	park_idle_unref(again);
	/* The set holds a reference to its driver: dropping the creator's
	 * first leaves nothing dangling (valgrind). */
	park_driver *d = park_driver_new();
	park_idle *s = park_idle_new(d);
	park_parker *p = park_parker_new(d);
	park_driver_unref(d);
	ck_assert_int_eq(park_idle_join(s, p), 0);
	ck_assert_int_eq(park_idle_count(s), 1);
	ck_assert_int_eq(park_idle_leave(s, p), 1);
	park_parker_unref(p);
	ck_assert_int_eq(park_idle_count(s), 0);
	park_idle_unref(s);
}
END_TEST

START_TEST(test_join_leave)
{
	park_parker *p = park_parker_new(driver);
	ck_assert_int_eq(park_idle_join(set, p), 0);
	ck_assert_int_eq(park_idle_count(set), 1);
	ck_assert_int_eq(park_idle_leave(set, p), 1);
	ck_assert_int_eq(park_idle_count(set), 0);
	/* Left: no token was made, and it may join again. */
	ck_assert_int_eq(PARK_REASON(park_parker_park_timeout(p, MS)),
			 PARK_TIMED_OUT);
	ck_assert_int_eq(park_idle_join(set, p), 0);
	ck_assert_int_eq(park_idle_leave(set, p), 1);
	park_parker_unref(p);
}
END_TEST

/* The lost-job case of the protocol: an unpark took the parker between
 * its join and its leave. The leave says so, and the token waits. */
START_TEST(test_leave_after_unpark_keeps_token)
{
	park_parker *p = park_parker_new(driver);
	ck_assert_int_eq(park_idle_join(set, p), 0);
	ck_assert_int_eq(park_idle_unpark_one(set), 1);
	ck_assert_int_eq(park_idle_count(set), 0);
	ck_assert_int_eq(park_idle_unpark_one(set), 0);
	/* Taken but not left: still joined. */
	ck_assert_int_eq(park_idle_join(set, p), -EBUSY);
	ck_assert_int_eq(park_idle_leave(set, p), 0);
	int64_t start = now_ns();
	ck_assert_int_eq(park_parker_park_timeout(p, 10000 * MS), PARK_TOKEN);
	ck_assert_int_lt(now_ns() - start, LATE_NS);
	park_parker_unref(p);
}
END_TEST

START_TEST(test_two_unpark_one_wake_two)
{
	park_parker *a = park_parker_new(driver), *b = park_parker_new(driver);
	ck_assert_int_eq(park_idle_join(set, a), 0);
	ck_assert_int_eq(park_idle_join(set, b), 0);
	ck_assert_int_eq(park_idle_count(set), 2);
	ck_assert_int_eq(park_idle_unpark_one(set), 1);
	ck_assert_int_eq(park_idle_unpark_one(set), 1);
	ck_assert_int_eq(park_idle_unpark_one(set), 0);
	ck_assert_int_eq(park_idle_leave(set, a), 0);
	ck_assert_int_eq(park_idle_leave(set, b), 0);
	ck_assert_int_eq(park_parker_park(a), PARK_TOKEN);
	ck_assert_int_eq(park_parker_park(b), PARK_TOKEN);
	park_parker_unref(a);
	park_parker_unref(b);
}
END_TEST

/* Nobody asleep, so only the order of joining decides: newest first. */
START_TEST(test_unpark_one_is_last_in_first_out)
{
	park_parker *p[3];
	for (int i = 0; i < 3; i++) {
		p[i] = park_parker_new(driver);
		ck_assert_int_eq(park_idle_join(set, p[i]), 0);
	}
	ck_assert_int_eq(park_idle_unpark_one(set), 1);
	ck_assert_int_eq(park_idle_leave(set, p[0]), 1);
	ck_assert_int_eq(park_idle_leave(set, p[1]), 1);
	ck_assert_int_eq(park_idle_leave(set, p[2]), 0);
	for (int i = 0; i < 3; i++)
		park_parker_unref(p[i]);
}
END_TEST

START_TEST(test_park_with_timeouts_leaves)
{
	park_parker *p = park_parker_new(driver);
	int64_t start = now_ns();
	/* (A deadline that passed before the driver's timer was armed
	 * returns without PARK_DRIVER: valgrind is that slow.) */
	ck_assert_int_eq(PARK_REASON(park_idle_park(set, p, 30 * MS)),
			 PARK_TIMED_OUT);
	ck_assert_int_ge(now_ns() - start, 30 * MS);
	ck_assert_int_eq(park_idle_count(set), 0);
	ck_assert_int_eq(park_idle_leave(set, p), -EINVAL);
	/* Zero polls the driver and leaves. */
	ck_assert_int_eq(park_idle_park(set, p, 0), PARK_TIMED_OUT | PARK_DRIVER);
	ck_assert_int_eq(park_idle_count(set), 0);
	/* Joined first, then parked: the same call, already joined. */
	ck_assert_int_eq(park_idle_join(set, p), 0);
	ck_assert_int_eq(park_idle_unpark_one(set), 1);
	ck_assert_int_eq(park_idle_park(set, p, -1), PARK_TOKEN);
	ck_assert_int_eq(park_idle_count(set), 0);
	ck_assert_int_eq(park_idle_join(set, p), 0);
	ck_assert_int_eq(park_idle_leave(set, p), 1);
	park_parker_unref(p);
}
END_TEST

/* A poll never consumes a token, also through the set: an unpark that
 * took the parker leaves its token for the next real park. */
START_TEST(test_park_zero_keeps_token)
{
	park_parker *p = park_parker_new(driver);
	ck_assert_int_eq(park_idle_join(set, p), 0);
	ck_assert_int_eq(park_idle_unpark_one(set), 1);
	ck_assert_int_eq(park_idle_park(set, p, 0), PARK_TIMED_OUT | PARK_DRIVER);
	ck_assert_int_eq(park_idle_leave(set, p), -EINVAL);
	ck_assert_int_eq(park_parker_park(p), PARK_TOKEN);
	park_parker_unref(p);
}
END_TEST

/* Membership ends only with a leave (park_idle_park leaves for its
 * caller): a plain park of a joined parker keeps it idle, whatever ends
 * that park. */
START_TEST(test_plain_park_keeps_membership)
{
	park_parker *p = park_parker_new(driver);
	ck_assert_int_eq(park_idle_join(set, p), 0);
	ck_assert_int_eq(PARK_REASON(park_parker_park_timeout(p, 5 * MS)),
			 PARK_TIMED_OUT);
	ck_assert_int_eq(PARK_REASON(park_parker_park_timeout(p, 0)),
			 PARK_TIMED_OUT);
	ck_assert_int_eq(park_idle_count(set), 1);
	ck_assert_int_eq(park_idle_join(set, p), -EBUSY);
	ck_assert_int_eq(park_idle_leave(set, p), 1);
	ck_assert_int_eq(park_idle_count(set), 0);
	park_parker_unref(p);
}
END_TEST

/* Only unpark_one and unpark_all take a parker: a token from its own
 * unparker wakes it but leaves it in the set. */
START_TEST(test_own_unparker_does_not_take_from_the_set)
{
	park_parker *p = park_parker_new(driver);
	park_unparker *u = park_unparker_new(p);
	ck_assert_int_eq(park_idle_join(set, p), 0);
	ck_assert_int_eq(park_unparker_unpark(u), 0);
	ck_assert_int_eq(park_idle_count(set), 1);
	ck_assert_int_eq(park_parker_park(p), PARK_TOKEN);
	ck_assert_int_eq(park_idle_count(set), 1);
	ck_assert_int_eq(park_idle_leave(set, p), 1);
	park_unparker_unref(u);
	park_parker_unref(p);
}
END_TEST

static void unpark_one_now(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ck_assert_int_eq(park_idle_unpark_one(arg), 1);
}

/* park_idle_park ends for its own reason while unpark_one takes the
 * parker (here a poll, whose loop runs the unpark): it returns what the
 * park returned, and the token waits for the next park. */
START_TEST(test_idle_park_that_times_out_while_taken_keeps_the_token)
{
	park_parker *p = park_parker_new(driver);
	struct event *ev = event_new(park_driver_get_base(driver), -1, 0,
				     unpark_one_now, set);
	event_active(ev, 0, 0);
	ck_assert_int_eq(park_idle_park(set, p, 0), PARK_TIMED_OUT | PARK_DRIVER);
	ck_assert_int_eq(park_idle_count(set), 0);
	ck_assert_int_eq(park_idle_leave(set, p), -EINVAL);
	int64_t start = now_ns();
	ck_assert_int_eq(park_parker_park_timeout(p, 10000 * MS), PARK_TOKEN);
	ck_assert_int_lt(now_ns() - start, LATE_NS);
	event_free(ev);
	park_parker_unref(p);
}
END_TEST

START_TEST(test_errors)
{
	park_parker *p = park_parker_new(driver);
	errno = 0;
	ck_assert_ptr_null(park_idle_new(NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(park_idle_ref(NULL));
	ck_assert_int_eq(errno, EINVAL);
	park_idle_unref(NULL);
	ck_assert_int_eq(park_idle_join(NULL, p), -EINVAL);
	ck_assert_int_eq(park_idle_join(set, NULL), -EINVAL);
	ck_assert_int_eq(park_idle_leave(NULL, p), -EINVAL);
	ck_assert_int_eq(park_idle_leave(set, NULL), -EINVAL);
	ck_assert_int_eq(park_idle_park(NULL, p, -1), -EINVAL);
	ck_assert_int_eq(park_idle_park(set, NULL, -1), -EINVAL);
	ck_assert_int_eq(park_idle_unpark_one(NULL), -EINVAL);
	ck_assert_int_eq(park_idle_unpark_all(NULL), -EINVAL);
	ck_assert_int_eq(park_idle_count(NULL), -EINVAL);
	/* Never joined, or left already. */
	ck_assert_int_eq(park_idle_leave(set, p), -EINVAL);

	/* A parker of another driver. */
	park_driver *other_driver = park_driver_new();
	park_parker *stranger = park_parker_new(other_driver);
	ck_assert_int_eq(park_idle_join(set, stranger), -EINVAL);
	ck_assert_int_eq(park_idle_park(set, stranger, -1), -EINVAL);
	ck_assert_int_eq(park_idle_count(set), 0);

	/* Twice, and in two sets at once. */
	park_idle *second = park_idle_new(driver);
	ck_assert_int_eq(park_idle_join(set, p), 0);
	ck_assert_int_eq(park_idle_join(set, p), -EBUSY);
	ck_assert_int_eq(park_idle_join(second, p), -EBUSY);
	ck_assert_int_eq(park_idle_park(second, p, -1), -EBUSY);
	ck_assert_int_eq(park_idle_leave(second, p), -EINVAL);
	ck_assert_int_eq(park_idle_count(set), 1);
	ck_assert_int_eq(park_idle_count(second), 0);
	/* None of that made a token or took the parker out. */
	ck_assert_int_eq(park_idle_leave(set, p), 1);
	ck_assert_int_eq(PARK_REASON(park_parker_park_timeout(p, MS)),
			 PARK_TIMED_OUT);

	park_idle_unref(second);
	park_parker_unref(stranger);
	park_driver_unref(other_driver);
	park_parker_unref(p);
}
END_TEST

/* --- searching (notify, 1.1) ---------------------------------------------- */

/* A notify while its parker searches wakes nobody, however many jobs
 * arrive meanwhile; unpark_one keeps its 1.0 contract (one wake a call)
 * and neither reads nor changes the searching count. */
START_TEST(test_notify_noop_while_searching)
{
	park_parker *p[3];
	for (int i = 0; i < 3; i++) {
		p[i] = park_parker_new(driver);
		ck_assert_int_eq(park_idle_join(set, p[i]), 0);
	}
	ck_assert_int_eq(park_idle_searching(set), 0);
	ck_assert_int_eq(park_idle_notify(set), 1);
	ck_assert_int_eq(park_idle_searching(set), 1);
	ck_assert_int_eq(park_idle_count(set), 2);
	/* A steady stream of jobs during one search: no wake. */
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(park_idle_notify(set), 0);
	ck_assert_int_eq(park_idle_count(set), 2);
	ck_assert_int_eq(park_idle_unpark_one(set), 1);
	ck_assert_int_eq(park_idle_count(set), 1);
	ck_assert_int_eq(park_idle_searching(set), 1);
	/* Newest first, as unpark_one: p[2] searches, p[1] was unparked. */
	ck_assert_int_eq(park_idle_leave(set, p[2]), 0);
	ck_assert_int_eq(park_idle_leave(set, p[1]), 0);
	ck_assert_int_eq(park_idle_stop_searching(set, p[1]), 0);
	ck_assert_int_eq(park_idle_searching(set), 1);
	ck_assert_int_eq(park_idle_stop_searching(set, p[2]), 1);
	ck_assert_int_eq(park_idle_searching(set), 0);
	ck_assert_int_eq(park_idle_stop_searching(set, p[2]), 0);
	/* Nobody searching: the next notify wakes the last idle one. */
	ck_assert_int_eq(park_idle_notify(set), 1);
	ck_assert_int_eq(park_idle_count(set), 0);
	ck_assert_int_eq(park_idle_notify(set), 0);
	ck_assert_int_eq(park_idle_leave(set, p[0]), 0);
	ck_assert_int_eq(park_idle_stop_searching(set, p[0]), 1);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(park_parker_park(p[i]), PARK_TOKEN);
		park_parker_unref(p[i]);
	}
	ck_assert_int_eq(park_idle_searching(set), 0);
}
END_TEST

/* The last searcher to stop is told so and passes the wake on: a notify
 * made during its search woke nobody, and the pass-on wakes the next. */
START_TEST(test_last_searcher_passes_on)
{
	park_parker *a = park_parker_new(driver), *b = park_parker_new(driver);
	ck_assert_int_eq(park_idle_join(set, a), 0);
	ck_assert_int_eq(park_idle_join(set, b), 0);
	ck_assert_int_eq(park_idle_notify(set), 1); /* b, for job 1 */
	ck_assert_int_eq(park_idle_notify(set), 0); /* job 2: b searches */
	/* b stops before leaving (it may): still taken until it leaves. */
	ck_assert_int_eq(park_idle_stop_searching(set, b), 1);
	ck_assert_int_eq(park_idle_join(set, b), -EBUSY);
	ck_assert_int_eq(park_idle_notify(set), 1); /* the pass-on: a */
	ck_assert_int_eq(park_idle_searching(set), 1);
	ck_assert_int_eq(park_idle_leave(set, b), 0);
	ck_assert_int_eq(park_idle_park(set, a, -1), PARK_TOKEN);
	ck_assert_int_eq(park_idle_stop_searching(set, a), 1);
	ck_assert_int_eq(park_parker_park(b), PARK_TOKEN);
	ck_assert_int_eq(park_idle_searching(set), 0);
	ck_assert_int_eq(park_idle_count(set), 0);
	park_parker_unref(a);
	park_parker_unref(b);
}
END_TEST

START_TEST(test_searching_errors)
{
	park_parker *p = park_parker_new(driver);
	park_driver *other_driver = park_driver_new();
	park_parker *stranger = park_parker_new(other_driver);
	ck_assert_int_eq(park_idle_notify(NULL), -EINVAL);
	ck_assert_int_eq(park_idle_searching(NULL), -EINVAL);
	ck_assert_int_eq(park_idle_stop_searching(NULL, p), -EINVAL);
	ck_assert_int_eq(park_idle_stop_searching(set, NULL), -EINVAL);
	ck_assert_int_eq(park_idle_stop_searching(set, stranger), -EINVAL);
	/* Never joined, joined and not taken: not searching. */
	ck_assert_int_eq(park_idle_stop_searching(set, p), 0);
	ck_assert_int_eq(park_idle_join(set, p), 0);
	ck_assert_int_eq(park_idle_stop_searching(set, p), 0);
	/* Searching in another set is not searching in this one. */
	park_idle *second = park_idle_new(driver);
	ck_assert_int_eq(park_idle_notify(set), 1);
	ck_assert_int_eq(park_idle_stop_searching(second, p), 0);
	ck_assert_int_eq(park_idle_searching(set), 1);
	ck_assert_int_eq(park_idle_searching(second), 0);
	ck_assert_int_eq(park_idle_leave(set, p), 0);
	ck_assert_int_eq(park_idle_stop_searching(set, p), 1);
	ck_assert_int_eq(park_parker_park(p), PARK_TOKEN);
	park_idle_unref(second);
	park_parker_unref(stranger);
	park_driver_unref(other_driver);
	park_parker_unref(p);
}
END_TEST

/* Every way a search can end without stop_searching leaves the count at
 * zero; those that end it without a look at the work source (the
 * parker's last unref, a join of another set) pass the wake on. */
START_TEST(test_search_ends_on_every_exit_path)
{
	park_parker *p = park_parker_new(driver), *q = park_parker_new(driver);

	/* A join of the same set: its re-check is the look. */
	ck_assert_int_eq(park_idle_join(set, p), 0);
	ck_assert_int_eq(park_idle_notify(set), 1);
	ck_assert_int_eq(park_idle_leave(set, p), 0);
	ck_assert_int_eq(park_idle_join(set, p), 0);
	ck_assert_int_eq(park_idle_searching(set), 0);
	ck_assert_int_eq(park_idle_count(set), 1);
	ck_assert_int_eq(park_idle_leave(set, p), 1);
	ck_assert_int_eq(park_parker_park(p), PARK_TOKEN);

	/* park_idle_park's join. */
	ck_assert_int_eq(park_idle_join(set, p), 0);
	ck_assert_int_eq(park_idle_notify(set), 1);
	ck_assert_int_eq(park_idle_park(set, p, -1), PARK_TOKEN);
	ck_assert_int_eq(park_idle_searching(set), 1);
	ck_assert_int_eq(PARK_REASON(park_idle_park(set, p, 0)), PARK_TIMED_OUT);
	ck_assert_int_eq(park_idle_searching(set), 0);

	/* A join of another set: the wake passes on to q. */
	park_idle *second = park_idle_new(driver);
	ck_assert_int_eq(park_idle_join(set, p), 0);
	ck_assert_int_eq(park_idle_notify(set), 1);
	ck_assert_int_eq(park_idle_leave(set, p), 0);
	ck_assert_int_eq(park_idle_join(set, q), 0);
	ck_assert_int_eq(park_idle_join(second, p), 0);
	ck_assert_int_eq(park_idle_searching(set), 1);
	ck_assert_int_eq(park_idle_count(set), 0);
	ck_assert_int_eq(park_idle_leave(set, q), 0);
	ck_assert_int_eq(park_idle_stop_searching(set, q), 1);
	ck_assert_int_eq(park_idle_leave(second, p), 1);
	ck_assert_int_eq(park_parker_park(p), PARK_TOKEN);
	ck_assert_int_eq(park_parker_park(q), PARK_TOKEN);

	/* The owner drops it after leaving, still searching: the wake
	 * passes on to q. */
	park_parker *r = park_parker_new(driver);
	ck_assert_int_eq(park_idle_join(set, q), 0);
	ck_assert_int_eq(park_idle_join(set, r), 0);
	ck_assert_int_eq(park_idle_notify(set), 1); /* r */
	ck_assert_int_eq(park_idle_leave(set, r), 0);
	park_parker_unref(r);
	ck_assert_int_eq(park_idle_searching(set), 1);
	ck_assert_int_eq(park_idle_count(set), 0);
	ck_assert_int_eq(park_idle_leave(set, q), 0);
	ck_assert_int_eq(park_idle_stop_searching(set, q), 1);
	ck_assert_int_eq(park_parker_park(q), PARK_TOKEN);

	/* The owner drops it taken and not left: the same. */
	r = park_parker_new(driver);
	ck_assert_int_eq(park_idle_join(set, q), 0);
	ck_assert_int_eq(park_idle_join(set, r), 0);
	ck_assert_int_eq(park_idle_notify(set), 1); /* r */
	park_parker_unref(r);
	ck_assert_int_eq(park_idle_searching(set), 1);
	ck_assert_int_eq(park_idle_leave(set, q), 0);
	ck_assert_int_eq(park_idle_stop_searching(set, q), 1);
	ck_assert_int_eq(park_parker_park(q), PARK_TOKEN);

	/* The set goes while p searches in it, and while q is taken and
	 * not left: both may join another set, and p's last unref frees
	 * what p held (valgrind). */
	ck_assert_int_eq(park_idle_leave(second, p), -EINVAL);
	ck_assert_int_eq(park_idle_join(second, p), 0);
	ck_assert_int_eq(park_idle_notify(second), 1);
	ck_assert_int_eq(park_idle_leave(second, p), 0);
	ck_assert_int_eq(park_idle_join(second, q), 0);
	ck_assert_int_eq(park_idle_unpark_one(second), 1);
	park_idle_unref(second);
	ck_assert_int_eq(park_idle_join(set, q), 0);
	ck_assert_int_eq(park_idle_leave(set, q), 1);
	ck_assert_int_eq(park_parker_park(q), PARK_TOKEN);
	ck_assert_int_eq(park_parker_park(p), PARK_TOKEN);

	ck_assert_int_eq(park_idle_searching(set), 0);
	ck_assert_int_eq(park_idle_count(set), 0);
	park_parker_unref(p);
	park_parker_unref(q);
}
END_TEST

/* --- where the woken parker sleeps ---------------------------------------- */

/* The driver's parker joined last, a sleeper before it: unpark_one wakes
 * the sleeper, and the driver's parker stays in the loop. */
START_TEST(test_prefers_sleeper_over_driver)
{
	park_parker *holder = park_parker_new(driver);
	park_unparker *holder_u = park_unparker_new(holder);
	park_parker *sp = park_parker_new(driver), *dp = park_parker_new(driver);
	struct park_thread hold;
	struct idler sleeper, in_driver;

	/* Someone outside the set holds the driver while the sleeper joins,
	 * so it sleeps on its sleeper; then the driver is free for dp. */
	park_thread_start_in_driver(&hold, holder, -1);
	idler_start_on_sleeper(&sleeper, sp);
	park_unparker_unpark(holder_u);
	ck_assert_int_eq(park_thread_join(&hold), PARK_TOKEN | PARK_DRIVER);
	idler_start_in_driver(&in_driver, dp);
	ck_assert_int_eq(park_idle_count(set), 2);

	ck_assert_int_eq(park_idle_unpark_one(set), 1);
	ck_assert_int_eq(idler_join(&sleeper), PARK_TOKEN);
	ck_assert_int_eq(park_idle_count(set), 1);
	ck_assert(wait_in_driver(in_driver.tid));
	ck_assert(!idler_done(&in_driver));

	/* The only idle one now: it is woken. */
	ck_assert_int_eq(park_idle_unpark_one(set), 1);
	ck_assert_int_eq(idler_join(&in_driver), PARK_TOKEN | PARK_DRIVER);
	ck_assert_int_eq(park_idle_count(set), 0);

	park_unparker_unref(holder_u);
	park_parker_unref(holder);
	park_parker_unref(sp);
	park_parker_unref(dp);
}
END_TEST

/* A parker that joined but has not slept yet is preferred too. */
START_TEST(test_prefers_not_yet_asleep_over_driver)
{
	park_parker *awake = park_parker_new(driver), *dp = park_parker_new(driver);
	struct idler in_driver;
	ck_assert_int_eq(park_idle_join(set, awake), 0);
	idler_start_in_driver(&in_driver, dp);
	ck_assert_int_eq(park_idle_unpark_one(set), 1);
	ck_assert_int_eq(park_idle_leave(set, awake), 0);
	ck_assert_int_eq(park_parker_park(awake), PARK_TOKEN);
	ck_assert(wait_in_driver(in_driver.tid));
	ck_assert_int_eq(park_idle_count(set), 1);
	ck_assert_int_eq(park_idle_unpark_one(set), 1);
	ck_assert_int_eq(idler_join(&in_driver), PARK_TOKEN | PARK_DRIVER);
	park_parker_unref(awake);
	park_parker_unref(dp);
}
END_TEST

/* Three sleepers (the driver held outside the set): newest first. */
START_TEST(test_sleepers_last_in_first_out)
{
	park_parker *holder = park_parker_new(driver);
	park_unparker *holder_u = park_unparker_new(holder);
	park_parker *p[3];
	struct idler t[3];
	struct park_thread hold;
	park_thread_start_in_driver(&hold, holder, -1);
	for (int i = 0; i < 3; i++) {
		p[i] = park_parker_new(driver);
		idler_start_on_sleeper(&t[i], p[i]);
	}
	for (int i = 2; i >= 0; i--) {
		ck_assert_int_eq(park_idle_unpark_one(set), 1);
		ck_assert_int_eq(idler_join(&t[i]), PARK_TOKEN);
		for (int j = 0; j < i; j++)
			ck_assert(wait_on_sleeper(t[j].tid, p[j]));
	}
	park_unparker_unpark(holder_u);
	park_thread_join(&hold);
	for (int i = 0; i < 3; i++)
		park_parker_unref(p[i]);
	park_unparker_unref(holder_u);
	park_parker_unref(holder);
}
END_TEST

START_TEST(test_unpark_all)
{
	park_parker *p[3];
	struct idler t[3];
	for (int i = 0; i < 3; i++) {
		p[i] = park_parker_new(driver);
		if (i == 0)
			idler_start_in_driver(&t[i], p[i]);
		else
			idler_start_on_sleeper(&t[i], p[i]);
	}
	ck_assert_int_eq(park_idle_count(set), 3);
	ck_assert_int_eq(park_idle_unpark_all(set), 3);
	ck_assert_int_eq(idler_join(&t[0]), PARK_TOKEN | PARK_DRIVER);
	ck_assert_int_eq(idler_join(&t[1]), PARK_TOKEN);
	ck_assert_int_eq(idler_join(&t[2]), PARK_TOKEN);
	ck_assert_int_eq(park_idle_count(set), 0);
	ck_assert_int_eq(park_idle_unpark_all(set), 0);
	for (int i = 0; i < 3; i++)
		park_parker_unref(p[i]);
}
END_TEST

/* A driver event ends the driver's park without a token; the worker
 * parks again and is idle again (a pool serving I/O while idle). */
static void drain(evutil_socket_t fd, short what, void *arg)
{
	char c;
	(void)what;
	(void)arg;
	ck_assert_int_eq(read(fd, &c, 1), 1);
}

START_TEST(test_driver_events_rejoin)
{
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	struct event *ev = event_new(park_driver_get_base(driver), fds[0],
				     EV_READ | EV_PERSIST, drain, NULL);
	ck_assert_int_eq(event_add(ev, NULL), 0);
	park_parker *p = park_parker_new(driver);
	struct idler t;
	idler_start_in_driver(&t, p);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	while (t.parks < 2)
		usleep(1000);
	ck_assert(wait_in_driver(t.tid));
	ck_assert(wait_count(1));
	ck_assert_int_eq(park_idle_unpark_one(set), 1);
	ck_assert_int_eq(idler_join(&t), PARK_TOKEN | PARK_DRIVER);
	event_free(ev);
	close(fds[0]);
	close(fds[1]);
	park_parker_unref(p);
}
END_TEST

/* --- lifetime --------------------------------------------------------------- */

/* The last reference goes while parkers are idle: each gets a token and is
 * free to join another set. */
START_TEST(test_last_unref_releases_idle_parkers)
{
	park_parker *a = park_parker_new(driver), *b = park_parker_new(driver);
	park_idle *s = park_idle_new(driver);
	ck_assert_int_eq(park_idle_join(s, a), 0);
	ck_assert_int_eq(park_idle_join(s, b), 0);
	ck_assert_int_eq(park_idle_unpark_one(s), 1); /* b: taken, not left */
	park_idle_unref(s);
	ck_assert_int_eq(park_parker_park(a), PARK_TOKEN);
	ck_assert_int_eq(park_parker_park(b), PARK_TOKEN);
	ck_assert_int_eq(park_idle_join(set, a), 0);
	ck_assert_int_eq(park_idle_join(set, b), 0);
	ck_assert_int_eq(park_idle_count(set), 2);
	ck_assert_int_eq(park_idle_leave(set, a), 1);
	ck_assert_int_eq(park_idle_leave(set, b), 1);
	park_parker_unref(a);
	park_parker_unref(b);
}
END_TEST

/* A thread asleep on a joined parker (parked directly, holding no
 * reference to the set) is woken when the set goes. */
struct direct {
	park_parker *parker;
	park_idle *set;
	_Atomic pid_t tid;
	int result;
};

static void *direct_main(void *arg)
{
	struct direct *d = arg;
	ck_assert_int_eq(park_idle_join(d->set, d->parker), 0);
	d->tid = current_tid();
	d->result = park_parker_park(d->parker);
	return NULL;
}

START_TEST(test_last_unref_wakes_sleeping_member)
{
	park_parker *p = park_parker_new(driver);
	struct direct d = {.parker = p, .set = park_idle_new(driver)};
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, direct_main, &d), 0);
	while (d.tid == 0)
		usleep(100);
	ck_assert(wait_in_driver(d.tid));
	park_idle_unref(d.set);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(d.result, PARK_TOKEN | PARK_DRIVER);
	park_parker_unref(p);
}
END_TEST

/* The owner drops its parker while idle: the set's reference keeps it
 * valid for unpark_one, and the set's release frees it (valgrind). */
START_TEST(test_parker_dropped_while_idle)
{
	park_parker *a = park_parker_new(driver), *b = park_parker_new(driver);
	ck_assert_int_eq(park_idle_join(set, a), 0);
	ck_assert_int_eq(park_idle_join(set, b), 0);
	park_parker_unref(a);
	park_parker_unref(b);
	ck_assert_int_eq(park_idle_unpark_one(set), 1);
	ck_assert_int_eq(park_idle_count(set), 1);
	/* teardown's unref releases both */
}
END_TEST

/* --- cheap when nobody is idle -------------------------------------------- */

/* In a child that the kernel kills at its first system call (seccomp:
 * everything but exit is fatal), unpark_one and count on an empty set run
 * many times and the child exits normally. A control child proves the
 * filter kills. */
static int child_status(void (*body)(void))
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		forbid_system_calls();
		body();
		syscall(SYS_exit, 0);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static _Atomic int sink;

static void empty_set_calls(void)
{
	for (int i = 0; i < 100000; i++)
		sink += park_idle_unpark_one(set) + park_idle_count(set) +
			park_idle_notify(set) + park_idle_searching(set);
	if (sink != 0)
		syscall(SYS_exit, 4);
}

static void searching_set_calls(void)
{
	/* One parker idle, one searching: notify stops at its load. */
	for (int i = 0; i < 100000; i++)
		sink += park_idle_notify(set) + park_idle_searching(set);
	if (sink != 100000)
		syscall(SYS_exit, 4);
}

static void control_getpid(void)
{
	sink = (int)getpid();
}

START_TEST(test_empty_unpark_one_makes_no_system_call)
{
	if (under_valgrind())
		return; /* valgrind's own calls would trip the filter */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
	return; /* and so would a sanitizer runtime's in the child */
#endif
	/* Resolve the PLT entries before the filter is on. */
	ck_assert_int_eq(park_idle_unpark_one(set), 0);
	ck_assert_int_eq(park_idle_count(set), 0);
	int status = child_status(control_getpid);
	if (seccomp_refused(status))
		return;
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
		      "the filter did not kill a getpid (status %d)", status);
	status = child_status(empty_set_calls);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "unpark_one on an empty set made a system call or "
		      "failed (status %d)", status);
}
END_TEST

START_TEST(test_notify_while_searching_makes_no_system_call)
{
	if (under_valgrind())
		return;
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
	return;
#endif
	park_parker *a = park_parker_new(driver), *b = park_parker_new(driver);
	ck_assert_int_eq(park_idle_join(set, a), 0);
	ck_assert_int_eq(park_idle_join(set, b), 0);
	ck_assert_int_eq(park_idle_notify(set), 1);
	ck_assert_int_eq(park_idle_notify(set), 0);
	sink = 0;
	int status = child_status(control_getpid);
	if (!seccomp_refused(status)) {
		status = child_status(searching_set_calls);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "notify while one searches made a system call "
			      "or failed (status %d)", status);
	}
	ck_assert_int_eq(park_idle_leave(set, b), 0);
	ck_assert_int_eq(park_idle_leave(set, a), 1);
	ck_assert_int_eq(park_idle_stop_searching(set, b), 1);
	park_parker_unref(a);
	park_parker_unref(b);
}
END_TEST

/* --- the protocol under load ---------------------------------------------- */

/* Jobs are numbers: producers publish by incrementing `published` (seq_cst,
 * the store of the protocol), workers claim the next one with a CAS. Each
 * job counts its runs; every job must run exactly once, and every worker
 * must see `closing` (published the same way) and exit. */
enum { MAX_WORKERS = 4, MAX_PRODUCERS = 2, MAX_JOBS = 20000 };
static int workers, producers;
static _Atomic long published, claimed, finished;
static _Atomic bool closing;
static _Atomic unsigned char runs[MAX_JOBS];
static long total_jobs;

static bool use_notify;
static _Atomic long wakes;

static bool work_left(void)
{
	return atomic_load(&claimed) < atomic_load(&published);
}

static void wake_one(void)
{
	int r = use_notify ? park_idle_notify(set) : park_idle_unpark_one(set);
	ck_assert_int_ge(r, 0);
	wakes += r;
}

static long take_job(void)
{
	long next = atomic_load(&claimed);
	while (next < atomic_load(&published))
		if (atomic_compare_exchange_weak(&claimed, &next, next + 1))
			return next;
	return -1;
}

static void run_job(long job)
{
	runs[job]++;
	finished++;
}

/* The last searcher to find work passes the wake on. */
static void found_job(park_parker *p)
{
	if (!use_notify)
		return;
	int r = park_idle_stop_searching(set, p);
	ck_assert_int_ge(r, 0);
	if (r == 1 && work_left())
		wake_one();
}

static void *worker_main(void *arg)
{
	park_parker *p = arg;
	for (;;) {
		long job = take_job();
		if (job >= 0) {
			found_job(p);
			run_job(job);
			continue;
		}
		/* Closing while searching: the search ends with the
		 * parker's last unref (hammer()). */
		if (closing)
			return NULL;
		ck_assert_int_eq(park_idle_join(set, p), 0);
		/* The re-check: work (or the close) published before the
		 * join is seen here, any after it finds us in the set. */
		job = take_job();
		if (job >= 0 || closing) {
			park_idle_leave(set, p);
			if (job >= 0) {
				found_job(p);
				run_job(job);
			}
			continue;
		}
		int r = park_idle_park(set, p, -1);
		ck_assert_int_gt(r, 0);
	}
}

/* Rounds of a few jobs, each waited for: the workers run dry at the end of
 * every round, and the next round's jobs race their way back to the set.
 * A lost job stalls its round, since nothing else would wake anyone. */
static _Atomic bool stalled;

static void *producer_main(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	long left = total_jobs / producers;
	while (left > 0 && !stalled) {
		long n = 1 + rand_r(&seed) % workers;
		if (n > left)
			n = left;
		left -= n;
		for (long i = 0; i < n; i++) {
			atomic_fetch_add(&published, 1);
			wake_one();
		}
		long target = atomic_load(&published);
		int64_t give_up = now_ns() + 5000 * MS;
		while (finished < target && !stalled)
			if (now_ns() > give_up)
				stalled = true;
			else
				sched_yield();
	}
	return NULL;
}

static void hammer(int nworkers, int nproducers, bool notify)
{
	use_notify = notify;
	wakes = 0;
	workers = nworkers;
	producers = nproducers;
	total_jobs = under_valgrind() ? 2000 : MAX_JOBS;
	published = claimed = finished = 0;
	closing = stalled = false;
	for (long i = 0; i < total_jobs; i++)
		runs[i] = 0;
	pthread_t work[MAX_WORKERS], prod[MAX_PRODUCERS];
	park_parker *p[MAX_WORKERS];
	for (int i = 0; i < workers; i++) {
		p[i] = park_parker_new(driver);
		ck_assert_int_eq(pthread_create(&work[i], NULL, worker_main,
						p[i]), 0);
	}
	for (int i = 0; i < producers; i++)
		ck_assert_int_eq(pthread_create(&prod[i], NULL, producer_main,
						(void *)(uintptr_t)(i + 1)), 0);
	for (int i = 0; i < producers; i++)
		pthread_join(prod[i], NULL);
	ck_assert_msg(!stalled, "a job was lost: %ld published, %ld finished",
		      (long)published, (long)finished);
	ck_assert_int_eq(finished, total_jobs);
	closing = true;
	ck_assert_int_ge(park_idle_unpark_all(set), 0);
	for (int i = 0; i < workers; i++) {
		pthread_join(work[i], NULL);
		park_parker_unref(p[i]);
	}
	for (long i = 0; i < total_jobs; i++)
		ck_assert_msg(runs[i] == 1, "job %ld ran %d times", i, runs[i]);
	ck_assert_int_eq(park_idle_count(set), 0);
	/* Every worker's parker is gone: whatever still searched ended. */
	ck_assert_int_eq(park_idle_searching(set), 0);
	ck_assert_int_eq(park_idle_notify(set), 0);
}

/* One producer, one worker, one job a round: no other wake can rescue a
 * lost job, and every round races the worker's way back into the set, so a
 * protocol without the re-check stalls here within a few thousand rounds. */
START_TEST(test_rounds_one_worker_no_job_lost)
{
	hammer(1, 1, false);
}
END_TEST

START_TEST(test_hammer_no_job_lost_or_run_twice)
{
	/* Under valgrind, one worker: helgrind cannot see the driver's
	 * atomic try-lock hand the event_base from one live thread to
	 * another, and would report the base's fields as races. */
	hammer(under_valgrind() ? 1 : MAX_WORKERS, MAX_PRODUCERS, false);
}
END_TEST

/* The same rounds and hammer with notify and the pass-on: a notify that
 * found someone searching woke nobody, so a lost pass-on stalls a round. */
START_TEST(test_notify_rounds_one_worker_no_job_lost)
{
	hammer(1, 1, true);
}
END_TEST

START_TEST(test_notify_hammer_no_job_lost_or_run_twice)
{
	hammer(under_valgrind() ? 1 : MAX_WORKERS, MAX_PRODUCERS, true);
	/* A wake needs a notify that found nobody searching: at most one
	 * per job from the producers, one per job found from the
	 * workers' pass-on. */
	ck_assert_int_le(wakes, 2 * total_jobs);
}
END_TEST

/* A burst fans out: four jobs published at once, each notified, while
 * four workers sleep; each job waits until all four run at once, which
 * needs all four workers woken although a notify during a search wakes
 * nobody (the pass-on does it). */
static _Atomic int running;
static _Atomic bool fanout_failed;

static void *burst_worker_main(void *arg)
{
	park_parker *p = arg;
	for (;;) {
		long job = take_job();
		if (job < 0 && !closing) {
			ck_assert_int_eq(park_idle_join(set, p), 0);
			job = take_job();
			if (job < 0 && !closing) {
				park_idle_park(set, p, -1);
				continue;
			}
			park_idle_leave(set, p);
		}
		if (job < 0)
			return NULL;
		found_job(p);
		running++;
		int64_t give_up = now_ns() + 20000 * MS;
		while (running < workers && !fanout_failed)
			if (now_ns() > give_up)
				fanout_failed = true;
			else
				usleep(100);
		finished++;
	}
}

START_TEST(test_notify_burst_fans_out)
{
	use_notify = true;
	workers = MAX_WORKERS;
	published = claimed = finished = running = 0;
	closing = fanout_failed = false;
	pthread_t th[MAX_WORKERS];
	park_parker *p[MAX_WORKERS];
	for (int i = 0; i < workers; i++) {
		p[i] = park_parker_new(driver);
		ck_assert_int_eq(pthread_create(&th[i], NULL, burst_worker_main,
						p[i]), 0);
	}
	ck_assert(wait_count(workers));
	for (int i = 0; i < workers; i++) {
		atomic_fetch_add(&published, 1);
		wake_one();
	}
	while (finished < workers)
		usleep(1000);
	ck_assert_msg(!fanout_failed, "the burst did not fan out: %d of %d "
		      "ran at once", (int)running, workers);
	closing = true;
	ck_assert_int_ge(park_idle_unpark_all(set), 0);
	for (int i = 0; i < workers; i++) {
		pthread_join(th[i], NULL);
		park_parker_unref(p[i]);
	}
	ck_assert_int_eq(park_idle_searching(set), 0);
}
END_TEST

#ifdef PARK_WHITE_BOX
/* --- failures ------------------------------------------------------------- */

START_TEST(test_fault_set_allocation)
{
	park__fault_arm(PARK_FAULT_ALLOC, 0);
	errno = 0;
	ck_assert_ptr_null(park_idle_new(driver));
	ck_assert_int_eq(errno, ENOMEM);
	park__fault_disarm();
	/* Nothing half-made: the next one works (valgrind: nothing leaked,
	 * no driver reference kept). */
	park_idle *s = park_idle_new(driver);
	ck_assert_ptr_nonnull(s);
	park_idle_unref(s);
}
END_TEST

/* The wake of the driver's parker fails: unpark_one says so, the parker
 * has left the idle list, and its token is kept, as with a plain unpark. */
START_TEST(test_fault_wake_write_in_unpark_one)
{
	park_parker *p = park_parker_new(driver);
	struct idler t;
	idler_start_in_driver(&t, p);
	park__fault_arm(PARK_FAULT_WAKE_WRITE, 0);
	ck_assert_int_eq(park_idle_unpark_one(set), -EIO);
	park__fault_disarm();
	ck_assert_int_eq(park_idle_count(set), 0);
	ck_assert_uint_eq(atomic_load(&p->state), PARK_STATE_NOTIFIED);
	/* Something else makes the loop return: the token is found. */
	park_driver_shutdown(driver);
	ck_assert_int_eq(idler_join(&t), PARK_TOKEN | PARK_DRIVER);
	park_parker_unref(p);
}
END_TEST

/* With the set's lock held elsewhere, unpark_one and count on an empty set
 * still return: the fast path takes no lock. */
static void *empty_set_calls_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100000; i++)
		sink += park_idle_unpark_one(set) + park_idle_count(set);
	return NULL;
}

START_TEST(test_empty_unpark_one_takes_no_lock)
{
	pthread_t th;
	ck_assert_int_eq(pthread_mutex_lock(&set->lock), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, empty_set_calls_thread,
					NULL), 0);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	int joined = pthread_timedjoin_np(th, NULL, &until);
	pthread_mutex_unlock(&set->lock);
	if (joined != 0)
		pthread_join(th, NULL);
	ck_assert_msg(joined == 0, "unpark_one waited for the set's lock");
	ck_assert_int_eq(sink, 0);
}
END_TEST

static void *searching_set_calls_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100000; i++)
		sink += park_idle_notify(set) + park_idle_searching(set);
	return NULL;
}

START_TEST(test_notify_while_searching_takes_no_lock)
{
	park_parker *a = park_parker_new(driver), *b = park_parker_new(driver);
	ck_assert_int_eq(park_idle_join(set, a), 0);
	ck_assert_int_eq(park_idle_join(set, b), 0);
	ck_assert_int_eq(park_idle_notify(set), 1);
	sink = 0;
	pthread_t th;
	ck_assert_int_eq(pthread_mutex_lock(&set->lock), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, searching_set_calls_thread,
					NULL), 0);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	int joined = pthread_timedjoin_np(th, NULL, &until);
	pthread_mutex_unlock(&set->lock);
	if (joined != 0)
		pthread_join(th, NULL);
	ck_assert_msg(joined == 0, "notify waited for the set's lock");
	ck_assert_int_eq(sink, 100000);
	ck_assert_int_eq(park_idle_leave(set, b), 0);
	ck_assert_int_eq(park_idle_leave(set, a), 1);
	ck_assert_int_eq(park_idle_stop_searching(set, b), 1);
	park_parker_unref(a);
	park_parker_unref(b);
}
END_TEST

/* A notify's take holds the set's memory until the parker has both left
 * and stopped searching, in either order; then nothing is held. */
START_TEST(test_notify_hold_released)
{
	park_parker *p = park_parker_new(driver);
	ck_assert_int_eq(park_idle_join(set, p), 0);
	ck_assert_int_eq(park_idle_notify(set), 1);
	ck_assert_ptr_eq(atomic_load(&p->idle_hold), set);
	ck_assert(p->idle_notified && p->idle_searching);
	ck_assert_uint_eq(atomic_load(&set->holds), 2);
	ck_assert_int_eq(park_idle_leave(set, p), 0);
	ck_assert(!p->idle_notified);
	ck_assert_uint_eq(atomic_load(&set->holds), 2);
	ck_assert_int_eq(park_idle_stop_searching(set, p), 1);
	ck_assert_ptr_null(atomic_load(&p->idle_hold));
	ck_assert_uint_eq(atomic_load(&set->holds), 1);
	ck_assert_int_eq(park_parker_park(p), PARK_TOKEN);

	ck_assert_int_eq(park_idle_join(set, p), 0);
	ck_assert_int_eq(park_idle_notify(set), 1);
	ck_assert_int_eq(park_idle_stop_searching(set, p), 1);
	ck_assert_ptr_eq(atomic_load(&p->idle_hold), set);
	ck_assert_uint_eq(atomic_load(&set->holds), 2);
	ck_assert_int_eq(park_idle_leave(set, p), 0);
	ck_assert_ptr_null(atomic_load(&p->idle_hold));
	ck_assert_uint_eq(atomic_load(&set->holds), 1);
	ck_assert_ptr_null(p->idle_next);
	ck_assert_ptr_null(set->woken);
	ck_assert_int_eq(park_parker_park(p), PARK_TOKEN);
	park_parker_unref(p);
}
END_TEST

/* The pool's rule: a wake per queued job until `searchers` search. Each
 * call's answer follows from the counts alone (no thread runs). */
START_TEST(test_notify_below_bounds_the_searchers)
{
	park_parker *p[3];
	for (int i = 0; i < 3; i++) {
		p[i] = park_parker_new(driver);
		ck_assert_int_eq(park_idle_join(set, p[i]), 0);
	}
	ck_assert_int_eq(park__idle_notify_below(set, 2), 1);
	ck_assert_int_eq(park_idle_notify(set), 0);
	ck_assert_int_eq(park__idle_notify_below(set, 2), 1);
	ck_assert_int_eq(park_idle_searching(set), 2);
	ck_assert_int_eq(park__idle_notify_below(set, 2), 0);
	ck_assert_int_eq(park_idle_count(set), 1);
	ck_assert_int_eq(park__idle_notify_below(set, 3), 1);
	ck_assert_int_eq(park__idle_notify_below(set, 4), 0); /* nobody idle */
	/* The pass-on is owed by the last of them only. */
	for (int i = 2; i >= 0; i--) {
		ck_assert_int_eq(park_idle_leave(set, p[i]), 0);
		ck_assert_int_eq(park_idle_stop_searching(set, p[i]), i == 0);
		park_parker_unref(p[i]);
	}
	ck_assert_int_eq(park_idle_searching(set), 0);
}
END_TEST

START_TEST(test_links_cleared_after_leave)
{
	park_parker *p = park_parker_new(driver);
	ck_assert_int_eq(park_idle_join(set, p), 0);
	ck_assert_ptr_eq(atomic_load(&p->idle_set), set);
	ck_assert_int_eq(park_idle_unpark_one(set), 1);
	ck_assert(p->idle_taken);
	ck_assert_int_eq(park_idle_leave(set, p), 0);
	ck_assert_ptr_null(atomic_load(&p->idle_set));
	ck_assert(!p->idle_taken);
	ck_assert_ptr_null(p->idle_next);
	ck_assert_ptr_null(p->idle_prev);
	park_parker_unref(p);
}
END_TEST
#endif

Suite *idle_suite(void)
{
	Suite *s = suite_create("idle");
	TCase *tc = tcase_create("idle");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_new_ref_unref_count);
	tcase_add_test(tc, test_join_leave);
	tcase_add_test(tc, test_leave_after_unpark_keeps_token);
	tcase_add_test(tc, test_two_unpark_one_wake_two);
	tcase_add_test(tc, test_unpark_one_is_last_in_first_out);
	tcase_add_test(tc, test_park_with_timeouts_leaves);
	tcase_add_test(tc, test_park_zero_keeps_token);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_notify_noop_while_searching);
	tcase_add_test(tc, test_last_searcher_passes_on);
	tcase_add_test(tc, test_searching_errors);
	tcase_add_test(tc, test_search_ends_on_every_exit_path);
	tcase_add_test(tc, test_prefers_sleeper_over_driver);
	tcase_add_test(tc, test_prefers_not_yet_asleep_over_driver);
	tcase_add_test(tc, test_sleepers_last_in_first_out);
	tcase_add_test(tc, test_unpark_all);
	tcase_add_test(tc, test_driver_events_rejoin);
	tcase_add_test(tc, test_last_unref_releases_idle_parkers);
	tcase_add_test(tc, test_last_unref_wakes_sleeping_member);
	tcase_add_test(tc, test_parker_dropped_while_idle);
	tcase_add_test(tc, test_empty_unpark_one_makes_no_system_call);
	tcase_add_test(tc, test_rounds_one_worker_no_job_lost);
	tcase_add_test(tc, test_hammer_no_job_lost_or_run_twice);
	tcase_add_test(tc, test_plain_park_keeps_membership);
	tcase_add_test(tc, test_own_unparker_does_not_take_from_the_set);
	tcase_add_test(tc,
		       test_idle_park_that_times_out_while_taken_keeps_the_token);
	tcase_add_test(tc, test_notify_while_searching_makes_no_system_call);
	tcase_add_test(tc, test_notify_rounds_one_worker_no_job_lost);
	tcase_add_test(tc, test_notify_hammer_no_job_lost_or_run_twice);
	tcase_add_test(tc, test_notify_burst_fans_out);
#ifdef PARK_WHITE_BOX
	tcase_add_test(tc, test_fault_set_allocation);
	tcase_add_test(tc, test_fault_wake_write_in_unpark_one);
	tcase_add_test(tc, test_empty_unpark_one_takes_no_lock);
	tcase_add_test(tc, test_notify_while_searching_takes_no_lock);
	tcase_add_test(tc, test_notify_hold_released);
	tcase_add_test(tc, test_links_cleared_after_leave);
	tcase_add_test(tc, test_notify_below_bounds_the_searchers);
#endif
	suite_add_tcase(s, tc);
	return s;
}
