/*
 * White-box tests against a test build of the library (same sources, plus
 * fault injection): the state word through every transition, every failure
 * path, and the abort on an impossible state. Then the public API suite
 * again, so each sleeper runs all of it.
 */
#include "config.h"

#include "fixture.h"
#include "helpers.h"
#include "park-internal.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

static uint32_t state_of(const park_parker *p)
{
	return atomic_load(&p->state);
}

static bool wait_state(const park_parker *p, uint32_t want)
{
	for (int i = 0; i < 20000; i++) {
		if (state_of(p) == want)
			return true;
		usleep(1000);
	}
	return false;
}

/* A parker shares no line with another allocation, and unpark touches
 * only its first line. */
START_TEST(test_parker_owns_its_cache_lines)
{
	ck_assert_uint_eq(sizeof(struct park_parker) % PARK_CACHE_LINE, 0);
	ck_assert_uint_eq((uintptr_t)parker % PARK_CACHE_LINE, 0);
	ck_assert_uint_lt(offsetof(struct park_parker, state), PARK_CACHE_LINE);
	ck_assert_uint_lt(offsetof(struct park_parker, driver) + sizeof(void *),
			  PARK_CACHE_LINE + 1);
	/* The fast path (busy, state, tokens) stays on the first line too;
	 * what only the slow path reads is on the second. */
	ck_assert_uint_le(offsetof(struct park_parker, tokens) + sizeof(uint64_t),
			  PARK_CACHE_LINE);
	ck_assert_uint_ge(offsetof(struct park_parker, spin_ns), PARK_CACHE_LINE);
	ck_assert_uint_ge(offsetof(struct park_parker, parks_spin),
			  PARK_CACHE_LINE);
}
END_TEST

START_TEST(test_transitions_through_notified)
{
	ck_assert_uint_eq(state_of(parker), PARK_STATE_EMPTY);
	park_unparker_unpark(unparker);
	ck_assert_uint_eq(state_of(parker), PARK_STATE_NOTIFIED);
	park_unparker_unpark(unparker);
	ck_assert_uint_eq(state_of(parker), PARK_STATE_NOTIFIED);
	ck_assert_int_eq(park_parker_park(parker), PARK_TOKEN);
	ck_assert_uint_eq(state_of(parker), PARK_STATE_EMPTY);
}
END_TEST

START_TEST(test_transitions_through_parked_driver)
{
	struct park_thread t;
	park_thread_start(&t, parker, -1);
	ck_assert(wait_state(parker, PARK_STATE_PARKED_DRIVER));
	park_unparker_unpark(unparker);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN | PARK_DRIVER);
	ck_assert_uint_eq(state_of(parker), PARK_STATE_EMPTY);

	/* A timed-out driver park leaves EMPTY, not PARKED_DRIVER. (Long
	 * enough to be armed before it passes, also under valgrind.) */
	ck_assert_int_eq(park_parker_park_timeout(parker, 20 * MS),
			 PARK_TIMED_OUT | PARK_DRIVER);
	ck_assert_uint_eq(state_of(parker), PARK_STATE_EMPTY);
}
END_TEST

START_TEST(test_transitions_through_parked_condvar)
{
	park_parker *other = park_parker_clone(parker);
	park_unparker *other_u = park_unparker_new(other);
	struct park_thread holder, t;
	park_thread_start(&holder, parker, -1);
	ck_assert(wait_state(parker, PARK_STATE_PARKED_DRIVER));
	park_thread_start(&t, other, -1);
	ck_assert(wait_state(other, PARK_STATE_PARKED_CONDVAR));
	park_unparker_unpark(other_u);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN);
	ck_assert_uint_eq(state_of(other), PARK_STATE_EMPTY);

	ck_assert_int_eq(park_parker_park_timeout(other, MS), PARK_TIMED_OUT);
	ck_assert_uint_eq(state_of(other), PARK_STATE_EMPTY);

	park_unparker_unpark(unparker);
	park_thread_join(&holder);
	park_unparker_unref(other_u);
	park_parker_unref(other);
}
END_TEST

