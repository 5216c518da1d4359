/*
 * The C parts of the Lua module that are not SWIG's: how a runtime failure
 * is returned (fail.c) and the events scripts put on a Driver (events.c).
 * bindings/park-lua.i calls these from the SWIG wrapper.
 */
#ifndef PARK_LUA_H
#define PARK_LUA_H

#include <stdbool.h>

#include "compat.h"
#include "libpark.h"

/* --- fail.c: errors the luv way ------------------------------------------ */

/* The name of an errno value ("EBUSY"), or NULL when it has none here. */
const char *park_lua_errno_name(int err);
/* A runtime failure: pushes nil, "park: " .. message, errno name and
 * returns 3, for `return park_lua_fail(...)`. err is positive. */
int park_lua_fail(lua_State *L, int err, const char *message);

/* --- events.c: driver:timer(), driver:io(), driver:signal() --------------- */

/* Creates the metatables the events need; once per lua_State, at require. */
void park_lua_events_open(lua_State *L);
/* The Driver methods. Index 1 is the Driver's userdata, whose handle is d;
 * each returns the new handle, or a failure (park_lua_fail), and raises on
 * bad arguments. */
int park_lua_events_timer(lua_State *L, park_driver *d);
int park_lua_events_io(lua_State *L, park_driver *d);
int park_lua_events_signal(lua_State *L, park_driver *d);
/* Cancels every event of the Driver whose userdata is at index i (close or
 * collection of the Driver). */
void park_lua_events_close(lua_State *L, int i);
/* Right after a park on driver d returned in L: runs the callbacks that
 * d's loop queued, on L. Returns how many ran; a callback's error is raised
 * from here, and the callbacks queued behind it run at the next park. */
int park_lua_events_dispatch(lua_State *L, park_driver *d);
/* True while this thread runs d's callbacks: a park on d would wait for a
 * loop that cannot run until the callback returns. */
bool park_lua_events_dispatching(const park_driver *d);

#endif
