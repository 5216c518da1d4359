/*
 * The events that scripts put on a Driver (driver:timer(), driver:io() and
 * driver:signal(), whose arguments driver-methods.c checks), their handles
 * with :cancel(), and the running of their callbacks.
 *
 * How a callback gets from libevent to Lua. The libevent callbacks here
 * run inside the driver's loop, on whichever thread holds the driver, and
 * touch no Lua state: they only queue their registration on the driver's
 * ready list. The Lua park that ran the loop then runs the queued Lua
 * callbacks on its own lua_State, after libpark has returned (and released
 * the driver), still inside the park call. So no Lua code ever runs inside
 * libevent, a callback's error unwinds only Lua frames, and a callback may
 * cancel, register, unpark or close anything. A Driver cannot leave the
 * Lua universe that made it (Lua values do not cross states; only
 * unparkers do, and they cannot park), so the only parks that run its
 * loop are parks in that universe.
 *
 * What keeps what alive (-> is a strong Lua reference):
 *
 *   Driver userdata -> its user value table {box}
 *   box (struct park_lua_box) -> user value R = {[registration] =
 *                                   {handle, callback, fd object}}
 *   handle -> nothing: it holds its registration in C only
 *
 * So while an event is registered, its handle, its callback and the
 * callback's upvalues live as long as the Driver does, and a callback that
 * refers to its own Driver makes a cycle the collector can free. Cancelling
 * drops the R entry. The box's finalizer (run when the Driver is closed or
 * collected, or at lua_close) frees every event; the box holds its own
 * reference to the driver, so the event_base outlives its events whatever
 * order the finalizers run in.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "park-lua.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#define HANDLE_MT "park.Handle"
#define BOX_MT "park.events"

static const char *const kind_names[] = {"timer", "io", "signal"};

struct park_lua_box;

/* One registered event; lives inside its handle's userdata. */
struct park_lua_reg {
	struct park_lua_box *box; /* NULL when not registered */
	struct event *ev;
	enum park_lua_kind kind;
	/* Timers: when the next run is due (CLOCK_MONOTONIC ns) and the
	 * period (0: once). */
	int64_t due_ns;
	int64_t repeat_ns;
	/* The box's list of registrations, and its ready list. */
	struct park_lua_reg *prev, *next;
	struct park_lua_reg *ready_prev, *ready_next;
	bool queued;
};

/* The events of one Driver; a userdata anchored by the Driver's. */
struct park_lua_box {
	park_driver *driver; /* own reference; NULL once closed */
	struct event_base *base;
	/* Made active when callbacks are left queued, so that the next park
	 * returns at once and runs them. */
	struct event *kick;
	struct park_lua_reg *first, *ready_first, *ready_last;
};

/* Registry key of the table driver -> box (weak values), by which a park
 * finds the callbacks its loop queued. */
static const char boxes_key = 0;

/* The drivers whose callbacks this thread is running, innermost first. */
struct dispatch_frame {
	const park_driver *driver;
	struct dispatch_frame *up;
};
static _Thread_local struct dispatch_frame *dispatching;

/* What the loop callbacks of this thread's current park did: a timer came
 * early and was re-armed; a callback was queued (or left queued, the
 * kick). The loop runs inside the park of the thread that parks, so a
 * thread's own marks are its park's. */
static _Thread_local struct {
	bool early, queued;
} loop_marks;

static int64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Rounded up to a microsecond: a timer must not run early. */
static struct timeval ns_to_timeval(int64_t ns)
{
	int64_t us = ns / 1000 + (ns % 1000 != 0);
	struct timeval tv = {.tv_sec = (time_t)(us / 1000000),
			     .tv_usec = (suseconds_t)(us % 1000000)};
	return tv;
}

/* --- the box's lists (C only) -------------------------------------------- */

static void ready_append(struct park_lua_box *box, struct park_lua_reg *reg)
{
	reg->queued = true;
	reg->ready_next = NULL;
	reg->ready_prev = box->ready_last;
	if (box->ready_last)
		box->ready_last->ready_next = reg;
	else
		box->ready_first = reg;
	box->ready_last = reg;
}

static void ready_remove(struct park_lua_box *box, struct park_lua_reg *reg)
{
	if (!reg->queued)
		return;
	if (reg->ready_prev)
		reg->ready_prev->ready_next = reg->ready_next;
	else
		box->ready_first = reg->ready_next;
	if (reg->ready_next)
		reg->ready_next->ready_prev = reg->ready_prev;
	else
		box->ready_last = reg->ready_prev;
	reg->queued = false;
}

