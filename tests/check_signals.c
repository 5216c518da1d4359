/*
 * Unpark and shutdown from signal handlers (docs/man/park_unparker_unpark.3:
 * async-signal-safe in the futex and sem builds, shutdown in every build).
 *
 * A POSIX timer sends a real-time signal many thousand times a second to
 * one thread, and the handler unparks a parker that another test thread
 * parks on, untimed, in a loop. The handler unparks only when the previous
 * token was consumed, so each unpark is the only one outstanding: if its
 * wake were lost nothing would come to rescue the parker, and the watchdog
 * (the test's main thread) fails the case after two seconds. The signal
 * is aimed at the parking thread itself (the handler interrupts its park)
 * or at another thread that is itself parked in the library (in the
 * driver's loop, or on its sleeper), with the parker on the sleeper path or
 * in the driver. (Aimed at the parking thread, the signal itself interrupts
 * the wait, so those cases prove that the handler neither deadlocks nor
 * corrupts; losing a wake shows in the cases aimed at the other thread.)
 *
 * The condvar build's unpark takes the parker's mutex, which is not
 * async-signal-safe: its sleeper-path cases are replaced by a test that
 * shows the documented deadlock.
 */
#include "config.h"

#include "helpers.h"
#include "park-internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

/* 20,000 signals a second asked for; the kernel merges the ones that find
 * the previous still pending. */
#define SIGNAL_PERIOD_NS 50000
#define GRACE_NS (2000 * MS)

static park_driver *driver;
static park_parker *parker, *other;
static park_unparker *unparker, *other_u;
static bool under_valgrind;

static void setup(void)
{
	under_valgrind = getenv("PARK_UNDER_VALGRIND") != NULL;
	park__fault_disarm();
	driver = park_driver_new();
	ck_assert_ptr_nonnull(driver);
	parker = park_parker_new(driver);
	other = park_parker_clone(parker);
	ck_assert_ptr_nonnull(other);
	unparker = park_unparker_new(parker);
	other_u = park_unparker_new(other);
	ck_assert_ptr_nonnull(other_u);
}

static void teardown(void)
{
	park__fault_disarm();
	park_unparker_unref(other_u);
	park_unparker_unref(unparker);
	park_parker_unref(other);
	park_parker_unref(parker);
	park_driver_unref(driver);
}

/* --- the timer ------------------------------------------------------------ */

static void install(int sig, void (*handler)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: every interrupted wait returns EINTR, the most
	 * spurious wakes the library can be handed. */
	ck_assert_int_eq(sigaction(sig, &sa, NULL), 0);
}

/* A periodic timer whose signal goes to thread tid only. */
static timer_t start_timer(pid_t tid, int sig, long period_ns)
{
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = sig;
	sev.sigev_notify_thread_id = tid;
	timer_t timer;
	ck_assert_int_eq(timer_create(CLOCK_MONOTONIC, &sev, &timer), 0);
	struct itimerspec every = {{0, period_ns}, {0, period_ns}};
	ck_assert_int_eq(timer_settime(timer, 0, &every, NULL), 0);
	return timer;
}

/* --- the ping-pong between a handler and a parking thread ---------------- */

static _Atomic uint64_t signals, produced, consumed, unpark_errors;
static _Atomic bool stop_producing, finish;

static void unpark_handler(int sig)
{
	(void)sig;
	signals++;
	if (stop_producing || consumed != produced)
		return;
	produced++;
	if (park_unparker_unpark(unparker) != 0)
		unpark_errors++;
}

struct consumer {
	pthread_t thread;
	_Atomic pid_t tid;
	int error;
	uint64_t invented;
};

static void *consume(void *arg)
{
	struct consumer *c = arg;
	c->tid = current_tid();
	for (;;) {
		int r = park_parker_park(parker);
		if (r < 0) {
			c->error = r;
			return NULL;
		}
		if (finish)
			return NULL;
		if (PARK_REASON(r) != PARK_TOKEN)
			continue;
		if (consumed >= produced)
			c->invented++;
		consumed++;
	}
}

/* The thread that sits in the library on `other` while the consumer runs:
 * in the driver's loop or on its sleeper, depending on who parked first. */
static void *hold_other(void *arg)
{
	struct park_thread *t = arg;
	t->tid = current_tid();
	t->result = park_parker_park(other);
	return NULL;
}

enum path { ON_SLEEPER, IN_DRIVER };
enum target { AT_PARKER, AT_OTHER_THREAD };

