/*
 * park_driver_post and park_driver_wake: functions run on the thread in the
 * driver's loop, in order, exactly once; the loop is woken for them; the
 * fate of posts after shutdown and at the driver's end.
 */
#include "config.h"

#include "fixture.h"
#include "helpers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

/* What a posted function saw: how often it ran, on which thread, and the
 * order of runs across all of them. */
struct ran {
	_Atomic int count;
	_Atomic pid_t tid;
	int order;
};
static _Atomic int runs_so_far;

static void record(void *arg)
{
	struct ran *r = arg;
	r->tid = current_tid();
	r->order = runs_so_far++;
	r->count++;
}

START_TEST(test_post_wakes_the_parked_loop_and_runs_there)
{
	struct ran r = {0, 0, 0};
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, -1);
	ck_assert_int_eq(park_driver_post(driver, record, &r), 0);
	ck_assert_int_eq(park_thread_join(&t), PARK_EVENTS | PARK_DRIVER);
	ck_assert_int_eq(r.count, 1);
	ck_assert_int_eq(r.tid, t.tid);
}
END_TEST

START_TEST(test_post_waits_for_the_next_loop)
{
	struct ran r = {0, 0, 0};
	ck_assert_int_eq(park_driver_post(driver, record, &r), 0);
	ck_assert_int_eq(r.count, 0);
	/* A poll runs the loop once: the posted function runs there. */
	ck_assert_int_eq(park_parker_park_timeout(parker, 0),
			 PARK_TIMED_OUT | PARK_DRIVER);
	ck_assert_int_eq(r.count, 1);
	ck_assert_int_eq(r.tid, current_tid());
	/* Once: the next park only times out. */
	ck_assert_int_eq(park_parker_park_timeout(parker, 5 * MS),
			 PARK_TIMED_OUT | PARK_DRIVER);
	ck_assert_int_eq(r.count, 1);
}
END_TEST

START_TEST(test_posts_run_in_order)
{
	struct ran r[50];
	runs_so_far = 0;
	for (int i = 0; i < 50; i++) {
		r[i] = (struct ran){0, 0, -1};
		ck_assert_int_eq(park_driver_post(driver, record, &r[i]), 0);
	}
	ck_assert_int_eq(park_parker_park(parker), PARK_EVENTS | PARK_DRIVER);
	for (int i = 0; i < 50; i++) {
		ck_assert_int_eq(r[i].count, 1);
		ck_assert_int_eq(r[i].order, i);
	}
}
END_TEST

/* Many threads post; the loop thread runs each post once, and each
 * thread's posts in the order that thread made them. */
#define POSTERS 4
#define POSTS_EACH 5000

struct poster {
	pthread_t thread;
	int id;
	int next_expected; /* loop thread only */
	_Atomic int done;
};
static struct poster posters[POSTERS];
static _Atomic int total_run;
static _Atomic bool out_of_order;

static void run_tagged(void *arg)
{
	uintptr_t tag = (uintptr_t)arg;
	struct poster *p = &posters[tag % POSTERS];
	if ((int)(tag / POSTERS) != p->next_expected)
		out_of_order = true;
	p->next_expected++;
	total_run++;
}

static void *post_many(void *arg)
{
	struct poster *p = arg;
	for (int i = 0; i < POSTS_EACH; i++) {
		uintptr_t tag = (uintptr_t)i * POSTERS + (uintptr_t)p->id;
		ck_assert_int_eq(park_driver_post(driver, run_tagged,
						  (void *)tag), 0);
		if (i % 256 == 0)
			usleep(100);
	}
	p->done = 1;
	return NULL;
}

START_TEST(test_many_posters_each_post_once_in_order)
{
	total_run = 0;
	out_of_order = false;
	for (int i = 0; i < POSTERS; i++) {
		posters[i] = (struct poster){.id = i};
		ck_assert_int_eq(pthread_create(&posters[i].thread, NULL,
						post_many, &posters[i]), 0);
	}
	/* The loop thread parks until everything ran: a lost wake would
	 * hang here (Check's timeout fails the test). */
	while (total_run < POSTERS * POSTS_EACH)
		ck_assert_int_gt(park_parker_park(parker), 0);
	for (int i = 0; i < POSTERS; i++)
		pthread_join(posters[i].thread, NULL);
	ck_assert(!out_of_order);
	ck_assert_int_eq(total_run, POSTERS * POSTS_EACH);
}
END_TEST

static void post_again(void *arg)
{
	struct ran *r = arg;
	record(r);
	if (r->count == 1)
		ck_assert_int_eq(park_driver_post(driver, post_again, r), 0);
}

