/*
 * The few Lua C API calls the binding needs that differ between Lua 5.1
 * (and LuaJIT, which is 5.1 to C code), 5.2, 5.3 and 5.4. Everything else
 * the binding uses is the same in all of them.
 */
#ifndef PARK_LUA_COMPAT_H
#define PARK_LUA_COMPAT_H

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#if LUA_VERSION_NUM < 502
/* 5.1 has one environment table per userdata where 5.2 has a user value;
 * both hold a table for as long as the userdata lives. */
#define park_lua_getuservalue(L, i) lua_getfenv((L), (i))
#define park_lua_setuservalue(L, i) lua_setfenv((L), (i))
#define park_lua_absindex(L, i)                                               \
	((i) > 0 || (i) <= LUA_REGISTRYINDEX ? (i) : lua_gettop(L) + (i) + 1)
#else
#define park_lua_getuservalue(L, i) ((void)lua_getuservalue((L), (i)))
#define park_lua_setuservalue(L, i) ((void)lua_setuservalue((L), (i)))
#define park_lua_absindex(L, i) lua_absindex((L), (i))
#endif

/* The file handle io.open returns starts with its FILE * in every
 * version; 5.2 and later mark a closed one by a NULL closef, 5.1 and
 * LuaJIT by a NULL FILE *. */
#if LUA_VERSION_NUM >= 502 && !defined(LUAJIT_VERSION)
#define park_lua_file_closed(ud) (((luaL_Stream *)(ud))->closef == NULL)
#else
#define park_lua_file_closed(ud) (*(void **)(ud) == NULL)
#endif

/* The userdata at index i when its metatable is the one registered under
 * tname, else NULL (luaL_testudata, which 5.1 lacks). */
static inline void *park_lua_testudata(lua_State *L, int i, const char *tname)
{
	void *ud = lua_touserdata(L, i);
	if (!ud || !lua_getmetatable(L, i))
		return NULL;
	luaL_getmetatable(L, tname);
	int same = lua_rawequal(L, -1, -2);
	lua_pop(L, 2);
	return same ? ud : NULL;
}

/* An integer argument: 5.3 and later tell integers from floats, 5.1 and
 * 5.2 only have floats, so accept a float with no fraction. */
static inline int park_lua_tointeger(lua_State *L, int i, lua_Integer *out)
{
	if (lua_type(L, i) != LUA_TNUMBER)
		return 0;
	lua_Number n = lua_tonumber(L, i);
	if (n != n || n < -9.0e15 || n > 9.0e15 || n != (lua_Number)(lua_Integer)n)
		return 0;
	*out = (lua_Integer)n;
	return 1;
}

#endif
