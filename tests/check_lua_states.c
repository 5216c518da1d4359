/*
 * A C host that runs one lua_State per thread, as a server embedding Lua
 * per worker would. Each state requires "park"; an unparker crosses from
 * one state to another as a raw handle (Unparker:into_raw() there,
 * park.unparker_from_raw() here), copied by the host as a light userdata.
 * Also what only a host can see: events released at lua_close, callbacks
 * on the thread of their own state, a failing Driver() as a returned error.
 * Written against the Lua C API common to 5.1 to 5.4 and LuaJIT.
 */
#include "config.h"

#include "helpers.h"
#include "lua_host.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void *get_raw(lua_State *L, const char *global)
{
	lua_getglobal(L, global);
	ck_assert_int_eq(lua_type(L, -1), LUA_TLIGHTUSERDATA);
	void *raw = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return raw;
}

static void set_raw(lua_State *L, const char *global, void *raw)
{
	lua_pushlightuserdata(L, raw);
	lua_setglobal(L, global);
}

/* The string in a global, copied (NULL when it is not a string). */
static char *get_string(lua_State *L, const char *global)
{
	lua_getglobal(L, global);
	char *s = lua_type(L, -1) == LUA_TSTRING ? strdup(lua_tostring(L, -1))
						 : NULL;
	lua_pop(L, 1);
	return s;
}

static void assert_global_string(lua_State *L, const char *global,
				 const char *want)
{
	char *got = get_string(L, global);
	ck_assert_msg(got && strcmp(got, want) == 0, "%s is %s, want %s",
		      global, got ? got : "not a string", want);
	free(got);
}

static void assert_global_true(lua_State *L, const char *global)
{
	lua_getglobal(L, global);
	ck_assert_msg(lua_type(L, -1) == LUA_TBOOLEAN && lua_toboolean(L, -1),
		      "%s is not true", global);
	lua_pop(L, 1);
}

/* A worker thread that owns state L and parks in it. */
struct lua_worker {
	pthread_t thread;
	lua_State *L;
	const char *code;
	_Atomic pid_t tid;
	const char *error; /* NULL: the code ran */
};

static void *run_in_worker(void *arg)
{
	struct lua_worker *w = arg;
	w->tid = current_tid();
	w->error = run(w->L, w->code);
	return NULL;
}

static void worker_start(struct lua_worker *w)
{
	ck_assert_int_eq(pthread_create(&w->thread, NULL, run_in_worker, w), 0);
	while (w->tid == 0)
		usleep(100);
}

static void worker_join(struct lua_worker *w)
{
	ck_assert_int_eq(pthread_join(w->thread, NULL), 0);
	ck_assert_msg(w->error == NULL, "lua error: %s",
		      w->error ? w->error : "");
}

static const char make_parker[] =
	"local park = require 'park'\n"
	"parker = park.Parker()\n"
	"raw = parker:unparker():into_raw()\n";

START_TEST(test_unparker_crosses_states_and_threads)
{
	struct lua_worker a = {.L = new_state(),
			       .code = "reason, in_driver = parker:park()"};
	run_ok(a.L, make_parker);
	void *raw = get_raw(a.L, "raw");
	worker_start(&a);
	ck_assert(wait_in_driver(a.tid));

	lua_State *b = new_state();
	set_raw(b, "raw", raw);
	run_ok(b, "local park = require 'park'\n"
		  "ok = park.unparker_from_raw(raw):unpark()\n");
	assert_global_true(b, "ok");
	worker_join(&a);
	assert_global_string(a.L, "reason", "token");
	assert_global_true(a.L, "in_driver");
	lua_close(b);
	lua_close(a.L);
}
END_TEST

START_TEST(test_raw_adopted_twice_is_an_error)
{
	lua_State *a = new_state(), *b = new_state(), *c = new_state();
	run_ok(a, make_parker);
	void *raw = get_raw(a, "raw");
	set_raw(b, "raw", raw);
	set_raw(c, "raw", raw);
	run_ok(b, "u = require('park').unparker_from_raw(raw)");
	const char *err = run(c, "u = require('park').unparker_from_raw(raw)");
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_nonnull(strstr(err, "adopted already"));
	/* The first adoption is unharmed. */
	run_ok(b, "u:unpark()");
	run_ok(a, "reason = parker:park()");
	assert_global_string(a, "reason", "token");
	lua_close(a);
	lua_close(b);
	lua_close(c);
}
END_TEST

START_TEST(test_bogus_raw_is_an_error)
{
	lua_State *L = new_state();
	static int not_an_unparker;
	set_raw(L, "raw", &not_an_unparker);
	const char *err = run(L, "require('park').unparker_from_raw(raw)");
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_nonnull(strstr(err, "never made by into_raw"));
	set_raw(L, "raw", NULL);
	err = run(L, "require('park').unparker_from_raw(raw)");
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_nonnull(strstr(err, "never made by into_raw"));
	lua_close(L);
}
END_TEST

