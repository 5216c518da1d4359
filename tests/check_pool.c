/*
 * The worker pool (park_pool_*), black box against the installed library:
 * options and their errors, jobs from outside, from jobs and from event
 * callbacks, both shutdown modes and their exactly-once promise under
 * racing producers, shutdown and the last unref from a worker, the driver
 * served while every worker is busy, hooks, counters and fork.
 */
#include "config.h"

#include "helpers.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif

/* Set by the start hook: this thread is one of a pool's workers. */
static _Thread_local bool on_worker;
static _Atomic int starts, stops, fail_index = -1;
static _Atomic long ran, cancelled;
static _Atomic int at_gate;
/* What an event callback saw, and what its call returned (1: not yet). */
static _Atomic bool callback_on_worker;
static _Atomic int callback_result = 1, inner_result = 1;

static int start_hook(void *user, unsigned index)
{
	(void)user;
	starts++;
	if ((int)index == fail_index)
		return -EPERM;
	on_worker = true;
	return 0;
}

static void stop_hook(void *user, unsigned index)
{
	(void)user;
	(void)index;
	ck_assert(on_worker);
	stops++;
}

static void cancel_hook(void *user, park_job_fn *fn, void *arg)
{
	(void)user;
	(void)fn;
	(void)arg;
	cancelled++;
}

static struct park_pool_options options(unsigned workers)
{
	return (struct park_pool_options){
	    .size = sizeof(struct park_pool_options),
	    .workers = workers,
	    .on_start = start_hook,
	    .on_stop = stop_hook,
	    .on_cancel = cancel_hook,
	};
}

static park_pool *pool_new(unsigned workers)
{
	struct park_pool_options o = options(workers);
	park_pool *pool = park_pool_new(&o);
	ck_assert_ptr_nonnull(pool);
	return pool;
}

/* A pool on a driver of the test's own, made first: events on its base
 * are created before any worker runs the loop (libevent's event_new is
 * not for a base another thread is running). The pool holds the driver;
 * the test's reference is dropped here. */
static park_pool *pool_with_event(unsigned workers, event_callback_fn cb,
				  struct event **ev)
{
	park_driver *d = park_driver_new();
	ck_assert_ptr_nonnull(d);
	*ev = evtimer_new(park_driver_get_base(d), cb, NULL);
	ck_assert_ptr_nonnull(*ev);
	struct park_pool_options o = options(workers);
	o.driver = d;
	park_pool *pool = park_pool_new(&o);
	ck_assert_ptr_nonnull(pool);
	park_driver_unref(d);
	return pool;
}

static void setup(void)
{
	starts = stops = 0;
	fail_index = -1;
	ran = cancelled = 0;
	at_gate = 0;
	callback_result = inner_result = 1;
	callback_on_worker = false;
}

static void count_job(void *arg)
{
	(void)arg;
	ck_assert(on_worker);
	ran++;
}

static void plain_job(void *arg)
{
	(void)arg;
	ran++;
}

static struct park_pool_stats pool_stats(park_pool *pool)
{
	struct park_pool_stats st = {.size = sizeof st};
	ck_assert_int_eq(park_pool_get_stats(pool, &st), 0);
	return st;
}

