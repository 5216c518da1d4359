/*
 * The part of the SWIG interface that every script language shares:
 * Driver, Parker and Unparker as classes over libpark's opaque handles, the
 * wake reasons as constants, and timeouts in seconds.
 *
 * It is not compiled on its own: each language's file (park-python.i,
 * park-lua.i) names the module, defines the typemaps for the types below
 * (park_result: a park's result or a negative errno; park_bool; a timeout
 * or deadline in seconds; uint64_t counters), and the two park hooks
 * park_binding_park() and park_binding_park_until(), and includes this
 * file after its typemaps and before its own C glue. A language whose
 * checks live elsewhere (Python's are in park/__init__.py) %ignores the
 * seconds-based park, park_until, set_spin, spin and stats and adds its
 * own.
 */

%{
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "libpark.h"

/* Errors the binding adds to libpark's negative errnos. */
#define PARK_BINDING_BAD_TIMEOUT (-100001)
#define PARK_BINDING_ERROR_SET (-100002) /* Python: exception already set */
#define PARK_BINDING_REINIT_IN_CALLBACK (-100003) /* EDEADLK of reinit */
#define PARK_BINDING_BAD_SPIN (-100004)

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
	case PARK_BINDING_BAD_SPIN:
		return "spin must be a finite number of seconds from 0 to "
		       "9223372036.854775807 (int64 nanoseconds)";
	case -EINVAL:
		return "invalid argument";
	case -EBUSY:
		return "another thread is parked on this parker";
	case -EDEADLK:
		return "cannot park inside a callback of this parker's driver";
	case -ENOMEM:
		return "out of memory";
	case -ESHUTDOWN:
		return "the driver is shut down";
	case PARK_BINDING_REINIT_IN_CALLBACK:
		return "cannot reinitialise the driver inside one of its "
		       "callbacks (return from it first)";
	}
	return strerror(code < 0 ? -code : code);
}

/* Seconds to libpark's nanoseconds: +inf is "no timeout" (-1), NaN and
 * negatives are errors, and anything past INT64_MAX ns saturates. */
static inline int park_binding_timeout_ns(double seconds, int64_t *ns)
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
static inline int park_binding_spin_ns(double seconds, int64_t *ns)
{
	/* 2^63: the first double past INT64_MAX; NaN fails too. */
	double n = nearbyint(seconds * 1e9);
	if (!(n >= 0 && n < 9223372036854775808.0))
		return PARK_BINDING_BAD_SPIN;
	*ns = (int64_t)n;
	return 0;
}

/* A CLOCK_MONOTONIC deadline in seconds to a timespec; +inf is none. */
static inline int park_binding_deadline(double seconds, struct timespec *ts,
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

/* park_driver_reinit() in a forked child: 1 when the driver has a new
 * event_base (a parent thread held its loop at the fork), whose events
 * the old base's are not; 0 when it kept its base; or a negative errno. */
static int park_binding_reinit(park_driver *d)
{
	struct event_base *old = park_driver_get_base(d);
	int r = park_driver_reinit(d);
	if (r == -EDEADLK)
		return PARK_BINDING_REINIT_IN_CALLBACK;
	if (r < 0)
		return r;
	return park_driver_get_base(d) != old;
}

/* Each language's park: ns < 0 waits for ever, 0 polls; a NULL deadline is
 * none. Defined by the language's file. */
static int park_binding_park(park_parker *p, int64_t ns);
static int park_binding_park_until(park_parker *p,
				   const struct timespec *deadline);

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
	uint64_t parks_spin;
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
	~Driver() { park_driver_unref($self); }
	park_result shutdown() { return park_driver_shutdown($self); }
	park_bool is_shutdown() { return park_driver_is_shutdown($self) == 1; }
	park_result wake() { return park_driver_wake($self); }
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
		park_driver_unref(own);
		errno = err;
		return p;
	}
	~Parker() { park_parker_unref($self); }

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

	Unparker *unparker() { return park_unparker_new($self); }
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
	~Unparker() { park_unparker_unref($self); }
	park_result unpark() { return park_unparker_unpark($self); }
	Unparker *clone() { return park_unparker_ref($self); }
}

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
