/*
 * The C parts of the Lua module that are not SWIG's: how a runtime failure
 * is returned (fail.c), the events scripts put on a Driver
 * (driver-methods.c, events.c) and the raw unparker ledger (raw.c).
 * bindings/park-lua.i calls these from the SWIG wrapper.
 */
#ifndef PARK_LUA_H
#define PARK_LUA_H

#include <stdbool.h>
#include <stdint.h>

#include "compat.h"
#include "libpark.h"

/* --- fail.c: errors the luv way ------------------------------------------ */

/* The name of an errno value ("EBUSY"), or NULL when it has none here. */
const char *park_lua_errno_name(int err);
/* A runtime failure: pushes nil, "park: " .. message, errno name and
 * returns 3, for `return park_lua_fail(...)`. err is positive. */
int park_lua_fail(lua_State *L, int err, const char *message);

/* --- driver-methods.c: driver:timer(), driver:io(), driver:signal() ------- */

/* Index 1 is the Driver's userdata, whose handle is d. Each raises on a bad
 * argument, else returns what park_lua_events_add() does. */
int park_lua_events_timer(lua_State *L, park_driver *d);
int park_lua_events_io(lua_State *L, park_driver *d);
int park_lua_events_signal(lua_State *L, park_driver *d);

/* --- events.c: registrations, handles, callbacks ---------------------------- */

enum park_lua_kind { PARK_LUA_TIMER, PARK_LUA_IO, PARK_LUA_SIGNAL };

/* One event to register, its arguments already checked. */
struct park_lua_watch {
	enum park_lua_kind kind;
	int fd;		  /* io: the fd; signal: the signal number */
	short io_flags;	  /* io: EV_READ or EV_WRITE */
	int callback;	  /* stack index of the function */
	int keep;	  /* stack index of a value kept alive with it, or 0 */
	int64_t delay_ns; /* timer: the first run */
	int64_t repeat_ns; /* timer: the period, 0 for once */
};

/* Creates the metatables the events need; once per lua_State, at require. */
void park_lua_events_open(lua_State *L);
/* Registers w on the Driver at index 1 (handle d). Pushes the new handle
 * and returns 1, or returns a failure (park_lua_fail). */
int park_lua_events_add(lua_State *L, park_driver *d,
			const struct park_lua_watch *w);
/* Cancels every event of the Driver whose userdata is at index i (close or
 * collection of the Driver). */
void park_lua_events_close(lua_State *L, int i);
/* Right after a park of p returned in L: runs the callbacks that its
 * driver's loop queued, on L. Returns how many ran; a callback's error is
 * raised from here, the callbacks queued behind it run at the next park,
 * and the token the park took (took_token) waits for it too. */
int park_lua_events_dispatch(lua_State *L, park_parker *p, bool took_token);
/* Around one park of this thread: begin clears the marks its loop
 * callbacks leave; only_early says whether that loop did nothing for Lua
 * but re-arm a timer that libevent's coarse clock fired early. */
void park_lua_events_loop_begin(void);
bool park_lua_events_loop_only_early(void);
/* True while this thread runs d's callbacks: a park on d would wait for a
 * loop that cannot run until the callback returns. */
bool park_lua_events_dispatching(const park_driver *d);

/* --- raw.c: unparkers crossing lua_States as raw handles ----------------- */

/* A new reference to u, recorded in the ledger; NULL when out of memory. */
void *park_lua_into_raw(park_unparker *u);
/* Takes raw's ledger entry: its reference, or NULL when raw has none. */
park_unparker *park_lua_take_raw(const void *raw);
/* Keeps the module loaded until the process exits. */
void park_lua_pin_module(void);

#endif