static int threads_now(void)
{
	DIR *d = opendir("/proc/self/task");
	ck_assert_ptr_nonnull(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void *no_op(void *arg)
{
	return arg;
}

/* The threads before a pool, once a thread has come and gone: a
 * sanitizer's runtime starts a thread of its own with the first
 * pthread_create, which must not count as the pool's. */
static int threads_before(void)
{
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, no_op, NULL), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	return threads_now();
}

/* A gate a job can wait at, to hold a worker busy. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;

static void gate_job(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&gate_lock);
	at_gate++;
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	ran++;
}

static void gate_set(bool open)
{
	pthread_mutex_lock(&gate_lock);
	gate_open = open;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

static void wait_at_gate(int n)
{
	int64_t end = now_ns() + 20000 * MS;
	while (at_gate < n && now_ns() < end)
		usleep(1000);
	ck_assert_int_eq(at_gate, n);
}

/* --- options ---------------------------------------------------------------- */

START_TEST(test_bad_options)
{
	struct park_pool_options o = options(0);
	errno = 0;
	ck_assert_ptr_null(park_pool_new(NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(park_pool_new(&o));
	ck_assert_int_eq(errno, EINVAL);
	o.workers = PARK_POOL_MAX_WORKERS + 1;
	errno = 0;
	ck_assert_ptr_null(park_pool_new(&o));
	ck_assert_int_eq(errno, EINVAL);
	o.workers = 1;
	o.size = sizeof o.size;
	errno = 0;
	ck_assert_ptr_null(park_pool_new(&o));
	ck_assert_int_eq(errno, EINVAL);
	o = options(1);
	o.spin_ns = -1;
	errno = 0;
	ck_assert_ptr_null(park_pool_new(&o));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(starts, 0);
}
END_TEST

/* An old caller's shorter struct: the fields it lacks take defaults (no
 * hooks: none runs). */
START_TEST(test_short_options_take_defaults)
{
	struct park_pool_options o = options(2);
	o.size = offsetof(struct park_pool_options, on_start);
	park_pool *pool = park_pool_new(&o);
	ck_assert_ptr_nonnull(pool);
	ck_assert_int_eq(park_pool_submit(pool, plain_job, NULL), 0);
	ck_assert_int_eq(park_pool_shutdown(pool, PARK_POOL_DRAIN, -1), 0);
	ck_assert_int_eq(starts, 0);
	ck_assert_int_eq(ran, 1);
	park_pool_unref(pool);
}
END_TEST

START_TEST(test_bad_calls)
{
	park_pool *pool = pool_new(1);
	ck_assert_int_eq(park_pool_submit(NULL, count_job, NULL), -EINVAL);
	ck_assert_int_eq(park_pool_submit(pool, NULL, NULL), -EINVAL);
	ck_assert_int_eq(park_pool_shutdown(NULL, PARK_POOL_DRAIN, -1),
			 -EINVAL);
	ck_assert_int_eq(park_pool_shutdown(pool, 7, -1), -EINVAL);
	ck_assert_int_eq(park_pool_get_stats(pool, NULL), -EINVAL);
	ck_assert_ptr_null(park_pool_ref(NULL));
	ck_assert_ptr_null(park_pool_get_driver(NULL));
	park_pool_unref(NULL);
	/* Refused calls changed nothing: the pool still takes jobs. */
	ck_assert_int_eq(park_pool_submit(pool, count_job, NULL), 0);
	park_pool_unref(pool);
	ck_assert_int_eq(ran, 1);
}
END_TEST

START_TEST(test_cancel_needs_a_cancel_hook)
{
	struct park_pool_options o = options(1);
	o.on_cancel = NULL;
	park_pool *pool = park_pool_new(&o);
	ck_assert_ptr_nonnull(pool);
	ck_assert_int_eq(park_pool_shutdown(pool, PARK_POOL_CANCEL, -1),
			 -EINVAL);
	ck_assert_int_eq(park_pool_submit(pool, count_job, NULL), 0);
	park_pool_unref(pool);
	ck_assert_int_eq(ran, 1);
}
END_TEST

/* Index 2's hook fails: no pool, its error, every other started thread
 * stopped (on_stop once each, not for the failed one) and joined. */
START_TEST(test_start_hook_fails)
{
	int before = threads_before();
	struct park_pool_options o = options(4);
	fail_index = 2;
	errno = 0;
	ck_assert_ptr_null(park_pool_new(&o));
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(starts, 4);
	ck_assert_int_eq(stops, 3);
	/* Joined, but a joined thread can still be listed for a moment
	 * (under qemu-user, long enough to count): a leaked one stays. */
	int64_t end = now_ns() + 20000 * MS;
	while (threads_now() > before && now_ns() < end)
		usleep(1000);
	ck_assert_int_eq(threads_now(), before);
}
END_TEST

START_TEST(test_hooks_once_per_worker)
{
	park_pool *pool = pool_new(3);
	ck_assert_int_eq(starts, 3);
	ck_assert_int_eq(park_pool_shutdown(pool, PARK_POOL_DRAIN, -1), 0);
	ck_assert_int_eq(stops, 3);
	park_pool_unref(pool);
	ck_assert_int_eq(stops, 3);
}
END_TEST

START_TEST(test_max_queued)
{
	struct park_pool_options o = options(1);
	o.max_queued = 2;
	park_pool *pool = park_pool_new(&o);
	ck_assert_ptr_nonnull(pool);
	gate_set(false);
	at_gate = 0;
	ck_assert_int_eq(park_pool_submit(pool, gate_job, NULL), 0);
	wait_at_gate(1);
	ck_assert_int_eq(park_pool_submit(pool, count_job, NULL), 0);
	ck_assert_int_eq(park_pool_submit(pool, count_job, NULL), 0);
	ck_assert_int_eq(park_pool_submit(pool, count_job, NULL), -EAGAIN);
	gate_set(true);
	park_pool_unref(pool);
	ck_assert_int_eq(ran, 3);
}
END_TEST

/* --- drain ------------------------------------------------------------------- */

START_TEST(test_drain_runs_every_job)
{
	park_pool *pool = pool_new(3);
	for (int i = 0; i < 20000; i++)
		ck_assert_int_eq(park_pool_submit(pool, count_job, NULL), 0);
	ck_assert_int_eq(park_pool_shutdown(pool, PARK_POOL_DRAIN, -1), 0);
	ck_assert_int_eq(ran, 20000);
	struct park_pool_stats st = pool_stats(pool);
	ck_assert_int_eq(st.jobs_run, 20000);
	ck_assert_int_eq(st.jobs_cancelled, 0);
	ck_assert_int_le(st.wakes, 20000);
	ck_assert_int_eq(park_pool_submit(pool, count_job, NULL), -ESHUTDOWN);
	/* A second shutdown, either mode: already stopped. */
	ck_assert_int_eq(park_pool_shutdown(pool, PARK_POOL_DRAIN, 0), 0);
	ck_assert_int_eq(park_pool_shutdown(pool, PARK_POOL_CANCEL, -1), 0);
	park_pool_unref(pool);
	ck_assert_int_eq(ran, 20000);
}
END_TEST

/* Jobs that submit jobs: a chain of 1000 from each of 4 seeds. */
static park_pool *chain_pool;
static void chain_job(void *arg)
{
	long left = (long)arg;
	ran++;
	if (left > 0)
		ck_assert_int_eq(park_pool_submit(chain_pool, chain_job,
						  (void *)(left - 1)),
				 0);
}

START_TEST(test_submit_from_jobs)
{
	chain_pool = pool_new(2);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(park_pool_submit(chain_pool, chain_job,
						  (void *)999L),
				 0);
	/* Drain refuses new jobs, from jobs too: let the chains end first. */
	int64_t end = now_ns() + 20000 * MS;
	while (ran < 4000 && now_ns() < end)
		usleep(1000);
	ck_assert_int_eq(park_pool_shutdown(chain_pool, PARK_POOL_DRAIN, -1),
			 0);
	ck_assert_int_eq(ran, 4000);
	park_pool_unref(chain_pool);
}
END_TEST

/* An event callback, run inside a worker's park, submits a job. */
static park_pool *event_pool;
static void submit_from_callback(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	callback_on_worker = on_worker;
	callback_result = park_pool_submit(event_pool, count_job, NULL);
}

/* Only the thread running the loop may touch the base: a post adds the
 * event from there. */
static void arm_timer(void *arg)
{
	struct timeval ms = {0, 1000};
	event_add(arg, &ms);
}

static void wait_for(_Atomic int *result)
{
	int64_t end = now_ns() + 20000 * MS;
	while (*result == 1 && now_ns() < end)
		usleep(1000);
	ck_assert_int_ne(*result, 1);
}

START_TEST(test_submit_from_event_callback)
{
	struct event *ev;
	event_pool = pool_with_event(2, submit_from_callback, &ev);
	park_driver *d = park_pool_get_driver(event_pool);
	ck_assert_int_eq(park_driver_post(d, arm_timer, ev), 0);
	wait_for(&callback_result);
	ck_assert(callback_on_worker);
	ck_assert_int_eq(callback_result, 0);
	ck_assert_int_eq(park_pool_shutdown(event_pool, PARK_POOL_DRAIN, -1),
			 0);
	ck_assert_int_eq(ran, 1);
	/* The workers have left: the base is the caller's now. */
	event_free(ev);
	park_pool_unref(event_pool);
}
END_TEST

START_TEST(test_cancel_hands_back_exactly_once)
{
	park_pool *pool = pool_new(1);
	gate_set(false);
	at_gate = 0;
	ck_assert_int_eq(park_pool_submit(pool, gate_job, NULL), 0);
	wait_at_gate(1);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(park_pool_submit(pool, count_job, NULL), 0);
	/* The worker is held at the gate: not stopped yet. */
	ck_assert_int_eq(park_pool_shutdown(pool, PARK_POOL_CANCEL, 0),
			 -ETIMEDOUT);
	ck_assert_int_eq(cancelled, 1000);
	ck_assert_int_eq(park_pool_submit(pool, count_job, NULL), -ESHUTDOWN);
	gate_set(true);
	ck_assert_int_eq(park_pool_shutdown(pool, PARK_POOL_CANCEL, -1), 0);
	ck_assert_int_eq(cancelled, 1000);
	ck_assert_int_eq(ran, 1);
	struct park_pool_stats st = pool_stats(pool);
	ck_assert_int_eq(st.jobs_run, 1);
	ck_assert_int_eq(st.jobs_cancelled, 1000);
	park_pool_unref(pool);
}
END_TEST

/* A job that waits until the test lets it go, once it said it started. */
static _Atomic bool hold_started, hold_released;
static void hold_job(void *arg)
{
	(void)arg;
	hold_started = true;
	while (!hold_released)
		usleep(1000);
	ran++;
}

/* Each job's number, in the order it was handed back. */
static _Atomic int handed[64], nhanded;
static void record_cancel(void *user, park_job_fn *fn, void *arg)
{
	(void)user;
	(void)fn;
	handed[nhanded++] = (int)(intptr_t)arg;
}

/* With a long queue a worker takes a batch with its job (pool.c); a
 * cancel while it runs that job hands the rest of the batch back, with
 * the queue, oldest first, and none of them runs. */
START_TEST(test_cancel_hands_back_a_workers_batch)
{
	struct park_pool_options o = options(1);
	o.on_cancel = record_cancel;
	park_pool *pool = park_pool_new(&o);
	ck_assert_ptr_nonnull(pool);
	hold_started = hold_released = false;
	nhanded = 0;
	gate_set(false);
	ck_assert_int_eq(park_pool_submit(pool, gate_job, NULL), 0);
	wait_at_gate(1);
	ck_assert_int_eq(park_pool_submit(pool, hold_job, NULL), 0);
	for (intptr_t i = 1; i <= 40; i++)
		ck_assert_int_eq(park_pool_submit(pool, count_job, (void *)i), 0);
	gate_set(true);
	int64_t end = now_ns() + 20000 * MS;
	while (!hold_started && now_ns() < end)
		usleep(1000);
	ck_assert(hold_started);
	ck_assert_int_eq(park_pool_shutdown(pool, PARK_POOL_CANCEL, 0),
			 -ETIMEDOUT);
	ck_assert_int_eq(nhanded, 40);
	for (int i = 0; i < 40; i++)
		ck_assert_int_eq(handed[i], i + 1);
	hold_released = true;
	ck_assert_int_eq(park_pool_shutdown(pool, PARK_POOL_CANCEL, -1), 0);
	ck_assert_int_eq(ran, 2);
	ck_assert_int_eq(nhanded, 40);
	struct park_pool_stats st = pool_stats(pool);
	ck_assert_int_eq(st.jobs_run, 2);
	ck_assert_int_eq(st.jobs_cancelled, 40);
	park_pool_unref(pool);
}
END_TEST

START_TEST(test_shutdown_deadline)
{
	park_pool *pool = pool_new(1);
	gate_set(false);
	at_gate = 0;
	ck_assert_int_eq(park_pool_submit(pool, gate_job, NULL), 0);
	wait_at_gate(1);
	int64_t start = now_ns();
	ck_assert_int_eq(park_pool_shutdown(pool, PARK_POOL_DRAIN, 20 * MS),
			 -ETIMEDOUT);
	ck_assert_int_ge(now_ns() - start, 20 * MS);
	gate_set(true);
	ck_assert_int_eq(park_pool_shutdown(pool, PARK_POOL_DRAIN, -1), 0);
	park_pool_unref(pool);
	ck_assert_int_eq(ran, 1);
}
END_TEST

/* --- from inside ------------------------------------------------------------ */

static park_pool *inner_pool;
static void shutdown_job(void *arg)
{
	inner_result = park_pool_shutdown(inner_pool, (int)(long)arg, -1);
	ran++;
}

START_TEST(test_shutdown_from_job)
{
	inner_pool = pool_new(2);
	gate_set(false);
	at_gate = 0;
	ck_assert_int_eq(park_pool_submit(inner_pool, gate_job, NULL), 0);
	wait_at_gate(1);
	ck_assert_int_eq(park_pool_submit(inner_pool, shutdown_job,
					  (void *)(long)PARK_POOL_DRAIN),
			 0);
	while (inner_result == 1)
		usleep(1000);
	ck_assert_int_eq(inner_result, -EINPROGRESS);
	ck_assert_int_eq(park_pool_submit(inner_pool, count_job, NULL),
			 -ESHUTDOWN);
	gate_set(true);
	ck_assert_int_eq(park_pool_shutdown(inner_pool, PARK_POOL_DRAIN, -1),
			 0);
	ck_assert_int_eq(ran, 2);
	park_pool_unref(inner_pool);
}
END_TEST

static void shutdown_from_callback(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	callback_on_worker = on_worker;
	inner_result = park_pool_shutdown(inner_pool, PARK_POOL_CANCEL, -1);
}

START_TEST(test_shutdown_from_event_callback)
{
	struct event *ev;
	inner_pool = pool_with_event(2, shutdown_from_callback, &ev);
	park_driver *d = park_pool_get_driver(inner_pool);
	ck_assert_int_eq(park_driver_post(d, arm_timer, ev), 0);
	wait_for(&inner_result);
	ck_assert(callback_on_worker);
	ck_assert_int_eq(inner_result, -EINPROGRESS);
	ck_assert_int_eq(park_pool_shutdown(inner_pool, PARK_POOL_DRAIN, -1),
			 0);
	ck_assert_int_eq(stops, 2);
	event_free(ev);
	park_pool_unref(inner_pool);
}
END_TEST

/* The last reference, dropped while jobs wait: every one runs before
 * unref returns. */
START_TEST(test_last_unref_drains)
{
	park_pool *pool = pool_new(2);
	gate_set(false);
	at_gate = 0;
	ck_assert_int_eq(park_pool_submit(pool, gate_job, NULL), 0);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(park_pool_submit(pool, count_job, NULL), 0);
	wait_at_gate(1);
	gate_set(true);
	park_pool_unref(pool);
	ck_assert_int_eq(ran, 1001);
	ck_assert_int_eq(stops, 2);
}
END_TEST

/* The last reference dropped by a job: the others still run, and the
 * last worker to leave frees the pool (its threads all end). */
static void unref_job(void *arg)
{
	park_pool_unref(arg);
	ran++;
}

START_TEST(test_last_unref_on_worker)
{
	int before = threads_before();
	park_pool *pool = pool_new(2);
	gate_set(false);
	at_gate = 0;
	ck_assert_int_eq(park_pool_submit(pool, gate_job, NULL), 0);
	wait_at_gate(1);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(park_pool_submit(pool, count_job, NULL), 0);
	/* The reference goes with this job: pool is not touched after. */
	ck_assert_int_eq(park_pool_submit(pool, unref_job, pool), 0);
	gate_set(true);
	int64_t end = now_ns() + 20000 * MS;
	while ((stops < 2 || threads_now() > before) && now_ns() < end)
		usleep(1000);
	ck_assert_int_eq(ran, 102);
	ck_assert_int_eq(stops, 2);
	ck_assert_int_eq(threads_now(), before);
}
END_TEST

/* --- the driver --------------------------------------------------------------- */

/* Every worker is kept busy by self-resubmitting jobs; a one-shot timer
 * on the driver must still fire: only the poll between jobs serves it. */
static park_pool *busy_pool;
static _Atomic bool busy_stop, timer_fired;
static void busy_job(void *arg)
{
	(void)arg;
	if (!busy_stop)
		park_pool_submit(busy_pool, busy_job, NULL);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	timer_fired = true;
}

static struct event *timer_ev;

START_TEST(test_driver_served_while_busy)
{
	busy_pool = pool_with_event(2, timer_cb, &timer_ev);
	park_driver *d = park_pool_get_driver(busy_pool);
	busy_stop = false;
	timer_fired = false;
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(park_pool_submit(busy_pool, busy_job, NULL),
				 0);
	ck_assert_int_eq(park_driver_post(d, arm_timer, timer_ev), 0);
	int64_t end = now_ns() + 20000 * MS;
	while (!timer_fired && now_ns() < end)
		usleep(1000);
	ck_assert(timer_fired);
	/* The pool never went idle meanwhile: its queue was never empty. */
	busy_stop = true;
	ck_assert_int_eq(park_pool_shutdown(busy_pool, PARK_POOL_DRAIN, -1),
			 0);
	ck_assert_int_gt(pool_stats(busy_pool).parks_driver, 0);
	event_free(timer_ev);
	park_pool_unref(busy_pool);
}
END_TEST

/* A given driver: never shut down by the pool; replies posted by jobs
 * during the drain are all accepted and run when the caller runs the
 * base afterwards. */
static park_driver *given;
static _Atomic long posted, replies;
static void reply(void *arg)
{
	(void)arg;
	replies++;
}
static void post_job(void *arg)
{
	(void)arg;
	ck_assert_int_eq(park_driver_post(given, reply, NULL), 0);
	posted++;
}

START_TEST(test_given_driver_kept)
{
	given = park_driver_new();
	ck_assert_ptr_nonnull(given);
	struct park_pool_options o = options(2);
	o.driver = given;
	park_pool *pool = park_pool_new(&o);
	ck_assert_ptr_nonnull(pool);
	ck_assert_ptr_eq(park_pool_get_driver(pool), given);
	posted = replies = 0;
	for (int i = 0; i < 5000; i++)
		ck_assert_int_eq(park_pool_submit(pool, post_job, NULL), 0);
	ck_assert_int_eq(park_pool_shutdown(pool, PARK_POOL_DRAIN, -1), 0);
	ck_assert_int_eq(posted, 5000);
	ck_assert_int_eq(park_driver_is_shutdown(given), 0);
	park_pool_unref(pool);
	/* No pool thread parks on it any more: the base is the caller's. */
	event_base_loop(park_driver_get_base(given), EVLOOP_NONBLOCK);
	ck_assert_int_eq(replies, 5000);
	park_driver_unref(given);
}
END_TEST

/* --- counters and fork -------------------------------------------------------- */

START_TEST(test_stats_size)
{
	park_pool *pool = pool_new(1);
	ck_assert_int_eq(park_pool_submit(pool, count_job, NULL), 0);
	ck_assert_int_eq(park_pool_shutdown(pool, PARK_POOL_DRAIN, -1), 0);
	struct park_pool_stats st;
	memset(&st, 0xff, sizeof st);
	st.size = offsetof(struct park_pool_stats, jobs_cancelled) + 3;
	ck_assert_int_eq(park_pool_get_stats(pool, &st), 0);
	ck_assert_uint_eq(st.size, offsetof(struct park_pool_stats,
					    jobs_cancelled));
	ck_assert_uint_eq(st.jobs_run, 1);
	ck_assert_uint_eq(st.jobs_cancelled, UINT64_MAX);
	st.size = 1;
	ck_assert_int_eq(park_pool_get_stats(pool, &st), -EINVAL);
	park_pool_unref(pool);
}
END_TEST

START_TEST(test_fork_child_gets_echild)
{
	park_pool *pool = pool_new(2);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* helgrind still sees the parent's threads here (as in
		 * check_fork.c): nothing it says in the child is about it. */
#ifdef VALGRIND_DISABLE_ERROR_REPORTING
		if (getenv("PARK_UNDER_HELGRIND"))
			VALGRIND_DISABLE_ERROR_REPORTING;
#endif
		int ok = park_pool_submit(pool, count_job, NULL) == -ECHILD &&
			 park_pool_shutdown(pool, PARK_POOL_DRAIN, -1) ==
			     -ECHILD;
		park_pool_unref(pool);
#ifdef VALGRIND_ENABLE_ERROR_REPORTING
		if (getenv("PARK_UNDER_HELGRIND"))
			VALGRIND_ENABLE_ERROR_REPORTING;
#endif
		_exit(ok ? 0 : 1);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(park_pool_submit(pool, count_job, NULL), 0);
	park_pool_unref(pool);
	ck_assert_int_eq(ran, 1);
}
END_TEST

/* A job submits while every worker is busy (the other held at the gate):
 * under a seccomp filter that kills the process at its first system call,
 * the submit must get through and the process exit 0. In a child of its
 * own, since the job ends the process. */
static park_pool *quiet_pool;
static void quiet_submit_job(void *arg)
{
	(void)arg;
	forbid_system_calls();
	int r = park_pool_submit(quiet_pool, plain_job, NULL);
	syscall(SYS_exit_group, r == 0 ? 0 : 1);
}

START_TEST(test_submit_from_busy_worker_makes_no_system_call)
{
	if (getenv("PARK_UNDER_VALGRIND"))
		return; /* valgrind's own calls would trip the filter */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
	return; /* and so would a sanitizer runtime's */
#endif
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		quiet_pool = pool_new(2);
		gate_set(false);
		/* The ring exists (no allocation later), and the calls'
		 * symbols are resolved, before the filter. */
		park_pool_submit(quiet_pool, plain_job, NULL);
		park_pool_submit(quiet_pool, gate_job, NULL);
		wait_at_gate(1);
		park_pool_submit(quiet_pool, quiet_submit_job, NULL);
		for (;;)
			pause(); /* the job ends the process */
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (seccomp_refused(status))
		return;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "a submit with every worker busy made a system call or "
		      "failed (status %d)", status);
}
END_TEST

/* --- exactly once under racing producers ---------------------------------- */

#define RACE_PRODUCERS 8
#define RACE_JOBS 4000

static park_pool *race_pool;
static _Atomic unsigned char race_ran[RACE_PRODUCERS * RACE_JOBS];
static _Atomic unsigned char race_cancelled[RACE_PRODUCERS * RACE_JOBS];
static bool race_accepted[RACE_PRODUCERS * RACE_JOBS];

static void race_job(void *arg)
{
	race_ran[(long)arg]++;
}

static void race_cancel(void *user, park_job_fn *fn, void *arg)
{
	(void)user;
	ck_assert_ptr_eq((void *)fn, (void *)race_job);
	race_cancelled[(long)arg]++;
}

static void *race_producer(void *arg)
{
	long first = (long)arg * RACE_JOBS;
	for (long i = first; i < first + RACE_JOBS; i++) {
		int r = park_pool_submit(race_pool, race_job, (void *)i);
		ck_assert(r == 0 || r == -ESHUTDOWN);
		race_accepted[i] = r == 0;
	}
	return NULL;
}

static void race(int mode)
{
	memset(race_ran, 0, sizeof race_ran);
	memset(race_cancelled, 0, sizeof race_cancelled);
	struct park_pool_options o = options(3);
	o.on_cancel = race_cancel;
	race_pool = park_pool_new(&o);
	ck_assert_ptr_nonnull(race_pool);
	pthread_t prod[RACE_PRODUCERS];
	for (long i = 0; i < RACE_PRODUCERS; i++)
		ck_assert_int_eq(pthread_create(&prod[i], NULL, race_producer,
						(void *)i),
				 0);
	/* Shut down while they submit (somewhere in their run). */
	while (pool_stats(race_pool).jobs_run < RACE_JOBS)
		sched_yield();
	ck_assert_int_eq(park_pool_shutdown(race_pool, mode, -1), 0);
	for (int i = 0; i < RACE_PRODUCERS; i++)
		pthread_join(prod[i], NULL);
	long accepted = 0, runs = 0, cancels = 0;
	for (long i = 0; i < RACE_PRODUCERS * RACE_JOBS; i++) {
		accepted += race_accepted[i];
		runs += race_ran[i];
		cancels += race_cancelled[i];
		ck_assert_int_eq(race_ran[i] + race_cancelled[i],
				 race_accepted[i] ? 1 : 0);
	}
	ck_assert_int_eq(runs + cancels, accepted);
	if (mode == PARK_POOL_DRAIN)
		ck_assert_int_eq(cancels, 0);
	struct park_pool_stats st = pool_stats(race_pool);
	ck_assert_int_eq(st.jobs_run, runs);
	ck_assert_int_eq(st.jobs_cancelled, cancels);
	park_pool_unref(race_pool);
}

START_TEST(test_race_drain_exactly_once)
{
	race(PARK_POOL_DRAIN);
}
END_TEST

START_TEST(test_race_cancel_exactly_once)
{
	race(PARK_POOL_CANCEL);
}
END_TEST

Suite *pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("pool");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_short_options_take_defaults);
	tcase_add_test(tc, test_bad_calls);
	tcase_add_test(tc, test_cancel_needs_a_cancel_hook);
	tcase_add_test(tc, test_start_hook_fails);
	tcase_add_test(tc, test_hooks_once_per_worker);
	tcase_add_test(tc, test_max_queued);
	tcase_add_test(tc, test_drain_runs_every_job);
	tcase_add_test(tc, test_submit_from_jobs);
	tcase_add_test(tc, test_submit_from_event_callback);
	tcase_add_test(tc, test_cancel_hands_back_exactly_once);
	tcase_add_test(tc, test_cancel_hands_back_a_workers_batch);
	tcase_add_test(tc, test_shutdown_deadline);
	tcase_add_test(tc, test_shutdown_from_job);
	tcase_add_test(tc, test_shutdown_from_event_callback);
	tcase_add_test(tc, test_last_unref_drains);
	tcase_add_test(tc, test_last_unref_on_worker);
	tcase_add_test(tc, test_driver_served_while_busy);
	tcase_add_test(tc, test_given_driver_kept);
	tcase_add_test(tc, test_stats_size);
	tcase_add_test(tc, test_fork_child_gets_echild);
	tcase_add_test(tc, test_submit_from_busy_worker_makes_no_system_call);
	tcase_add_test(tc, test_race_drain_exactly_once);
	tcase_add_test(tc, test_race_cancel_exactly_once);
	suite_add_tcase(s, tc);
	return s;
}
