/*
 * Opt-in spinning (park_parker_set_spin), white box against each sleeper:
 * a park with a budget watches its state word before it sleeps on its
 * sleeper, an unpark then is one swap and no system call, the spin never
 * runs before the driver and never outlasts the park's timeout, and a park
 * that nobody wakes uses no more CPU than its budget.
 */
#include "config.h"

#include "helpers.h"
#include "park-internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#define SPIN_FOREVER (60 * 1000 * MS) /* longer than any wait below */

static park_driver *driver, *stopped;
static park_parker *parker;
static park_unparker *unparker;

/* parker parks on a shut-down driver, so every park that does not take a
 * token at once goes to the sleeper: the path that spins. */
static void setup(void)
{
	park__fault_disarm();
	driver = park_driver_new();
	stopped = park_driver_new();
	ck_assert_ptr_nonnull(stopped);
	ck_assert_int_eq(park_driver_shutdown(stopped), 0);
	parker = park_parker_new(stopped);
	unparker = park_unparker_new(parker);
	ck_assert_ptr_nonnull(unparker);
}

static void teardown(void)
{
	park_unparker_unref(unparker);
	park_parker_unref(parker);
	park_driver_unref(stopped);
	park_driver_unref(driver);
}

static bool under_valgrind(void)
{
	return getenv("PARK_UNDER_VALGRIND") != NULL;
}

/* The kernel's view of thread tid: 'R' running or runnable, 'S' asleep. */
static char thread_state(pid_t tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return '?';
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "tid (comm) S ...": the state follows the last ')'. */
	char *paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : '?';
}

/* True once p is in a park that spins: it owns the parker (busy) and the
 * word still reads EMPTY, which neither a sleeper (PARKED_CONDVAR) nor the
 * driver (PARKED_DRIVER) leaves. Waits up to 20 s. */
static bool wait_spinning(const park_parker *p)
{
	for (int i = 0; i < 20000; i++) {
		if (atomic_load(&p->busy) &&
		    atomic_load(&p->state) == PARK_STATE_EMPTY)
			return true;
		usleep(1000);
	}
	return false;
}

/* Starts a thread whose untimed park spins for ever, and proves it spins:
 * the kernel shows it running, not asleep, 50 ms later. */
static void start_spinning(struct park_thread *t)
{
	ck_assert_int_eq(park_parker_set_spin(parker, SPIN_FOREVER), 0);
	park_thread_start(t, parker, -1);
	ck_assert(wait_spinning(parker));
	usleep(50 * 1000);
	ck_assert(wait_spinning(parker));
	if (!under_valgrind()) /* valgrind runs one thread at a time */
		ck_assert_int_eq(thread_state(park_thread_tid(t)), 'R');
}

START_TEST(test_budget_is_set_and_read)
{
	ck_assert_int_eq(park_parker_get_spin(parker), 0);
	ck_assert_int_eq(park_parker_set_spin(parker, 5000), 0);
	ck_assert_int_eq(park_parker_get_spin(parker), 5000);
	ck_assert_int_eq(park_parker_set_spin(parker, INT64_MAX), 0);
	ck_assert_int_eq(park_parker_get_spin(parker), INT64_MAX);
	ck_assert_int_eq(park_parker_set_spin(parker, 0), 0);
	ck_assert_int_eq(park_parker_get_spin(parker), 0);

	/* A clone has the same budget; a new parker has none. */
	ck_assert_int_eq(park_parker_set_spin(parker, 7000), 0);
	park_parker *clone = park_parker_clone(parker);
	park_parker *fresh = park_parker_new(stopped);
	ck_assert_int_eq(park_parker_get_spin(clone), 7000);
	ck_assert_int_eq(park_parker_get_spin(fresh), 0);
	park_parker_unref(clone);
	park_parker_unref(fresh);
}
END_TEST

START_TEST(test_bad_budgets_are_refused)
{
	ck_assert_int_eq(park_parker_set_spin(parker, 3000), 0);
	ck_assert_int_eq(park_parker_set_spin(parker, -1), -EINVAL);
	ck_assert_int_eq(park_parker_set_spin(parker, INT64_MIN), -EINVAL);
	ck_assert_int_eq(park_parker_set_spin(NULL, 1000), -EINVAL);
	ck_assert_int_eq(park_parker_get_spin(NULL), -EINVAL);
	/* Nothing was changed by a refused call. */
	ck_assert_int_eq(park_parker_get_spin(parker), 3000);
}
END_TEST