/* Frees the event and forgets the registration, in C; the R entry is the
 * caller's business. */
static void reg_release(struct park_lua_reg *reg)
{
	struct park_lua_box *box = reg->box;
	if (!box)
		return;
	ready_remove(box, reg);
	if (reg->prev)
		reg->prev->next = reg->next;
	else
		box->first = reg->next;
	if (reg->next)
		reg->next->prev = reg->prev;
	event_free(reg->ev);
	reg->ev = NULL;
	reg->box = NULL;
}

/* --- libevent side: runs inside the loop, touches no Lua state ------------ */

/* A timer's libevent timeout may come early by the coarse clock libevent
 * reads; re-arm for the rest. Returns true when the timer is due, after
 * re-arming a repeating one for its next period. */
static bool timer_due(struct park_lua_reg *reg)
{
	int64_t now = monotonic_ns();
	if (now < reg->due_ns) {
		struct timeval tv = ns_to_timeval(reg->due_ns - now);
		event_add(reg->ev, &tv);
		loop_marks.early = true;
		return false;
	}
	if (reg->repeat_ns > 0) {
		reg->due_ns += reg->repeat_ns;
		/* Fallen behind (a long callback): skip, do not burst. */
		if (reg->due_ns <= now)
			reg->due_ns = now + reg->repeat_ns;
		struct timeval tv = ns_to_timeval(reg->due_ns - now);
		event_add(reg->ev, &tv);
	}
	return true;
}

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	struct park_lua_reg *reg = arg;
	(void)fd;
	(void)what;
	if (reg->kind == PARK_LUA_TIMER && !timer_due(reg))
		return;
	/* Fired again before its callback ran: it runs once. */
	if (!reg->queued)
		ready_append(reg->box, reg);
	loop_marks.queued = true;
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	loop_marks.queued = true;
}

void park_lua_events_loop_begin(void)
{
	loop_marks.early = loop_marks.queued = false;
}

bool park_lua_events_loop_only_early(void)
{
	return loop_marks.early && !loop_marks.queued;
}

/* --- boxes ---------------------------------------------------------------- */

static void push_boxes(lua_State *L)
{
	lua_pushlightuserdata(L, (void *)&boxes_key);
	lua_rawget(L, LUA_REGISTRYINDEX);
}

/* Pushes the box of driver d, or nil. */
static struct park_lua_box *push_box(lua_State *L, const park_driver *d)
{
	push_boxes(L);
	lua_pushlightuserdata(L, (void *)d);
	lua_rawget(L, -2);
	lua_remove(L, -2);
	struct park_lua_box *box = park_lua_testudata(L, -1, BOX_MT);
	return box && box->driver == d ? box : NULL;
}

static void box_close(lua_State *L, int i)
{
	struct park_lua_box *box = lua_touserdata(L, i);
	if (!box->driver)
		return;
	while (box->first)
		reg_release(box->first);
	event_free(box->kick);
	/* Forget it as the driver's box, unless a newer box took its place. */
	i = park_lua_absindex(L, i);
	push_boxes(L);
	lua_pushlightuserdata(L, box->driver);
	lua_rawget(L, -2);
	if (lua_rawequal(L, -1, i)) {
		lua_pushlightuserdata(L, box->driver);
		lua_pushnil(L);
		lua_rawset(L, -4);
	}
	lua_pop(L, 2);
	park_driver_unref(box->driver);
	box->driver = NULL;
	/* The callbacks go with their entries. */
	lua_newtable(L);
	park_lua_setuservalue(L, i);
}

static int box_gc(lua_State *L)
{
	if (park_lua_testudata(L, 1, BOX_MT))
		box_close(L, 1);
	return 0;
}

/* Pushes the box of the Driver userdata at index 1, making it on first
 * use. NULL (and nothing pushed) when out of memory. */
