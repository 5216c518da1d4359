#include "config.h"

#include "lua_host.h"

#include <check.h>
#include <stdio.h>

lua_State *new_state(void)
{
	lua_State *L = luaL_newstate();
	ck_assert_ptr_nonnull(L);
	luaL_openlibs(L);
	return L;
}

const char *run(lua_State *L, const char *code)
{
	static _Thread_local char message[512];
	if (luaL_dostring(L, code) == LUA_OK)
		return NULL;
	snprintf(message, sizeof message, "%s", lua_tostring(L, -1));
	lua_pop(L, 1);
	return message;
}

void run_ok(lua_State *L, const char *code)
{
	const char *err = run(L, code);
	ck_assert_msg(err == NULL, "lua error: %s", err ? err : "");
}
