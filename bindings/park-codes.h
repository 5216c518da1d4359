/*
 * The errors both bindings add to libpark's negative errnos: one range,
 * below any errno. park.i words them (park_binding_message); each
 * language's file raises them its own way.
 */
#ifndef PARK_CODES_H
#define PARK_CODES_H

enum {
	PARK_BINDING_BAD_TIMEOUT = -100001,
	PARK_BINDING_ERROR_SET,		 /* Python: exception already set */
	PARK_BINDING_REINIT_IN_CALLBACK, /* EDEADLK of reinit */
	PARK_BINDING_BAD_SPIN,
	PARK_BINDING_IDLE_JOINED,	 /* joined this set already */
	PARK_BINDING_IDLE_OTHER,	 /* in another set */
	PARK_BINDING_IDLE_NOT_MEMBER,	 /* not in this set */
	PARK_BINDING_IDLE_OTHER_DRIVER,	 /* not on the set's driver */
};

#endif