static void run_case(enum path path, enum target target)
{
	signals = produced = consumed = unpark_errors = 0;
	stop_producing = finish = false;
	struct consumer c = {.tid = 0};
	struct park_thread holder = {.tid = 0};

	/* Whoever parks first takes the driver and keeps it: the other one
	 * stays on its sleeper for the whole case (a signal's EINTR does not
	 * end either wait). */
	if (path == ON_SLEEPER) {
		ck_assert_int_eq(pthread_create(&holder.thread, NULL,
						hold_other, &holder), 0);
		ck_assert(wait_in_driver(park_thread_tid(&holder)));
		ck_assert_int_eq(pthread_create(&c.thread, NULL, consume, &c),
				 0);
		while (c.tid == 0)
			usleep(100);
		ck_assert(wait_on_sleeper(c.tid, parker));
	} else {
		ck_assert_int_eq(pthread_create(&c.thread, NULL, consume, &c),
				 0);
		while (c.tid == 0)
			usleep(100);
		ck_assert(wait_in_driver(c.tid));
		ck_assert_int_eq(pthread_create(&holder.thread, NULL,
						hold_other, &holder), 0);
		ck_assert(wait_on_sleeper(park_thread_tid(&holder), other));
	}

	install(SIGRTMIN, unpark_handler);
	pid_t aim = target == AT_PARKER ? c.tid : park_thread_tid(&holder);
	timer_t timer = start_timer(aim, SIGRTMIN, SIGNAL_PERIOD_NS);

	/* The watchdog: an unpark not consumed within the grace period was
	 * lost, since no other unpark can come while it is outstanding. */
	int64_t start = now_ns();
	int64_t run_ns = under_valgrind ? 500 * MS : 2000 * MS;
	uint64_t seen = 0;
	int64_t seen_at = start;
	for (int64_t now = start; now - start < run_ns; now = now_ns()) {
		usleep(10000);
		uint64_t done = consumed;
		if (done != seen || done == produced) {
			seen = done;
			seen_at = now;
		}
		ck_assert_msg(now - seen_at < GRACE_NS,
			      "lost wakeup: unpark %llu from a handler not "
			      "consumed after 2 s (%llu signals)",
			      (unsigned long long)produced,
			      (unsigned long long)signals);
	}
	ck_assert_int_eq(timer_delete(timer), 0);
	stop_producing = true;
	/* The last unpark made must be consumed too. */
	int64_t stopped = now_ns();
	while (consumed != produced && now_ns() - stopped < GRACE_NS)
		usleep(1000);
	ck_assert_msg(consumed == produced,
		      "lost wakeup: the last unpark from a handler (%llu) "
		      "never consumed", (unsigned long long)produced);
	usleep(50000); /* any handler still running has returned */
	finish = true;
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	pthread_join(c.thread, NULL);
	ck_assert_int_eq(park_unparker_unpark(other_u), 0);
	pthread_join(holder.thread, NULL);

	ck_assert_int_eq(c.error, 0);
	ck_assert_int_gt(holder.result, 0);
	ck_assert_uint_eq(c.invented, 0);
	ck_assert_uint_eq(unpark_errors, 0);
	ck_assert_uint_eq(consumed, produced);
	/* Nothing left over: the last token was the finishing one. */
	struct timespec past = {0, 0};
	ck_assert_int_eq(park_parker_park_until(parker, &past), PARK_TIMED_OUT);
	/* The case ran where it says, for long enough to matter. */
	struct park_stats s = stats_of(parker);
	if (path == ON_SLEEPER)
		ck_assert_uint_eq(s.parks_driver, 0);
	else
		ck_assert_uint_eq(s.parks_sleeper, 0);
	ck_assert_uint_ge(produced, under_valgrind ? 50 : 1000);
	printf("# %s sleeper, parker %s, signals at the %s: %llu signals, "
	       "%llu unparks from the handler, all consumed\n",
	       park__sleeper_name,
	       path == ON_SLEEPER ? "on its sleeper" : "in the driver",
	       target == AT_PARKER ? "parking thread" : "other parked thread",
	       (unsigned long long)signals, (unsigned long long)produced);
	fflush(stdout);
}

#ifndef PARK_SLEEPER_CONDVAR
START_TEST(test_handler_in_parking_thread_unparks_it_on_sleeper)
{
	run_case(ON_SLEEPER, AT_PARKER);
}
END_TEST

START_TEST(test_handler_in_other_thread_unparks_sleeper)
{
	run_case(ON_SLEEPER, AT_OTHER_THREAD);
}
END_TEST
#endif

START_TEST(test_handler_in_parking_thread_unparks_it_in_driver)
{
	run_case(IN_DRIVER, AT_PARKER);
}
END_TEST

START_TEST(test_handler_in_other_thread_unparks_driver)
{
	run_case(IN_DRIVER, AT_OTHER_THREAD);
}
END_TEST

