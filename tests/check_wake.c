/*
 * The driver's wake channel as this build made it (configure --with-wake)
 * under the libevent backend the environment chose (EVENT_NOEPOLL,
 * EVENT_NOPOLL): the channel is the configured kind, the backend the asked
 * one, and on level-triggered backends (poll, select) the channel is
 * drained completely, so a loop after a wake sleeps again.
 */
#include "config.h"

#include "helpers.h"
#include "park-internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

static park_driver *driver;
static park_parker *parker;
static park_unparker *unparker;

static void setup(void)
{
	driver = park_driver_new();
	ck_assert_ptr_nonnull(driver);
	parker = park_parker_new(driver);
	unparker = park_unparker_new(parker);
	ck_assert_ptr_nonnull(unparker);
}

static void teardown(void)
{
	park_unparker_unref(unparker);
	park_parker_unref(parker);
	park_driver_unref(driver);
}

struct fd_kinds {
	int eventfds, pipes;
};

static struct fd_kinds open_fds(void)
{
	struct fd_kinds k = {0, 0};
	DIR *dir = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(dir);
	for (struct dirent *e; (e = readdir(dir)) != NULL;) {
		char path[300], target[256];
		snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
		ssize_t n = readlink(path, target, sizeof target - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		k.eventfds += strcmp(target, "anon_inode:[eventfd]") == 0;
		k.pipes += strncmp(target, "pipe:", 5) == 0;
	}
	closedir(dir);
	return k;
}

START_TEST(test_wake_channel_is_the_configured_kind)
{
	/* What a driver opens beyond what its event_base opens alone
	 * (libevent opens a pipe of its own, for signals). */
	struct event_base *base = event_base_new();
	struct fd_kinds with_base = open_fds();
	park_driver *d = park_driver_new_with_base(base);
	ck_assert_ptr_nonnull(d);
	struct fd_kinds with_driver = open_fds();
#ifdef PARK_WAKE_EVENTFD
	ck_assert_int_eq(with_driver.eventfds - with_base.eventfds, 1);
	ck_assert_int_eq(with_driver.pipes - with_base.pipes, 0);
#else
	ck_assert_int_eq(with_driver.eventfds - with_base.eventfds, 0);
	ck_assert_int_eq(with_driver.pipes - with_base.pipes, 2);
#endif
	park_driver_unref(d);
	event_base_free(base);
}
END_TEST

START_TEST(test_backend_is_the_one_the_environment_asks_for)
{
	const char *method = event_base_get_method(park_driver_get_base(driver));
	const char *want = "epoll";
	if (getenv("EVENT_NOEPOLL") && getenv("EVENT_NOPOLL"))
		want = "select";
	else if (getenv("EVENT_NOEPOLL"))
		want = "poll";
	ck_assert_str_eq(method, want);
	printf("# backend %s, wake channel %s\n", method,
#ifdef PARK_WAKE_EVENTFD
	       "eventfd"
#else
	       "pipe"
#endif
	);
	fflush(stdout);
}
END_TEST

/* Far more wakes than a pipe holds (64 KiB): the writes past full count as
 * done. One driver park serves them all; the next one must time out, which
 * on a level-triggered backend needs a channel drained to the last byte. */
START_TEST(test_many_wakes_end_one_loop_and_are_drained)
{
	for (int i = 0; i < 100000; i++)
		ck_assert_int_eq(park__driver_wake(driver), 0);
	ck_assert_int_eq(park_parker_park_timeout(parker, 2000 * MS),
			 PARK_EVENTS | PARK_DRIVER);
	ck_assert_int_eq(park_parker_park_timeout(parker, 20 * MS),
			 PARK_TIMED_OUT | PARK_DRIVER);
	/* And the drained channel still wakes the next park. */
	struct park_thread t;
	park_thread_start_in_driver(&t, parker, -1);
	ck_assert_int_eq(park_unparker_unpark(unparker), 0);
	ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN | PARK_DRIVER);
	ck_assert_int_eq(park_parker_park_timeout(parker, 20 * MS),
			 PARK_TIMED_OUT | PARK_DRIVER);
}
END_TEST

/* Wake after wake, each one consumed before the next: every park must end
 * on its own wake, none on a byte an earlier drain left behind. */
START_TEST(test_each_wake_ends_exactly_one_park)
{
	for (int i = 0; i < 200; i++) {
		struct park_thread t;
		park_thread_start_in_driver(&t, parker, -1);
		ck_assert_int_eq(park_unparker_unpark(unparker), 0);
		ck_assert_int_eq(park_thread_join(&t), PARK_TOKEN | PARK_DRIVER);
	}
	ck_assert_int_eq(park_parker_park_timeout(parker, 20 * MS),
			 PARK_TIMED_OUT | PARK_DRIVER);
}
END_TEST

Suite *wake_suite(void)
{
	Suite *s = suite_create("wake");
	TCase *tc = tcase_create("wake");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_wake_channel_is_the_configured_kind);
	tcase_add_test(tc, test_backend_is_the_one_the_environment_asks_for);
	tcase_add_test(tc, test_many_wakes_end_one_loop_and_are_drained);
	tcase_add_test(tc, test_each_wake_ends_exactly_one_park);
	suite_add_tcase(s, tc);
	return s;
}
