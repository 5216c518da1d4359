/*
 * Events on a driver's base. An Event is one libevent event owned by one
 * park.Handle (the target), which the Python Driver's table keeps alive
 * while the event is added; the event borrows it, and calls fire(target),
 * a function it holds. cancel() clears the target before deleting the
 * event: a callback already dispatched but still waiting for the GIL then
 * does nothing.
 *
 * libevent threading is on (evthread_use_pthreads at import), so any thread
 * may add or delete events while another runs the loop. event_del waits for
 * a running callback of the event, which may be waiting for the GIL, so
 * every add and delete releases the GIL.
 */
#include "config.h"

#include <event2/event.h>

#include "park-py.h"

struct park_py_event {
	struct event *ev;
	/* A reference: the base outlives its events. */
	park_driver *driver;
	PyObject *target, *fire;
	/* Left on a base that a forked child's reinit replaced: never
	 * touched again (see park_py_event_abandon). */
	bool abandoned;
};

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	Event *e = arg;
	PyGILState_STATE gil = PyGILState_Ensure();
	PyObject *target = e->target;
	/* Held by the parker whose park runs this, when e may be gone. */
	park_driver *d = e->driver;
	struct park_py_frame *frame = park_py_frame_of(d);
	(void)fd;
	if (target && frame && frame->type) {
		/* An earlier callback of this park raised: the park ends now,
		 * and this event runs in the next one. */
		event_active(e->ev, what, 0);
		event_base_loopbreak(park_driver_get_base(d));
	} else if (target) {
		PyObject *fire = e->fire;
		if (frame)
			frame->ran = true;
		/* Either may go with e (a handle that cancels itself). */
		Py_INCREF(target);
		Py_INCREF(fire);
		/* PyObject_CallOneArg is 3.9's; this is 3.8's too. */
		PyObject *r = PyObject_CallFunctionObjArgs(fire, target, NULL);
		if (r)
			Py_DECREF(r);
		else
			park_py_frame_catch(d, target);
		Py_DECREF(fire);
		Py_DECREF(target);
	}
	PyGILState_Release(gil);
}

Event *park_py_event_new(Driver *d, int fd, int what, PyObject *target,
			 PyObject *fire)
{
	Event *e = calloc(1, sizeof *e);
	if (e)
		e->ev = event_new(park_driver_get_base(d->driver), fd,
				  (short)what, on_event, e);
	if (!e || !e->ev)
		return park_py_fail(e, ENOMEM);
	e->driver = park_driver_ref(d->driver);
	e->target = target;
	Py_INCREF(fire);
	e->fire = fire;
	return e;
}

void park_py_event_cancel(Event *e)
{
	if (e->abandoned)
		return;
	e->target = NULL;
	if (park_py_finalizing()) {
		event_del_noblock(e->ev);
		return;
	}
	Py_BEGIN_ALLOW_THREADS
	event_del(e->ev);
	Py_END_ALLOW_THREADS
}

void park_py_event_free(Event *e)
{
	if (!e->abandoned) {
		park_py_event_cancel(e);
		event_free(e->ev);
		park_driver_unref(e->driver);
	}
	Py_DECREF(e->fire);
	free(e);
}

int park_py_event_add(Event *e, int64_t interval_ns)
{
	/* Rounded up to libevent's microseconds: never early. */
	int64_t us = interval_ns / 1000 + (interval_ns % 1000 != 0);
	struct timeval tv = {.tv_sec = (time_t)(us / 1000000),
			     .tv_usec = (suseconds_t)(us % 1000000)};
	int rc;
	errno = 0;
	Py_BEGIN_ALLOW_THREADS
	rc = event_add(e->ev, interval_ns < 0 ? NULL : &tv);
	Py_END_ALLOW_THREADS
	return rc < 0 ? -(errno ? errno : EINVAL) : 0;
}

/* In a forked child whose reinit gave the driver a new base: the old one is
 * never run again, and with libevent's locks on, deleting or freeing the
 * event a parent thread was running at the fork would wait for that thread
 * for ever. So the event, and the driver reference that keeps its base,
 * are left as they are. */
void park_py_event_abandon(Event *e)
{
	e->target = NULL;
	e->abandoned = true;
}
