/*
 * The public API, black box: real threads, a real libevent base, and the
 * kernel's word (/proc) on where each thread sleeps.
 */
#include "config.h"

#include "fixture.h"
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

START_TEST(test_version_matches_header_and_package)
{
	ck_assert_str_eq(park_version_string(), PARK_VERSION_STRING);
	ck_assert_str_eq(park_version_string(), PACKAGE_VERSION);
	ck_assert_uint_eq(park_version_number(), PARK_VERSION_NUMBER);
	ck_assert_uint_eq(PARK_VERSION_NUMBER,
			  (PARK_VERSION_MAJOR << 16) | (PARK_VERSION_MINOR << 8) |
			      PARK_VERSION_PATCH);
}
END_TEST

START_TEST(test_null_handles_are_rejected)
{
	struct park_stats s = {.size = sizeof s};
	struct timespec ts = {0, 0};
	ck_assert_int_eq(park_parker_park(NULL), -EINVAL);
	ck_assert_int_eq(park_parker_park_timeout(NULL, 1), -EINVAL);
	ck_assert_int_eq(park_parker_park_until(NULL, &ts), -EINVAL);
	ck_assert_int_eq(park_parker_park_until(parker, NULL), -EINVAL);
	ck_assert_int_eq(park_parker_get_stats(NULL, &s), -EINVAL);
	ck_assert_int_eq(park_parker_get_stats(parker, NULL), -EINVAL);
	ck_assert_int_eq(park_parker_set_spin(NULL, 0), -EINVAL);
	ck_assert_int_eq(park_parker_get_spin(NULL), -EINVAL);
	ck_assert_int_eq(park_parker_set_spin(parker, -1), -EINVAL);
	ck_assert_int_eq(park_unparker_unpark(NULL), -EINVAL);
	ck_assert_int_eq(park_driver_shutdown(NULL), -EINVAL);
	ck_assert_int_eq(park_driver_is_shutdown(NULL), -EINVAL);

	errno = 0;
	ck_assert_ptr_null(park_parker_new(NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(park_parker_clone(NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(park_unparker_new(NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(park_unparker_ref(NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(park_parker_get_driver(NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(park_driver_get_base(NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(park_driver_new_with_base(NULL));
	ck_assert_int_eq(errno, EINVAL);

	park_parker_unref(NULL);
	park_unparker_unref(NULL);
	park_driver_unref(NULL);
	/* Nothing above touched the good parker: it still works, and
	 * still does not spin. */
	ck_assert_int_eq(park_parker_get_spin(parker), 0);
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	ck_assert_int_eq(park_parker_park(parker), PARK_TOKEN);
}
END_TEST

START_TEST(test_bad_timeouts_are_rejected)
{
	struct timespec bad[] = {{0, -1}, {0, 1000000000}, {5, 2000000000}};
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	ck_assert_int_eq(park_parker_park_timeout(parker, -1), -EINVAL);
	ck_assert_int_eq(park_parker_park_timeout(parker, INT64_MIN), -EINVAL);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_int_eq(park_parker_park_until(parker, &bad[i]),
				 -EINVAL);
	/* Rejected calls consumed nothing. */
	ck_assert_int_eq(park_parker_park(parker), PARK_TOKEN);
	ck_assert_uint_eq(stats_of(parker).tokens, 1);
}
END_TEST

START_TEST(test_unpark_before_park_returns_at_once)
{
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	int64_t start = now_ns();
	ck_assert_int_eq(park_parker_park(parker), PARK_TOKEN);
	ck_assert_int_lt(now_ns() - start, LATE_NS);
	struct park_stats s = stats_of(parker);
	ck_assert_uint_eq(s.tokens, 1);
	ck_assert_uint_eq(s.parks_driver + s.parks_sleeper, 0);
}
END_TEST

START_TEST(test_many_unparks_collapse_into_one_token)
{
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	ck_assert_int_eq(park_parker_park(parker), PARK_TOKEN);
	/* Only the reason is certain: under valgrind a short deadline may pass
	 * before the timer is armed, and then the loop does not run. */
	ck_assert_int_eq(PARK_REASON(park_parker_park_timeout(parker, 20 * MS)),
			 PARK_TIMED_OUT);
	ck_assert_uint_eq(stats_of(parker).tokens, 1);
}
END_TEST

START_TEST(test_unpark_wakes_parker_in_driver)
{
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, -1);
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN | PARK_DRIVER);
	struct park_stats s = stats_of(parker);
	ck_assert_uint_eq(s.parks_driver, 1);
	ck_assert_uint_eq(s.parks_sleeper, 0);
	ck_assert_uint_eq(s.tokens, 1);
}
END_TEST

/* Two parkers on one driver: the first sleeps in the loop, the second on
 * its sleeper; the kernel says where each sleeps and the results agree. */
START_TEST(test_second_parker_sleeps_on_sleeper)
{
	park_parker *other = park_parker_clone(parker);
	park_unparker *other_u = park_unparker_new(other);
	struct park_thread in_driver, on_sleeper;
	park_thread_start_in_driver(&in_driver, parker, -1);
	park_thread_start_on_sleeper(&on_sleeper, other, -1);

	ck_assert_int_eq(park_unparker_unpark(other_u), 0);
	ck_assert_int_eq(park_thread_join(&on_sleeper), PARK_TOKEN);
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	ck_assert_int_eq(park_thread_join(&in_driver), PARK_TOKEN | PARK_DRIVER);

	ck_assert_uint_eq(stats_of(other).parks_sleeper, 1);
	ck_assert_uint_eq(stats_of(other).parks_driver, 0);
	ck_assert_uint_eq(stats_of(parker).parks_driver, 1);
	/* Without a spin budget (the default) no park ends spinning. */
	ck_assert_uint_eq(stats_of(other).parks_spin, 0);
	ck_assert_uint_eq(stats_of(parker).parks_spin, 0);
	park_unparker_unref(other_u);
	park_parker_unref(other);
}
END_TEST

START_TEST(test_timeout_in_driver)
{
	int64_t start = now_ns();
	ck_assert_int_eq(park_parker_park_timeout(parker, 50 * MS),
			 PARK_TIMED_OUT | PARK_DRIVER);
	int64_t elapsed = now_ns() - start;
	ck_assert_int_ge(elapsed, 50 * MS);
	ck_assert_int_lt(elapsed, 50 * MS + LATE_NS);
	ck_assert_uint_eq(stats_of(parker).timeouts, 1);
}
END_TEST

START_TEST(test_timeout_on_sleeper)
{
	park_parker *other = park_parker_clone(parker);
	struct park_thread holder;
	park_thread_start_in_driver(&holder, parker, -1);

	int64_t start = now_ns();
	ck_assert_int_eq(park_parker_park_timeout(other, 50 * MS),
			 PARK_TIMED_OUT);
	int64_t elapsed = now_ns() - start;
	ck_assert_int_ge(elapsed, 50 * MS);
	ck_assert_int_lt(elapsed, 50 * MS + LATE_NS);
	ck_assert_uint_eq(stats_of(other).parks_sleeper, 1);
	ck_assert_uint_eq(stats_of(other).timeouts, 1);

	park_unparker_unpark(unparker);
	park_thread_join(&holder);
	park_parker_unref(other);
}
END_TEST

START_TEST(test_deadline_in_driver_and_on_sleeper)
{
	park_parker *other = park_parker_clone(parker);
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_nsec += 30 * MS;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	int64_t deadline_ns =
	    (int64_t)deadline.tv_sec * 1000000000 + deadline.tv_nsec;
	ck_assert_int_eq(park_parker_park_until(parker, &deadline),
			 PARK_TIMED_OUT | PARK_DRIVER);
	ck_assert_int_ge(now_ns(), deadline_ns);

	struct park_thread holder;
	park_thread_start_in_driver(&holder, parker, -1);
	deadline.tv_sec += 1;
	deadline_ns += 1000 * MS;
	ck_assert_int_eq(park_parker_park_until(other, &deadline),
			 PARK_TIMED_OUT);
	ck_assert_int_ge(now_ns(), deadline_ns);
	park_unparker_unpark(unparker);
	park_thread_join(&holder);
	park_parker_unref(other);
}
END_TEST

START_TEST(test_deadline_in_the_past)
{
	struct timespec past = {0, 0};
	int64_t start = now_ns();
	ck_assert_int_eq(park_parker_park_until(parker, &past), PARK_TIMED_OUT);
	ck_assert_int_lt(now_ns() - start, LATE_NS);
	/* A pending token is still taken: a deadline bounds the wait, not
	 * the fast path. */
	park_unparker_unpark(unparker);
	ck_assert_int_eq(park_parker_park_until(parker, &past), PARK_TOKEN);
	ck_assert_uint_eq(stats_of(parker).timeouts, 1);
}
END_TEST

START_TEST(test_huge_timeouts_do_not_overflow)
{
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, INT64_MAX);
	park_unparker_unpark(unparker);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN | PARK_DRIVER);

	/* The same on the sleeper, and as a far deadline. */
	park_parker *other = park_parker_clone(parker);
	park_unparker *other_u = park_unparker_new(other);
	park_thread_start_in_driver(&t, parker, -1);
	struct park_thread s;
	park_thread_start_on_sleeper(&s, other, INT64_MAX - 1);
	park_unparker_unpark(other_u);
	ck_assert_int_eq(park_thread_join(&s), PARK_TOKEN);
	park_unparker_unpark(unparker);
	park_thread_join(&t);

	struct timespec far = {INT64_MAX / 2, 999999999};
	park_unparker_unpark(other_u);
	ck_assert_int_eq(park_parker_park_until(other, &far), PARK_TOKEN);
	park_unparker_unref(other_u);
	park_parker_unref(other);
}
END_TEST

static void count_call(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	++*(int *)arg;
}

START_TEST(test_zero_timeout_polls_driver_and_keeps_token)
{
	int calls = 0;
	struct event *ev = event_new(park_driver_get_base(driver), -1, 0,
				     count_call, &calls);
	event_active(ev, 0, 0);
	park_unparker_unpark(unparker);
	ck_assert_int_eq(park_parker_park_timeout(parker, 0),
			 PARK_TIMED_OUT | PARK_DRIVER);
	ck_assert_int_eq(calls, 1);
	/* The token is still there for the next real park. */
	ck_assert_int_eq(park_parker_park(parker), PARK_TOKEN);
	event_free(ev);
}
END_TEST

START_TEST(test_zero_timeout_while_driver_busy)
{
	park_parker *other = park_parker_clone(parker);
	struct park_thread holder;
	park_thread_start_in_driver(&holder, parker, -1);
	ck_assert_int_eq(park_parker_park_timeout(other, 0), PARK_TIMED_OUT);
	ck_assert_uint_eq(stats_of(other).parks_driver, 0);
	park_unparker_unpark(unparker);
	ck_assert_int_eq(park_thread_join(&holder), PARK_TOKEN | PARK_DRIVER);
	park_parker_unref(other);
}
END_TEST

struct fired {
	_Atomic int count;
	_Atomic pid_t tid;
};

static void record_fire(evutil_socket_t fd, short what, void *arg)
{
	struct fired *f = arg;
	(void)what;
	if (fd >= 0) {
		char c;
		ck_assert_int_eq(read(fd, &c, 1), 1);
	}
	f->tid = current_tid();
	f->count++;
}

START_TEST(test_user_timer_fires_on_parked_thread)
{
	struct fired f = {0, 0};
	struct event *ev = evtimer_new(park_driver_get_base(driver),
				       record_fire, &f);
	struct timeval tv = {0, 20000};
	evtimer_add(ev, &tv);
	struct park_thread t;
	park_thread_start(&t, parker, -1);
	ck_assert_int_eq(park_thread_join(&t), PARK_EVENTS | PARK_DRIVER);
	ck_assert_int_eq(f.count, 1);
	ck_assert_int_eq(f.tid, t.tid);
	ck_assert_uint_eq(stats_of(parker).spurious, 1);
	event_free(ev);
}
END_TEST

START_TEST(test_socket_read_served_while_parked)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct fired f = {0, 0};
	struct event *ev = event_new(park_driver_get_base(driver), sv[0],
				     EV_READ, record_fire, &f);
	event_add(ev, NULL);
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, -1);
	ck_assert_int_eq(write(sv[1], "x", 1), 1);
	ck_assert_int_eq(park_thread_join(&t), PARK_EVENTS | PARK_DRIVER);
	ck_assert_int_eq(f.count, 1);
	ck_assert_int_eq(f.tid, t.tid);
	event_free(ev);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_shutdown_wakes_driver_and_later_parks_use_sleeper)
{
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, -1);
	ck_assert_int_eq(park_driver_is_shutdown(driver), 0);
	ck_assert_int_eq(park_driver_shutdown(driver), 0);
	ck_assert_int_eq(park_thread_join(&t), PARK_SHUTDOWN | PARK_DRIVER);
	ck_assert_int_eq(park_driver_is_shutdown(driver), 1);
	ck_assert_int_eq(park_driver_shutdown(driver), 0);

	/* Later parks sleep on the sleeper, and unpark still reaches them. */
	ck_assert_int_eq(park_parker_park_timeout(parker, 0), PARK_SHUTDOWN);
	ck_assert_int_eq(park_parker_park_timeout(parker, 10 * MS),
			 PARK_TIMED_OUT);
	park_thread_start_on_sleeper(&t, parker, -1);
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN);
	struct park_stats s = stats_of(parker);
	ck_assert_uint_eq(s.parks_driver, 1);
	ck_assert_uint_eq(s.parks_sleeper, 2);
}
END_TEST

START_TEST(test_shutdown_before_any_park)
{
	ck_assert_int_eq(park_driver_shutdown(driver), 0);
	ck_assert_int_eq(park_parker_park_timeout(parker, 10 * MS),
			 PARK_TIMED_OUT);
	ck_assert_uint_eq(stats_of(parker).parks_driver, 0);
}
END_TEST

START_TEST(test_adopted_base_survives_driver)
{
	struct event_base *base = event_base_new();
	park_driver *d = park_driver_new_with_base(base);
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_eq(park_driver_get_base(d), base);
	park_parker *p = park_parker_new(d);
	/* A poll: a short timed park may see its deadline pass before the
	 * timer is armed (valgrind is slow) and not run the loop. */
	ck_assert_int_eq(park_parker_park_timeout(p, 0),
			 PARK_TIMED_OUT | PARK_DRIVER);
	park_parker_unref(p);
	park_driver_unref(d);

	/* The base is the application's and still runs its own events;
	 * libpark's wake event is gone from it. */
	ck_assert_int_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED),
			 0);
	struct fired f = {0, 0};
	struct event *ev = evtimer_new(base, record_fire, &f);
	struct timeval tv = {0, 1000};
	evtimer_add(ev, &tv);
	ck_assert_int_eq(event_base_dispatch(base), 1);
	ck_assert_int_eq(f.count, 1);
	event_free(ev);
	event_base_free(base);
}
END_TEST

START_TEST(test_clone_shares_driver_and_has_own_token)
{
	park_parker *c = park_parker_clone(parker);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_eq(park_parker_get_driver(c), driver);
	park_unparker_unpark(unparker);
	ck_assert_int_eq(PARK_REASON(park_parker_park_timeout(c, 10 * MS)),
			 PARK_TIMED_OUT);
	ck_assert_int_eq(park_parker_park(parker), PARK_TOKEN);
	/* The clone outlives the driver handle: it holds its own reference. */
	park_parker_unref(parker);
	park_driver_unref(driver);
	parker = NULL;
	driver = NULL;
	ck_assert_int_eq(park_parker_park_timeout(c, 0),
			 PARK_TIMED_OUT | PARK_DRIVER);
	park_parker_unref(c);
}
END_TEST

START_TEST(test_unparker_outlives_parker_and_driver)
{
	park_unparker *copy = park_unparker_ref(unparker);
	ck_assert_ptr_nonnull(copy);
	park_parker_unref(parker);
	park_driver_unref(driver);
	parker = NULL;
	driver = NULL;
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	ck_assert_int_eq(park_unparker_unpark(copy), 0);
	park_unparker_unref(copy);
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
}
END_TEST

START_TEST(test_concurrent_park_is_refused)
{
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, -1);
	ck_assert_int_eq(park_parker_park(parker), -EBUSY);
	ck_assert_int_eq(park_parker_park_timeout(parker, 0), -EBUSY);
	ck_assert_int_eq(park_parker_park_timeout(parker, MS), -EBUSY);
	/* The sleeping owner is untouched and wakes normally. */
	park_unparker_unpark(unparker);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN | PARK_DRIVER);
	ck_assert_uint_eq(stats_of(parker).tokens, 1);
}
END_TEST

