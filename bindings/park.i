/*
 * The part of the SWIG interface that every script language shares:
 * Driver, Parker and Unparker as classes over libpark's opaque handles, the
 * wake reasons as constants, the binding's own error numbers and messages.
 *
 * It is not compiled on its own: each language's file (park-python.i,
 * park-lua.i) names the module, defines the typemaps for park_result (a
 * result or a negative errno) and park_bool, includes this file after its
 * typemaps, and adds the parks, which differ (Lua takes seconds, Python's
 * __init__.py hands over nanoseconds). A language that keeps more with a
 * handle than the handle (Python) defines PARK_BINDING_OWN_TYPES, for SWIG
 * and for C: its own Driver and Parker structs, PARK_DRIVER_OF() and
 * PARK_PARKER_OF() to reach the handles, and their constructors.
 */

%{
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "libpark.h"

#include "park-codes.h"

typedef int park_result;
typedef int park_bool;
/* The names the script languages see; SWIG derives its helper functions
 * from them (Parker_park, ...), which keeps them apart from libpark's. */
#ifndef PARK_BINDING_OWN_TYPES
typedef park_driver Driver;
typedef park_parker Parker;
#define PARK_DRIVER_OF(self) (self)
#define PARK_PARKER_OF(self) (self)
#endif
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
	case -ECHILD:
		return "the driver was inherited through fork(): reinit it in "
		       "the child first";
	case PARK_BINDING_REINIT_IN_CALLBACK:
		return "cannot reinitialise the driver inside one of its "
		       "callbacks (return from it first)";
	case PARK_BINDING_IDLE_JOINED:
		return "the Parker has joined this IdleSet already (leave or "
		       "park it)";
	case PARK_BINDING_IDLE_OTHER:
		return "the Parker is in another IdleSet (leave it first)";
	case PARK_BINDING_IDLE_NOT_MEMBER:
		return "the Parker is not in this IdleSet (it never joined, or "
		       "it left or parked)";
	case PARK_BINDING_IDLE_OTHER_DRIVER:
		return "the Parker is not on the IdleSet's Driver";
	}
	return strerror(code < 0 ? -code : code);
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

%}

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

%nodefaultctor Unparker;
%newobject Parker::unparker;
%newobject Parker::clone;
%newobject Unparker::clone;

typedef struct {} Driver;
typedef struct {} Parker;
typedef struct {} Unparker;

#ifndef PARK_BINDING_OWN_TYPES
%extend Driver {
	Driver() { return park_driver_new(); }
	~Driver() { park_driver_unref($self); }
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
	Parker *clone() { return park_parker_clone($self); }
}
#endif

%extend Driver {
	park_result shutdown() { return park_driver_shutdown(PARK_DRIVER_OF($self)); }
	park_bool is_shutdown() {
		return park_driver_is_shutdown(PARK_DRIVER_OF($self)) == 1;
	}
	park_result wake() { return park_driver_wake(PARK_DRIVER_OF($self)); }
}

%extend Parker {
	Unparker *unparker() { return park_unparker_new(PARK_PARKER_OF($self)); }
	park_result shutdown() {
		return park_driver_shutdown(
		    park_parker_get_driver(PARK_PARKER_OF($self)));
	}
}

%extend Unparker {
	~Unparker() { park_unparker_unref($self); }
	park_result unpark() { return park_unparker_unpark($self); }
	Unparker *clone() { return park_unparker_ref($self); }
}

%rename(version_string) park_version_string;
const char *park_version_string(void);

%constant int TOKEN = PARK_TOKEN;
%constant int TIMED_OUT = PARK_TIMED_OUT;
%constant int EVENTS = PARK_EVENTS;
%constant int SHUTDOWN = PARK_SHUTDOWN;
%constant int DRIVER = PARK_DRIVER;
%constant int REASON_MASK = PARK_REASON_MASK;
