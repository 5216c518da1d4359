/*
 * fork(): whatever a child does with the drivers and parkers it inherited,
 * the parent's parked thread is still woken by its next unpark; and a child
 * that calls park_driver_reinit() gets a driver of its own.
 *
 * Every test forks from a process with a thread parked in (or on) the
 * driver, runs the child's part, which reports through its exit status
 * (never through Check, which belongs to the parent), and then proves
 * that the parent's thread is still asleep and still wakes, with a bound.
 */
#include "config.h"

#include "fixture.h"
#include "helpers.h"
#ifdef PARK_WHITE_BOX
#include "park-internal.h"
#endif

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif

/* First thing in every child. helgrind does not model fork: in the child
 * it still sees the parent's other threads, which do not exist there, and
 * calls every access to memory they touched a race. So under helgrind the
 * children report nothing; the parent's side is checked as usual. */
static void child_begins(void)
{
#ifdef VALGRIND_DISABLE_ERROR_REPORTING
	if (getenv("PARK_UNDER_HELGRIND"))
		VALGRIND_DISABLE_ERROR_REPORTING;
#endif
}

/* Last thing in every child (valgrind warns of a thread that ends with
 * reporting off). */
static void child_exit(int status)
{
#ifdef VALGRIND_ENABLE_ERROR_REPORTING
	if (getenv("PARK_UNDER_HELGRIND"))
		VALGRIND_ENABLE_ERROR_REPORTING;
#endif
	_exit(status);
}

/* In the child: a failed check names itself on stderr and exits 1. */
#define CHILD_CHECK(cond)                                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "child: %s:%d: %s\n", __FILE__,        \
				__LINE__, #cond);                              \
			child_exit(1);                                         \
		}                                                              \
	} while (0)

/* Runs child_main in a child process; returns its exit status, or fails
 * (killing it) when it does not exit within 20 s. */
static int in_child(void (*child_main)(void *), void *arg)
{
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		child_begins();
		child_main(arg);
		child_exit(0);
	}
	int status;
	int64_t give_up = now_ns() + 20000 * MS;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now_ns() > give_up) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			ck_abort_msg("the child hung");
		}
		usleep(1000);
	}
	ck_assert_msg(WIFEXITED(status), "the child died by signal %d",
		      WTERMSIG(status));
	return WEXITSTATUS(status);
}

/* Joins t if its thread ends within ms; false if it is still running.
 * The end is seen in /proc, so that the join is a plain pthread_join,
 * which helgrind knows orders the thread's writes before our reads. */
static bool joined_within(struct park_thread *t, int64_t ms)
{
	char task[64];
	snprintf(task, sizeof task, "/proc/self/task/%d",
		 (int)park_thread_tid(t));
	int64_t give_up = now_ns() + ms * MS;
	while (access(task, F_OK) == 0) {
		if (now_ns() > give_up)
			return false;
		usleep(1000);
	}
	ck_assert_int_eq(pthread_join(t->thread, NULL), 0);
	return true;
}

/* The parent's proof: t is still parked (nothing the child did woke it),
 * and the next unpark wakes it within the bound. */
static void assert_still_parked_then_woken(struct park_thread *t,
					   park_unparker *u, int expect)
{
	ck_assert_msg(!joined_within(t, 100),
		      "the parked thread woke without an unpark (%d)",
		      t->result);
	ck_assert_int_eq(park_unparker_unpark(u), 0);
	ck_assert_msg(joined_within(t, 5000),
		      "the unpark was lost: the parked thread still sleeps");
	ck_assert_int_eq(t->result, expect);
}

/* --- (a) the child only releases what it inherited ---------------------- */

static void child_frees_everything(void *arg)
{
	(void)arg;
	park_unparker_unref(unparker);
	park_parker_unref(parker);
	park_driver_unref(driver);
}

START_TEST(test_child_freeing_the_driver_leaves_the_parent_woken)
{
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, -1);
	ck_assert_int_eq(in_child(child_frees_everything, NULL), 0);
	assert_still_parked_then_woken(&t, unparker, PARK_TOKEN | PARK_DRIVER);
}
END_TEST

struct adopted {
	struct event_base *base;
	park_driver *driver;
	park_parker *parker;
	park_unparker *unparker;
	int sv[2];
	struct event *ev;
};