struct reentry {
	park_parker *same_driver;
	park_parker *other_driver;
	int park_result, poll_result, other_result;
};

static void park_from_callback(evutil_socket_t fd, short what, void *arg)
{
	struct reentry *r = arg;
	(void)fd;
	(void)what;
	r->park_result = park_parker_park(r->same_driver);
	r->poll_result = park_parker_park_timeout(r->same_driver, 0);
	r->other_result = park_parker_park_timeout(r->other_driver, 0);
}

START_TEST(test_park_inside_driver_callback_is_refused)
{
	park_driver *d2 = park_driver_new();
	struct reentry r = {park_parker_clone(parker), park_parker_new(d2), 0,
			    0, 0};
	struct event *ev = event_new(park_driver_get_base(driver), -1, 0,
				     park_from_callback, &r);
	event_active(ev, 0, 0);
	ck_assert_int_eq(park_parker_park(parker), PARK_EVENTS | PARK_DRIVER);
	ck_assert_int_eq(r.park_result, -EDEADLK);
	ck_assert_int_eq(r.poll_result, -EDEADLK);
	/* Another driver's loop is fine to run from here. */
	ck_assert_int_eq(r.other_result, PARK_TIMED_OUT | PARK_DRIVER);
	event_free(ev);
	park_parker_unref(r.same_driver);
	park_parker_unref(r.other_driver);
	park_driver_unref(d2);
}
END_TEST

