/*
 * The Python extension park._core: the C half of the park package.
 *
 * python/park/__init__.py is the API and the only layer that checks
 * arguments; this module trusts what it is given (timeouts already in
 * nanoseconds, deadlines as CLOCK_MONOTONIC nanoseconds, file descriptors
 * and signal numbers already validated) and does what needs C: releasing
 * the GIL around a park, running driver callbacks under the GIL inside
 * that park, and the per-parker ledger of hidden main-thread slices.
 *
 * Nothing here is process-wide except the thread-local pointer to the park
 * the calling thread is in (a callback needs it to hand its exception to
 * that park).
 */
%module(package="park") core

/* First in the wrapper: the platform feature macros. */
%begin %{
#include "config.h"
%}

%include <stdint.i>

%typemap(out) park_result {
	if ($1 < 0)
		PARK_RAISE($1);
	$result = PyLong_FromLong($1);
}

%typemap(out) park_bool {
	$result = PyBool_FromLong($1);
}

%typemap(out) uint64_t {
	$result = PyLong_FromUnsignedLongLong($1);
}

/* Used by the methods added to park.i's classes, whose code SWIG emits where
 * park.i declares them. */
%{
#include <time.h>
#include "libpark.h"
static int park_py_wait(park_parker *p, int64_t ns,
			const struct timespec *deadline);
static struct timespec park_py_timespec(int64_t ns);
%}

/* The shared park methods take seconds and check them; Python's checks are
 * in __init__.py, and its parks take nanoseconds (below). */
%ignore Parker::park;
%ignore Parker::park_until;
%ignore Parker::stats;
%ignore park_binding_monotonic;

%include "park.i"

%{
#include <event2/event.h>
#include <event2/thread.h>

#define PARK_PY_ERROR_SET PARK_BINDING_ERROR_SET

static void park_py_raise(int code)
{
	if (code == PARK_PY_ERROR_SET)
		return;
	switch (code) {
	case -EINVAL:
		PyErr_SetString(PyExc_ValueError, park_binding_message(code));
		return;
	case -EBUSY:
	case -EDEADLK:
		PyErr_SetString(PyExc_RuntimeError, park_binding_message(code));
		return;
	case -ENOMEM:
		PyErr_NoMemory();
		return;
	}
	errno = code < 0 ? -code : code;
	PyErr_SetFromErrno(PyExc_OSError);
}
#define PARK_RAISE(code)                                                       \
	do {                                                                   \
		park_py_raise(code);                                           \
		SWIG_fail;                                                     \
	} while (0)
%}

/* ---- a park: the GIL, and exceptions from callbacks ----------------------
 * A park releases the GIL. A driver callback that runs inside it takes the
 * GIL, runs, and releases it; if it raised, the exception is kept in the
 * park's frame (found through a thread-local pointer, since the callback
 * runs on the parking thread) and raised from park() once it returns.
 */
%{
struct park_py_frame {
	park_parker *parker;
	PyObject *type, *value, *traceback;
	struct park_py_frame *outer;
};
static _Thread_local struct park_py_frame *park_py_frame_now;

/* ns < 0: no timeout; 0: poll; > 0: timeout. deadline (if not NULL) wins. */
static int park_py_wait(park_parker *p, int64_t ns,
			const struct timespec *deadline)
{
	struct park_py_frame frame = {.parker = p, .outer = park_py_frame_now};
	int r;
	park_py_frame_now = &frame;
	Py_BEGIN_ALLOW_THREADS
	if (deadline)
		r = park_parker_park_until(p, deadline);
	else if (ns < 0)
		r = park_parker_park(p);
	else
		r = park_parker_park_timeout(p, ns);
	Py_END_ALLOW_THREADS
	park_py_frame_now = frame.outer;
	/* Busy because this very thread parks on it further out: a callback
	 * parking on the parker whose park runs it. */
	for (struct park_py_frame *f = frame.outer; r == -EBUSY && f;
	     f = f->outer)
		if (f->parker == p)
			r = -EDEADLK;
	if (frame.type) {
		PyErr_Restore(frame.type, frame.value, frame.traceback);
		return PARK_PY_ERROR_SET;
	}
	return r;
}

static struct timespec park_py_timespec(int64_t ns)
{
	struct timespec ts = {
	    .tv_sec = (time_t)(ns / 1000000000),
	    .tv_nsec = (long)(ns % 1000000000),
	};
	return ts;
}
%}