static void child_frees_driver_then_base(void *arg)
{
	struct adopted *a = arg;
	park_unparker_unref(a->unparker);
	park_parker_unref(a->parker);
	park_driver_unref(a->driver);
	/* The application's own event and base go too: libpark already gave
	 * the base an epoll set of its own, so these deletions stay here. */
	event_free(a->ev);
	event_base_free(a->base);
}

static void drain_one(evutil_socket_t fd, short what, void *arg)
{
	char c;
	(void)what;
	(void)arg;
	ck_assert_int_eq(read(fd, &c, 1), 1);
}

START_TEST(test_child_freeing_an_adopted_base_leaves_the_parent_served)
{
	struct adopted a;
	a.base = event_base_new();
	a.driver = park_driver_new_with_base(a.base);
	ck_assert_ptr_nonnull(a.driver);
	a.parker = park_parker_new(a.driver);
	a.unparker = park_unparker_new(a.parker);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, a.sv), 0);
	a.ev = event_new(a.base, a.sv[0], EV_READ | EV_PERSIST, drain_one,
			 NULL);
	event_add(a.ev, NULL);

	struct park_thread t;
	park_thread_start_in_driver(&t, a.parker, -1);
	ck_assert_int_eq(in_child(child_frees_driver_then_base, &a), 0);
	/* The application's socket is still watched in the parent... */
	ck_assert(!joined_within(&t, 100));
	ck_assert_int_eq(write(a.sv[1], "x", 1), 1);
	ck_assert_msg(joined_within(&t, 5000),
		      "the parent's socket event was lost");
	ck_assert_int_eq(t.result, PARK_EVENTS | PARK_DRIVER);
	/* ...and so is the wake channel. */
	park_thread_start_in_driver(&t, a.parker, -1);
	assert_still_parked_then_woken(&t, a.unparker,
				       PARK_TOKEN | PARK_DRIVER);

	event_free(a.ev);
	close(a.sv[0]);
	close(a.sv[1]);
	park_unparker_unref(a.unparker);
	park_parker_unref(a.parker);
	park_driver_unref(a.driver);
	event_base_free(a.base);
}
END_TEST

/* --- (b) the child parks on what it inherited --------------------------- */

static void child_parks_on_inherited_driver(void *arg)
{
	(void)arg;
	park_parker *own = park_parker_clone(parker);
	park_unparker *own_u = park_unparker_new(own);
	CHILD_CHECK(own && own_u);
	struct timespec past = {0, 0};
	/* Anything that would sleep or poll is refused... */
	CHILD_CHECK(park_parker_park(own) == -ECHILD);
	CHILD_CHECK(park_parker_park_timeout(own, 0) == -ECHILD);
	CHILD_CHECK(park_parker_park_timeout(own, MS) == -ECHILD);
	CHILD_CHECK(park_driver_shutdown(driver) == -ECHILD);
	CHILD_CHECK(park_driver_is_shutdown(driver) == 0);
	/* ...the parker whose thread was parked at fork stays busy... */
	CHILD_CHECK(park_parker_park(parker) == -EBUSY);
	/* ...and what needs no driver works. */
	CHILD_CHECK(park_parker_park_until(own, &past) == PARK_TIMED_OUT);
	CHILD_CHECK(park_unparker_unpark(own_u) == 0);
	CHILD_CHECK(park_parker_park(own) == PARK_TOKEN);
	park_unparker_unref(own_u);
	park_parker_unref(own);
}

START_TEST(test_child_park_on_the_inherited_driver_is_refused)
{
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, -1);
	ck_assert_int_eq(in_child(child_parks_on_inherited_driver, NULL), 0);
	ck_assert_int_eq(park_driver_is_shutdown(driver), 0);
	assert_still_parked_then_woken(&t, unparker, PARK_TOKEN | PARK_DRIVER);
}
END_TEST

/* The parker whose thread was parked in the parent at the fork: a park
 * that would block checks for a park in progress first (-EBUSY), before
 * anything else; a poll checks the driver first (-ECHILD until reinit),
 * and after reinit finds it busy too. */
