/*
 * The public API at its edges: nested drivers, deadlines at the ends of
 * time, one base adopted twice, the contract's corners (shutdown, parks
 * from callbacks, past deadlines, stats sizes, adopted base lifetime) and
 * driver creation with almost no descriptors left.
 */
#include "config.h"

#include "fixture.h"
#include "helpers.h"
#ifdef PARK_WHITE_BOX
#include "park-internal.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/event.h>

/* Runs fn(arg) from inside a callback of p's driver, during one park of p;
 * returns what that park returned. */
static int park_around(park_parker *p, event_callback_fn fn, void *arg)
{
	struct event *ev = event_new(park_driver_get_base(
					 park_parker_get_driver(p)),
				     -1, 0, fn, arg);
	event_active(ev, 0, 0);
	int r = park_parker_park(p);
	event_free(ev);
	return r;
}

/* --- nested drivers ------------------------------------------------------ */

struct nested {
	park_parker *outer_clone; /* on the driver whose callback runs */
	park_parker *inner;       /* on another driver */
	int inner_poll, inner_park, outer_park, outer_poll;
};

static void park_inner_then_outer(evutil_socket_t fd, short what, void *arg)
{
	struct nested *n = arg;
	(void)fd;
	(void)what;
	n->inner_poll = park_parker_park_timeout(n->inner, 0);
	n->inner_park = park_parker_park_timeout(n->inner, 20 * MS);
	/* Back in the outer driver's callback, its loop is still ours. */
	n->outer_park = park_parker_park_timeout(n->outer_clone, 50 * MS);
	n->outer_poll = park_parker_park_timeout(n->outer_clone, 0);
}

START_TEST(test_outer_driver_refused_after_an_inner_loop_returned)
{
	park_driver *d2 = park_driver_new();
	struct nested n = {park_parker_clone(parker), park_parker_new(d2), 0,
			   0, 0, 0};
	ck_assert_int_eq(park_around(parker, park_inner_then_outer, &n),
			 PARK_EVENTS | PARK_DRIVER);
	ck_assert_int_eq(n.inner_poll, PARK_TIMED_OUT | PARK_DRIVER);
	/* (Under valgrind the deadline may pass before the timer is armed,
	 * so only the reason is certain.) */
	ck_assert_int_eq(PARK_REASON(n.inner_park), PARK_TIMED_OUT);
	ck_assert_int_eq(n.outer_park, -EDEADLK);
	ck_assert_int_eq(n.outer_poll, -EDEADLK);
	park_parker_unref(n.outer_clone);
	park_parker_unref(n.inner);
	park_driver_unref(d2);
}
END_TEST

struct two_deep {
	park_parker *on_d1, *on_d2;
	int from_d2_on_d1, from_d2_on_d2;
	int d2_result;
};

static void inside_d2(evutil_socket_t fd, short what, void *arg)
{
	struct two_deep *t = arg;
	(void)fd;
	(void)what;
	t->from_d2_on_d1 = park_parker_park_timeout(t->on_d1, 50 * MS);
	t->from_d2_on_d2 = park_parker_park_timeout(t->on_d2, 0);
}

static void inside_d1(evutil_socket_t fd, short what, void *arg)
{
	struct two_deep *t = arg;
	(void)fd;
	(void)what;
	park_parker *runner = park_parker_clone(t->on_d2);
	t->d2_result = park_around(runner, inside_d2, t);
	park_parker_unref(runner);
}

START_TEST(test_every_loop_on_the_stack_is_refused)
{
	park_driver *d2 = park_driver_new();
	struct two_deep t = {park_parker_clone(parker), park_parker_new(d2), 0,
			     0, 0};
	ck_assert_int_eq(park_around(parker, inside_d1, &t),
			 PARK_EVENTS | PARK_DRIVER);
	ck_assert_int_eq(t.d2_result, PARK_EVENTS | PARK_DRIVER);
	ck_assert_int_eq(t.from_d2_on_d1, -EDEADLK);
	ck_assert_int_eq(t.from_d2_on_d2, -EDEADLK);
	park_parker_unref(t.on_d1);
	park_parker_unref(t.on_d2);
	park_driver_unref(d2);
}
END_TEST

struct reentry {
	int poll, park, timed, with_token, past_with_token, past;
};