/* park.i's hooks: its own (seconds) park methods are ignored above, the
 * nanosecond ones below use these. */
%{
static int park_binding_park(park_parker *p, int64_t ns)
{
	return park_py_wait(p, ns, NULL);
}

static int park_binding_park_until(park_parker *p,
				   const struct timespec *deadline)
{
	return park_py_wait(p, -1, deadline);
}
%}

/* ---- the ledger of a main-thread park ------------------------------------
 * Python runs signal handlers only in the main thread, and only between
 * bytecodes, so the main thread parks in slices (park.Parker.park) and
 * checks for signals after each slice that timed out. libpark counts every
 * slice; the ledger, one per park.Parker, holds what the hidden slices
 * added to the counters (measured, not assumed), so that the parker's stats
 * count one park, as libpark would count a park with that result. The
 * result says DRIVER when any slice ran the driver. While a sliced park is
 * in progress its stats are frozen at their value from before the park, as
 * libpark's own counters show a park only when it ends.
 */
%{
/* Long enough to cost nothing, short enough for Ctrl-C. */
#define PARK_PY_SLICE_NS 50000000
typedef struct {
	struct park_stats hidden;
	struct park_stats before;
	bool frozen;
	bool ran_driver;
} Ledger;

static void park_py_raw(park_parker *p, struct park_stats *s)
{
	memset(s, 0, sizeof *s);
	s->size = sizeof *s;
	park_parker_get_stats(p, s);
}

/* to += sign * (a - b), field by field. */
static void park_py_add(struct park_stats *to, const struct park_stats *a,
			const struct park_stats *b, int sign)
{
	to->parks_driver += sign * (a->parks_driver - b->parks_driver);
	to->parks_sleeper += sign * (a->parks_sleeper - b->parks_sleeper);
	to->tokens += sign * (a->tokens - b->tokens);
	to->timeouts += sign * (a->timeouts - b->timeouts);
	to->spurious += sign * (a->spurious - b->spurious);
}

static void park_py_counters(park_parker *p, const Ledger *l,
			     struct park_stats *s)
{
	struct park_stats raw, none = {0};
	park_py_raw(p, &raw);
	*s = none;
	park_py_add(s, &raw, &l->hidden, 1);
}

/* One slice: ns or the deadline end as park_py_wait() takes them. last:
 * the slice ends where the park must. Sets *hidden when the slice timed
 * out and the park goes on; else the park is over and the result is the
 * park's, DRIVER included when an earlier slice ran the driver. */
static int park_py_slice(Ledger *l, park_parker *p, int64_t ns,
			 const struct timespec *end, bool last, bool *hidden)
{
	struct park_stats pre, post;
	if (!l->frozen) {
		park_py_counters(p, l, &l->before);
		l->frozen = true;
		l->ran_driver = false;
	}
	park_py_raw(p, &pre);
	int r = park_py_wait(p, ns, end);
	*hidden = r >= 0 && !last && PARK_REASON(r) == PARK_TIMED_OUT;
	if (*hidden) {
		park_py_raw(p, &post);
		park_py_add(&l->hidden, &post, &pre, 1);
		l->ran_driver |= (r & PARK_DRIVER) != 0;
		return r;
	}
	if (r >= 0 && l->ran_driver && !(r & PARK_DRIVER)) {
		/* Count the park as libpark counts a DRIVER result: as a
		 * driver park (one hidden one shows again), not a sleeper one. */
		park_py_raw(p, &post);
		l->hidden.parks_driver--;
		l->hidden.parks_sleeper += post.parks_sleeper - pre.parks_sleeper;
		r |= PARK_DRIVER;
	}
	l->frozen = false;
	return r;
}
%}