static void child_meets_the_busy_parker(void *arg)
{
	(void)arg;
	struct timespec past = {0, 0}, later;
	clock_gettime(CLOCK_MONOTONIC, &later);
	later.tv_sec += 10;
	CHILD_CHECK(park_parker_park(parker) == -EBUSY);
	CHILD_CHECK(park_parker_park_timeout(parker, MS) == -EBUSY);
	CHILD_CHECK(park_parker_park_until(parker, &later) == -EBUSY);
	CHILD_CHECK(park_parker_park_until(parker, &past) == -EBUSY);
	CHILD_CHECK(park_parker_park_timeout(parker, 0) == -ECHILD);
	CHILD_CHECK(park_driver_reinit(driver) == 0);
	CHILD_CHECK(park_parker_park_timeout(parker, 0) == -EBUSY);
	CHILD_CHECK(park_parker_park_timeout(parker, MS) == -EBUSY);
	child_frees_everything(NULL);
}

START_TEST(test_child_busy_parker_refusals_in_order)
{
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, -1);
	ck_assert_int_eq(in_child(child_meets_the_busy_parker, NULL), 0);
	assert_still_parked_then_woken(&t, unparker, PARK_TOKEN | PARK_DRIVER);
}
END_TEST

/* park_idle_park passes the park's -ECHILD through, and leaves the set. */
static void child_idle_parks_on_inherited_driver(void *arg)
{
	(void)arg;
	park_idle *set = park_idle_new(driver);
	park_parker *own = park_parker_clone(parker);
	CHILD_CHECK(set && own);
	CHILD_CHECK(park_idle_park(set, own, -1) == -ECHILD);
	CHILD_CHECK(park_idle_park(set, own, MS) == -ECHILD);
	CHILD_CHECK(park_idle_park(set, own, 0) == -ECHILD);
	CHILD_CHECK(park_idle_count(set) == 0);
	CHILD_CHECK(park_idle_leave(set, own) == -EINVAL);
	park_parker_unref(own);
	park_idle_unref(set);
}

START_TEST(test_child_idle_park_is_refused)
{
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, -1);
	ck_assert_int_eq(in_child(child_idle_parks_on_inherited_driver, NULL), 0);
	assert_still_parked_then_woken(&t, unparker, PARK_TOKEN | PARK_DRIVER);
}
END_TEST

/* --- (c) the child reinitialises and parks in a loop of its own --------- */

struct child_loop {
	park_unparker *wake;
	int fired;
};

static void unpark_from_timer(evutil_socket_t fd, short what, void *arg)
{
	struct child_loop *c = arg;
	(void)fd;
	(void)what;
	c->fired++;
	park_unparker_unpark(c->wake);
}

/* One thread only: a child of a threaded process should start none (and
 * ThreadSanitizer refuses it). A timer in the child's loop wakes it. */
static void park_in_own_loop(park_driver *d)
{
	park_parker *own = park_parker_new(d);
	struct child_loop c = {park_unparker_new(own), 0};
	CHILD_CHECK(own && c.wake);
	struct event *timer = evtimer_new(park_driver_get_base(d),
					  unpark_from_timer, &c);
	struct timeval ms10 = {0, 10000};
	CHILD_CHECK(evtimer_add(timer, &ms10) == 0);
	CHILD_CHECK(park_parker_park(own) == (PARK_TOKEN | PARK_DRIVER));
	CHILD_CHECK(c.fired == 1);
	/* The unpark from the callback also wrote the child's own wake
	 * channel, which ends the next loop iteration at once. */
	int64_t start = now_ns();
	CHILD_CHECK(park_parker_park_timeout(own, 5000 * MS) ==
		    (PARK_EVENTS | PARK_DRIVER));
	CHILD_CHECK(now_ns() - start < 2000 * MS);
	event_free(timer);
	park_unparker_unref(c.wake);
	park_parker_unref(own);
}

static void child_reinits_and_parks(void *arg)
{
	(void)arg;
	CHILD_CHECK(park_driver_reinit(driver) == 0);
	CHILD_CHECK(park_driver_reinit(driver) == 0);
	/* Still busy: its thread was parked in the parent at fork. */
	CHILD_CHECK(park_parker_park(parker) == -EBUSY);
	park_in_own_loop(driver);
	/* Shutting down the child's driver is the child's business. */
	CHILD_CHECK(park_driver_shutdown(driver) == 0);
	CHILD_CHECK(park_driver_is_shutdown(driver) == 1);
	child_frees_everything(NULL);
}

START_TEST(test_child_reinit_parks_in_its_own_loop)
{
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, -1);
	ck_assert_int_eq(in_child(child_reinits_and_parks, NULL), 0);
	ck_assert_int_eq(park_driver_is_shutdown(driver), 0);
	assert_still_parked_then_woken(&t, unparker, PARK_TOKEN | PARK_DRIVER);
}
END_TEST

