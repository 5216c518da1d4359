/*
 * A C host that runs one lua_State per thread, as a server embedding Lua
 * per worker would. Each state requires "park"; an unparker crosses from
 * one state to another as a raw handle (Unparker:into_raw() there,
 * park.unparker_from_raw() here), copied by the host as a light userdata.
 */
#include "config.h"

#include "helpers.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Runs code; returns NULL on success or the error message (static copy). */
static const char *run(lua_State *L, const char *code)
{
	static char message[512];
	if (luaL_dostring(L, code) == LUA_OK)
		return NULL;
	snprintf(message, sizeof message, "%s", lua_tostring(L, -1));
	lua_pop(L, 1);
	return message;
}

static void run_ok(lua_State *L, const char *code)
{
	const char *err = run(L, code);
	ck_assert_msg(err == NULL, "lua error: %s", err ? err : "");
}

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

static lua_Integer get_int(lua_State *L, const char *global)
{
	lua_getglobal(L, global);
	ck_assert(lua_isinteger(L, -1));
	lua_Integer v = lua_tointeger(L, -1);
	lua_pop(L, 1);
	return v;
}

/* A worker thread that owns state L and parks in it. */
struct lua_worker {
	pthread_t thread;
	lua_State *L;
	_Atomic pid_t tid;
};

static void *park_in_state(void *arg)
{
	struct lua_worker *w = arg;
	w->tid = current_tid();
	run_ok(w->L, "result = parker:park()");
	return NULL;
}

static const char make_parker[] =
	"local park = require 'park'\n"
	"parker = park.Parker()\n"
	"raw = parker:unparker():into_raw()\n";

START_TEST(test_unparker_crosses_states_and_threads)
{
	struct lua_worker a = {.L = new_state()};
	run_ok(a.L, make_parker);
	void *raw = get_raw(a.L, "raw");
	ck_assert_int_eq(pthread_create(&a.thread, NULL, park_in_state, &a), 0);
	while (a.tid == 0)
		usleep(100);
	ck_assert(wait_in_driver(a.tid));

	lua_State *b = new_state();
	set_raw(b, "raw", raw);
	run_ok(b, "local park = require 'park'\n"
		  "park.unparker_from_raw(raw):unpark()\n");
	ck_assert_int_eq(pthread_join(a.thread, NULL), 0);
	ck_assert_int_eq(get_int(a.L, "result"), PARK_TOKEN | PARK_DRIVER);
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
	run_ok(a, "result = parker:park()");
	ck_assert_int_eq(get_int(a, "result"), PARK_TOKEN);
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
	ck_assert_ptr_nonnull(run(L, "require('park').unparker_from_raw(raw)"));
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
	run_ok(b, "local u = require('park').unparker_from_raw(raw)\n"
		  "u:unpark()\n"
		  "u = nil\n"
		  "collectgarbage()\n");
	lua_close(b);
}
END_TEST

static Suite *lua_states_suite(void)
{
	Suite *s = suite_create("lua-states");
	TCase *tc = tcase_create("handoff");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_unparker_crosses_states_and_threads);
	tcase_add_test(tc, test_raw_adopted_twice_is_an_error);
	tcase_add_test(tc, test_bogus_raw_is_an_error);
	tcase_add_test(tc, test_unparker_outlives_the_state_that_made_it);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suites(lua_states_suite(), NULL);
}
