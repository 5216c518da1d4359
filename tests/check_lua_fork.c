/*
 * fork() under the Lua binding, from a C host: a lua_State owns a driver
 * while one of its threads is parked in it. The forked child closes its
 * copies of the states (which frees the driver there), or reinitialises
 * the driver and parks in a loop of its own; either way the parent's
 * parked thread is still woken by the next unpark.
 */
#include "config.h"

#include "helpers.h"
#include "lua_host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif

struct lua_worker {
	pthread_t thread;
	lua_State *L;
	_Atomic pid_t tid;
	char reason[16];
	bool in_driver;
};

static void *park_in_state(void *arg)
{
	struct lua_worker *w = arg;
	w->tid = current_tid();
	run_ok(w->L, "reason, in_driver = parker:park()");
	lua_getglobal(w->L, "reason");
	snprintf(w->reason, sizeof w->reason, "%s",
		 lua_type(w->L, -1) == LUA_TSTRING ? lua_tostring(w->L, -1)
						   : "(not a string)");
	lua_getglobal(w->L, "in_driver");
	w->in_driver = lua_toboolean(w->L, -1);
	lua_pop(w->L, 2);
	return NULL;
}

/* Joins w if its thread ends within ms, seen in /proc (then a plain
 * pthread_join, which helgrind understands); false if still running. */
static bool joined_within(struct lua_worker *w, int64_t ms)
{
	char task[64];
	snprintf(task, sizeof task, "/proc/self/task/%d", (int)w->tid);
	int64_t give_up = now_ns() + ms * MS;
	while (access(task, F_OK) == 0) {
		if (now_ns() > give_up)
			return false;
		usleep(1000);
	}
	ck_assert_int_eq(pthread_join(w->thread, NULL), 0);
	return true;
}

START_TEST(test_child_closing_its_states_leaves_the_parent_woken)
{
	struct lua_worker w = {.L = new_state()};
	run_ok(w.L, "local park = require 'park'\n"
		    "driver = park.Driver()\n"
		    "parker = park.Parker(driver)\n"
		    "raw = parker:unparker():into_raw()\n");
	/* The waker's state adopts the unparker before the fork, so that the
	 * child's two states hold every reference to the driver. */
	lua_State *waker = new_state();
	lua_getglobal(w.L, "raw");
	lua_pushlightuserdata(waker, lua_touserdata(w.L, -1));
	lua_pop(w.L, 1);
	lua_setglobal(waker, "raw");
	run_ok(waker, "u = require('park').unparker_from_raw(raw)");

	ck_assert_int_eq(pthread_create(&w.thread, NULL, park_in_state, &w), 0);
	while (w.tid == 0)
		usleep(100);
	ck_assert(wait_in_driver(w.tid));

	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
#ifdef VALGRIND_DISABLE_ERROR_REPORTING
		/* helgrind still sees the parent's threads here (see
		 * check_fork.c): the child reports nothing under it. */
		if (getenv("PARK_UNDER_HELGRIND"))
			VALGRIND_DISABLE_ERROR_REPORTING;
#endif
		/* Closing collects the parker and the driver: its last
		 * reference goes here, in the child. */
		lua_close(waker);
		lua_close(w.L);
#ifdef VALGRIND_ENABLE_ERROR_REPORTING
		if (getenv("PARK_UNDER_HELGRIND"))
			VALGRIND_ENABLE_ERROR_REPORTING;
#endif
		_exit(0);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);

	ck_assert_msg(!joined_within(&w, 100), "woke without an unpark");
	run_ok(waker, "u:unpark()");
	ck_assert_msg(joined_within(&w, 5000),
		      "the unpark was lost: the worker still sleeps");
	ck_assert_str_eq(w.reason, "token");
	ck_assert(w.in_driver);
	lua_close(waker);
	lua_close(w.L);
}
END_TEST

/* What the child runs in its copy of the parked worker's state, where
 * driver, parker and a timer `before` were made before the fork: refused
 * until driver:reinit(); then a parker of its own parks in the child's
 * loop and serves a timer registered there. A parent thread held the loop
 * at the fork, so the driver has a new base: the events of the old one
 * are cancelled, and the parked parker stays busy. */
static const char child_reinit_script[] =
	"local park = require 'park'\n"
	"local mine = park.Parker(driver)\n"
	"local ok, message, name = mine:park(0.01)\n"
	"assert(ok == nil and name == 'ECHILD', tostring(message))\n"
	"assert(select(3, driver:wake()) == 'ECHILD')\n"
	"assert(driver:reinit())\n"
	"assert(not before:is_active(), 'an event of the old base is active')\n"
	"local ticks = 0\n"
	"driver:timer(0.001, 0.001, function() ticks = ticks + 1 end)\n"
	"while ticks < 3 do\n"
	"  local reason, in_driver = mine:park(5)\n"
	"  assert(in_driver, 'a park outside the loop: ' .. tostring(reason))\n"
	"end\n"
	"assert(select(3, parker:park(0)) == 'EBUSY')\n"
	"assert(driver:reinit())\n";

START_TEST(test_child_reinitialises_and_parks_in_its_own_loop)
{
	struct lua_worker w = {.L = new_state()};
	run_ok(w.L, "local park = require 'park'\n"
		    "driver = park.Driver()\n"
		    "parker = park.Parker(driver)\n"
		    "before = driver:timer(3600, function() end)\n"
		    "raw = parker:unparker():into_raw()\n");
	lua_State *waker = new_state();
	lua_getglobal(w.L, "raw");
	lua_pushlightuserdata(waker, lua_touserdata(w.L, -1));
	lua_pop(w.L, 1);
	lua_setglobal(waker, "raw");
	run_ok(waker, "u = require('park').unparker_from_raw(raw)");

	ck_assert_int_eq(pthread_create(&w.thread, NULL, park_in_state, &w), 0);
	while (w.tid == 0)
		usleep(100);
	ck_assert(wait_in_driver(w.tid));

	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
#ifdef VALGRIND_DISABLE_ERROR_REPORTING
		if (getenv("PARK_UNDER_HELGRIND"))
			VALGRIND_DISABLE_ERROR_REPORTING;
#endif
		int rc = luaL_dostring(w.L, child_reinit_script);
		if (rc != LUA_OK)
			fprintf(stderr, "child: %s\n", lua_tostring(w.L, -1));
		lua_close(waker);
		lua_close(w.L);
#ifdef VALGRIND_ENABLE_ERROR_REPORTING
		if (getenv("PARK_UNDER_HELGRIND"))
			VALGRIND_ENABLE_ERROR_REPORTING;
#endif
		_exit(rc == LUA_OK ? 0 : 1);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) == 0, "the child's script failed");

	/* The parent's loop and its timer are untouched. */
	ck_assert_msg(!joined_within(&w, 100), "woke without an unpark");
	run_ok(waker, "u:unpark()");
	ck_assert_msg(joined_within(&w, 5000),
		      "the unpark was lost: the worker still sleeps");
	ck_assert_str_eq(w.reason, "token");
	ck_assert(w.in_driver);
	run_ok(w.L, "assert(before:is_active())\n"
		    "assert(parker:park(0) == 'timeout')\n");
	lua_close(waker);
	lua_close(w.L);
}
END_TEST

Suite *lua_fork_suite(void)
{
	Suite *s = suite_create("lua-fork");
	TCase *tc = tcase_create("fork");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_child_closing_its_states_leaves_the_parent_woken);
	tcase_add_test(tc, test_child_reinitialises_and_parks_in_its_own_loop);
	suite_add_tcase(s, tc);
	return s;
}