START_TEST(test_post_from_a_posted_function)
{
	struct ran r = {0, 0, 0};
	ck_assert_int_eq(park_driver_post(driver, post_again, &r), 0);
	ck_assert_int_eq(park_parker_park(parker), PARK_EVENTS | PARK_DRIVER);
	ck_assert_int_eq(r.count, 1);
	/* The one it posted woke the loop again. */
	ck_assert_int_eq(park_parker_park(parker), PARK_EVENTS | PARK_DRIVER);
	ck_assert_int_eq(r.count, 2);
}
END_TEST

START_TEST(test_post_after_shutdown_is_refused)
{
	struct ran r = {0, 0, 0};
	ck_assert_int_eq(park_driver_shutdown(driver), 0);
	ck_assert_int_eq(park_driver_post(driver, record, &r), -ESHUTDOWN);
	park_driver_unref(driver);
	park_parker_unref(parker);
	park_unparker_unref(unparker);
	driver = NULL;
	parker = NULL;
	unparker = NULL;
	ck_assert_int_eq(r.count, 0);
}
END_TEST

/* Posted before shutdown, never run by a loop: the driver's last
 * reference runs it, on the thread that drops it. */
START_TEST(test_pending_posts_run_at_the_end)
{
	struct ran r[3] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
	runs_so_far = 0;
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(park_driver_post(driver, record, &r[i]), 0);
	ck_assert_int_eq(park_driver_shutdown(driver), 0);
	park_driver_unref(driver);
	driver = NULL;
	ck_assert_int_eq(r[0].count, 0); /* the parker still holds it */
	park_unparker_unref(unparker);
	unparker = NULL;
	park_parker_unref(parker);
	parker = NULL;
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(r[i].count, 1);
		ck_assert_int_eq(r[i].order, i);
		ck_assert_int_eq(r[i].tid, current_tid());
	}
}
END_TEST

START_TEST(test_post_rejects_null)
{
	struct ran r = {0, 0, 0};
	ck_assert_int_eq(park_driver_post(NULL, record, &r), -EINVAL);
	ck_assert_int_eq(park_driver_post(driver, NULL, &r), -EINVAL);
	ck_assert_int_eq(park_driver_wake(NULL), -EINVAL);
	/* Nothing was queued. */
	ck_assert_int_eq(park_parker_park_timeout(parker, 0),
			 PARK_TIMED_OUT | PARK_DRIVER);
	ck_assert_int_eq(r.count, 0);
}
END_TEST

START_TEST(test_wake_ends_the_loop_holders_park)
{
	park_parker *other = park_parker_clone(parker);
	struct park_thread t;
	park_thread_start_in_driver(&t, other, -1);
	/* The caller need not know which parker holds the driver. */
	ck_assert_int_eq(park_driver_wake(driver), 0);
	ck_assert_int_eq(park_thread_join(&t), PARK_EVENTS | PARK_DRIVER);
	park_parker_unref(other);
}
END_TEST

START_TEST(test_wake_with_nobody_in_the_loop)
{
	ck_assert_int_eq(park_driver_wake(driver), 0);
	/* Documented: the next driver park returns at once. */
	int64_t start = now_ns();
	ck_assert_int_eq(park_parker_park_timeout(parker, 10000 * MS),
			 PARK_EVENTS | PARK_DRIVER);
	ck_assert_int_lt(now_ns() - start, LATE_NS);
	/* And only that one. */
	ck_assert_int_eq(park_parker_park_timeout(parker, 5 * MS),
			 PARK_TIMED_OUT | PARK_DRIVER);
}
END_TEST

START_TEST(test_after_shutdown_the_application_may_run_the_base)
{
	struct ran r = {0, 0, 0};
	ck_assert_int_eq(park_driver_post(driver, record, &r), 0);
	ck_assert_int_eq(park_driver_shutdown(driver), 0);
	/* No park runs the loop any more... */
	ck_assert_int_eq(park_parker_park_timeout(parker, 0), PARK_SHUTDOWN);
	ck_assert_int_eq(r.count, 0);
	/* ...but the application may, once no thread parks on the driver,
	 * and that runs what was posted before the shutdown. */
	ck_assert_int_ge(event_base_loop(park_driver_get_base(driver),
					 EVLOOP_NONBLOCK), 0);
	ck_assert_int_eq(r.count, 1);
	ck_assert_int_eq(r.tid, current_tid());
	/* Run once: the end of the driver does not run it again. */
	park_unparker_unref(unparker);
	park_parker_unref(parker);
	park_driver_unref(driver);
	unparker = NULL;
	parker = NULL;
	driver = NULL;
	ck_assert_int_eq(r.count, 1);
}
END_TEST

