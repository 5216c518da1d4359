/*
 * fork() under the Lua binding, from a C host: a lua_State owns a driver
 * while one of its threads is parked in it; the forked child closes its
 * copies of the states (which frees the driver there), and the parent's
 * parked thread is still woken by the next unpark.
 */
#include "config.h"

#include "helpers.h"

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

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

static lua_State *new_state(void)
{
	lua_State *L = luaL_newstate();
	ck_assert_ptr_nonnull(L);
	luaL_openlibs(L);
	return L;
}

static void run_ok(lua_State *L, const char *code)
{
	int rc = luaL_dostring(L, code);
	ck_assert_msg(rc == LUA_OK, "lua error: %s", lua_tostring(L, -1));
}

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

static Suite *lua_fork_suite(void)
{
	Suite *s = suite_create("lua-fork");
	TCase *tc = tcase_create("fork");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_child_closing_its_states_leaves_the_parent_woken);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suites(lua_fork_suite(), NULL);
}