struct kept_base {
	struct event_base *base;
	int sv[2];
	struct event *ev;
	int served;
};

static void count_read(evutil_socket_t fd, short what, void *arg)
{
	struct kept_base *k = arg;
	char c;
	(void)what;
	if (read(fd, &c, 1) == 1)
		k->served++;
}

/* No thread held the driver at fork: the base is reinitialised in place,
 * and an event the application added before the fork is served. */
static void child_reinits_idle_driver(void *arg)
{
	struct kept_base *k = arg;
	CHILD_CHECK(park_driver_reinit(driver) == 0);
	CHILD_CHECK(park_driver_get_base(driver) == k->base);
	CHILD_CHECK(write(k->sv[1], "x", 1) == 1);
	CHILD_CHECK(park_parker_park_timeout(parker, 5000 * MS) ==
		    (PARK_EVENTS | PARK_DRIVER));
	CHILD_CHECK(k->served == 1);
	park_in_own_loop(driver);
	event_free(k->ev);
	child_frees_everything(NULL);
}

START_TEST(test_child_reinit_keeps_an_idle_base_and_its_events)
{
	struct kept_base k = {park_driver_get_base(driver), {-1, -1}, NULL, 0};
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, k.sv), 0);
	k.ev = event_new(k.base, k.sv[0], EV_READ | EV_PERSIST, count_read,
			 &k);
	event_add(k.ev, NULL);
	/* The parent's parked thread sleeps on its sleeper: the driver is
	 * idle at fork. */
	park_parker *other = park_parker_clone(parker);
	park_unparker *other_u = park_unparker_new(other);
	struct park_thread holder, t;
	park_thread_start_in_driver(&holder, parker, -1);
	park_thread_start_on_sleeper(&t, other, -1);
	park_unparker_unpark(unparker);
	ck_assert_int_eq(park_thread_join(&holder), PARK_TOKEN | PARK_DRIVER);

	/* The child writes to the socketpair both processes share, and its
	 * own loop reads the byte back. */
	ck_assert_int_eq(in_child(child_reinits_idle_driver, &k), 0);
	ck_assert_int_eq(k.served, 0);
	assert_still_parked_then_woken(&t, other_u, PARK_TOKEN);
	event_free(k.ev);
	close(k.sv[0]);
	close(k.sv[1]);
	park_unparker_unref(other_u);
	park_parker_unref(other);
}
END_TEST

static void child_reinit_on_held_adopted_base(void *arg)
{
	struct adopted *a = arg;
	/* libevent's copy of the base says a loop runs in it, and libpark
	 * cannot replace a base it does not own. */
	CHILD_CHECK(park_driver_reinit(a->driver) == -EBUSY);
	park_parker *own = park_parker_new(a->driver);
	CHILD_CHECK(park_parker_park_timeout(own, MS) == -ECHILD);
	park_parker_unref(own);
	/* A new base and driver work. */
	struct event_base *base = event_base_new();
	park_driver *d = park_driver_new_with_base(base);
	CHILD_CHECK(d != NULL);
	park_in_own_loop(d);
	park_driver_unref(d);
	event_base_free(base);
	park_unparker_unref(a->unparker);
	park_parker_unref(a->parker);
	park_driver_unref(a->driver);
	event_base_free(a->base);
}

START_TEST(test_child_reinit_of_a_held_adopted_base_is_refused)
{
	struct adopted a;
	a.base = event_base_new();
	a.driver = park_driver_new_with_base(a.base);
	a.parker = park_parker_new(a.driver);
	a.unparker = park_unparker_new(a.parker);
	ck_assert_ptr_nonnull(a.unparker);
	struct park_thread t;
	park_thread_start_in_driver(&t, a.parker, -1);
	ck_assert_int_eq(in_child(child_reinit_on_held_adopted_base, &a), 0);
	assert_still_parked_then_woken(&t, a.unparker,
				       PARK_TOKEN | PARK_DRIVER);
	park_unparker_unref(a.unparker);
	park_parker_unref(a.parker);
	park_driver_unref(a.driver);
	event_base_free(a.base);
}
END_TEST

/* --- (d) the child unparks parkers that sleep in the parent ------------- */

