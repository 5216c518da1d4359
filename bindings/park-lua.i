/*
 * The Lua module park, for Lua 5.1 to 5.4 and LuaJIT: the typemaps and C
 * glue for Lua, then the shared interface (park.i), then what only Lua
 * has: results without bit operators, errors the luv way, objects that a
 * finalizer or close() cannot break, events on a Driver and passing an
 * unparker between lua_States. The plain C parts are in bindings/lua/.
 *
 * A park returns two values, reason and in_driver: reason is "token",
 * "timeout", "events" or "shutdown" (compared with ==, in every Lua),
 * in_driver a boolean. Programming errors (wrong type, negative or NaN
 * timeout, use after close) raise; a runtime failure from libpark or the
 * system returns nil, message, errno name ("EBUSY").
 */
%module park

/* First in the wrapper: the platform feature macros. Built by luarocks
 * there is no config.h. */
%begin %{
#ifdef HAVE_CONFIG_H
#include "config.h"
#elif !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif
%}

%include <stdint.i>

%{
#include "lua/park-lua.h"

/* SWIG defines it without one. */
SWIGEXPORT int luaopen_park(lua_State *L);

/* Unparker:into_raw(), below: a new reference as a light userdata. */
typedef void *park_raw_handle;

/* An idle set's results: a park's (reason, in_driver), a flag, a count;
 * each a negative errno on failure. */
typedef park_idle IdleSet;
typedef int park_idle_result;
typedef int park_flag;
typedef int park_count;
%}

/* ---- results -------------------------------------------------------------- */

/* A call that only succeeds or fails (unpark, shutdown): true, or the
 * failure. */
%typemap(out) park_result {
	if ($1 < 0)
		PARK_RAISE($1);
	lua_pushboolean(L, 1);
	SWIG_arg++;
}

/* A park: the driver's Lua callbacks run, then reason, in_driver. */
%typemap(out) park_result park, park_result park_until {
	if ($1 < 0)
		PARK_RAISE($1);
	SWIG_arg += park_lua_park_result(L, arg1, $1);
}

%typemap(out) park_bool {
	lua_pushboolean(L, $1);
	SWIG_arg++;
}

/* A timeout or deadline: a number of seconds, or nil (or absent) for "no
 * timeout". */
%typemap(in) double timeout, double deadline {
	if (lua_isnoneornil(L, $input)) {
		$1 = INFINITY;
	} else if (lua_type(L, $input) == LUA_TNUMBER) {
		$1 = lua_tonumber(L, $input);
	} else {
		lua_pushfstring(L, "park: $1_name must be a number of seconds or nil, not %s",
				luaL_typename(L, $input));
		SWIG_fail;
	}
}

/* A spin budget: a number of seconds, nothing else (0 turns it off). A
 * missing one gets this message too, not SWIG's count of arguments: the
 * default typemap runs before that count, and never supplies a value. */
%typemap(default) double spin {
	if (lua_gettop(L) == $argnum - 1) {
		lua_pushstring(L, "park: spin must be a number of seconds, not no value");
		SWIG_fail;
	}
	$1 = 0;
}
%typemap(in) double spin {
	if (lua_type(L, $input) != LUA_TNUMBER) {
		lua_pushfstring(L, "park: spin must be a number of seconds, not %s",
				luaL_typename(L, $input));
		SWIG_fail;
	}
	$1 = lua_tonumber(L, $input);
}

/* Counters: a plain table, {tokens = 1, ...}, which pairs() can walk. */
%ignore Stats;
%typemap(out) Stats * {
	if (!$1)
		PARK_RAISE(-ENOMEM);
	lua_createtable(L, 0, 6);
	park_lua_set_count(L, "parks_driver", $1->parks_driver);
	park_lua_set_count(L, "parks_sleeper", $1->parks_sleeper);
	park_lua_set_count(L, "tokens", $1->tokens);
	park_lua_set_count(L, "timeouts", $1->timeouts);
	park_lua_set_count(L, "spurious", $1->spurious);
	park_lua_set_count(L, "parks_spin", $1->parks_spin);
	free($1);
	SWIG_arg++;
}

/* The reasons are strings here; the flags and the mask are not needed. */
%ignore TOKEN;
%ignore TIMED_OUT;
%ignore EVENTS;
%ignore SHUTDOWN;
%ignore DRIVER;
%ignore REASON_MASK;