START_TEST(test_stats_respect_caller_size)
{
	park_unparker_unpark(unparker);
	park_parker_park(parker);
	struct park_stats s;
	memset(&s, 0xab, sizeof s);
	s.size = offsetof(struct park_stats, tokens);
	ck_assert_int_eq(park_parker_get_stats(parker, &s), 0);
	ck_assert_uint_eq(s.size, offsetof(struct park_stats, tokens));
	ck_assert_uint_eq(s.parks_driver, 0);
	/* Past the caller's size nothing was written. */
	uint64_t untouched;
	memset(&untouched, 0xab, sizeof untouched);
	ck_assert_uint_eq(s.tokens, untouched);

	struct {
		struct park_stats known;
		uint64_t future;
	} bigger;
	bigger.known.size = sizeof bigger;
	ck_assert_int_eq(park_parker_get_stats(parker, &bigger.known), 0);
	ck_assert_uint_eq(bigger.known.size, sizeof(struct park_stats));
	ck_assert_uint_eq(bigger.known.tokens, 1);
	ck_assert_uint_eq(bigger.known.parks_spin, 0);

	/* A caller built against a header that ends at spurious (before
	 * parks_spin was added) gets those counters and nothing past them. */
	memset(&s, 0xab, sizeof s);
	s.size = offsetof(struct park_stats, parks_spin);
	ck_assert_int_eq(park_parker_get_stats(parker, &s), 0);
	ck_assert_uint_eq(s.size, offsetof(struct park_stats, parks_spin));
	ck_assert_uint_eq(s.tokens, 1);
	ck_assert_uint_eq(s.parks_spin, untouched);

	s.size = 0;
	ck_assert_int_eq(park_parker_get_stats(parker, &s), -EINVAL);
}
END_TEST

