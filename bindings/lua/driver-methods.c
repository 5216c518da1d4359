/*
 * The Driver methods driver:timer(), driver:io() and driver:signal(): every
 * argument is checked here, and a bad one raises a Lua error before
 * anything is registered; events.c then registers the event.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "park-lua.h"

#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

static void check_callback(lua_State *L, int i)
{
	if (lua_type(L, i) != LUA_TFUNCTION)
		luaL_error(L, "park: the callback must be a function, not %s",
			   luaL_typename(L, i));
}

/* A number of seconds for a timer: finite, not negative. */
static int64_t check_seconds(lua_State *L, int i, const char *what)
{
	if (lua_type(L, i) != LUA_TNUMBER)
		luaL_error(L, "park: the %s must be a number of seconds, not %s",
			   what, luaL_typename(L, i));
	double s = lua_tonumber(L, i);
	/* A century is "never" for any loop; beyond it the sum overflows. */
	if (isnan(s) || s < 0 || s > 3.2e9)
		luaL_error(L, "park: the %s must be a non-negative number of "
			      "seconds below a century, not %f", what, s);
	return (int64_t)ceil(s * 1e9);
}

/* driver:timer(delay, [repeat,] fn): fn(handle) runs once after delay
 * seconds, then every repeat seconds if repeat is given and not 0. */
int park_lua_events_timer(lua_State *L, park_driver *d)
{
	int64_t delay = check_seconds(L, 2, "delay");
	int64_t repeat = 0;
	int fn = 3;
	if (lua_type(L, 3) != LUA_TFUNCTION && !lua_isnoneornil(L, 4)) {
		repeat = check_seconds(L, 3, "repeat interval");
		fn = 4;
	}
	check_callback(L, fn);
	struct park_lua_watch w = {.kind = PARK_LUA_TIMER, .fd = -1,
				   .callback = fn, .delay_ns = delay,
				   .repeat_ns = repeat};
	return park_lua_events_add(L, d, &w);
}

/* The file descriptor behind the value at index i: an integer, a file from
 * io.open/io.popen, or an object with a getfd method (luasocket). */
static int check_fd(lua_State *L, int i)
{
	lua_Integer fd = -1;
	void *file = park_lua_testudata(L, i, LUA_FILEHANDLE);
	if (file) {
		if (park_lua_file_closed(file))
			luaL_error(L, "park: the file is closed");
		fd = fileno(*(FILE **)file);
	} else if (lua_type(L, i) == LUA_TNUMBER) {
		if (!park_lua_tointeger(L, i, &fd))
			luaL_error(L, "park: the fd must be an integer, not %f",
				   lua_tonumber(L, i));
	} else {
		int type = lua_type(L, i);
		if (type != LUA_TTABLE && type != LUA_TUSERDATA)
			goto bad;
		if (type == LUA_TUSERDATA) {
			if (!luaL_getmetafield(L, i, "__index"))
				goto bad;
			lua_pop(L, 1);
		}
		lua_getfield(L, i, "getfd");
		if (lua_type(L, -1) != LUA_TFUNCTION)
			goto bad;
		lua_pushvalue(L, i);
		lua_call(L, 1, 1);
		if (!park_lua_tointeger(L, -1, &fd))
			luaL_error(L, "park: getfd() returned %s, not an integer",
				   luaL_typename(L, -1));
		lua_pop(L, 1);
	}
	if (fd < 0 || fd > INT32_MAX || fcntl((int)fd, F_GETFD) < 0)
		luaL_error(L, "park: fd %d is not open", (int)fd);
	return (int)fd;
bad:
	return luaL_error(L, "park: expected an fd (an integer, a file or an "
			     "object with getfd), not %s",
			  luaL_typename(L, i));
}

/* driver:io(fd, "r" or "w", fn): fn(handle) runs whenever fd is readable
 * (or writable), until cancelled. A file or socket object is kept alive
 * (and so open) while registered. */
int park_lua_events_io(lua_State *L, park_driver *d)
{
	int fd = check_fd(L, 2);
	const char *mode = lua_type(L, 3) == LUA_TSTRING ? lua_tostring(L, 3) : "";
	short flags;
	if (strcmp(mode, "r") == 0)
		flags = EV_READ;
	else if (strcmp(mode, "w") == 0)
		flags = EV_WRITE;
	else
		return luaL_error(L, "park: the mode must be \"r\" or \"w\"");
	check_callback(L, 4);
	struct park_lua_watch w = {.kind = PARK_LUA_IO, .fd = fd,
				   .io_flags = flags, .callback = 4,
				   .keep = lua_type(L, 2) == LUA_TNUMBER ? 0 : 2};
	return park_lua_events_add(L, d, &w);
}

static const struct {
	const char *name;
	int number;
} signal_names[] = {
	{"SIGHUP", SIGHUP},   {"SIGINT", SIGINT},	  {"SIGQUIT", SIGQUIT},
	{"SIGUSR1", SIGUSR1}, {"SIGUSR2", SIGUSR2},	  {"SIGPIPE", SIGPIPE},
	{"SIGALRM", SIGALRM}, {"SIGTERM", SIGTERM},	  {"SIGCHLD", SIGCHLD},
	{"SIGCONT", SIGCONT}, {"SIGTSTP", SIGTSTP},	  {"SIGTTIN", SIGTTIN},
	{"SIGTTOU", SIGTTOU}, {"SIGWINCH", SIGWINCH},
};

/* A signal number, or a name such as "SIGUSR1". SIGKILL and SIGSTOP cannot
 * be caught; the signals a program gets for its own faults (SIGSEGV, ...)
 * must not be. */
static int check_signal(lua_State *L, int i)
{
	if (lua_type(L, i) == LUA_TSTRING) {
		const char *name = lua_tostring(L, i);
		for (size_t k = 0; k < sizeof signal_names / sizeof *signal_names;
		     k++)
			if (strcmp(name, signal_names[k].name) == 0)
				return signal_names[k].number;
		return luaL_error(L, "park: unknown signal \"%s\"", name);
	}
	lua_Integer n;
	if (!park_lua_tointeger(L, i, &n))
		return luaL_error(L, "park: the signal must be a number or a "
				     "name such as \"SIGUSR1\", not %s",
				  luaL_typename(L, i));
	for (size_t k = 0; k < sizeof signal_names / sizeof *signal_names; k++)
		if (n == signal_names[k].number)
			return (int)n;
#ifdef SIGRTMIN
	if (n >= SIGRTMIN && n <= SIGRTMAX)
		return (int)n;
#endif
	return luaL_error(L, "park: signal %d cannot be watched", (int)n);
}

/* driver:signal(signum or name, fn): fn(handle) runs after the signal
 * arrived, until cancelled. Signals are process-wide: see README. */
int park_lua_events_signal(lua_State *L, park_driver *d)
{
	int signum = check_signal(L, 2);
	check_callback(L, 3);
	struct park_lua_watch w = {.kind = PARK_LUA_SIGNAL, .fd = signum,
				   .callback = 3};
	return park_lua_events_add(L, d, &w);
}