/* Re-enters the very parker whose park runs this loop. */
static void reenter_running_parker(evutil_socket_t fd, short what, void *arg)
{
	struct reentry *r = arg;
	struct timespec past = {0, 0};
	(void)fd;
	(void)what;
	r->poll = park_parker_park_timeout(parker, 0);
	r->park = park_parker_park(parker);
	r->timed = park_parker_park_timeout(parker, MS);
	park_unparker_unpark(unparker);
	r->with_token = park_parker_park(parker);
	park_unparker_unpark(unparker);
	r->past_with_token = park_parker_park_until(parker, &past);
	r->past = park_parker_park_until(parker, &past);
}

START_TEST(test_reentrant_park_is_edeadlk_unless_a_token_waits)
{
	struct reentry r;
	/* The token went to the re-entrant parks; the outer one served an
	 * event. */
	ck_assert_int_eq(park_around(parker, reenter_running_parker, &r),
			 PARK_EVENTS | PARK_DRIVER);
	ck_assert_int_eq(r.poll, -EDEADLK);
	ck_assert_int_eq(r.park, -EDEADLK);
	ck_assert_int_eq(r.timed, -EDEADLK);
	ck_assert_int_eq(r.with_token, PARK_TOKEN);
	ck_assert_int_eq(r.past_with_token, PARK_TOKEN);
	ck_assert_int_eq(r.past, PARK_TIMED_OUT);
	struct park_stats s = stats_of(parker);
	ck_assert_uint_eq(s.tokens, 2);
	ck_assert_uint_eq(s.timeouts, 1);
	ck_assert_uint_eq(s.parks_driver, 1);
}
END_TEST

START_TEST(test_concurrent_park_is_still_ebusy)
{
	struct park_thread t;
	struct timespec past = {0, 0};
	park_thread_start_in_driver(&t, parker, -1);
	ck_assert_int_eq(park_parker_park(parker), -EBUSY);
	ck_assert_int_eq(park_parker_park_until(parker, &past), -EBUSY);
	park_unparker_unpark(unparker);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN | PARK_DRIVER);
}
END_TEST

/* --- deadlines at the ends of time --------------------------------------- */

#define TIME_T_MAX                                                             \
	(sizeof(time_t) < sizeof(int64_t) ? (time_t)INT32_MAX                  \
					  : (time_t)INT64_MAX)
#define TIME_T_MIN (-TIME_T_MAX - 1)

struct until_thread {
	pthread_t thread;
	park_parker *parker;
	struct timespec deadline;
	_Atomic pid_t tid;
	int result;
};

static void *park_until_main(void *arg)
{
	struct until_thread *t = arg;
	t->tid = current_tid();
	t->result = park_parker_park_until(t->parker, &t->deadline);
	return NULL;
}

/* A park_until that must sleep (in the driver or on the sleeper) until an
 * unpark: the deadline is too far to arm. */
static void assert_until_sleeps(park_parker *p, park_unparker *u,
				struct timespec deadline, bool in_driver)
{
	struct until_thread t = {.parker = p, .deadline = deadline};
	ck_assert_int_eq(pthread_create(&t.thread, NULL, park_until_main, &t),
			 0);
	while (t.tid == 0)
		usleep(100);
	if (in_driver)
		ck_assert(wait_in_driver(t.tid));
	else
		ck_assert(wait_on_sleeper(t.tid, p));
	ck_assert_int_eq(park_unparker_unpark(u), 0);
	ck_assert_int_eq(pthread_join(t.thread, NULL), 0);
	ck_assert_int_eq(t.result, in_driver ? PARK_TOKEN | PARK_DRIVER
					     : PARK_TOKEN);
}

START_TEST(test_deadlines_at_the_ends_of_time)
{
	const time_t past[] = {TIME_T_MIN, TIME_T_MIN + 1, -1, 0};
	const long nsecs[] = {0, 999999999};
	for (size_t i = 0; i < sizeof past / sizeof past[0]; i++) {
		for (size_t j = 0; j < 2; j++) {
			struct timespec ts = {past[i], nsecs[j]};
			int64_t start = now_ns();
			ck_assert_int_eq(park_parker_park_until(parker, &ts),
					 PARK_TIMED_OUT);
			ck_assert_int_lt(now_ns() - start, LATE_NS);
			park_unparker_unpark(unparker);
			ck_assert_int_eq(park_parker_park_until(parker, &ts),
					 PARK_TOKEN);
		}
	}
	park_parker *other = park_parker_clone(parker);
	park_unparker *other_u = park_unparker_new(other);
	for (size_t j = 0; j < 2; j++) {
		struct timespec far = {TIME_T_MAX, nsecs[j]};
		assert_until_sleeps(parker, unparker, far, true);
		/* The same on the sleeper, while a holder keeps the driver. */
		struct park_thread holder;
		park_thread_start_in_driver(&holder, parker, -1);
		assert_until_sleeps(other, other_u, far, false);
		park_unparker_unpark(unparker);
		park_thread_join(&holder);
	}
	park_unparker_unref(other_u);
	park_parker_unref(other);
}
END_TEST