START_TEST(test_unparker_outlives_the_state_that_made_it)
{
	lua_State *a = new_state(), *b = new_state();
	run_ok(a, make_parker);
	void *raw = get_raw(a, "raw");
	lua_close(a); /* collects the parker and its driver */
	set_raw(b, "raw", raw);
	/* The adopted unparker still holds the parker's memory: unpark
	 * succeeds (valgrind checks that it reads only live memory), and so
	 * do its clones and a raw handle made from it again. */
	run_ok(b, "local park = require('park')\n"
		  "local u = park.unparker_from_raw(raw)\n"
		  "ok = u:unpark()\n"
		  "ok_clone = u:clone():unpark()\n"
		  "ok_again = park.unparker_from_raw(u:into_raw()):unpark()\n"
		  "u = nil\n"
		  "collectgarbage()\n");
	assert_global_true(b, "ok");
	assert_global_true(b, "ok_clone");
	assert_global_true(b, "ok_again");
	lua_close(b);
}
END_TEST

static int count_open_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(dir);
	int n = 0;
	while (readdir(dir))
		n++;
	closedir(dir);
	return n;
}

static bool sigusr1_is_default(void)
{
	struct sigaction now;
	ck_assert_int_eq(sigaction(SIGUSR1, NULL, &now), 0);
	return now.sa_handler == SIG_DFL;
}

/* lua_close with events registered: the finalizers free them, in
 * whatever order Lua runs them, and with them the driver. */
START_TEST(test_lua_close_releases_events)
{
	int pipe_fds[2];
	ck_assert_int_eq(pipe(pipe_fds), 0);
	int fds_before = count_open_fds();
	ck_assert(sigusr1_is_default());

	lua_State *L = new_state();
	lua_pushinteger(L, pipe_fds[0]);
	lua_setglobal(L, "fd");
	run_ok(L, "local park = require 'park'\n"
		  "driver = park.Driver()\n"
		  "parker = park.Parker(driver)\n"
		  "kept = driver:timer(0, 0.001, function() end)\n"
		  "driver:io(fd, 'r', function() return driver end)\n"
		  "driver:signal('SIGUSR1', function() end)\n"
		  "assert(parker:park(1) == 'events')\n");
	ck_assert(!sigusr1_is_default());
	ck_assert_int_gt(count_open_fds(), fds_before);
	lua_close(L);

	/* libevent restored the signal's disposition and the event_base and
	 * wake channel are closed: nothing of the driver is left. */
	ck_assert(sigusr1_is_default());
	ck_assert_int_eq(count_open_fds(), fds_before);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
}
END_TEST

static int lua_tid(lua_State *L)
{
	lua_pushnumber(L, (lua_Number)current_tid());
	return 1;
}

/* Two states on two threads, each with its own driver and a repeating
 * timer: every callback runs on the thread that parks in its state. The
 * workers take turns: libevent 2.1 sets a global debug flag from every
 * call (event_debug_mode_too_late), which helgrind reports as a race
 * between any two threads that use libevent at once. */
START_TEST(test_callbacks_run_on_their_own_thread)
{
	static const char code[] =
		"local park = require 'park'\n"
		"local driver = park.Driver()\n"
		"local parker = park.Parker(driver)\n"
		"local me, runs = tid(), 0\n"
		"driver:timer(0, 0.001, function()\n"
		"  assert(tid() == me, 'a callback ran on another thread')\n"
		"  runs = runs + 1\n"
		"end)\n"
		"while runs < 50 do parker:park(1) end\n";
	struct lua_worker w[2];
	for (int i = 0; i < 2; i++) {
		w[i] = (struct lua_worker){.L = new_state(), .code = code};
		lua_pushcfunction(w[i].L, lua_tid);
		lua_setglobal(w[i].L, "tid");
	}
	for (int i = 0; i < 2; i++) {
		worker_start(&w[i]);
		worker_join(&w[i]);
	}
	for (int i = 0; i < 2; i++)
		lua_close(w[i].L);
}
END_TEST

/* A Driver that cannot get a file descriptor: nil, message, "EMFILE". */
START_TEST(test_driver_failure_is_returned)
{
	lua_State *L = new_state();
	run_ok(L, "park = require 'park'");
	struct rlimit saved;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
	int lowest_free = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(lowest_free, 0);
	close(lowest_free);
	struct rlimit tight = {.rlim_cur = (rlim_t)lowest_free,
			       .rlim_max = saved.rlim_max};
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &tight), 0);
	const char *err = run(L, "driver, message, name = park.Driver()");
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
	ck_assert_msg(err == NULL, "lua error: %s", err ? err : "");
	run_ok(L, "assert(driver == nil)");
	assert_global_string(L, "name", "EMFILE");
	assert_global_string(L, "message", "park: Too many open files");
	/* With descriptors again, it works. */
	run_ok(L, "assert(park.Driver():shutdown())");
	lua_close(L);
}
END_TEST

Suite *lua_states_suite(void)
{
	Suite *s = suite_create("lua-states");
	TCase *tc = tcase_create("handoff");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_unparker_crosses_states_and_threads);
	tcase_add_test(tc, test_raw_adopted_twice_is_an_error);
	tcase_add_test(tc, test_bogus_raw_is_an_error);
	tcase_add_test(tc, test_unparker_outlives_the_state_that_made_it);
	suite_add_tcase(s, tc);
	tc = tcase_create("events");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_lua_close_releases_events);
	tcase_add_test(tc, test_callbacks_run_on_their_own_thread);
	tcase_add_test(tc, test_driver_failure_is_returned);
	suite_add_tcase(s, tc);
	return s;
}