/* The documented way to shut a pool down (park_driver_post(3)): a
 * "listener" on the driver's base queues jobs; workers run them and post
 * the replies back to the loop thread; the pool stops accepting, flushes,
 * shuts the driver down, wakes and joins its workers. Nothing accepted is
 * lost, nothing arrives after the stop, no thread is left behind. */
#define WORKERS 3
#define REQUESTS 300

struct pool {
	int sv[2];
	struct event *listener;
	pthread_mutex_t lock;
	int queued[REQUESTS];
	int head, tail;
	int accepted;             /* loop thread only */
	_Atomic int in_flight;    /* accepted, reply not yet sent */
	_Atomic int replied;      /* replies sent, on the loop thread */
	_Atomic bool reply_off_loop;
	park_parker *parkers[WORKERS];
	park_unparker *wakers[WORKERS];
	pthread_t threads[WORKERS];
};
static struct pool pool;

/* Only the thread running the driver's loop is refused a park with
 * EDEADLK: that is how a reply proves where it runs. */
static void send_reply(void *arg)
{
	park_parker *probe = arg;
	if (park_parker_park_timeout(probe, 0) != -EDEADLK)
		pool.reply_off_loop = true;
	pool.replied++;
	pool.in_flight--;
}

static void accept_request(evutil_socket_t fd, short what, void *arg)
{
	char c;
	(void)what;
	(void)arg;
	while (read(fd, &c, 1) == 1) {
		pthread_mutex_lock(&pool.lock);
		pool.queued[pool.tail++] = pool.accepted++;
		pthread_mutex_unlock(&pool.lock);
		pool.in_flight++;
		for (int i = 0; i < WORKERS; i++)
			park_unparker_unpark(pool.wakers[i]);
	}
}

static void stop_accepting(void *arg)
{
	(void)arg;
	event_del(pool.listener);
}

static void *pool_worker(void *arg)
{
	park_parker *p = arg;
	while (!park_driver_is_shutdown(driver)) {
		pthread_mutex_lock(&pool.lock);
		bool got = pool.head < pool.tail;
		if (got)
			pool.head++;
		pthread_mutex_unlock(&pool.lock);
		if (got) {
			ck_assert_int_eq(park_driver_post(driver, send_reply,
							  parker), 0);
			park_parker_park_timeout(p, 0);
			continue;
		}
		ck_assert_int_gt(park_parker_park(p), 0);
	}
	return NULL;
}

START_TEST(test_pool_shutdown_sequence)
{
	memset(&pool, 0, sizeof pool);
	pthread_mutex_init(&pool.lock, NULL);
	/* The loop side reads until it would block; the client side blocks
	 * when the loop falls behind (each one-byte write takes a buffer
	 * of its own, so a few hundred can fill the socket). */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pool.sv), 0);
	ck_assert_int_eq(evutil_make_socket_nonblocking(pool.sv[0]), 0);
	pool.listener = event_new(park_driver_get_base(driver), pool.sv[0],
				  EV_READ | EV_PERSIST, accept_request, NULL);
	event_add(pool.listener, NULL);
	for (int i = 0; i < WORKERS; i++) {
		pool.parkers[i] = park_parker_new(driver);
		pool.wakers[i] = park_unparker_new(pool.parkers[i]);
		pthread_create(&pool.threads[i], NULL, pool_worker,
			       pool.parkers[i]);
	}
	for (int i = 0; i < REQUESTS; i++) {
		ck_assert_int_eq(write(pool.sv[1], "r", 1), 1);
		if (i % 16 == 0)
			usleep(200);
	}
	/* Every request is in before the stop, so that the only thing the
	 * stop can refuse is what comes after it. */
	for (int64_t give_up = now_ns() + 20000 * MS;;) {
		pthread_mutex_lock(&pool.lock);
		int in = pool.accepted;
		pthread_mutex_unlock(&pool.lock);
		if (in == REQUESTS || now_ns() > give_up)
			break;
		usleep(1000);
	}
	/* 1. Stop accepting, on the loop thread; what is written after
	 * that stop has taken effect is never accepted. */
	struct ran stopped = {0, 0, 0};
	ck_assert_int_eq(park_driver_post(driver, stop_accepting, NULL), 0);
	ck_assert_int_eq(park_driver_post(driver, record, &stopped), 0);
	while (stopped.count == 0)
		usleep(1000);
	pthread_mutex_lock(&pool.lock);
	int accepted = pool.accepted;
	pthread_mutex_unlock(&pool.lock);
	ck_assert_int_eq(write(pool.sv[1], "late", 4), 4);
	/* 2. Let the loop flush: every accepted request gets its reply. */
	int64_t give_up = now_ns() + 20000 * MS;
	while (pool.in_flight > 0 && now_ns() < give_up)
		usleep(1000);
	ck_assert_int_eq(pool.in_flight, 0);
	/* 3. Shut down; 4. wake every worker and join. */
	ck_assert_int_eq(park_driver_shutdown(driver), 0);
	for (int i = 0; i < WORKERS; i++)
		ck_assert_int_eq(park_unparker_unpark(pool.wakers[i]), 0);
	for (int i = 0; i < WORKERS; i++)
		ck_assert_int_eq(pthread_join(pool.threads[i], NULL), 0);

	ck_assert_int_eq(accepted, REQUESTS);
	ck_assert_int_eq(pool.accepted, REQUESTS);
	ck_assert_int_eq(pool.replied, REQUESTS);
	ck_assert(!pool.reply_off_loop);
	for (int i = 0; i < WORKERS; i++) {
		park_unparker_unref(pool.wakers[i]);
		park_parker_unref(pool.parkers[i]);
	}
	event_free(pool.listener);
	close(pool.sv[0]);
	close(pool.sv[1]);
	pthread_mutex_destroy(&pool.lock);
}
END_TEST