struct sleepers {
	park_unparker *in_driver;
	park_unparker *on_sleeper;
};

static void child_unparks_parent_sleepers(void *arg)
{
	struct sleepers *s = arg;
	/* The token is recorded in the child's copy of the word; no wake
	 * channel or sleeper of the parent is touched. */
	CHILD_CHECK(park_unparker_unpark(s->in_driver) == 0);
	CHILD_CHECK(park_unparker_unpark(s->on_sleeper) == 0);
}

START_TEST(test_child_unpark_does_not_wake_the_parent)
{
	park_parker *other = park_parker_clone(parker);
	struct sleepers s = {unparker, park_unparker_new(other)};
	struct park_thread in_driver, on_sleeper;
	park_thread_start_in_driver(&in_driver, parker, -1);
	park_thread_start_on_sleeper(&on_sleeper, other, -1);
	ck_assert_int_eq(in_child(child_unparks_parent_sleepers, &s), 0);
	assert_still_parked_then_woken(&on_sleeper, s.on_sleeper, PARK_TOKEN);
	assert_still_parked_then_woken(&in_driver, unparker,
				       PARK_TOKEN | PARK_DRIVER);
	park_unparker_unref(s.on_sleeper);
	park_parker_unref(other);
}
END_TEST

/* The parker's owner sleeps on its sleeper in the parent: with the condvar
 * sleeper, the child's copy of the condition variable counts a waiter that
 * will never leave, and destroying it would wait for that waiter for ever. */
struct sleeper_parked {
	park_parker *parker;
	park_unparker *unparker;
};

static void child_frees_parker_parked_in_parent(void *arg)
{
	struct sleeper_parked *s = arg;
	park_unparker_unref(s->unparker);
	park_parker_unref(s->parker);
	child_frees_everything(NULL);
}

START_TEST(test_child_frees_a_parker_asleep_in_the_parent)
{
	struct sleeper_parked s;
	s.parker = park_parker_clone(parker);
	s.unparker = park_unparker_new(s.parker);
	struct park_thread holder, t;
	park_thread_start_in_driver(&holder, parker, -1);
	park_thread_start_on_sleeper(&t, s.parker, -1);
	ck_assert_int_eq(in_child(child_frees_parker_parked_in_parent, &s), 0);
	assert_still_parked_then_woken(&t, s.unparker, PARK_TOKEN);
	assert_still_parked_then_woken(&holder, unparker,
				       PARK_TOKEN | PARK_DRIVER);
	park_unparker_unref(s.unparker);
	park_parker_unref(s.parker);
}
END_TEST

/* --- posts: the parent's run in the parent, exactly once ----------------- */

static void count_post(void *arg)
{
	++*(int *)arg;
}

static void child_posts_after_reinit(void *arg)
{
	int *ran = arg;
	CHILD_CHECK(park_driver_post(driver, count_post, ran) == -ECHILD);
	CHILD_CHECK(park_driver_wake(driver) == -ECHILD);
	CHILD_CHECK(park_driver_reinit(driver) == 0);
	/* The loop runs here now, without the parent's post. */
	CHILD_CHECK(park_parker_park_timeout(parker, 0) ==
		    (PARK_TIMED_OUT | PARK_DRIVER));
	CHILD_CHECK(*ran == 0);
	CHILD_CHECK(park_driver_post(driver, count_post, ran) == 0);
	CHILD_CHECK(park_parker_park_timeout(parker, 0) ==
		    (PARK_TIMED_OUT | PARK_DRIVER));
	CHILD_CHECK(*ran == 1);
	child_frees_everything(NULL);
}

static void child_frees_with_a_post_queued(void *arg)
{
	int *ran = arg;
	child_frees_everything(NULL);
	CHILD_CHECK(*ran == 0);
}

START_TEST(test_parent_posts_run_only_in_the_parent)
{
	int ran = 0;
	ck_assert_int_eq(park_driver_post(driver, count_post, &ran), 0);
	ck_assert_int_eq(in_child(child_posts_after_reinit, &ran), 0);
	ck_assert_int_eq(in_child(child_frees_with_a_post_queued, &ran), 0);
	ck_assert_int_eq(ran, 0);
	ck_assert_int_eq(park_parker_park_timeout(parker, 0),
			 PARK_TIMED_OUT | PARK_DRIVER);
	ck_assert_int_eq(ran, 1);
}
END_TEST