START_TEST(test_busy_flag_cleared_after_every_path)
{
	/* The fast path, the poll, and a driver park that times out. */
	park_unparker_unpark(unparker);
	ck_assert_int_eq(park_parker_park(parker), PARK_TOKEN);
	ck_assert_uint_eq(atomic_load(&parker->busy), 0);
	ck_assert_int_eq(park_parker_park_timeout(parker, 0),
			 PARK_TIMED_OUT | PARK_DRIVER);
	ck_assert_uint_eq(atomic_load(&parker->busy), 0);
	ck_assert_int_eq(park_parker_park_timeout(parker, 20 * MS),
			 PARK_TIMED_OUT | PARK_DRIVER);
	ck_assert_uint_eq(atomic_load(&parker->busy), 0);
	/* And a sleeper park, while another parker holds the driver. */
	park_parker *other = park_parker_clone(parker);
	struct park_thread holder;
	park_thread_start(&holder, parker, -1);
	ck_assert(wait_state(parker, PARK_STATE_PARKED_DRIVER));
	ck_assert_int_eq(park_parker_park_timeout(other, MS), PARK_TIMED_OUT);
	ck_assert_uint_eq(atomic_load(&other->busy), 0);
	/* And a park that ends while spinning, by its timeout. */
	ck_assert_int_eq(park_parker_set_spin(other, 1000 * MS), 0);
	ck_assert_int_eq(park_parker_park_timeout(other, MS), PARK_TIMED_OUT);
	ck_assert_uint_eq(atomic_load(&other->busy), 0);
	ck_assert_uint_eq(atomic_load(&other->parks_spin), 1);
	park_unparker_unpark(unparker);
	ck_assert_int_eq(park_thread_join(&holder), PARK_TOKEN | PARK_DRIVER);
	ck_assert_uint_eq(atomic_load(&parker->busy), 0);
	park_parker_unref(other);
}
END_TEST

START_TEST(test_impossible_state_aborts_unpark)
{
	atomic_store(&parker->state, 7);
	park_unparker_unpark(unparker);
}
END_TEST

START_TEST(test_impossible_state_aborts_park)
{
	/* Untimed: a timed park may see its deadline pass (valgrind is slow)
	 * and return before it reaches the state word. */
	atomic_store(&parker->state, PARK_STATE_PARKED_DRIVER);
	park_parker_park(parker);
}
END_TEST

/* --- clock arithmetic at the ends of int64_t (UBSan watches) ---------- */