/* A wake is pending: the next blocking driver park returns at once with
 * PARK_EVENTS, and only that one (the park after it sleeps). */
static void assert_one_wake_pending(void)
{
	int64_t start = now_ns();
	ck_assert_int_eq(park_parker_park_timeout(parker, 10000 * MS),
			 PARK_EVENTS | PARK_DRIVER);
	ck_assert_int_lt(now_ns() - start, LATE_NS);
	ck_assert_int_eq(park_parker_park_timeout(parker, 5 * MS),
			 PARK_TIMED_OUT | PARK_DRIVER);
}

/* A wake is for the next blocking driver park: the worker loop of
 * libpark(3) polls after every job, and a poll must not use it up. */
START_TEST(test_poll_leaves_a_wake_for_the_next_blocking_park)
{
	ck_assert_int_eq(park_driver_wake(driver), 0);
	ck_assert_int_eq(park_parker_park_timeout(parker, 0),
			 PARK_TIMED_OUT | PARK_DRIVER);
	ck_assert_int_eq(park_parker_park_timeout(parker, 0),
			 PARK_TIMED_OUT | PARK_DRIVER);
	assert_one_wake_pending();
}
END_TEST

static void wake_driver(void *arg)
{
	struct ran *r = arg;
	record(r);
	ck_assert_int_eq(park_driver_wake(driver), 0);
}

/* The same for a wake that lands while a poll runs the loop (here from
 * a posted function the poll runs), and a second poll after it. */
START_TEST(test_wake_during_a_poll_is_left_for_the_next_blocking_park)
{
	struct ran r = {0, 0, 0};
	ck_assert_int_eq(park_driver_post(driver, wake_driver, &r), 0);
	ck_assert_int_eq(park_parker_park_timeout(parker, 0),
			 PARK_TIMED_OUT | PARK_DRIVER);
	ck_assert_int_eq(r.count, 1);
	ck_assert_int_eq(park_parker_park_timeout(parker, 0),
			 PARK_TIMED_OUT | PARK_DRIVER);
	assert_one_wake_pending();
}
END_TEST

/* A wake consumed by a blocking park is gone: a wake that lands while a
 * thread sleeps in the loop ends that park only. */
START_TEST(test_wake_taken_by_a_blocking_park_is_not_left_over)
{
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, -1);
	ck_assert_int_eq(park_driver_wake(driver), 0);
	ck_assert_int_eq(park_thread_join(&t), PARK_EVENTS | PARK_DRIVER);
	ck_assert_int_eq(park_parker_park_timeout(parker, 0),
			 PARK_TIMED_OUT | PARK_DRIVER);
	ck_assert_int_eq(park_parker_park_timeout(parker, 5 * MS),
			 PARK_TIMED_OUT | PARK_DRIVER);
}
END_TEST

static void unpark_from_post(void *arg)
{
	struct ran *r = arg;
	record(r);
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
}

/* What a park returns when it runs a posted function: a poll says what
 * every poll says; a blocking park says PARK_EVENTS, unless a token
 * (here one the function leaves) ends it. */