/* --- fork from inside a callback ---------------------------------------- */

struct forking_callback {
	park_parker *same_driver;
	pid_t pid;
	int reinit_inside, park_inside;
};

static void fork_in_callback(evutil_socket_t fd, short what, void *arg)
{
	struct forking_callback *f = arg;
	(void)fd;
	(void)what;
	fflush(NULL);
	f->pid = fork();
	if (f->pid != 0)
		return;
	child_begins();
	/* The child is still inside this loop: nothing may re-enter it. */
	f->reinit_inside = park_driver_reinit(driver);
	f->park_inside = park_parker_park_timeout(f->same_driver, MS);
}

START_TEST(test_fork_inside_a_callback)
{
	struct forking_callback f = {park_parker_clone(parker), -1, 0, 0};
	struct event *ev = event_new(park_driver_get_base(driver), -1, 0,
				     fork_in_callback, &f);
	event_active(ev, 0, 0);
	int r = park_parker_park(parker);
	if (f.pid == 0) {
		/* The child, back from the callback and the loop. */
		CHILD_CHECK(r == (PARK_EVENTS | PARK_DRIVER));
		CHILD_CHECK(f.reinit_inside == -EDEADLK);
		CHILD_CHECK(f.park_inside == -EDEADLK);
		CHILD_CHECK(park_parker_park_timeout(parker, MS) == -ECHILD);
		/* The park that ran the loop finished here and let go of
		 * the driver: the base is reinitialised in place. */
		struct event_base *base = park_driver_get_base(driver);
		CHILD_CHECK(park_driver_reinit(driver) == 0);
		CHILD_CHECK(park_driver_get_base(driver) == base);
		CHILD_CHECK(park_parker_park_timeout(parker, 0) ==
			    (PARK_TIMED_OUT | PARK_DRIVER));
		event_free(ev);
		park_parker_unref(f.same_driver);
		child_frees_everything(NULL);
		child_exit(0);
	}
	ck_assert_int_eq(r, PARK_EVENTS | PARK_DRIVER);
	int status;
	ck_assert_int_eq(waitpid(f.pid, &status, 0), f.pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, -1);
	assert_still_parked_then_woken(&t, unparker, PARK_TOKEN | PARK_DRIVER);
	event_free(ev);
	park_parker_unref(f.same_driver);
}
END_TEST

START_TEST(test_reinit_without_fork_does_nothing)
{
	struct event_base *base = park_driver_get_base(driver);
	ck_assert_int_eq(park_driver_reinit(driver), 0);
	ck_assert_ptr_eq(park_driver_get_base(driver), base);
	ck_assert_int_eq(park_driver_reinit(NULL), -EINVAL);
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, -1);
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN | PARK_DRIVER);
}
END_TEST

#ifdef PARK_WHITE_BOX
/* --- reinit's failures: each leaves the driver refusing parks, safe to
 * free, and ready for another try ----------------------------------------- */

struct reinit_fault {
	enum park_fault_point point;
	int error;
	park_parker *also_free; /* another parker on the driver, or NULL */
};

static void child_reinit_fails(const struct reinit_fault *f)
{
	park__fault_arm(f->point, 0);
	CHILD_CHECK(park_driver_reinit(driver) == f->error);
	CHILD_CHECK(park__fault_passes(f->point) > 0);
	park__fault_disarm();
	CHILD_CHECK(park_parker_park_timeout(parker, MS) == -ECHILD);
}

static void child_reinit_fails_then_frees(void *arg)
{
	const struct reinit_fault *f = arg;
	child_reinit_fails(f);
	park_parker_unref(f->also_free);
	child_frees_everything(NULL);
}

static void child_reinit_fails_then_succeeds(void *arg)
{
	const struct reinit_fault *f = arg;
	child_reinit_fails(f);
	CHILD_CHECK(park_driver_reinit(driver) == 0);
	park_in_own_loop(driver);
	park_parker_unref(f->also_free);
	child_frees_everything(NULL);
}

static const struct reinit_fault idle_faults[] = {
	{PARK_FAULT_WAKE_CHANNEL, -EMFILE, NULL},
	{PARK_FAULT_EVENT_ADD, -ENOMEM, NULL},
};

