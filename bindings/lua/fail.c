/*
 * Runtime failures, the luv way: a call that libpark (or the system) could
 * not carry out returns nil, a message and the errno's name, so scripts
 * can test `if not ok then ... end` or compare the name. Programming errors
 * are raised elsewhere, not returned.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "park-lua.h"

#include <errno.h>

const char *park_lua_errno_name(int err)
{
	switch (err) {
#define NAME(e)                                                                \
	case e:                                                                \
		return #e
		NAME(EACCES);
		NAME(EAGAIN);
		NAME(EBADF);
		NAME(EBUSY);
		NAME(EDEADLK);
		NAME(EEXIST);
		NAME(EINTR);
		NAME(EINVAL);
		NAME(EIO);
		NAME(EMFILE);
		NAME(ENFILE);
		NAME(ENODEV);
		NAME(ENOENT);
		NAME(ENOMEM);
		NAME(ENOSPC);
		NAME(ENOSYS);
		NAME(ENOTSUP);
		NAME(EPERM);
#undef NAME
	}
	return NULL;
}

int park_lua_fail(lua_State *L, int err, const char *message)
{
	const char *name = park_lua_errno_name(err);
	lua_pushnil(L);
	lua_pushfstring(L, "park: %s", message);
	if (name)
		lua_pushstring(L, name);
	else
		lua_pushfstring(L, "errno %d", err);
	return 3;
}