/* The unpark lands while the parker spins: it never sleeps, and the park
 * counts as one that ended spinning. */
START_TEST(test_spinning_park_takes_the_token)
{
	struct park_thread t;
	start_spinning(&t);
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN);
	struct park_stats s = stats_of(parker);
	ck_assert_uint_eq(s.parks_spin, 1);
	ck_assert_uint_eq(s.parks_sleeper, 0);
	ck_assert_uint_eq(s.parks_driver, 0);
	ck_assert_uint_eq(s.tokens, 1);
	ck_assert_uint_eq(atomic_load(&parker->state), PARK_STATE_EMPTY);
	ck_assert_uint_eq(atomic_load(&parker->busy), 0);
}
END_TEST

/* In a child killed by the kernel at its first system call (seccomp on
 * this thread only: everything but exit is fatal), unpark a parker that
 * spins in another thread, then wait for its park to end. The child
 * exits 0 when the park took the token while spinning. A control child
 * unparks a parker asleep on its sleeper instead, and must be killed. */
static _Atomic bool park_ended;
static _Atomic int park_result;

static void *park_once(void *arg)
{
	park_result = park_parker_park(arg);
	park_ended = true;
	return NULL;
}

static int unpark_in_filtered_child(int64_t budget)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* The parent's driver is refused in a child (-ECHILD until
		 * park_driver_reinit): this one is the child's own. */
		park_driver *d = park_driver_new();
		park_parker *p = d ? park_parker_new(d) : NULL;
		park_unparker *u = p ? park_unparker_new(p) : NULL;
		if (!u || park_driver_shutdown(d) != 0 ||
		    park_parker_set_spin(p, budget) != 0)
			syscall(SYS_exit_group, 4);
		pthread_t t;
		if (pthread_create(&t, NULL, park_once, p) != 0)
			syscall(SYS_exit_group, 4);
		/* Spinning (busy, EMPTY) or asleep (PARKED_CONDVAR). */
		uint32_t want = budget ? PARK_STATE_EMPTY
				       : PARK_STATE_PARKED_CONDVAR;
		while (!park_ended && (!atomic_load(&p->busy) ||
				       atomic_load(&p->state) != want))
			usleep(1000);
		usleep(20 * 1000);
		if (park_ended)
			syscall(SYS_exit_group, 6);
		forbid_system_calls();
		park_unparker_unpark(u);
		while (!park_ended)
			park__cpu_relax();
		struct park_stats s = {.size = sizeof s};
		park_parker_get_stats(p, &s);
		syscall(SYS_exit_group,
			park_result == PARK_TOKEN && s.parks_spin == 1 ? 0 : 5);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

START_TEST(test_unpark_of_a_spinning_parker_makes_no_system_call)
{
	if (under_valgrind())
		return; /* valgrind's own calls would trip the filter */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
	return; /* and so would a sanitizer runtime's in the child */
#endif
	/* Bind every call the child makes before its filter is on. */
	struct park_stats s = stats_of(parker);
	(void)s;
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	ck_assert_int_eq(park_parker_park(parker), PARK_TOKEN);

	int status = unpark_in_filtered_child(0);
	if (seccomp_refused(status))
		return;
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
		      "the filter did not kill a futex wake (status %d)",
		      status);
	status = unpark_in_filtered_child(SPIN_FOREVER);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "unparking a spinning parker made a system call or "
		      "the park did not end spinning (status %d)", status);
}
END_TEST

/* A budget that runs out: the park goes on to sleep on its sleeper, and
 * counts as a sleeper park. */
START_TEST(test_spent_budget_sleeps_on_the_sleeper)
{
	ck_assert_int_eq(park_parker_set_spin(parker, 2 * MS), 0);
	struct park_thread t;
	park_thread_start_on_sleeper(&t, parker, -1);
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN);
	struct park_stats s = stats_of(parker);
	ck_assert_uint_eq(s.parks_sleeper, 1);
	ck_assert_uint_eq(s.parks_spin, 0);
	ck_assert_uint_eq(s.tokens, 1);
}
END_TEST

/* A park that wins the driver runs its loop at once, whatever the budget:
 * with a 60 s budget it is found asleep in the loop (within 20 s), and
 * serves an event there. */
static void count_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	(*(_Atomic int *)arg)++;
}