START_TEST(test_clock_saturates)
{
	const int64_t big = INT64_MAX;
	struct timespec ts = {(time_t)INT64_MIN, 0};
	if (sizeof(time_t) == sizeof(int64_t)) {
		ck_assert_int_eq(park__clock_remaining_ns(&ts), 0);
		ts.tv_sec = (time_t)(INT64_MIN + 1);
		ts.tv_nsec = 999999999;
		ck_assert_int_eq(park__clock_remaining_ns(&ts), 0);
		ts.tv_sec = (time_t)INT64_MAX;
		ck_assert_int_eq(park__clock_remaining_ns(&ts), big);
		ts.tv_nsec = 0;
		ck_assert_int_eq(park__clock_remaining_ns(&ts), big);
	}
	ts.tv_sec = -1;
	ck_assert_int_eq(park__clock_remaining_ns(&ts), 0);

	/* A second from now is between 0 and a second away. */
	ck_assert(park__clock_deadline(1000 * MS, &ts));
	int64_t left = park__clock_remaining_ns(&ts);
	ck_assert_int_gt(left, 0);
	ck_assert_int_le(left, 1000 * MS);
	ck_assert(park__clock_deadline(1, &ts));
	ck_assert(!park__clock_deadline(INT64_MAX, &ts));
	ck_assert(!park__clock_deadline(INT64_MAX - 1, &ts));

	struct timeval tv;
	park__clock_timeval(1, &tv);
	ck_assert(tv.tv_sec == 0 && tv.tv_usec == 1);
	park__clock_timeval(1000, &tv);
	ck_assert(tv.tv_sec == 0 && tv.tv_usec == 1);
	park__clock_timeval(1001, &tv);
	ck_assert(tv.tv_sec == 0 && tv.tv_usec == 2);
	park__clock_timeval(1000 * MS, &tv);
	ck_assert(tv.tv_sec == 1 && tv.tv_usec == 0);
	park__clock_timeval(INT64_MAX, &tv);
	ck_assert_int_gt(tv.tv_sec, 0);
	ck_assert(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
}
END_TEST

/* --- faults: each gives its documented error and leaks nothing
 * (valgrind runs this file too) ------------------------------------- */

START_TEST(test_fault_driver_allocation)
{
	park__fault_arm(PARK_FAULT_ALLOC, 0);
	errno = 0;
	ck_assert_ptr_null(park_driver_new());
	ck_assert_int_eq(errno, ENOMEM);
}
END_TEST

START_TEST(test_fault_wake_channel)
{
	park__fault_arm(PARK_FAULT_WAKE_CHANNEL, 0);
	errno = 0;
	ck_assert_ptr_null(park_driver_new());
	ck_assert_int_eq(errno, EMFILE);
}
END_TEST

START_TEST(test_fault_event_base)
{
	park__fault_arm(PARK_FAULT_EVENT_BASE, 0);
	errno = 0;
	ck_assert_ptr_null(park_driver_new());
	ck_assert_int_eq(errno, ENOMEM);
}
END_TEST

START_TEST(test_fault_event_new)
{
	/* The wake event (first) and the timer event (second). */
	for (unsigned skip = 0; skip < 2; skip++) {
		park__fault_arm(PARK_FAULT_EVENT_NEW, skip);
		errno = 0;
		ck_assert_ptr_null(park_driver_new());
		ck_assert_int_eq(errno, ENOMEM);
		ck_assert_uint_eq(park__fault_passes(PARK_FAULT_EVENT_NEW), 2);
	}
}
END_TEST

START_TEST(test_fault_event_add_in_driver_new)
{
	park__fault_arm(PARK_FAULT_EVENT_ADD, 0);
	errno = 0;
	ck_assert_ptr_null(park_driver_new());
	ck_assert_int_eq(errno, ENOMEM);
}
END_TEST

START_TEST(test_fault_adopted_base_kept_on_failure)
{
	struct event_base *base = event_base_new();
	park__fault_arm(PARK_FAULT_EVENT_ADD, 0);
	ck_assert_ptr_null(park_driver_new_with_base(base));
	/* Still the application's, still usable, no event of ours left. */
	ck_assert_int_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED),
			 0);
	ck_assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	event_base_free(base);
}
END_TEST

START_TEST(test_fault_parker_allocation)
{
	park__fault_arm(PARK_FAULT_ALLOC, 0);
	errno = 0;
	ck_assert_ptr_null(park_parker_new(driver));
	ck_assert_int_eq(errno, ENOMEM);
	park__fault_arm(PARK_FAULT_ALLOC, 0);
	errno = 0;
	ck_assert_ptr_null(park_parker_clone(parker));
	ck_assert_int_eq(errno, ENOMEM);
}
END_TEST

START_TEST(test_fault_sleeper_init)
{
	park__fault_arm(PARK_FAULT_SLEEPER_INIT, 0);
	errno = 0;
	ck_assert_ptr_null(park_parker_new(driver));
	ck_assert_int_eq(errno, ENOMEM);
}
END_TEST