static struct park_lua_box *box_for(lua_State *L, park_driver *d)
{
	park_lua_getuservalue(L, 1);
	if (lua_istable(L, -1)) {
		lua_rawgeti(L, -1, 1);
		struct park_lua_box *box = park_lua_testudata(L, -1, BOX_MT);
		if (box && box->driver) {
			lua_remove(L, -2);
			return box;
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);

	struct park_lua_box *box = lua_newuserdata(L, sizeof *box);
	memset(box, 0, sizeof *box);
	luaL_getmetatable(L, BOX_MT);
	lua_setmetatable(L, -2);
	lua_newtable(L);
	park_lua_setuservalue(L, -2);
	box->base = park_driver_get_base(d);
	box->kick = event_new(box->base, -1, 0, on_kick, NULL);
	if (!box->kick) {
		lua_pop(L, 1);
		return NULL;
	}
	box->driver = park_driver_ref(d);
	/* Anchor it in the Driver, and index it by the driver. */
	lua_createtable(L, 1, 0);
	lua_pushvalue(L, -2);
	lua_rawseti(L, -2, 1);
	park_lua_setuservalue(L, 1);
	push_boxes(L);
	lua_pushlightuserdata(L, d);
	lua_pushvalue(L, -3);
	lua_rawset(L, -3);
	lua_pop(L, 1);
	return box;
}

/* --- handles --------------------------------------------------------------- */

/* Drops the R entry of a registration whose box is alive. */
static void forget_entry(lua_State *L, struct park_lua_reg *reg)
{
	if (!push_box(L, reg->box->driver)) {
		/* The box is unreachable and about to be finalized; its R
		 * goes with it. */
		lua_pop(L, 1);
		return;
	}
	park_lua_getuservalue(L, -1);
	lua_pushlightuserdata(L, reg);
	lua_pushnil(L);
	lua_rawset(L, -3);
	lua_pop(L, 2);
}

static void reg_cancel(lua_State *L, struct park_lua_reg *reg)
{
	forget_entry(L, reg);
	reg_release(reg);
}

static struct park_lua_reg *check_handle(lua_State *L)
{
	return luaL_checkudata(L, 1, HANDLE_MT);
}

/* handle:cancel() -> true if it was registered, false if not (any more). */
static int handle_cancel(lua_State *L)
{
	struct park_lua_reg *reg = check_handle(L);
	bool was = reg->box != NULL;
	if (was)
		reg_cancel(L, reg);
	lua_pushboolean(L, was);
	return 1;
}

static int handle_is_active(lua_State *L)
{
	lua_pushboolean(L, check_handle(L)->box != NULL);
	return 1;
}

static int handle_tostring(lua_State *L)
{
	struct park_lua_reg *reg = check_handle(L);
	lua_pushfstring(L, "park.Handle (%s, %s): %p", kind_names[reg->kind],
			reg->box ? "active" : "inactive", (void *)reg);
	return 1;
}

/* Registered handles are reachable from their box: one collected while
 * registered has a box being finalized too, or the state is closing. */
static int handle_gc(lua_State *L)
{
	struct park_lua_reg *reg = check_handle(L);
	if (reg->box)
		reg_cancel(L, reg);
	return 0;
}

/* --- registering: the arguments are checked (driver-methods.c) -------------- */

/* Sets R[reg] (R at index r) to the value on top, popping it. */
static void set_entry(lua_State *L, int r, struct park_lua_reg *reg)
{
	lua_pushlightuserdata(L, reg);
	lua_insert(L, -2);
	lua_rawset(L, r);
}

int park_lua_events_add(lua_State *L, park_driver *d,
			const struct park_lua_watch *w)
{
	struct park_lua_box *box = box_for(L, d);
	if (!box)
		return park_lua_fail(L, ENOMEM, "out of memory");
	park_lua_getuservalue(L, -1);
	int r = lua_gettop(L);

	struct park_lua_reg *reg = lua_newuserdata(L, sizeof *reg);
	memset(reg, 0, sizeof *reg);
	luaL_getmetatable(L, HANDLE_MT);
	lua_setmetatable(L, -2);
	int handle = lua_gettop(L);
	reg->kind = w->kind;
	reg->repeat_ns = w->repeat_ns;

	/* Everything Lua allocates comes first: a memory error raised after
	 * libevent took the event would leave it unowned. */
	lua_createtable(L, 3, 0);
	lua_pushvalue(L, handle);
	lua_rawseti(L, -2, 1);
	lua_pushvalue(L, w->callback);
	lua_rawseti(L, -2, 2);
	if (w->keep) {
		lua_pushvalue(L, w->keep);
		lua_rawseti(L, -2, 3);
	}
	set_entry(L, r, reg);

	short flags = w->kind == PARK_LUA_IO ? w->io_flags | EV_PERSIST
		    : w->kind == PARK_LUA_SIGNAL ? EV_SIGNAL | EV_PERSIST
						 : 0;
	reg->ev = event_new(box->base, w->fd, flags, on_event, reg);
	int rc = -1, err = ENOMEM;
	if (reg->ev) {
		errno = 0;
		if (w->kind == PARK_LUA_TIMER) {
			reg->due_ns = monotonic_ns() + w->delay_ns;
			struct timeval tv = ns_to_timeval(w->delay_ns);
			rc = event_add(reg->ev, &tv);
		} else {
			rc = event_add(reg->ev, NULL);
		}
		err = errno ? errno : EIO;
	}
	if (rc < 0) {
		if (reg->ev)
			event_free(reg->ev);
		reg->ev = NULL;
		lua_pushnil(L);
		set_entry(L, r, reg);
		char message[96];
		snprintf(message, sizeof message, "libevent cannot watch %s %d: %s",
			 w->kind == PARK_LUA_SIGNAL ? "signal" : "fd", w->fd,
			 strerror(err));
		return park_lua_fail(L, err, message);
	}

	reg->box = box;
	reg->next = box->first;
	if (box->first)
		box->first->prev = reg;
	box->first = reg;
	return 1; /* the handle, on top */
}

void park_lua_events_close(lua_State *L, int i)
{
	park_lua_getuservalue(L, i);
	if (lua_istable(L, -1)) {
		lua_rawgeti(L, -1, 1);
		if (park_lua_testudata(L, -1, BOX_MT))
			box_close(L, -1);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

/* --- running the callbacks -------------------------------------------------- */

/* Protected: the box at index 1. Runs its ready callbacks in order and
 * returns how many ran. */
static int run_ready(lua_State *L)
{
	struct park_lua_box *box = lua_touserdata(L, 1);
	park_lua_getuservalue(L, 1);
	int ran = 0;
	struct park_lua_reg *reg;
	/* A callback may cancel others (they leave the list), register new
	 * ones (they wait for the loop) or close the Driver (it empties the
	 * list). */
	while ((reg = box->ready_first)) {
		ready_remove(box, reg);
		lua_pushlightuserdata(L, reg);
		lua_rawget(L, 2);
		lua_rawgeti(L, -1, 2); /* the callback */
		lua_rawgeti(L, -2, 1); /* its handle, the argument */
		lua_remove(L, -3);
		if (reg->kind == PARK_LUA_TIMER && reg->repeat_ns == 0)
			reg_cancel(L, reg); /* done; the stack holds both */
		lua_call(L, 1, 0);
		ran++;
	}
	lua_pushinteger(L, ran);
	return 1;
}

int park_lua_events_dispatch(lua_State *L, park_parker *p, bool took_token)
{
	park_driver *d = park_parker_get_driver(p);
	struct park_lua_box *box = push_box(L, d);
	if (!box || !box->ready_first) {
		lua_pop(L, 1);
		return 0;
	}
	lua_pushcfunction(L, run_ready);
	lua_insert(L, -2);
	struct dispatch_frame frame = {.driver = d, .up = dispatching};
	dispatching = &frame;
	int rc = lua_pcall(L, 1, 1, 0);
	dispatching = frame.up;
	if (rc != 0) {
		/* The rest run at the next park, which this makes return at
		 * once. */
		if (box->driver && box->ready_first)
			event_active(box->kick, EV_TIMEOUT, 1);
		/* A park that raises takes nothing: its token waits. */
		park_unparker *u = took_token ? park_unparker_new(p) : NULL;
		if (u) {
			park_unparker_unpark(u);
			park_unparker_unref(u);
		}
		return lua_error(L);
	}
	int ran = (int)lua_tointeger(L, -1);
	lua_pop(L, 1);
	return ran;
}

bool park_lua_events_dispatching(const park_driver *d)
{
	for (const struct dispatch_frame *f = dispatching; f; f = f->up)
		if (f->driver == d)
			return true;
	return false;
}

void park_lua_events_open(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{"cancel", handle_cancel},
		{"is_active", handle_is_active},
		{NULL, NULL},
	};
	if (luaL_newmetatable(L, HANDLE_MT)) {
		lua_newtable(L);
		for (const luaL_Reg *m = methods; m->name; m++) {
			lua_pushcfunction(L, m->func);
			lua_setfield(L, -2, m->name);
		}
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, handle_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, handle_tostring);
		lua_setfield(L, -2, "__tostring");
	}
	lua_pop(L, 1);
	if (luaL_newmetatable(L, BOX_MT)) {
		lua_pushcfunction(L, box_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushliteral(L, "park internal");
		lua_setfield(L, -2, "__metatable");
	}
	lua_pop(L, 1);
	push_boxes(L);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_createtable(L, 0, 1);
		lua_pushliteral(L, "v");
		lua_setfield(L, -2, "__mode");
		lua_setmetatable(L, -2);
		lua_pushlightuserdata(L, (void *)&boxes_key);
		lua_pushvalue(L, -2);
		lua_rawset(L, LUA_REGISTRYINDEX);
	}
	lua_pop(L, 1);
}