START_TEST(test_timeouts_at_the_ends)
{
	const int64_t huge[] = {INT64_MAX, INT64_MAX - 1};
	park_parker *other = park_parker_clone(parker);
	park_unparker *other_u = park_unparker_new(other);
	for (size_t i = 0; i < 2; i++) {
		struct park_thread t, holder;
		park_thread_start_in_driver(&t, parker, huge[i]);
		park_unparker_unpark(unparker);
		ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN | PARK_DRIVER);
		park_thread_start_in_driver(&holder, parker, -1);
		park_thread_start_on_sleeper(&t, other, huge[i]);
		park_unparker_unpark(other_u);
		ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN);
		/* One nanosecond, on the sleeper and in the driver. */
		ck_assert_int_eq(park_parker_park_timeout(other, 1),
				 PARK_TIMED_OUT);
		park_unparker_unpark(unparker);
		park_thread_join(&holder);
	}
	/* In the driver, a nanosecond is over before the timer is armed. */
	ck_assert_int_eq(PARK_REASON(park_parker_park_timeout(parker, 1)),
			 PARK_TIMED_OUT);
	park_unparker_unref(other_u);
	park_parker_unref(other);
}
END_TEST

/* --- one base, one driver ------------------------------------------------ */

START_TEST(test_base_adopted_twice_is_refused)
{
	struct event_base *base = event_base_new();
	park_driver *first = park_driver_new_with_base(base);
	ck_assert_ptr_nonnull(first);
	errno = 0;
	ck_assert_ptr_null(park_driver_new_with_base(base));
	ck_assert_int_eq(errno, EBUSY);
	/* A base a driver made for itself is taken as well. */
	errno = 0;
	ck_assert_ptr_null(park_driver_new_with_base(park_driver_get_base(driver)));
	ck_assert_int_eq(errno, EBUSY);
	/* The first driver is unharmed. */
	park_parker *p = park_parker_new(first);
	ck_assert_int_eq(park_parker_park_timeout(p, 0),
			 PARK_TIMED_OUT | PARK_DRIVER);
	park_parker_unref(p);
	park_driver_unref(first);

	/* Once that driver is gone the base can be adopted again. */
	park_driver *second = park_driver_new_with_base(base);
	ck_assert_ptr_nonnull(second);
	p = park_parker_new(second);
	ck_assert_int_eq(park_parker_park_timeout(p, 0),
			 PARK_TIMED_OUT | PARK_DRIVER);
	park_parker_unref(p);
	park_driver_unref(second);
	event_base_free(base);
}
END_TEST

/* --- the contract's corners ---------------------------------------------- */

static void count_call(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	++*(int *)arg;
}

START_TEST(test_poll_after_shutdown)
{
	int calls = 0;
	struct event *ev = event_new(park_driver_get_base(driver), -1, 0,
				     count_call, &calls);
	event_active(ev, 0, 0);
	ck_assert_int_eq(park_driver_shutdown(driver), 0);
	park_unparker_unpark(unparker);
	/* No PARK_DRIVER: the loop did not run, and the token stays. */
	ck_assert_int_eq(park_parker_park_timeout(parker, 0), PARK_SHUTDOWN);
	ck_assert_int_eq(calls, 0);
	ck_assert_int_eq(park_parker_park(parker), PARK_TOKEN);
	struct park_stats s = stats_of(parker);
	ck_assert_uint_eq(s.spurious, 1);
	ck_assert_uint_eq(s.parks_driver, 0);
	event_free(ev);
}
END_TEST

START_TEST(test_blocking_parks_after_shutdown_never_report_it)
{
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, -1);
	ck_assert_int_eq(park_driver_shutdown(driver), 0);
	/* Only the park that was in the loop hears of it. */
	ck_assert_int_eq(park_thread_join(&t), PARK_SHUTDOWN | PARK_DRIVER);
	ck_assert_int_eq(park_parker_park_timeout(parker, 10 * MS),
			 PARK_TIMED_OUT);
	park_thread_start_on_sleeper(&t, parker, -1);
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN);
}
END_TEST