START_TEST(test_fault_timer_arm_leaves_state_intact)
{
	park__fault_arm(PARK_FAULT_EVENT_ADD, 0);
	/* Long enough that the deadline cannot pass before the timer is
	 * armed (valgrind is slow): the fault, not the clock, ends it. */
	ck_assert_int_eq(park_parker_park_timeout(parker, 10000 * MS), -ENOMEM);
	ck_assert_uint_eq(state_of(parker), PARK_STATE_EMPTY);
	ck_assert_uint_eq(atomic_load(&parker->busy), 0);
	/* The driver was released: the next park can take it. */
	ck_assert_int_eq(park_parker_park_timeout(parker, 0),
			 PARK_TIMED_OUT | PARK_DRIVER);
}
END_TEST

static void drain_byte(evutil_socket_t fd, short what, void *arg)
{
	char c;
	(void)what;
	(void)arg;
	ck_assert_int_eq(read(fd, &c, 1), 1);
}

START_TEST(test_fault_wake_write_keeps_token)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct event *ev = event_new(park_driver_get_base(driver), sv[0],
				     EV_READ, drain_byte, NULL);
	event_add(ev, NULL);
	struct park_thread t;
	park_thread_start(&t, parker, -1);
	ck_assert(wait_state(parker, PARK_STATE_PARKED_DRIVER));
	park__fault_arm(PARK_FAULT_WAKE_WRITE, 0);
	ck_assert_int_eq(park_unparker_unpark(unparker), -EIO);
	/* The token is recorded, and the parker takes it at its next
	 * wake-up, whatever wakes the loop. */
	ck_assert_uint_eq(state_of(parker), PARK_STATE_NOTIFIED);
	ck_assert_int_eq(write(sv[1], "x", 1), 1);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN | PARK_DRIVER);
	event_free(ev);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_fault_wake_write_in_shutdown)
{
	park__fault_arm(PARK_FAULT_WAKE_WRITE, 0);
	ck_assert_int_eq(park_driver_shutdown(driver), -EIO);
	ck_assert_int_eq(park_driver_is_shutdown(driver), 1);
	ck_assert_int_eq(park_parker_park_timeout(parker, MS), PARK_TIMED_OUT);
}
END_TEST

static void must_not_run(void *arg)
{
	(void)arg;
	ck_abort_msg("a post that failed ran");
}

START_TEST(test_fault_post_allocation)
{
	park__fault_arm(PARK_FAULT_ALLOC, 0);
	ck_assert_int_eq(park_driver_post(driver, must_not_run, NULL), -ENOMEM);
	ck_assert_int_eq(park_parker_park_timeout(parker, 0),
			 PARK_TIMED_OUT | PARK_DRIVER);
}
END_TEST

Suite *internal_suite(void)
{
	Suite *s = suite_create("internal");
	TCase *tc = tcase_create("states");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_parker_owns_its_cache_lines);
	tcase_add_test(tc, test_transitions_through_notified);
	tcase_add_test(tc, test_transitions_through_parked_driver);
	tcase_add_test(tc, test_transitions_through_parked_condvar);
	tcase_add_test(tc, test_busy_flag_cleared_after_every_path);
	tcase_add_test_raise_signal(tc, test_impossible_state_aborts_unpark,
				    SIGABRT);
	tcase_add_test_raise_signal(tc, test_impossible_state_aborts_park,
				    SIGABRT);
	tcase_add_test(tc, test_clock_saturates);
	suite_add_tcase(s, tc);

	tc = tcase_create("faults");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fault_driver_allocation);
	tcase_add_test(tc, test_fault_wake_channel);
	tcase_add_test(tc, test_fault_event_base);
	tcase_add_test(tc, test_fault_event_new);
	tcase_add_test(tc, test_fault_event_add_in_driver_new);
	tcase_add_test(tc, test_fault_adopted_base_kept_on_failure);
	tcase_add_test(tc, test_fault_parker_allocation);
	tcase_add_test(tc, test_fault_sleeper_init);
	tcase_add_test(tc, test_fault_timer_arm_leaves_state_intact);
	tcase_add_test(tc, test_fault_wake_write_keeps_token);
	tcase_add_test(tc, test_fault_wake_write_in_shutdown);
	tcase_add_test(tc, test_fault_post_allocation);
	suite_add_tcase(s, tc);
	return s;
}