/* ---- closed handles -------------------------------------------------------
 * close() (and a finalizer) leaves the userdata with a NULL pointer, so
 * every method checks for one: use after close is a Lua error. */
%define PARK_LUA_SELF(Type)
%typemap(check) Type *self {
	if (!$1) {
		lua_pushstring(L, lua_isuserdata(L, 1) ? "park: the " #Type " is closed"
						       : "park: expected a " #Type ", got nil");
		SWIG_fail;
	}
}
%enddef
PARK_LUA_SELF(Driver)
PARK_LUA_SELF(Parker)
PARK_LUA_SELF(Unparker)
PARK_LUA_SELF(IdleSet)

/* Parker(driver): a Driver, or nil for a private one; not a closed one. */
%typemap(in) Driver *driver {
	if (lua_isnoneornil(L, $input)) {
		$1 = NULL;
	} else if (!SWIG_IsOK(SWIG_ConvertPtr(L, $input, (void **)&$1,
					      $descriptor(Driver *), 0))) {
		lua_pushfstring(L, "park: Parker(driver) takes a Driver or nil, not %s",
				park_lua_typename(L, $input));
		SWIG_fail;
	} else if (!$1) {
		lua_pushstring(L, "park: the Driver is closed");
		SWIG_fail;
	}
}

/* ---- passing an unparker between states: the typemap ---------------------
 * Typemaps apply where a class is declared, also to methods added to it
 * later with %extend: this one must come before park.i. */
typedef void *park_raw_handle;
%typemap(out) park_raw_handle {
	if (!$1)
		PARK_RAISE(-ENOMEM);
	lua_pushlightuserdata(L, $1);
	SWIG_arg++;
}

/* ---- idle sets: the typemaps --------------------------------------------- */

/* IdleSet(driver): a Driver, open. */
%typemap(in) Driver *idle_driver {
	if (!SWIG_IsOK(SWIG_ConvertPtr(L, $input, (void **)&$1,
				       $descriptor(Driver *), 0)) ||
	    !lua_isuserdata(L, $input)) {
		lua_pushfstring(L, "park: IdleSet(driver) takes a Driver, not %s",
				park_lua_typename(L, $input));
		SWIG_fail;
	} else if (!$1) {
		lua_pushstring(L, "park: the Driver is closed");
		SWIG_fail;
	}
}

/* The parker an idle set's method takes: a Parker, open. */
%typemap(in) Parker *member {
	if (!SWIG_IsOK(SWIG_ConvertPtr(L, $input, (void **)&$1,
				       $descriptor(Parker *), 0)) ||
	    !lua_isuserdata(L, $input)) {
		lua_pushfstring(L, "park: expected a Parker, not %s",
				park_lua_typename(L, $input));
		SWIG_fail;
	} else if (!$1) {
		lua_pushstring(L, "park: the Parker is closed");
		SWIG_fail;
	}
}

/* set:park(p): p's driver's callbacks run, then reason, in_driver. */
%typemap(out) park_idle_result {
	if ($1 < 0)
		PARK_RAISE($1);
	SWIG_arg += park_lua_park_result(L, arg2, $1);
}

/* A yes-or-no result (leave, unpark_one), or a failure. */
%typemap(out) park_flag {
	if ($1 < 0)
		PARK_RAISE($1);
	lua_pushboolean(L, $1);
	SWIG_arg++;
}

/* A count (unpark_all, count), or a failure. */
%typemap(out) park_count {
	if ($1 < 0)
		PARK_RAISE($1);
	lua_pushinteger(L, $1);
	SWIG_arg++;
}

%{
#include <math.h>
#include <time.h>
/* The parks' helpers, defined below (the methods' code goes where park.i
 * declares the classes, before them). */
static int park_binding_timeout_ns(double seconds, int64_t *ns);
static int park_binding_spin_ns(double seconds, int64_t *ns);
static int park_binding_deadline(double seconds, struct timespec *ts,
				 bool *bounded);
/* ns < 0 waits for ever, 0 polls; a NULL deadline is none. */
static int park_binding_park(park_parker *p, int64_t ns);
static int park_binding_park_until(park_parker *p,
				   const struct timespec *deadline);
%}
%include "park.i"

%{
/* Seconds, as Lua scripts give them (Python's are converted in
 * park/__init__.py), to libpark's nanoseconds: +inf is "no timeout" (-1), NaN and
 * negatives are errors, and anything past INT64_MAX ns saturates. */
static int park_binding_timeout_ns(double seconds, int64_t *ns)
{
	if (isnan(seconds) || seconds < 0)
		return PARK_BINDING_BAD_TIMEOUT;
	if (isinf(seconds)) {
		*ns = -1;
		return 0;
	}
	double n = ceil(seconds * 1e9);
	*ns = n >= 9.2e18 ? INT64_MAX : (int64_t)n;
	return 0;
}

/* A spin budget in seconds to libpark's nanoseconds, to the nearest one
 * (so that a budget reads back as it was set). Unlike a timeout there is
 * no "none": libpark takes any int64_t, and anything past it is an error,
 * not a budget to clamp (a spin that long is a mistake, not a wish). */
static int park_binding_spin_ns(double seconds, int64_t *ns)
{
	/* 2^63: the first double past INT64_MAX; NaN fails too. */
	double n = nearbyint(seconds * 1e9);
	if (!(n >= 0 && n < 9223372036854775808.0))
		return PARK_BINDING_BAD_SPIN;
	*ns = (int64_t)n;
	return 0;
}

/* A CLOCK_MONOTONIC deadline in seconds to a timespec; +inf is none. */
static int park_binding_deadline(double seconds, struct timespec *ts,
				 bool *bounded)
{
	if (isnan(seconds))
		return PARK_BINDING_BAD_TIMEOUT;
	*bounded = !isinf(seconds) || seconds < 0;
	if (!*bounded)
		return 0;
	if (seconds < 0)
		seconds = 0;
	if (seconds > 9.2e9)
		seconds = 9.2e9;
	double whole = floor(seconds);
	ts->tv_sec = (time_t)whole;
	ts->tv_nsec = (long)((seconds - whole) * 1e9);
	if (ts->tv_nsec > 999999999)
		ts->tv_nsec = 999999999;
	return 0;
}

static inline double park_binding_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
%}

%typemap(typecheck, precedence=SWIG_TYPECHECK_DOUBLE) double timeout, double deadline {
	$1 = 1;
}

%nodefaultctor Stats;
%immutable;
typedef struct {
	uint64_t parks_driver;
	uint64_t parks_sleeper;
	uint64_t tokens;
	uint64_t timeouts;
	uint64_t spurious;
	uint64_t parks_spin;
} Stats;
%mutable;
%newobject Parker::stats;

%extend Parker {
	park_result park(double timeout = INFINITY) {
		int64_t ns;
		int err = park_binding_timeout_ns(timeout, &ns);
		return err ? err : park_binding_park($self, ns);
	}

	park_result park_until(double deadline) {
		struct timespec ts;
		bool bounded;
		int err = park_binding_deadline(deadline, &ts, &bounded);
		return err ? err : park_binding_park_until($self, bounded ? &ts : NULL);
	}

	/* Seconds to spin before sleeping on the sleeper (0: never). */
	park_result set_spin(double spin) {
		int64_t ns;
		int err = park_binding_spin_ns(spin, &ns);
		return err ? err : park_parker_set_spin($self, ns);
	}
	double spin() { return park_parker_get_spin($self) / 1e9; }

	Stats *stats() {
		Stats *s = calloc(1, sizeof *s);
		if (s) {
			s->size = sizeof *s;
			park_parker_get_stats($self, s);
		}
		return s;
	}
}

%rename(monotonic) park_binding_monotonic;
double park_binding_monotonic(void);

/* ---- C glue ----------------------------------------------------------------- */

%{
/* A failure of a libpark call (negative errno) or of the binding: an
 * invalid argument is raised; anything else is returned. Pushes the error
 * message (returns 0: raise it) or nil, message, errno name (returns 3). */
static int park_lua_failure(lua_State *L, int code)
{
	switch (code) {
	case PARK_BINDING_BAD_TIMEOUT:
	case PARK_BINDING_BAD_SPIN:
	case -EINVAL:
		lua_pushfstring(L, "park: %s", park_binding_message(code));
		return 0;
	case PARK_BINDING_IDLE_OTHER_DRIVER:
	case PARK_BINDING_IDLE_NOT_MEMBER:
		lua_pushfstring(L, "park: %s", park_binding_message(code));
		return 0;
	case PARK_BINDING_IDLE_JOINED:
		return park_lua_fail(L, EBUSY, "the Parker is in an IdleSet "
					       "already (leave it first)");
	case -ECHILD:
		return park_lua_fail(L, ECHILD, park_binding_message(code));
	case PARK_BINDING_REINIT_IN_CALLBACK:
		return park_lua_fail(L, EDEADLK, park_binding_message(code));
	}
	return park_lua_fail(L, -code, park_binding_message(code));
}

#define PARK_RAISE(code)                                                       \
	do {                                                                   \
		int park_lua_n = park_lua_failure(L, (code));                  \
		if (park_lua_n > 0)                                            \
			return park_lua_n;                                     \
		SWIG_fail;                                                     \
	} while (0)

/* One park: of p through set when set is not NULL, until a deadline when
 * until is not NULL, else for ns (< 0: untimed). */
struct park_lua_park {
	park_idle *set;
	park_parker *p;
	int64_t ns;
	const struct timespec *until;
};

static int park_lua_park_once(const struct park_lua_park *t)
{
	if (t->until)
		return park_parker_park_until(t->p, t->until);
	if (t->set)
		return park_idle_park(t->set, t->p, t->ns);
	return t->ns < 0 ? park_parker_park(t->p)
			 : park_parker_park_timeout(t->p, t->ns);
}

/* A loop that did nothing for Lua but re-arm a timer that came early
 * (bindings/lua/events.c) would make the park return "events" for nothing
 * the script can see; such a park goes on for what is left of its timeout,
 * as a C park sleeps out its own early timer, and the timer runs in it.
 * The parker's stats count each try. A set park leaves the set between
 * tries, which the idle-set protocol would not allow in C (an unpark_one
 * in the gap would find nobody): in Lua nothing can call it then, since a
 * set and its parkers stay in this lua_State, which is parked here. */
static int park_lua_park(struct park_lua_park t)
{
	if (park_lua_events_dispatching(park_parker_get_driver(t.p)))
		return -EDEADLK;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		park_lua_events_loop_begin();
		int r = park_lua_park_once(&t);
		if (r < 0 || PARK_REASON(r) != PARK_EVENTS ||
		    !park_lua_events_loop_only_early())
			return r;
		if (t.until || t.ns < 0)
			continue;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		int64_t spent = (int64_t)(now.tv_sec - start.tv_sec) * 1000000000 +
				(now.tv_nsec - start.tv_nsec);
		if (t.ns <= spent)
			return (r & PARK_DRIVER) | PARK_TIMED_OUT;
		t.ns -= spent;
		start = now;
	}
}

static int park_binding_park(park_parker *p, int64_t ns)
{
	return park_lua_park((struct park_lua_park){.p = p, .ns = ns});
}

static int park_binding_park_until(park_parker *p,
				   const struct timespec *deadline)
{
	return park_lua_park(
	    (struct park_lua_park){.p = p, .ns = -1, .until = deadline});
}

/* After a park of p returned r >= 0: run the callbacks its driver's loop
 * queued, then push reason and in_driver. A park whose loop ran callbacks
 * says "events" even when its own timeout passed too (a poll, park(0),
 * always does). */
static int park_lua_park_result(lua_State *L, park_parker *p, int r)
{
	int ran = park_lua_events_dispatch(L, p, PARK_REASON(r) == PARK_TOKEN);
	const char *reason = "shutdown";
	switch (PARK_REASON(r)) {
	case PARK_TOKEN:
		reason = "token";
		break;
	case PARK_TIMED_OUT:
		reason = ran ? "events" : "timeout";
		break;
	case PARK_EVENTS:
		reason = "events";
		break;
	}
	lua_pushstring(L, reason);
	lua_pushboolean(L, (r & PARK_DRIVER) != 0);
	return 2;
}

static void park_lua_set_count(lua_State *L, const char *name, uint64_t n)
{
	/* Exact up to 2^53 even where numbers are only doubles (5.1, 5.2). */
	lua_pushnumber(L, (lua_Number)n);
#if LUA_VERSION_NUM >= 503
	lua_pushinteger(L, (lua_Integer)n);
	lua_replace(L, -2);
#endif
	lua_setfield(L, -2, name);
}

/* A value's type for messages: a park object's class, else Lua's name. */
static const char *park_lua_typename(lua_State *L, int i)
{
	if (lua_touserdata(L, i) && lua_getmetatable(L, i)) {
		lua_getfield(L, -1, ".type");
		const char *type = lua_tostring(L, -1);
		lua_pop(L, 2);
		if (type)
			return type;
	}
	return luaL_typename(L, i);
}
%}