/* The worker loop of libpark(3), word for word apart from the job queue:
 * a counter of jobs. */
struct pool {
	park_driver *driver;
	_Atomic int jobs, done;
};

struct worker {
	pthread_t thread;
	struct pool *pool;
	park_parker *parker;
	_Atomic pid_t tid;
	int error;
};

static bool take_job(struct pool *pool)
{
	int n = pool->jobs;
	while (n > 0)
		if (atomic_compare_exchange_weak(&pool->jobs, &n, n - 1))
			return true;
	return false;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	w->tid = current_tid();
	for (;;) {
		while (take_job(w->pool))
			w->pool->done++;
		if (park_driver_is_shutdown(w->pool->driver))
			break;
		int r = park_parker_park(w->parker);
		if (r < 0) {
			w->error = r;
			break;
		}
	}
	return NULL;
}

START_TEST(test_recommended_worker_loop_stops_at_shutdown)
{
	struct pool pool = {driver, 0, 0};
	struct worker w[2] = {{.pool = &pool, .parker = parker},
			      {.pool = &pool,
			       .parker = park_parker_clone(parker)}};
	park_unparker *u[2] = {unparker, park_unparker_new(w[1].parker)};
	ck_assert_int_eq(pthread_create(&w[0].thread, NULL, worker_main, &w[0]),
			 0);
	while (w[0].tid == 0)
		usleep(100);
	ck_assert(wait_in_driver(w[0].tid));
	ck_assert_int_eq(pthread_create(&w[1].thread, NULL, worker_main, &w[1]),
			 0);
	while (w[1].tid == 0)
		usleep(100);
	ck_assert(wait_on_sleeper(w[1].tid, w[1].parker));

	pool.jobs = 10;
	park_unparker_unpark(u[0]);
	park_unparker_unpark(u[1]);
	/* Shut down, then wake every worker: the one on its sleeper would
	 * never hear of the shutdown otherwise. */
	ck_assert_int_eq(park_driver_shutdown(driver), 0);
	park_unparker_unpark(u[0]);
	park_unparker_unpark(u[1]);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(pthread_join(w[i].thread, NULL), 0);
		ck_assert_int_eq(w[i].error, 0);
	}
	ck_assert_int_eq(pool.done + pool.jobs, 10);
	park_unparker_unref(u[1]);
	park_parker_unref(w[1].parker);
}
END_TEST

struct from_callback {
	park_parker *p;
	park_unparker *u;
	int token, past, park, timed, poll, poll_with_token, token_after_poll;
};

static void park_all_ways(evutil_socket_t fd, short what, void *arg)
{
	struct from_callback *c = arg;
	struct timespec past = {0, 0};
	(void)fd;
	(void)what;
	park_unparker_unpark(c->u);
	c->token = park_parker_park(c->p);
	c->past = park_parker_park_until(c->p, &past);
	c->park = park_parker_park(c->p);
	c->timed = park_parker_park_timeout(c->p, MS);
	c->poll = park_parker_park_timeout(c->p, 0);
	park_unparker_unpark(c->u);
	c->poll_with_token = park_parker_park_timeout(c->p, 0);
	c->token_after_poll = park_parker_park(c->p);
}

START_TEST(test_callback_refuses_only_parks_that_would_sleep_or_poll)
{
	struct from_callback c;
	c.p = park_parker_clone(parker);
	c.u = park_unparker_new(c.p);
	ck_assert_int_eq(park_around(parker, park_all_ways, &c),
			 PARK_EVENTS | PARK_DRIVER);
	ck_assert_int_eq(c.token, PARK_TOKEN);
	ck_assert_int_eq(c.past, PARK_TIMED_OUT);
	ck_assert_int_eq(c.park, -EDEADLK);
	ck_assert_int_eq(c.timed, -EDEADLK);
	ck_assert_int_eq(c.poll, -EDEADLK);
	/* A poll never takes a token, so it is refused even with one. */
	ck_assert_int_eq(c.poll_with_token, -EDEADLK);
	ck_assert_int_eq(c.token_after_poll, PARK_TOKEN);
	park_unparker_unref(c.u);
	park_parker_unref(c.p);
}
END_TEST