START_TEST(test_wake_channel_failure_is_reported)
{
	/* A real failure, not an injected one: no descriptors left. */
	struct rlimit old, none = {0, 0};
	getrlimit(RLIMIT_NOFILE, &old);
	none.rlim_max = old.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &none), 0);
	errno = 0;
	park_driver *d = park_driver_new();
	int err = errno;
	setrlimit(RLIMIT_NOFILE, &old);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(err, EMFILE);
}
END_TEST

/* A producer publishes work and unparks; the consumer parks until it has
 * seen all of it. A lost wakeup hangs this test (and Check kills it). */
struct relay {
	park_unparker *wake;
	_Atomic int produced;
	int total;
};

static void *produce(void *arg)
{
	struct relay *r = arg;
	for (int i = 0; i < r->total; i++) {
		r->produced++;
		ck_assert_int_eq(park_unparker_unpark(r->wake), 0);
		if (i % 64 == 0)
			usleep(50);
	}
	return NULL;
}

static void consume_all(park_parker *p, park_unparker *u)
{
	struct relay r = {u, 0, 20000};
	pthread_t producer;
	pthread_create(&producer, NULL, produce, &r);
	while (r.produced < r.total) {
		int rc = park_parker_park(p);
		ck_assert_int_gt(rc, 0);
	}
	pthread_join(producer, NULL);
}