/* ---- objects that cannot be broken from Lua --------------------------------
 * SWIG's own __gc frees an object every time it is called and asserts that
 * its argument is a userdata, so getmetatable(u).__gc(u) twice freed a live
 * parker and __gc(42) aborted the process. Here every metamethod first
 * checks that its argument is an object of its class (else a Lua error),
 * and freeing clears the pointer, so a second __gc or close() does nothing
 * and a method call on the object raises "closed". */

%{
static const char *park_lua_article(const char *noun)
{
	return strchr("AEIOU", noun[0]) ? "an" : "a";
}

/* The userdata at index 1 if its metatable is upvalue 1, else raise. */
static swig_lua_userdata *park_lua_check_self(lua_State *L, const char *what)
{
	if (lua_type(L, 1) == LUA_TUSERDATA && lua_getmetatable(L, 1)) {
		int same = lua_rawequal(L, -1, lua_upvalueindex(1));
		lua_pop(L, 1);
		if (same)
			return lua_touserdata(L, 1);
	}
	lua_getfield(L, lua_upvalueindex(1), ".type");
	const char *type = lua_tostring(L, -1);
	const char *arg = park_lua_typename(L, 1);
	return (void *)(intptr_t)luaL_error(L, "park: %s of %s %s called on %s %s",
					    what, park_lua_article(type), type,
					    park_lua_article(arg), arg);
}

static void park_lua_release(lua_State *L, swig_lua_userdata *usr)
{
	void *ptr = usr->ptr;
	int own = usr->own;
	if (!ptr)
		return;
	if (usr->type == SWIGTYPE_p_Driver)
		park_lua_events_close(L, 1);
	usr->ptr = NULL;
	usr->own = 0;
	if (!own)
		return;
	if (usr->type == SWIGTYPE_p_Driver)
		park_driver_unref(ptr);
	else if (usr->type == SWIGTYPE_p_Parker)
		park_parker_unref(ptr);
	else if (usr->type == SWIGTYPE_p_Unparker)
		park_unparker_unref(ptr);
	else if (usr->type == SWIGTYPE_p_IdleSet)
		park_idle_unref(ptr);
}

/* __gc, close() and __close (Lua 5.4's to-be-closed variables). */
static int park_lua_gc(lua_State *L)
{
	park_lua_release(L, park_lua_check_self(L, "__gc"));
	return 0;
}

static int park_lua_close(lua_State *L)
{
	park_lua_release(L, park_lua_check_self(L, "close"));
	return 0;
}

static int park_lua_tostring(lua_State *L)
{
	swig_lua_userdata *usr = park_lua_check_self(L, "__tostring");
	lua_getfield(L, lua_upvalueindex(1), ".type");
	if (usr->ptr)
		lua_pushfstring(L, "park.%s: %p", lua_tostring(L, -1), usr->ptr);
	else
		lua_pushfstring(L, "park.%s (closed)", lua_tostring(L, -1));
	return 1;
}

/* SWIG's other metamethods, behind the same check: upvalue 2 is SWIG's. */
static int park_lua_guarded(lua_State *L)
{
	park_lua_check_self(L, "a metamethod");
	lua_pushvalue(L, lua_upvalueindex(2));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* The Driver's event methods: SWIG checks the Driver, driver-methods.c
 * the rest. */
static park_driver *park_lua_check_driver(lua_State *L)
{
	park_driver *d = NULL;
	if (!SWIG_IsOK(SWIG_ConvertPtr(L, 1, (void **)&d, SWIGTYPE_p_Driver, 0)) ||
	    !lua_isuserdata(L, 1))
		luaL_error(L, "park: expected a Driver, not %s",
			   park_lua_typename(L, 1));
	if (!d)
		luaL_error(L, "park: the Driver is closed");
	return d;
}

static int park_lua_timer(lua_State *L)
{
	return park_lua_events_timer(L, park_lua_check_driver(L));
}

static int park_lua_io(lua_State *L)
{
	return park_lua_events_io(L, park_lua_check_driver(L));
}

static int park_lua_signal(lua_State *L)
{
	return park_lua_events_signal(L, park_lua_check_driver(L));
}

/* driver:reinit(), in a forked child: true, or nil, message, errno name.
 * When the driver got a new base, the events of the old one are never
 * served again: they are cancelled, as if the script had. */
static int park_lua_reinit(lua_State *L)
{
	int r = park_binding_reinit(park_lua_check_driver(L));
	if (r < 0) {
		int n = park_lua_failure(L, r);
		return n > 0 ? n : lua_error(L);
	}
	if (r == 1)
		park_lua_events_close(L, 1);
	lua_pushboolean(L, 1);
	return 1;
}

static void park_lua_set_method(lua_State *L, const char *name,
				lua_CFunction fn)
{
	lua_getfield(L, -1, ".fn");
	lua_pushcfunction(L, fn);
	lua_setfield(L, -2, name);
	lua_pop(L, 1);
}

/* With the class metatable on top: the checked metamethods, close(), and
 * no __disown (a SWIG internal that let Lua leak or double-free). */
static void park_lua_harden_class(lua_State *L)
{
	/* A second require in the same state (after package.loaded.park =
	 * nil) finds the class metatables SWIG made the first time. */
	lua_getfield(L, -1, "__close");
	int done = !lua_isnil(L, -1);
	lua_pop(L, 1);
	if (done)
		return;
	static const char *const guarded[] = {"__index", "__newindex", NULL};
	for (const char *const *name = guarded; *name; name++) {
		lua_pushvalue(L, -1);
		lua_getfield(L, -2, *name);
		lua_pushcclosure(L, park_lua_guarded, 2);
		lua_setfield(L, -2, *name);
	}
	lua_pushvalue(L, -1);
	lua_pushcclosure(L, park_lua_gc, 1);
	lua_setfield(L, -2, "__gc");
	lua_pushvalue(L, -1);
	lua_pushcclosure(L, park_lua_tostring, 1);
	lua_setfield(L, -2, "__tostring");
	lua_getfield(L, -1, ".fn");
	lua_pushnil(L);
	lua_setfield(L, -2, "__disown");
	lua_pushvalue(L, -2);
	lua_pushcclosure(L, park_lua_close, 1);
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, "close");
	lua_setfield(L, -3, "__close");
	lua_pop(L, 1);
}

/* park.Driver() and park.Parker(): SWIG's __call keeps one result of the
 * constructor, which loses the message and errno name of a failure. This
 * one keeps them; upvalue 1 is the constructor. */
static int park_lua_construct(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_replace(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

static void park_lua_set_constructor(lua_State *L, const char *class_name,
				     lua_CFunction constructor)
{
	lua_getfield(L, -1, class_name);
	lua_getmetatable(L, -1);
	lua_pushcfunction(L, constructor);
	lua_pushcclosure(L, park_lua_construct, 1);
	lua_setfield(L, -2, "__call");
	lua_pop(L, 2);
}

/* Runs at require, with the module table on top. */
static void park_lua_open(lua_State *L)
{
	static const char *const classes[] = {"Driver", "Parker", "Unparker",
					      "IdleSet", NULL};
	static const char *const reasons[][2] = {{"TOKEN", "token"},
						 {"TIMED_OUT", "timeout"},
						 {"EVENTS", "events"},
						 {"SHUTDOWN", "shutdown"}};
	int module = lua_gettop(L);
	for (const char *const *name = classes; *name; name++) {
		SWIG_Lua_get_class_metatable(L, *name);
		park_lua_harden_class(L);
		if (strcmp(*name, "Driver") == 0) {
			park_lua_set_method(L, "timer", park_lua_timer);
			park_lua_set_method(L, "io", park_lua_io);
			park_lua_set_method(L, "signal", park_lua_signal);
			park_lua_set_method(L, "reinit", park_lua_reinit);
		}
		lua_pop(L, 1);
	}
	park_lua_events_open(L);
	for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++) {
		lua_pushstring(L, reasons[i][1]);
		lua_setfield(L, module, reasons[i][0]);
	}
	lua_pushstring(L, park_version_string());
	lua_setfield(L, module, "version");
	/* SWIG's runtime leaves helpers in the globals; a module should
	 * leave nothing there. */
	static const char *const globals[] = {"swig_type", "swig_equals",
					      "park", NULL};
	for (const char *const *name = globals; *name; name++) {
		lua_pushglobaltable(L);
		lua_getfield(L, -1, *name);
		if (lua_iscfunction(L, -1) || lua_rawequal(L, -1, module)) {
			lua_pushnil(L);
			lua_setfield(L, -3, *name);
		}
		lua_pop(L, 2);
	}
}
%}

/* ---- passing an unparker between states --------------------------------
 * A Lua value cannot cross states, so an unparker crosses as a raw handle:
 * u:into_raw() takes a new reference and returns it as a light userdata,
 * which the host program copies into the other state; there
 * park.unparker_from_raw(raw) adopts that reference into a new Unparker.
 * bindings/lua/raw.c keeps the ledger that makes a second adoption, or the
 * adoption of any other pointer, a Lua error.
 */

%{
static int park_lua_unparker_from_raw(lua_State *L)
{
	if (lua_type(L, 1) != LUA_TLIGHTUSERDATA)
		return luaL_error(L, "park: unparker_from_raw expects the light "
				     "userdata from Unparker:into_raw(), not %s",
				  park_lua_typename(L, 1));
	park_unparker *u = park_lua_take_raw(lua_touserdata(L, 1));
	if (!u)
		return luaL_error(L, "park: not a raw unparker (adopted "
				     "already, or never made by into_raw)");
	SWIG_NewPointerObj(L, u, SWIGTYPE_p_Unparker, 1);
	return 1;
}
%}

%native(unparker_from_raw) int park_lua_unparker_from_raw(lua_State *L);
%extend Unparker {
	park_raw_handle into_raw() { return park_lua_into_raw($self); }
}

/* ---- idle sets ---------------------------------------------------------------
 * park.IdleSet(driver) over park_idle. A Lua state is one thread at a time,
 * so the parkers of a set are its own state's (a Driver cannot leave it);
 * set:park(p) is park_idle_park(), and then runs the callbacks its
 * driver's loop queued, as p:park() does. A Parker collected or closed
 * while in the set stays in it, as in C, until the set goes.
 */
typedef struct {} IdleSet;
PARK_RAISE_ON_NULL(IdleSet::IdleSet)
%extend IdleSet {
	IdleSet(Driver *idle_driver) { return park_idle_new(idle_driver); }
	~IdleSet() { park_idle_unref($self); }

	park_result join(Parker *member) {
		int r = park_idle_join($self, member);
		if (r == -EINVAL)
			return PARK_BINDING_IDLE_OTHER_DRIVER;
		return r == -EBUSY ? PARK_BINDING_IDLE_JOINED : r;
	}

	park_flag leave(Parker *member) {
		int r = park_idle_leave($self, member);
		return r == -EINVAL ? PARK_BINDING_IDLE_NOT_MEMBER : r;
	}

	park_idle_result park(Parker *member, double timeout = INFINITY) {
		int64_t ns;
		int err = park_binding_timeout_ns(timeout, &ns);
		if (err)
			return err;
		int r = park_lua_park((struct park_lua_park){
		    .set = $self, .p = member, .ns = ns});
		/* A Lua state parks one parker at a time: busy means in
		 * another set. */
		if (r == -EBUSY)
			return PARK_BINDING_IDLE_JOINED;
		return r == -EINVAL ? PARK_BINDING_IDLE_OTHER_DRIVER : r;
	}

	park_flag unpark_one() { return park_idle_unpark_one($self); }
	park_count unpark_all() { return park_idle_unpark_all($self); }
	park_count count() { return park_idle_count($self); }

	/* Searching (libpark 1.1): notify wakes nobody while a parker it
	 * woke still searches. */
	park_flag notify() { return park_idle_notify($self); }
	park_flag stop_searching(Parker *member) {
		int r = park_idle_stop_searching($self, member);
		return r == -EINVAL ? PARK_BINDING_IDLE_OTHER_DRIVER : r;
	}
	park_count searching() { return park_idle_searching($self); }
}

%init %{
	park_lua_pin_module();
	park_lua_open(L);
	/* SWIG names a class's constructor wrapper _wrap_new_<class>. */
	park_lua_set_constructor(L, "Driver", _wrap_new_Driver);
	park_lua_set_constructor(L, "Parker", _wrap_new_Parker);
	park_lua_set_constructor(L, "IdleSet", _wrap_new_IdleSet);
%}