START_TEST(test_past_deadline_does_not_poll)
{
	int calls = 0;
	struct event *ev = event_new(park_driver_get_base(driver), -1, 0,
				     count_call, &calls);
	event_active(ev, 0, 0);
	struct timespec past;
	clock_gettime(CLOCK_MONOTONIC, &past);
	ck_assert_int_eq(park_parker_park_until(parker, &past), PARK_TIMED_OUT);
	ck_assert_int_eq(calls, 0);
	ck_assert_uint_eq(stats_of(parker).parks_driver, 0);
	/* A poll does run it. */
	ck_assert_int_eq(park_parker_park_timeout(parker, 0),
			 PARK_TIMED_OUT | PARK_DRIVER);
	ck_assert_int_eq(calls, 1);
	event_free(ev);
}
END_TEST

static void unpark_running_parker(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	park_unparker_unpark(unparker);
}

START_TEST(test_unpark_in_a_callback_leaves_a_wake)
{
	ck_assert_int_eq(park_around(parker, unpark_running_parker, NULL),
			 PARK_TOKEN | PARK_DRIVER);
	/* The unpark saw PARKED_DRIVER and wrote the wake channel after the
	 * loop had collected its events: the next loop iteration ends at
	 * once, with nothing to report but events. */
	int64_t start = now_ns();
	ck_assert_int_eq(park_parker_park_timeout(parker, 10000 * MS),
			 PARK_EVENTS | PARK_DRIVER);
	ck_assert_int_lt(now_ns() - start, LATE_NS);
	/* Only once. */
	ck_assert_int_eq(PARK_REASON(park_parker_park_timeout(parker, 20 * MS)),
			 PARK_TIMED_OUT);
}
END_TEST

START_TEST(test_stats_size_inside_a_field_gets_whole_fields)
{
	park_unparker_unpark(unparker);
	ck_assert_int_eq(park_parker_park(parker), PARK_TOKEN);
	unsigned char untouched[sizeof(struct park_stats)];
	memset(untouched, 0xab, sizeof untouched);
	for (size_t extra = 1; extra < sizeof(uint64_t); extra++) {
		struct park_stats s;
		memset(&s, 0xab, sizeof s);
		s.size = offsetof(struct park_stats, tokens) + extra;
		ck_assert_int_eq(park_parker_get_stats(parker, &s), 0);
		ck_assert_uint_eq(s.size, offsetof(struct park_stats, tokens));
		ck_assert_uint_eq(s.parks_driver, 0);
		ck_assert_uint_eq(s.parks_sleeper, 0);
		ck_assert_int_eq(memcmp(&s.tokens, untouched,
					sizeof s - offsetof(struct park_stats,
							    tokens)),
				 0);
	}
	/* A size inside .size itself is refused, as before. */
	struct park_stats s = {.size = sizeof s.size - 1};
	ck_assert_int_eq(park_parker_get_stats(parker, &s), -EINVAL);
}
END_TEST

START_TEST(test_adopted_base_is_used_until_the_last_unparker)
{
	struct event_base *base = event_base_new();
	park_driver *d = park_driver_new_with_base(base);
	park_parker *p = park_parker_new(d);
	park_unparker *u = park_unparker_new(p);
	ck_assert_ptr_nonnull(u);
	park_parker_unref(p);
	park_driver_unref(d);
	/* The unparker keeps the driver, and its event on the base. */
	ck_assert_int_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED),
			 1);
	ck_assert_int_eq(park_unparker_unpark(u), 0);
	park_unparker_unref(u);
	ck_assert_int_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED),
			 0);
	event_base_free(base);
}
END_TEST

/* --- running out of descriptors ------------------------------------------ */

static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	close(fd);
	return fd;
}

