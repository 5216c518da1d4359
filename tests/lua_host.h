/* The C host the Lua suites share (check_lua_states.c, check_lua_fork.c):
 * states with the standard libraries open, and code run in them, written
 * against the Lua C API common to 5.1 to 5.4 and LuaJIT. */
#ifndef PARK_TEST_LUA_HOST_H
#define PARK_TEST_LUA_HOST_H

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#ifndef LUA_OK /* Lua 5.1 */
#define LUA_OK 0
#endif

/* A new state with the standard libraries; fails the test if none. */
lua_State *new_state(void);
/* Runs code; NULL on success, else the error message (a copy, valid on
 * this thread until its next run). */
const char *run(lua_State *L, const char *code);
/* Runs code; fails the test with the message on an error. */
void run_ok(lua_State *L, const char *code);

#endif
