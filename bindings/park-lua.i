/*
 * Lua only: passing an unparker from one lua_State to another.
 *
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
	entry->unparker = park_unparker_clone(u);
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

%native(unparker_from_raw) int park_lua_unparker_from_raw(lua_State *L);
typedef void *park_raw_handle;
%typemap(out) park_raw_handle {
	if (!$1) {
		lua_pushstring(L, "park: out of memory");
		SWIG_fail;
	}
	lua_pushlightuserdata(L, $1);
	SWIG_arg++;
}
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