static int free_below(int limit)
{
	int n = 0;
	for (int fd = 0; fd < limit; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			n++;
	return n;
}

/* RLIMIT_NOFILE at the lowest free descriptor + 0 .. + 8 (Check runs each
 * in a process of its own). libevent used to exit the whole process when
 * the limit left room for the wake channel but not for the base's
 * socketpair; now the driver either works or is NULL with EMFILE. */
START_TEST(test_driver_new_near_the_descriptor_limit)
{
	struct rlimit old, lim;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)(lowest_free_fd() + _i);
	int room = free_below((int)lim.rlim_cur);
	/* The wake channel (an eventfd, or a pipe's two ends), epoll, the
	 * signal socketpair, libevent's thread notification (counted even
	 * when its thread support is off), and a timerfd with
	 * EVENT_PRECISE_TIMER. */
#ifdef PARK_WAKE_EVENTFD
	int needed = 5;
#else
	int needed = 6;
#endif
	if (getenv("EVENT_PRECISE_TIMER"))
		needed++;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
	errno = 0;
	park_driver *d = park_driver_new();
	int err = errno;
	int r = 0;
	if (d) {
		park_parker *p = park_parker_new(d);
		r = park_parker_park_timeout(p, 0);
		park_parker_unref(p);
		park_driver_unref(d);
	}
	setrlimit(RLIMIT_NOFILE, &old);
	if (room >= needed) {
		ck_assert_msg(d != NULL, "no driver with %d descriptors free: %s",
			      room, strerror(err));
		ck_assert_int_eq(r, PARK_TIMED_OUT | PARK_DRIVER);
	} else {
		ck_assert_msg(d == NULL, "a driver with %d descriptors free",
			      room);
		ck_assert_int_eq(err, EMFILE);
	}
	/* What it took is given back. */
	ck_assert_int_eq(free_below((int)lim.rlim_cur), room);
}
END_TEST

START_TEST(test_ref_of_null_is_einval)
{
	errno = 0;
	ck_assert_ptr_null(park_driver_ref(NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(park_parker_ref(NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(park_unparker_ref(NULL));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* park_driver_wake is async-signal-safe: a handler that calls it leaves
 * errno as the code it interrupted had it. */
static _Atomic int wake_in_handler_result = 1;

static void wake_in_handler(int sig)
{
	(void)sig;
	wake_in_handler_result = park_driver_wake(driver);
}

START_TEST(test_wake_in_a_handler_leaves_errno_alone)
{
	struct sigaction sa = {.sa_handler = wake_in_handler}, old;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, &old), 0);
	errno = E2BIG;
	ck_assert_int_eq(raise(SIGUSR1), 0);
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_int_eq(wake_in_handler_result, 0);
#ifdef PARK_WHITE_BOX
	/* The failing write is the path that sets errno inside. */
	park__fault_arm(PARK_FAULT_WAKE_WRITE, 0);
	errno = E2BIG;
	ck_assert_int_eq(raise(SIGUSR1), 0);
	park__fault_disarm();
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_int_eq(wake_in_handler_result, -EIO);
#endif
	ck_assert_int_eq(sigaction(SIGUSR1, &old, NULL), 0);
	/* The first wake is pending for the next driver park. */
	ck_assert_int_eq(park_parker_park_timeout(parker, 10000 * MS),
			 PARK_EVENTS | PARK_DRIVER);
}
END_TEST

Suite *edges_suite(void)
{
	Suite *s = suite_create("edges");
	TCase *tc = tcase_create("nested");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_outer_driver_refused_after_an_inner_loop_returned);
	tcase_add_test(tc, test_every_loop_on_the_stack_is_refused);
	tcase_add_test(tc, test_reentrant_park_is_edeadlk_unless_a_token_waits);
	tcase_add_test(tc, test_concurrent_park_is_still_ebusy);
	suite_add_tcase(s, tc);

	tc = tcase_create("time");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_deadlines_at_the_ends_of_time);
	tcase_add_test(tc, test_timeouts_at_the_ends);
	suite_add_tcase(s, tc);

	tc = tcase_create("contract");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_base_adopted_twice_is_refused);
	tcase_add_test(tc, test_poll_after_shutdown);
	tcase_add_test(tc, test_blocking_parks_after_shutdown_never_report_it);
	tcase_add_test(tc, test_recommended_worker_loop_stops_at_shutdown);
	tcase_add_test(tc,
		       test_callback_refuses_only_parks_that_would_sleep_or_poll);
	tcase_add_test(tc, test_past_deadline_does_not_poll);
	tcase_add_test(tc, test_unpark_in_a_callback_leaves_a_wake);
	tcase_add_test(tc, test_stats_size_inside_a_field_gets_whole_fields);
	tcase_add_test(tc, test_adopted_base_is_used_until_the_last_unparker);
	tcase_add_test(tc, test_ref_of_null_is_einval);
	tcase_add_test(tc, test_wake_in_a_handler_leaves_errno_alone);
	suite_add_tcase(s, tc);

	tc = tcase_create("descriptors");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_driver_new_near_the_descriptor_limit, 0, 9);
	suite_add_tcase(s, tc);
	return s;
}