typedef struct {} Ledger;
%extend Ledger {
	Ledger() { return calloc(1, sizeof(Ledger)); }
	~Ledger() { free($self); }

	/* The parker's counters, less the hidden slices, as a tuple. */
	PyObject *counters(Parker *p) {
		struct park_stats s;
		if ($self->frozen)
			s = $self->before;
		else
			park_py_counters(p, $self, &s);
		return Py_BuildValue("(KKKKK)",
				     (unsigned long long)s.parks_driver,
				     (unsigned long long)s.parks_sleeper,
				     (unsigned long long)s.tokens,
				     (unsigned long long)s.timeouts,
				     (unsigned long long)s.spurious);
	}

	/* A main-thread park with no timeout: slices of SLICE_NS until one
	 * ends otherwise than timed out. Returns the park's result; raises
	 * what a signal handler raised. */
	park_result park(Parker *p) {
		bool hidden;
		int r;
		while ((r = park_py_slice($self, p, PARK_PY_SLICE_NS, NULL, false,
					  &hidden)), hidden) {
			if (PyErr_CheckSignals() < 0) {
				$self->frozen = false;
				return PARK_PY_ERROR_SET;
			}
		}
		return r;
	}

	/* Called when an exception left a sliced park between two slices. */
	void thaw() { $self->frozen = false; }

	/* One slice of a main-thread park with a deadline: until end_ns (a
	 * CLOCK_MONOTONIC deadline); final: end_ns is the caller's own
	 * deadline. Returns the park's result, or None when the slice timed
	 * out and the park goes on. Raises what a signal handler raised. */
	PyObject *slice(Parker *p, int64_t end_ns, bool final) {
		struct timespec end = park_py_timespec(end_ns);
		bool hidden;
		int r = park_py_slice($self, p, -1, &end, final, &hidden);
		if (hidden) {
			if (PyErr_CheckSignals() == 0)
				Py_RETURN_NONE;
			$self->frozen = false;
			return NULL;
		}
		if (r < 0) {
			park_py_raise(r);
			return NULL;
		}
		return PyLong_FromLong(r);
	}
}

/* ---- parks in nanoseconds -------------------------------------------------
 * No slicing here: the caller slices main-thread parks (see Ledger).
 */
%extend Parker {
	/* ns < 0: until woken; 0: poll the driver once; > 0: timeout. */
	park_result park_ns(int64_t ns) { return park_binding_park($self, ns); }
	/* deadline_ns: CLOCK_MONOTONIC nanoseconds, >= 0. */
	park_result park_until_ns(int64_t deadline_ns) {
		struct timespec ts = park_py_timespec(deadline_ns);
		return park_binding_park_until($self, &ts);
	}
}

/* ---- driver events -------------------------------------------------------
 * An Event is one libevent event on a driver's base, owned by one Python
 * handle (park.Handle) whose _fire() method it calls. The handle is kept
 * alive while the event is added by the Python Driver's table of handles,
 * so the event holds only a borrowed pointer to it ("target"), which
 * cancel() clears before deleting the event: a callback that was already
 * dispatched but had not yet got the GIL then does nothing.
 *
 * libevent threading is on (evthread_use_pthreads at import), so any
 * thread may add or delete events while another runs the loop. event_del
 * waits for a running callback of that event to finish, and that callback
 * may be waiting for the GIL, so every add and delete releases the GIL.
 */