START_TEST(test_no_spin_before_the_driver)
{
	park_parker *p = park_parker_new(driver);
	park_unparker *u = park_unparker_new(p);
	ck_assert_int_eq(park_parker_set_spin(p, SPIN_FOREVER), 0);
	struct park_thread t;
	park_thread_start_in_driver(&t, p, -1);
	ck_assert_uint_eq(atomic_load(&p->state), PARK_STATE_PARKED_DRIVER);
	ck_assert_int_eq(park_unparker_unpark(u), 0);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN | PARK_DRIVER);

	/* And events are served by a spinning parker's driver park. */
	_Atomic int served = 0;
	struct event *ev = event_new(park_driver_get_base(driver), -1, 0,
				     count_event, &served);
	struct timeval soon = {0, 20000};
	event_add(ev, &soon);
	ck_assert_int_eq(park_parker_park_timeout(p, 5000 * MS),
			 PARK_EVENTS | PARK_DRIVER);
	ck_assert_int_eq(served, 1);
	struct park_stats s = stats_of(p);
	ck_assert_uint_eq(s.parks_driver, 2);
	ck_assert_uint_eq(s.parks_spin, 0);
	event_free(ev);
	park_unparker_unref(u);
	park_parker_unref(p);
}
END_TEST

/* A budget longer than the timeout: the park ends by its timeout while
 * still spinning, never early. */
START_TEST(test_spin_ends_at_the_timeout)
{
	ck_assert_int_eq(park_parker_set_spin(parker, SPIN_FOREVER), 0);
	int64_t t0 = now_ns();
	ck_assert_int_eq(park_parker_park_timeout(parker, 30 * MS),
			 PARK_TIMED_OUT);
	int64_t elapsed = now_ns() - t0;
	ck_assert_int_ge(elapsed, 30 * MS);
	ck_assert_int_lt(elapsed, 30 * MS + LATE_NS);

	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_nsec += 30 * MS;
	if (deadline.tv_nsec >= 1000 * MS) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000 * MS;
	}
	ck_assert_int_eq(park_parker_park_until(parker, &deadline),
			 PARK_TIMED_OUT);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ck_assert(now.tv_sec > deadline.tv_sec ||
		  (now.tv_sec == deadline.tv_sec &&
		   now.tv_nsec >= deadline.tv_nsec));

	struct park_stats s = stats_of(parker);
	ck_assert_uint_eq(s.parks_spin, 2);
	ck_assert_uint_eq(s.timeouts, 2);
	ck_assert_uint_eq(s.parks_sleeper, 0);
	/* The word was never published as parked: still EMPTY. */
	ck_assert_uint_eq(atomic_load(&parker->state), PARK_STATE_EMPTY);
}
END_TEST

static int64_t thread_cpu_ns(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 * MS +
	       ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* A park that nobody wakes spins its budget, then sleeps out the rest: its
 * thread's CPU time stays within the budget (plus what entering and
 * leaving one sleep costs), however long the park. */
START_TEST(test_idle_park_uses_no_more_cpu_than_its_budget)
{
	const int64_t budget = 20 * MS, timeout = 300 * MS;
	ck_assert_int_eq(park_parker_set_spin(parker, budget), 0);
	int64_t cpu0 = thread_cpu_ns(), t0 = now_ns();
	ck_assert_int_eq(park_parker_park_timeout(parker, timeout),
			 PARK_TIMED_OUT);
	int64_t cpu = thread_cpu_ns() - cpu0, elapsed = now_ns() - t0;
	ck_assert_int_ge(elapsed, timeout);
	/* Under valgrind the sleep's entry and exit cost many times their
	 * CPU: the bound says nothing there. */
	ck_assert_msg(under_valgrind() || cpu <= budget + 10 * MS,
		      "a %lld ms park with a %lld ms budget used %lld us of CPU",
		      (long long)(elapsed / MS), (long long)(budget / MS),
		      (long long)(cpu / 1000));
	struct park_stats s = stats_of(parker);
	ck_assert_uint_eq(s.parks_sleeper, 1);
	ck_assert_uint_eq(s.parks_spin, 0);
	ck_assert_uint_eq(s.timeouts, 1);
}
END_TEST

/* The parker belongs to the spinning thread: a second thread is refused
 * as it is while the owner sleeps. */
START_TEST(test_second_thread_is_refused_during_a_spin)
{
	struct park_thread t;
	start_spinning(&t);
	ck_assert_int_eq(park_parker_park(parker), -EBUSY);
	ck_assert_int_eq(park_parker_park_timeout(parker, MS), -EBUSY);
	ck_assert_int_eq(park_parker_park_timeout(parker, 0), -EBUSY);
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN);
	ck_assert_uint_eq(stats_of(parker).parks_spin, 1);
}
END_TEST