START_TEST(test_what_the_park_that_runs_a_post_returns)
{
	struct ran r = {0, 0, 0};
	ck_assert_int_eq(park_driver_post(driver, record, &r), 0);
	ck_assert_int_eq(park_parker_park_timeout(parker, 0),
			 PARK_TIMED_OUT | PARK_DRIVER);
	ck_assert_int_eq(r.count, 1);
	ck_assert_int_eq(park_driver_post(driver, record, &r), 0);
	ck_assert_int_eq(park_parker_park_timeout(parker, 10000 * MS),
			 PARK_EVENTS | PARK_DRIVER);
	ck_assert_int_eq(r.count, 2);
	ck_assert_int_eq(park_driver_post(driver, unpark_from_post, &r), 0);
	ck_assert_int_eq(park_parker_park(parker), PARK_TOKEN | PARK_DRIVER);
	ck_assert_int_eq(r.count, 3);
}
END_TEST

static void shut_down_from_post(void *arg)
{
	struct ran *r = arg;
	record(r);
	ck_assert_int_eq(park_driver_shutdown(driver), 0);
}

/* A posted function that shuts the driver down: the park that ran it
 * reports the shutdown, blocking or not. */
START_TEST(test_shutdown_from_a_posted_function_wins)
{
	struct ran r = {0, 0, 0};
	ck_assert_int_eq(park_driver_post(driver, shut_down_from_post, &r), 0);
	ck_assert_int_eq(park_parker_park(parker), PARK_SHUTDOWN | PARK_DRIVER);
	ck_assert_int_eq(r.count, 1);
}
END_TEST

/* A poll says what every poll says, shutdown or not; the next one sees
 * the shutdown. */
START_TEST(test_poll_that_runs_a_shutting_down_post)
{
	struct ran r = {0, 0, 0};
	ck_assert_int_eq(park_driver_post(driver, shut_down_from_post, &r), 0);
	ck_assert_int_eq(park_parker_park_timeout(parker, 0),
			 PARK_TIMED_OUT | PARK_DRIVER);
	ck_assert_int_eq(r.count, 1);
	ck_assert_int_eq(park_parker_park_timeout(parker, 0), PARK_SHUTDOWN);
}
END_TEST

START_TEST(test_shutdown_from_a_posted_function_wins_over_a_token)
{
	struct ran r = {0, 0, 0};
	ck_assert_int_eq(park_driver_post(driver, unpark_from_post, &r), 0);
	ck_assert_int_eq(park_driver_post(driver, shut_down_from_post, &r), 0);
	ck_assert_int_eq(park_parker_park(parker), PARK_TOKEN | PARK_DRIVER);
	ck_assert_int_eq(r.count, 2);
}
END_TEST

/* After shutdown a wake has nobody to wake and says so with 0. */
START_TEST(test_wake_after_shutdown_returns_0)
{
	ck_assert_int_eq(park_driver_shutdown(driver), 0);
	ck_assert_int_eq(park_driver_wake(driver), 0);
	ck_assert_int_eq(park_driver_wake(driver), 0);
	ck_assert_int_eq(park_parker_park_timeout(parker, 5 * MS),
			 PARK_TIMED_OUT);
}
END_TEST

Suite *post_suite(void)
{
	Suite *s = suite_create("post");
	TCase *tc = tcase_create("post");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_post_wakes_the_parked_loop_and_runs_there);
	tcase_add_test(tc, test_post_waits_for_the_next_loop);
	tcase_add_test(tc, test_posts_run_in_order);
	tcase_add_test(tc, test_many_posters_each_post_once_in_order);
	tcase_add_test(tc, test_post_from_a_posted_function);
	tcase_add_test(tc, test_post_after_shutdown_is_refused);
	tcase_add_test(tc, test_pending_posts_run_at_the_end);
	tcase_add_test(tc, test_post_rejects_null);
	tcase_add_test(tc, test_wake_ends_the_loop_holders_park);
	tcase_add_test(tc, test_wake_with_nobody_in_the_loop);
	tcase_add_test(tc, test_after_shutdown_the_application_may_run_the_base);
	tcase_add_test(tc, test_pool_shutdown_sequence);
	tcase_add_test(tc, test_poll_leaves_a_wake_for_the_next_blocking_park);
	tcase_add_test(tc,
		       test_wake_during_a_poll_is_left_for_the_next_blocking_park);
	tcase_add_test(tc, test_wake_taken_by_a_blocking_park_is_not_left_over);
	tcase_add_test(tc, test_what_the_park_that_runs_a_post_returns);
	tcase_add_test(tc, test_shutdown_from_a_posted_function_wins);
	tcase_add_test(tc, test_poll_that_runs_a_shutting_down_post);
	tcase_add_test(tc,
		       test_shutdown_from_a_posted_function_wins_over_a_token);
	tcase_add_test(tc, test_wake_after_shutdown_returns_0);
	suite_add_tcase(s, tc);
	return s;
}