START_TEST(test_no_lost_wakeup_in_driver)
{
	consume_all(parker, unparker);
	ck_assert_uint_gt(stats_of(parker).parks_driver, 0);
}
END_TEST

START_TEST(test_no_lost_wakeup_on_sleeper)
{
	park_parker *other = park_parker_clone(parker);
	park_unparker *other_u = park_unparker_new(other);
	struct park_thread holder;
	park_thread_start_in_driver(&holder, parker, -1);
	consume_all(other, other_u);
	ck_assert_uint_eq(stats_of(other).parks_driver, 0);
	ck_assert_uint_gt(stats_of(other).parks_sleeper, 0);
	park_unparker_unpark(unparker);
	park_thread_join(&holder);
	park_unparker_unref(other_u);
	park_parker_unref(other);
}
END_TEST

Suite *api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("api");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_version_matches_header_and_package);
	tcase_add_test(tc, test_null_handles_are_rejected);
	tcase_add_test(tc, test_bad_timeouts_are_rejected);
	tcase_add_test(tc, test_unpark_before_park_returns_at_once);
	tcase_add_test(tc, test_many_unparks_collapse_into_one_token);
	tcase_add_test(tc, test_unpark_wakes_parker_in_driver);
	tcase_add_test(tc, test_second_parker_sleeps_on_sleeper);
	tcase_add_test(tc, test_timeout_in_driver);
	tcase_add_test(tc, test_timeout_on_sleeper);
	tcase_add_test(tc, test_deadline_in_driver_and_on_sleeper);
	tcase_add_test(tc, test_deadline_in_the_past);
	tcase_add_test(tc, test_huge_timeouts_do_not_overflow);
	tcase_add_test(tc, test_zero_timeout_polls_driver_and_keeps_token);
	tcase_add_test(tc, test_zero_timeout_while_driver_busy);
	tcase_add_test(tc, test_user_timer_fires_on_parked_thread);
	tcase_add_test(tc, test_socket_read_served_while_parked);
	tcase_add_test(tc, test_shutdown_wakes_driver_and_later_parks_use_sleeper);
	tcase_add_test(tc, test_shutdown_before_any_park);
	tcase_add_test(tc, test_adopted_base_survives_driver);
	tcase_add_test(tc, test_clone_shares_driver_and_has_own_token);
	tcase_add_test(tc, test_unparker_outlives_parker_and_driver);
	tcase_add_test(tc, test_concurrent_park_is_refused);
	tcase_add_test(tc, test_park_inside_driver_callback_is_refused);
	tcase_add_test(tc, test_stats_respect_caller_size);
	tcase_add_test(tc, test_wake_channel_failure_is_reported);
	tcase_add_test(tc, test_no_lost_wakeup_in_driver);
	tcase_add_test(tc, test_no_lost_wakeup_on_sleeper);
	suite_add_tcase(s, tc);
	return s;
}
