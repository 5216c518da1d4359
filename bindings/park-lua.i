/*
 * The Lua module park: the typemaps and C glue for Lua, then the shared
 * interface (park.i), then what only Lua has: passing an unparker from one
 * lua_State to another.
 */
%module park

/* First in the wrapper: the platform feature macros (dladdr, ...). */
%begin %{
#include "config.h"
%}

%include <stdint.i>

%typemap(out) park_result {
	if ($1 < 0)
		PARK_RAISE($1);
	lua_pushinteger(L, $1);
	SWIG_arg++;
}

%typemap(out) park_bool {
	lua_pushboolean(L, $1);
	SWIG_arg++;
}

/* Counters are integers (SWIG's Lua default is a float). */
%typemap(out) uint64_t {
	lua_pushinteger(L, (lua_Integer)$1);
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

/* ---- passing an unparker between states --------------------------------
 * A Lua value cannot cross states, so an unparker crosses as a raw handle:
 * u:into_raw() takes a new reference and returns it as a light userdata,
 * which the host program copies into the other state; there
 * park.unparker_from_raw(raw) adopts that reference into a new Unparker.
 * Every raw handle is recorded in a process-wide ledger until it is adopted,
 * so adopting one twice, or adopting a pointer that never was a raw handle,
 * is a Lua error instead of a use-after-free. A raw handle never adopted
 * keeps its parker's memory alive (64 bytes) until the process exits.
 *
 * Lua unloads a C module when the last state that required it closes; the
 * ledger must outlive that (a handle made in a state that closed is still
 * good), so the module pins itself in memory on first load.
 */

%{
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include "libpark.h"

typedef void *park_raw_handle;

struct park_lua_raw {
	park_unparker *unparker;
	struct park_lua_raw *next;
};
static pthread_mutex_t park_lua_raw_lock = PTHREAD_MUTEX_INITIALIZER;
static struct park_lua_raw *park_lua_raw_ledger;

static void *park_lua_into_raw(park_unparker *u)
{
	struct park_lua_raw *entry = malloc(sizeof *entry);
	if (!entry)
		return NULL;
	entry->unparker = park_unparker_ref(u);
	pthread_mutex_lock(&park_lua_raw_lock);
	entry->next = park_lua_raw_ledger;
	park_lua_raw_ledger = entry;
	pthread_mutex_unlock(&park_lua_raw_lock);
	return entry->unparker;
}

/* Removes one ledger entry for raw; NULL when there is none. */
static park_unparker *park_lua_take_raw(const void *raw)
{
	park_unparker *found = NULL;
	pthread_mutex_lock(&park_lua_raw_lock);
	for (struct park_lua_raw **at = &park_lua_raw_ledger; *at;
	     at = &(*at)->next) {
		if ((const void *)(*at)->unparker == raw) {
			struct park_lua_raw *entry = *at;
			*at = entry->next;
			found = entry->unparker;
			free(entry);
			break;
		}
	}
	pthread_mutex_unlock(&park_lua_raw_lock);
	return found;
}

static int park_lua_unparker_from_raw(lua_State *L)
{
	if (lua_type(L, 1) != LUA_TLIGHTUSERDATA)
		return luaL_error(L, "park: unparker_from_raw expects the light "
				     "userdata from Unparker:into_raw(), not %s",
				  luaL_typename(L, 1));
	park_unparker *u = park_lua_take_raw(lua_touserdata(L, 1));
	if (!u)
		return luaL_error(L, "park: not a raw unparker (adopted "
				     "already, or never made by into_raw)");
	SWIG_NewPointerObj(L, u, SWIGTYPE_p_Unparker, 1);
	return 1;
}

%}

/* Typemaps apply where a class is declared, also to methods added to it
 * later with %extend: this one must come before park.i. */
typedef void *park_raw_handle;
%typemap(out) park_raw_handle {
	if (!$1) {
		lua_pushstring(L, "park: out of memory");
		SWIG_fail;
	}
	lua_pushlightuserdata(L, $1);
	SWIG_arg++;
}

%include "park.i"

%{
#define PARK_RAISE(code)                                                       \
	do {                                                                   \
		lua_pushfstring(L, "park: %s", park_binding_message(code));    \
		SWIG_fail;                                                     \
	} while (0)

static int park_binding_park(park_parker *p, int64_t ns)
{
	return ns < 0 ? park_parker_park(p) : park_parker_park_timeout(p, ns);
}

static int park_binding_park_until(park_parker *p,
				   const struct timespec *deadline)
{
	return deadline ? park_parker_park_until(p, deadline)
			: park_parker_park(p);
}
%}


%native(unparker_from_raw) int park_lua_unparker_from_raw(lua_State *L);
%extend Unparker {
	park_raw_handle into_raw() { return park_lua_into_raw($self); }
}

%init %{
	{
		Dl_info self;
		if (dladdr((void *)&park_lua_raw_ledger, &self) && self.dli_fname)
			dlopen(self.dli_fname, RTLD_NOW | RTLD_NODELETE);
	}
%}

%luacode {
park.version = park.version_string()
}