%{
typedef struct {
	struct event *ev;
	/* A reference: the base outlives its events. */
	park_driver *driver;
	PyObject *target;
} Event;

/* With the callback's exception set: hand it to the park it ran in. */
static void park_py_event_fire_error(PyObject *target,
				     struct event_base *base)
{
	struct park_py_frame *frame = park_py_frame_now;
	if (!frame) {
		/* Not inside a Python park (a C program ran the loop). */
		PyErr_WriteUnraisable(target);
		return;
	}
	if (!frame->type) {
		PyErr_Fetch(&frame->type, &frame->value, &frame->traceback);
	} else {
		/* Only the coarse-timer rerun of one park gets here. */
		PyErr_WriteUnraisable(target);
	}
	event_base_loopbreak(base);
}

static void park_py_event_fire(evutil_socket_t fd, short what, void *arg)
{
	Event *e = arg;
	struct event_base *base = park_driver_get_base(e->driver);
	PyGILState_STATE gil = PyGILState_Ensure();
	PyObject *target = e->target;
	struct park_py_frame *frame = park_py_frame_now;
	(void)fd;
	if (target && frame && frame->type) {
		/* An earlier callback of this park raised: the park ends
		 * now, and this event runs in the next one. */
		event_active(e->ev, what, 0);
		event_base_loopbreak(base);
	} else if (target) {
		Py_INCREF(target);
		PyObject *r = PyObject_CallMethod(target, "_fire", NULL);
		if (r)
			Py_DECREF(r);
		else
			park_py_event_fire_error(target, base);
		/* May free e (a handle that cancelled itself). */
		Py_DECREF(target);
	}
	PyGILState_Release(gil);
}

/* True while the interpreter is finalizing: a daemon thread that wakes in
 * a callback then exits inside it, so nothing may wait for a callback. */
static int park_py_finalizing(void)
{
#if PY_VERSION_HEX >= 0x030D0000
	return Py_IsFinalizing();
#else
	return _Py_IsFinalizing();
#endif
}

static void park_py_event_cancel(Event *e)
{
	e->target = NULL;
	if (park_py_finalizing()) {
		event_del_noblock(e->ev);
		return;
	}
	Py_BEGIN_ALLOW_THREADS
	event_del(e->ev);
	Py_END_ALLOW_THREADS
}
%}

PARK_RAISE_ON_NULL(Event::Event)
typedef struct {} Event;
%extend Event {
	/* fd: a descriptor, a signal number (EV_SIGNAL), or -1 for a timer.
	 * what: libevent's flags. target: the handle whose _fire() runs. */
	Event(Driver *driver, int fd, int what, PyObject *target) {
		Event *e = calloc(1, sizeof *e);
		if (!e) {
			errno = ENOMEM;
			return NULL;
		}
		e->ev = event_new(park_driver_get_base(driver), fd, (short)what,
				  park_py_event_fire, e);
		if (!e->ev) {
			free(e);
			errno = ENOMEM;
			return NULL;
		}
		e->driver = park_driver_ref(driver);
		e->target = target;
		return e;
	}
	~Event() {
		park_py_event_cancel($self);
		event_free($self->ev);
		park_driver_unref($self->driver);
		free($self);
	}
	/* interval_ns < 0: no timeout. Raises OSError when the backend
	 * refuses the descriptor (its errno, EBADF for a closed one). */
	park_result add(int64_t interval_ns) {
		/* Rounded up to libevent's microseconds: never early. */
		int64_t us = interval_ns / 1000 + (interval_ns % 1000 != 0);
		struct timeval tv = {
		    .tv_sec = (time_t)(us / 1000000),
		    .tv_usec = (suseconds_t)(us % 1000000),
		};
		int rc;
		errno = 0;
		Py_BEGIN_ALLOW_THREADS
		rc = event_add($self->ev, interval_ns < 0 ? NULL : &tv);
		Py_END_ALLOW_THREADS
		return rc < 0 ? -(errno ? errno : EINVAL) : 0;
	}
	/* After cancel() the event never fires again. Idempotent. */
	void cancel() { park_py_event_cancel($self); }
}

%constant long long SLICE_NS = PARK_PY_SLICE_NS;
%constant int EV_TIMEOUT = EV_TIMEOUT;
%constant int EV_READ = EV_READ;
%constant int EV_WRITE = EV_WRITE;
%constant int EV_SIGNAL = EV_SIGNAL;
%constant int EV_PERSIST = EV_PERSIST;

%init %{
	/* Python threads add and delete events while another thread runs
	 * the loop: every base made from here on has a lock. */
	if (evthread_use_pthreads() < 0) {
		PyErr_SetString(PyExc_ImportError,
				"park: libevent threading is unavailable");
		return NULL;
	}
%}