/* --- shutdown from a handler --------------------------------------------- */

static void shutdown_handler(int sig)
{
	(void)sig;
	signals++;
	if (park_driver_shutdown(driver) != 0)
		unpark_errors++;
}

START_TEST(test_shutdown_from_handler_in_parking_thread)
{
	signals = unpark_errors = 0;
	install(SIGRTMIN, shutdown_handler);
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, -1);
	timer_t timer = start_timer(park_thread_tid(&t), SIGRTMIN,
				    SIGNAL_PERIOD_NS);
	ck_assert_int_eq(park_thread_join(&t), PARK_SHUTDOWN | PARK_DRIVER);
	ck_assert_int_eq(timer_delete(timer), 0);
	/* Later parks sleep on the sleeper. */
	ck_assert_int_eq(park_parker_park_timeout(parker, 20 * MS),
			 PARK_TIMED_OUT);
	ck_assert_uint_eq(unpark_errors, 0);
	ck_assert_uint_gt(signals, 0);
}
END_TEST

/* --- errno: a handler that unparks must not change what it interrupted
 * sees; the failing write is the path that sets it ----------------------- */

START_TEST(test_unpark_and_shutdown_leave_errno_alone)
{
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, -1);
	park__fault_arm(PARK_FAULT_WAKE_WRITE, 0);
	errno = E2BIG;
	ck_assert_int_eq(park_unparker_unpark(unparker), -EIO);
	ck_assert_int_eq(errno, E2BIG);
	/* Shutdown's write wakes the loop, which finds the token. */
	ck_assert_int_eq(park_driver_shutdown(driver), 0);
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN | PARK_DRIVER);

	/* On the sleeper (the driver is shut down now). */
	park_thread_start_on_sleeper(&t, parker, -1);
	errno = E2BIG;
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN);
}
END_TEST

START_TEST(test_failed_shutdown_write_leaves_errno_alone)
{
	park__fault_arm(PARK_FAULT_WAKE_WRITE, 0);
	errno = E2BIG;
	ck_assert_int_eq(park_driver_shutdown(driver), -EIO);
	ck_assert_int_eq(errno, E2BIG);
}
END_TEST

#ifdef PARK_SLEEPER_CONDVAR
/* The documented limit, in a child process: a handler unparks while its
 * thread holds the parker's mutex (as the parking thread does around its
 * wait), and the unpark waits for that mutex for ever, asleep on a futex
 * inside the parker. The child is killed when that has been seen. */
static void unpark_in_handler(int sig)
{
	(void)sig;
	park_unparker_unpark(unparker);
}

START_TEST(test_condvar_unpark_in_handler_deadlocks)
{
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		install(SIGUSR1, unpark_in_handler);
		/* Parked in this process, as a park here would record: an
		 * unpark leaves a parker that was parked in the parent
		 * before the fork alone. */
		atomic_store(&parker->generation, park__fork_generation());
		atomic_store(&parker->state, PARK_STATE_PARKED_CONDVAR);
		pthread_mutex_lock(&parker->mutex);
		raise(SIGUSR1);
		_exit(0); /* the handler returned: no deadlock */
	}
	bool stuck = wait_on_sleeper_in(child, child, parker);
	int status = 0;
	pid_t gone = waitpid(child, &status, WNOHANG);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	ck_assert_msg(gone == 0 && stuck,
		      "unpark in a handler returned while its thread held "
		      "the parker's mutex: the documented limit is gone");
}
END_TEST
#endif

Suite *signal_suite(void)
{
	Suite *s = suite_create("signals");
	TCase *tc = tcase_create("signals");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
#ifdef PARK_SLEEPER_CONDVAR
	printf("# condvar sleeper: unpark takes the parker's mutex, so it is "
	       "not async-signal-safe; the sleeper-path cases are replaced "
	       "by test_condvar_unpark_in_handler_deadlocks\n");
	tcase_add_test(tc, test_condvar_unpark_in_handler_deadlocks);
#else
	tcase_add_test(tc, test_handler_in_parking_thread_unparks_it_on_sleeper);
	tcase_add_test(tc, test_handler_in_other_thread_unparks_sleeper);
#endif
	tcase_add_test(tc, test_handler_in_parking_thread_unparks_it_in_driver);
	tcase_add_test(tc, test_handler_in_other_thread_unparks_driver);
	tcase_add_test(tc, test_shutdown_from_handler_in_parking_thread);
	tcase_add_test(tc, test_unpark_and_shutdown_leave_errno_alone);
	tcase_add_test(tc, test_failed_shutdown_write_leaves_errno_alone);
	suite_add_tcase(s, tc);
	return s;
}