/* Any thread may change the budget; a park reads it once, when it begins:
 * the spinning park keeps spinning, the next one goes straight to sleep. */
START_TEST(test_budget_change_applies_to_later_parks)
{
	struct park_thread t;
	start_spinning(&t);
	ck_assert_int_eq(park_parker_set_spin(parker, 0), 0);
	usleep(50 * 1000);
	ck_assert(wait_spinning(parker));
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN);

	park_thread_start_on_sleeper(&t, parker, -1);
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN);
	struct park_stats s = stats_of(parker);
	ck_assert_uint_eq(s.parks_spin, 1);
	ck_assert_uint_eq(s.parks_sleeper, 1);
}
END_TEST

/* A budget of 0 is the behaviour without spinning: straight to the
 * sleeper, and a token waiting is taken by the fast path either way. */
START_TEST(test_zero_budget_and_waiting_token)
{
	struct park_thread t;
	park_thread_start_on_sleeper(&t, parker, -1);
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN);

	ck_assert_int_eq(park_parker_set_spin(parker, SPIN_FOREVER), 0);
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	ck_assert_int_eq(park_parker_park(parker), PARK_TOKEN);
	struct park_stats s = stats_of(parker);
	ck_assert_uint_eq(s.parks_sleeper, 1);
	ck_assert_uint_eq(s.parks_spin, 0);
	ck_assert_uint_eq(s.tokens, 2);
}
END_TEST

/* Many hand-offs between two spinning parkers: every token arrives, none
 * twice; the counters add up to the parks made. */
struct relay {
	park_parker *me;
	park_unparker *other;
	long rounds;
};

static void *relay_main(void *arg)
{
	struct relay *r = arg;
	for (long i = 0; i < r->rounds; i++) {
		if (park_parker_park(r->me) != PARK_TOKEN)
			return (void *)1;
		park_unparker_unpark(r->other);
	}
	return NULL;
}

START_TEST(test_spinning_ping_pong_loses_nothing)
{
	const long rounds = under_valgrind() ? 2000 : 50000;
	park_parker *b = park_parker_clone(parker);
	park_unparker *ub = park_unparker_new(b);
	ck_assert_int_eq(park_parker_set_spin(parker, 50 * 1000), 0);
	ck_assert_int_eq(park_parker_set_spin(b, 50 * 1000), 0);
	struct relay r = {b, unparker, rounds};
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, relay_main, &r), 0);
	for (long i = 0; i < rounds; i++) {
		park_unparker_unpark(ub);
		ck_assert_int_eq(park_parker_park(parker), PARK_TOKEN);
	}
	void *failed;
	pthread_join(t, &failed);
	ck_assert_ptr_null(failed);
	for (int k = 0; k < 2; k++) {
		struct park_stats s = stats_of(k ? b : parker);
		ck_assert_uint_eq(s.tokens, (uint64_t)rounds);
		ck_assert_uint_eq(s.timeouts + s.spurious + s.parks_driver, 0);
		/* Each park took the fast path, or ended spinning, or slept. */
		ck_assert_uint_le(s.parks_spin + s.parks_sleeper,
				  (uint64_t)rounds);
	}
	park_unparker_unref(ub);
	park_parker_unref(b);
}
END_TEST

Suite *spin_suite(void)
{
	Suite *s = suite_create("spin");
	TCase *tc = tcase_create("spin");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_budget_is_set_and_read);
	tcase_add_test(tc, test_bad_budgets_are_refused);
	tcase_add_test(tc, test_spinning_park_takes_the_token);
	tcase_add_test(tc, test_unpark_of_a_spinning_parker_makes_no_system_call);
	tcase_add_test(tc, test_spent_budget_sleeps_on_the_sleeper);
	tcase_add_test(tc, test_no_spin_before_the_driver);
	tcase_add_test(tc, test_spin_ends_at_the_timeout);
	tcase_add_test(tc, test_idle_park_uses_no_more_cpu_than_its_budget);
	tcase_add_test(tc, test_second_thread_is_refused_during_a_spin);
	tcase_add_test(tc, test_budget_change_applies_to_later_parks);
	tcase_add_test(tc, test_zero_budget_and_waiting_token);
	tcase_add_test(tc, test_spinning_ping_pong_loses_nothing);
	suite_add_tcase(s, tc);
	return s;
}