/* The driver is idle at fork: the base is reinitialised in place. */
START_TEST(test_fault_in_reinit_of_an_idle_driver)
{
	struct reinit_fault f = idle_faults[_i];
	ck_assert_int_eq(in_child(child_reinit_fails_then_frees, &f), 0);
	ck_assert_int_eq(in_child(child_reinit_fails_then_succeeds, &f), 0);
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, -1);
	assert_still_parked_then_woken(&t, unparker, PARK_TOKEN | PARK_DRIVER);
}
END_TEST

static const struct reinit_fault held_faults[] = {
	{PARK_FAULT_WAKE_CHANNEL, -EMFILE, NULL},
	{PARK_FAULT_ALLOC, -ENOMEM, NULL},
	{PARK_FAULT_EVENT_BASE, -ENOMEM, NULL},
	{PARK_FAULT_EVENT_ADD, -ENOMEM, NULL},
};

/* A parent thread held the driver at fork: the base is replaced. */
START_TEST(test_fault_in_reinit_of_a_held_driver)
{
	struct reinit_fault f = held_faults[_i];
	f.also_free = park_parker_clone(parker);
	park_unparker *u = park_unparker_new(f.also_free);
	struct park_thread t;
	park_thread_start_in_driver(&t, f.also_free, -1);
	ck_assert_int_eq(in_child(child_reinit_fails_then_frees, &f), 0);
	ck_assert_int_eq(in_child(child_reinit_fails_then_succeeds, &f), 0);
	assert_still_parked_then_woken(&t, u, PARK_TOKEN | PARK_DRIVER);
	park_unparker_unref(u);
	park_parker_unref(f.also_free);
}
END_TEST

/* A held driver that a child frees without reinit: the base it replaced
 * and the one it kept are both freed, and none of it reaches the parent. */
static void child_reinits_then_forks_and_frees(void *arg)
{
	(void)arg;
	CHILD_CHECK(park_driver_reinit(driver) == 0);
	CHILD_CHECK(park_driver_reinit(driver) == 0);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		/* (Reporting is off already: valgrind copied this thread's
		 * setting into the grandchild.) */
		CHILD_CHECK(park_parker_park_timeout(parker, MS) == -EBUSY);
		child_frees_everything(NULL);
		child_exit(0);
	}
	int status;
	CHILD_CHECK(waitpid(pid, &status, 0) == pid);
	CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	park_in_own_loop(driver);
	child_frees_everything(NULL);
}

START_TEST(test_grandchild_frees_a_replaced_base)
{
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, -1);
	ck_assert_int_eq(in_child(child_reinits_then_forks_and_frees, NULL), 0);
	assert_still_parked_then_woken(&t, unparker, PARK_TOKEN | PARK_DRIVER);
}
END_TEST
#endif

Suite *fork_suite(void)
{
	Suite *s = suite_create("fork");
	TCase *tc = tcase_create("fork");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_child_freeing_the_driver_leaves_the_parent_woken);
	tcase_add_test(tc,
		       test_child_freeing_an_adopted_base_leaves_the_parent_served);
	tcase_add_test(tc, test_child_park_on_the_inherited_driver_is_refused);
	tcase_add_test(tc, test_child_busy_parker_refusals_in_order);
	tcase_add_test(tc, test_child_idle_park_is_refused);
	tcase_add_test(tc, test_child_reinit_parks_in_its_own_loop);
	tcase_add_test(tc, test_child_reinit_keeps_an_idle_base_and_its_events);
	tcase_add_test(tc, test_child_reinit_of_a_held_adopted_base_is_refused);
	tcase_add_test(tc, test_child_unpark_does_not_wake_the_parent);
	tcase_add_test(tc, test_child_frees_a_parker_asleep_in_the_parent);
	tcase_add_test(tc, test_parent_posts_run_only_in_the_parent);
	tcase_add_test(tc, test_fork_inside_a_callback);
	tcase_add_test(tc, test_reinit_without_fork_does_nothing);
#ifdef PARK_WHITE_BOX
	tcase_add_loop_test(tc, test_fault_in_reinit_of_an_idle_driver, 0,
			    sizeof idle_faults / sizeof idle_faults[0]);
	tcase_add_loop_test(tc, test_fault_in_reinit_of_a_held_driver, 0,
			    sizeof held_faults / sizeof held_faults[0]);
	tcase_add_test(tc, test_grandchild_frees_a_replaced_base);
#endif
	suite_add_tcase(s, tc);
	return s;
}
