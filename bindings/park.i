/*
 * The one SWIG interface for every script language: Driver, Parker and
 * Unparker as classes over libpark's opaque handles, the wake reasons as
 * constants, and timeouts in seconds. What differs per language (raising
 * errors, the GIL and Ctrl-C in Python, passing an unparker between Lua
 * states) is kept in the guarded blocks below.
 */
#ifdef SWIGPYTHON
%module(package="park") core
#else
%module park
#endif

/* First in the wrapper: the platform feature macros (dladdr, ...). */
%begin %{
#include "config.h"
%}

%include <stdint.i>

%{
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "park.h"

/* Errors the binding adds to libpark's negative errnos. */
#define PARK_BINDING_BAD_TIMEOUT (-100001)
#define PARK_BINDING_ERROR_SET (-100002) /* Python: exception already set */

typedef int park_result;
typedef int park_bool;
/* The names the script languages see; SWIG derives its helper functions
 * from them (Parker_park, ...), which keeps them apart from libpark's. */
typedef park_driver Driver;
typedef park_parker Parker;
typedef park_unparker Unparker;
typedef struct park_stats Stats;

static const char *park_binding_message(int code)
{
	switch (code) {
	case PARK_BINDING_BAD_TIMEOUT:
		return "timeout must be a non-negative number of seconds (or none)";
	case -EINVAL:
		return "invalid argument";
	case -EBUSY:
		return "another thread is parked on this parker";
	case -EDEADLK:
		return "cannot park inside a callback of this parker's driver";
	case -ENOMEM:
		return "out of memory";
	}
	return strerror(code < 0 ? -code : code);
}

/* Seconds to libpark's nanoseconds: +inf is "no timeout" (-1), NaN and
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

static double park_binding_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
%}

/* ---- language glue: raising errors ------------------------------------ */

#ifdef SWIGPYTHON
%{
static void park_py_raise(int code)
{
	if (code == PARK_BINDING_ERROR_SET)
		return;
	PyObject *type;
	switch (code) {
	case PARK_BINDING_BAD_TIMEOUT:
	case -EINVAL:
		type = PyExc_ValueError;
		break;
	case -EBUSY:
	case -EDEADLK:
		type = PyExc_RuntimeError;
		break;
	case -ENOMEM:
		PyErr_NoMemory();
		return;
	default:
		errno = code < 0 ? -code : code;
		PyErr_SetFromErrno(PyExc_OSError);
		return;
	}
	PyErr_SetString(type, park_binding_message(code));
}
#define PARK_RAISE(code)                                                       \
	do {                                                                   \
		park_py_raise(code);                                           \
		SWIG_fail;                                                     \
	} while (0)
%}
#else
%{
#define PARK_RAISE(code)                                                       \
	do {                                                                   \
		lua_pushfstring(L, "park: %s", park_binding_message(code));    \
		SWIG_fail;                                                     \
	} while (0)
%}
#endif

%typemap(out) park_result {
	if ($1 < 0)
		PARK_RAISE($1);
#ifdef SWIGPYTHON
	$result = PyLong_FromLong($1);
#else
	lua_pushinteger(L, $1);
	SWIG_arg++;
#endif
}

%typemap(out) park_bool {
#ifdef SWIGPYTHON
	$result = PyBool_FromLong($1);
#else
	lua_pushboolean(L, $1);
	SWIG_arg++;
#endif
}

/* Counters are integers in both languages (SWIG's Lua default is a
 * float). */
%typemap(out) uint64_t {
#ifdef SWIGPYTHON
	$result = PyLong_FromUnsignedLongLong($1);
#else
	lua_pushinteger(L, (lua_Integer)$1);
	SWIG_arg++;
#endif
}

/* A timeout or deadline: a number of seconds, or none (Python None, Lua
 * nil or absent) for "no timeout". */
%typemap(in) double timeout, double deadline {
#ifdef SWIGPYTHON
	if ($input == Py_None) {
		$1 = INFINITY;
	} else if (PyFloat_Check($input) || PyLong_Check($input)) {
		$1 = PyFloat_AsDouble($input);
		if ($1 == -1.0 && PyErr_Occurred())
			SWIG_fail;
	} else {
		PyErr_Format(PyExc_TypeError,
			     "$1_name must be a number of seconds or None, not %s",
			     Py_TYPE($input)->tp_name);
		SWIG_fail;
	}
#else
	if (lua_isnoneornil(L, $input)) {
		$1 = INFINITY;
	} else if (lua_type(L, $input) == LUA_TNUMBER) {
		$1 = lua_tonumber(L, $input);
	} else {
		lua_pushfstring(L, "park: $1_name must be a number of seconds or nil, not %s",
				luaL_typename(L, $input));
		SWIG_fail;
	}
#endif
}
%typemap(typecheck, precedence=SWIG_TYPECHECK_DOUBLE) double timeout, double deadline {
	$1 = 1;
}

/* Constructors and copies report failure as NULL with errno set. */
%define PARK_RAISE_ON_NULL(name)
%exception name {
	$action
	if (!result)
		PARK_RAISE(-errno);
}
%enddef
PARK_RAISE_ON_NULL(Driver::Driver)
PARK_RAISE_ON_NULL(Parker::Parker)
PARK_RAISE_ON_NULL(Parker::unparker)
PARK_RAISE_ON_NULL(Parker::clone)
PARK_RAISE_ON_NULL(Unparker::clone)

#ifdef SWIGLUA
%include "park-lua.i"
#endif

/* ---- Python: the GIL and Ctrl-C ---------------------------------------- */

#ifdef SWIGPYTHON
%{
#include <pythread.h>

/* The main thread is the one Python runs signal handlers in; it parks in
 * slices so that Ctrl-C is seen within one slice. A wake-up by unpark is
 * never delayed by slicing: the slice only bounds how long a park waits
 * for nothing. */
#define PARK_PY_SLICE_NS 50000000LL
static unsigned long park_py_main_thread;
/* Slices that timed out inside the last sliced park, by where they slept
 * (driver, sleeper). Only the main thread slices, and it reads these under
 * the GIL right after its park (park.Parker.stats subtracts them, so that
 * one Python park counts once). */
static unsigned long park_py_hidden_slices[2];

static int park_py_park_once(park_parker *p, int64_t ns,
			     const struct timespec *deadline)
{
	int r;
	Py_BEGIN_ALLOW_THREADS
	if (deadline)
		r = park_parker_park_until(p, deadline);
	else if (ns >= 0)
		r = park_parker_park_timeout(p, ns);
	else
		r = park_parker_park(p);
	Py_END_ALLOW_THREADS
	return r;
}

static void park_py_add_ns(struct timespec *ts, int64_t ns)
{
	ts->tv_sec += ns / 1000000000;
	ts->tv_nsec += ns % 1000000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static int park_py_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Park until a token or the deadline (NULL: none). The result says
 * PARK_DRIVER when any slice ran the driver. */
static int park_py_park(park_parker *p, const struct timespec *deadline)
{
	if (PyThread_get_thread_ident() != park_py_main_thread)
		return park_py_park_once(p, -1, deadline);
	int ran_driver = 0;
	for (;;) {
		struct timespec slice;
		clock_gettime(CLOCK_MONOTONIC, &slice);
		park_py_add_ns(&slice, PARK_PY_SLICE_NS);
		int last = deadline && !park_py_before(&slice, deadline);
		int r = park_py_park_once(p, -1, last ? deadline : &slice);
		if (r < 0)
			return r;
		ran_driver |= r & PARK_DRIVER;
		if (PARK_REASON(r) != PARK_TIMED_OUT || last)
			return r | ran_driver;
		park_py_hidden_slices[(r & PARK_DRIVER) ? 0 : 1]++;
		if (PyErr_CheckSignals() < 0)
			return PARK_BINDING_ERROR_SET;
	}
}
%}
%init %{
	park_py_main_thread = PyThread_get_thread_ident();
	{
		/* Importing from another thread: ask threading who is main. */
		PyObject *threading = PyImport_ImportModule("threading");
		PyObject *main = threading ? PyObject_CallMethod(threading, "main_thread", NULL) : NULL;
		PyObject *ident = main ? PyObject_GetAttrString(main, "ident") : NULL;
		if (ident && PyLong_Check(ident))
			park_py_main_thread = PyLong_AsUnsignedLong(ident);
		Py_XDECREF(ident);
		Py_XDECREF(main);
		Py_XDECREF(threading);
		PyErr_Clear();
	}
%}
#endif

/* ---- the classes -------------------------------------------------------- */

%feature("compactdefaultargs");

%nodefaultctor Stats;
%nodefaultctor Unparker;
%immutable;
typedef struct {
	uint64_t parks_driver;
	uint64_t parks_sleeper;
	uint64_t tokens;
	uint64_t timeouts;
	uint64_t spurious;
} Stats;
%mutable;
%extend Stats {
	~Stats() { free($self); }
}

%newobject Parker::unparker;
%newobject Parker::clone;
%newobject Parker::stats;
%newobject Unparker::clone;

typedef struct {} Driver;
typedef struct {} Parker;
typedef struct {} Unparker;

%extend Driver {
	Driver() { return park_driver_new(); }
	~Driver() { park_driver_free($self); }
	park_result shutdown() { return park_driver_shutdown($self); }
	park_bool is_shutdown() { return park_driver_is_shutdown($self) == 1; }
}

%extend Parker {
	/* No driver: a private one, kept alive by the parker alone. */
	Parker(Driver *driver = NULL) {
		if (driver)
			return park_parker_new(driver);
		park_driver *own = park_driver_new();
		if (!own)
			return NULL;
		park_parker *p = park_parker_new(own);
		int err = errno;
		park_driver_free(own);
		errno = err;
		return p;
	}
	~Parker() { park_parker_free($self); }

	park_result park(double timeout = INFINITY) {
		int64_t ns;
		int err = park_binding_timeout_ns(timeout, &ns);
		if (err)
			return err;
#ifdef SWIGPYTHON
		if (ns > 0) {
			struct timespec deadline;
			clock_gettime(CLOCK_MONOTONIC, &deadline);
			/* Past a century is "no deadline" for libpark too. */
			if (ns >= 3153600000LL * 1000000000LL)
				return park_py_park($self, NULL);
			park_py_add_ns(&deadline, ns);
			return park_py_park($self, &deadline);
		}
		return ns == 0 ? park_py_park_once($self, 0, NULL)
			       : park_py_park($self, NULL);
#else
		return ns < 0 ? park_parker_park($self)
			      : park_parker_park_timeout($self, ns);
#endif
	}

	park_result park_until(double deadline) {
		struct timespec ts;
		bool bounded;
		int err = park_binding_deadline(deadline, &ts, &bounded);
		if (err)
			return err;
#ifdef SWIGPYTHON
		return park_py_park($self, bounded ? &ts : NULL);
#else
		return bounded ? park_parker_park_until($self, &ts)
			       : park_parker_park($self);
#endif
	}

	Unparker *unparker() { return park_parker_get_unparker($self); }
	Parker *clone() { return park_parker_clone($self); }
	park_result shutdown() {
		return park_driver_shutdown(park_parker_get_driver($self));
	}
	Stats *stats() {
		Stats *s = calloc(1, sizeof *s);
		if (s) {
			s->size = sizeof *s;
			park_parker_get_stats($self, s);
		}
		return s;
	}
}

%extend Unparker {
	~Unparker() { park_unparker_free($self); }
	park_result unpark() { return park_unparker_unpark($self); }
	Unparker *clone() { return park_unparker_clone($self); }
}

#ifdef SWIGPYTHON
%inline %{
/* Returns and clears the slice counts of the main thread's last parks. */
static PyObject *take_hidden_slices(void)
{
	PyObject *t = Py_BuildValue("(kk)", park_py_hidden_slices[0],
				    park_py_hidden_slices[1]);
	park_py_hidden_slices[0] = park_py_hidden_slices[1] = 0;
	return t;
}
%}
#endif

%rename(version_string) park_version_string;
const char *park_version_string(void);
%rename(monotonic) park_binding_monotonic;
double park_binding_monotonic(void);

%constant int TOKEN = PARK_TOKEN;
%constant int TIMED_OUT = PARK_TIMED_OUT;
%constant int EVENTS = PARK_EVENTS;
%constant int SHUTDOWN = PARK_SHUTDOWN;
%constant int DRIVER = PARK_DRIVER;
%constant int REASON_MASK = PARK_REASON_MASK;
