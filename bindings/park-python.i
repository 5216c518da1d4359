/*
 * The Python extension park._core: the C half of the park package.
 *
 * python/park/__init__.py is the API and the only layer that checks
 * arguments; this module trusts what it is given (timeouts already in
 * nanoseconds, deadlines as CLOCK_MONOTONIC nanoseconds, file descriptors
 * and signal numbers already validated) and does what needs C: releasing
 * the GIL around a park, running driver callbacks and posted functions
 * under the GIL inside that park, the per-parker ledger of hidden
 * main-thread slices, and the idle sets' record of their members.
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
static PyObject *park_py_post(park_driver *d, PyObject *driver,
			      PyObject *item);
%}

/* The shared park methods take seconds and check them; Python's checks are
 * in __init__.py, and its parks take nanoseconds (below). */
%ignore Parker::park;
%ignore Parker::park_until;
%ignore Parker::stats;
%ignore Parker::set_spin;
%ignore Parker::spin;
%ignore park_binding_monotonic;

%include "park.i"

%{
#include <event2/event.h>
#include <event2/thread.h>

#define PARK_PY_ERROR_SET PARK_BINDING_ERROR_SET
/* An IdleSet's refusals (below). */
#define PARK_PY_IDLE_JOINED (-100010)
#define PARK_PY_IDLE_OTHER (-100011)
#define PARK_PY_IDLE_NOT_MEMBER (-100012)

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
	case -ESHUTDOWN:
		PyErr_SetString(PyExc_RuntimeError, "the driver is shut down");
		return;
	case PARK_BINDING_REINIT_IN_CALLBACK:
		PyErr_SetString(PyExc_RuntimeError, park_binding_message(code));
		return;
	case -ENOMEM:
		PyErr_NoMemory();
		return;
	case PARK_PY_IDLE_JOINED:
		PyErr_SetString(PyExc_RuntimeError, "the parker has joined this "
				"IdleSet already (leave or park it)");
		return;
	case PARK_PY_IDLE_OTHER:
		PyErr_SetString(PyExc_RuntimeError, "the parker is in another "
				"IdleSet (leave it first)");
		return;
	case PARK_PY_IDLE_NOT_MEMBER:
		PyErr_SetString(PyExc_ValueError, "the parker is not in this "
				"IdleSet (it never joined, or it left or parked)");
		return;
	case -ECHILD:
		PyErr_SetObject(PyExc_OSError,
				Py_BuildValue("(is)", ECHILD,
					      "the driver was inherited through "
					      "fork(): call Driver.reinit() in "
					      "the child first"));
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
 * bytecodes, so the main thread parks in slices and checks for signals
 * after each slice that timed out. libpark counts every slice; the ledger,
 * one per park.Parker, holds what the hidden slices added to the counters
 * (measured, not assumed), so that the parker's stats count one park, as
 * libpark would count a park with that result. The result says DRIVER when
 * any slice ran the driver. While a sliced park is in progress its stats
 * are frozen at their value from before the park, as libpark's own counters
 * show a park only when it ends.
 *
 * A park spins (park_parker_set_spin) once, at its start, however many
 * slices it is made of: the ledger holds the parker's budget, and the
 * slices after the first get what is left of the budget the park started
 * with, so a main-thread park that nobody wakes burns its budget once, not
 * once every slice. The budget the script set is put back when it ends.
 *
 * The ledger is also the parker's record of the idle set it joined through
 * park.IdleSet (below), since libpark has no call that says so.
 */
%{
/* Long enough to cost nothing, short enough for Ctrl-C. */
#define PARK_PY_SLICE_NS 50000000
typedef struct IdleSet IdleSet;
typedef struct Ledger Ledger;
struct Ledger {
	struct park_stats hidden;
	struct park_stats before;
	bool frozen;
	bool ran_driver;
	/* The spin budget the script set, in ns: what libpark has between
	 * parks; a sliced park narrows libpark's copy (above). With the GIL. */
	int64_t spin_ns;
	/* The set this parker joined and has not left, and the parker,
	 * referenced while it is in the set. With the GIL. */
	IdleSet *idle;
	park_parker *member;
	Ledger *idle_prev, *idle_next;
};

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
	to->parks_spin += sign * (a->parks_spin - b->parks_spin);
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
		 * driver park (one hidden one shows again), not a sleeper or a
		 * spin one. */
		park_py_raw(p, &post);
		l->hidden.parks_driver--;
		l->hidden.parks_sleeper += post.parks_sleeper - pre.parks_sleeper;
		l->hidden.parks_spin += post.parks_spin - pre.parks_spin;
		r |= PARK_DRIVER;
	}
	l->frozen = false;
	return r;
}

static int64_t park_py_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A main-thread park in slices until end_ns (CLOCK_MONOTONIC ns; < 0:
 * until woken), with a look for signals after each hidden slice. Returns
 * the park's result, or PARK_PY_ERROR_SET with what a handler raised. */
static int park_py_sliced(Ledger *l, park_parker *p, int64_t end_ns)
{
	int64_t start = park_py_now_ns(), budget = l->spin_ns;
	bool narrowed = false;
	int r;
	for (;;) {
		bool hidden;
		if (end_ns < 0) {
			r = park_py_slice(l, p, PARK_PY_SLICE_NS, NULL, false,
					  &hidden);
		} else {
			int64_t slice_end = park_py_now_ns() + PARK_PY_SLICE_NS;
			bool last = slice_end >= end_ns;
			struct timespec end =
			    park_py_timespec(last ? end_ns : slice_end);
			r = park_py_slice(l, p, -1, &end, last, &hidden);
		}
		if (!hidden)
			break;
		if (PyErr_CheckSignals() < 0) {
			l->frozen = false;
			r = PARK_PY_ERROR_SET;
			break;
		}
		int64_t left = budget - (park_py_now_ns() - start);
		park_parker_set_spin(p, left > 0 ? left : 0);
		narrowed = true;
	}
	/* The script's budget, which another thread may have changed. */
	if (narrowed)
		park_parker_set_spin(p, l->spin_ns);
	return r;
}

/* Every park of the Python API. ns < 0: until woken; 0: poll the driver
 * once; > 0: timeout. main: the thread that runs signal handlers, which
 * parks in slices unless the park is that short anyway. */
static int park_py_park(Ledger *l, park_parker *p, int64_t ns, bool main)
{
	if (!main || (ns >= 0 && ns <= PARK_PY_SLICE_NS))
		return park_py_wait(p, ns, NULL);
	return park_py_sliced(l, p, ns < 0 ? -1 : park_py_now_ns() + ns);
}

/* deadline_ns: CLOCK_MONOTONIC nanoseconds, >= 0. */
static int park_py_park_until(Ledger *l, park_parker *p, int64_t deadline_ns,
			      bool main)
{
	if (!main || deadline_ns - park_py_now_ns() <= PARK_PY_SLICE_NS) {
		struct timespec ts = park_py_timespec(deadline_ns);
		return park_py_wait(p, -1, &ts);
	}
	return park_py_sliced(l, p, deadline_ns);
}

static void park_py_idle_forget(Ledger *l);
%}

typedef struct {} Ledger;
%extend Ledger {
	Ledger() { return calloc(1, sizeof(Ledger)); }
	/* A parker that goes leaves its set: nobody can park on it any
	 * more, and a wake sent to it would be lost. */
	~Ledger() {
		park_py_idle_forget($self);
		free($self);
	}

	/* The parker's counters, less the hidden slices, as a tuple. */
	PyObject *counters(Parker *p) {
		struct park_stats s;
		if ($self->frozen)
			s = $self->before;
		else
			park_py_counters(p, $self, &s);
		return Py_BuildValue("(KKKKKK)",
				     (unsigned long long)s.parks_driver,
				     (unsigned long long)s.parks_sleeper,
				     (unsigned long long)s.tokens,
				     (unsigned long long)s.timeouts,
				     (unsigned long long)s.spurious,
				     (unsigned long long)s.parks_spin);
	}

	/* park.Parker.spin's setter: ns already checked (0 to INT64_MAX). */
	park_result set_spin(Parker *p, int64_t ns) {
		int r = park_parker_set_spin(p, ns);
		if (r == 0)
			$self->spin_ns = ns;
		return r;
	}

	/* The budget the script set, in ns. */
	int64_t spin() { return $self->spin_ns; }

	/* park.Parker.park: ns < 0 until woken, 0 poll, > 0 timeout; main:
	 * this is the main thread. Raises what a callback or a signal
	 * handler raised. */
	park_result park(Parker *p, int64_t ns, bool main) {
		return park_py_park($self, p, ns, main);
	}

	/* park.Parker.park_until: deadline_ns in CLOCK_MONOTONIC ns. */
	park_result park_until(Parker *p, int64_t deadline_ns, bool main) {
		return park_py_park_until($self, p, deadline_ns, main);
	}

	/* park.Parker.close: leave the idle set, if any. */
	void forget_idle() { park_py_idle_forget($self); }
}

/* ---- idle sets -------------------------------------------------------------
 * park.IdleSet over park_idle. A park through the set is park_idle_park()
 * made of its parts (join, park, leave), so that the main thread's park
 * can be sliced, and stays in the set between slices: a parker that left
 * between two slices could miss the unpark_one meant for it. To know
 * whether a parker has joined (park joins only when it has not), the
 * parker's ledger records the set it joined here; the set keeps the list
 * of its members' ledgers, so that whichever of the two goes first
 * updates the other. All of it with the GIL.
 */
%{
struct IdleSet {
	park_idle *set;
	Ledger *members;
};

static void park_py_idle_unlink(Ledger *l)
{
	IdleSet *s = l->idle;
	if (l->idle_prev)
		l->idle_prev->idle_next = l->idle_next;
	else
		s->members = l->idle_next;
	if (l->idle_next)
		l->idle_next->idle_prev = l->idle_prev;
	l->idle_prev = l->idle_next = NULL;
	l->idle = NULL;
	park_parker *p = l->member;
	l->member = NULL;
	/* Last: the final reference may free the driver, which runs what
	 * was posted to it (Python code). */
	park_parker_unref(p);
}

static int park_py_idle_join(IdleSet *s, Ledger *l, park_parker *p)
{
	if (l->idle)
		return l->idle == s ? PARK_PY_IDLE_JOINED : PARK_PY_IDLE_OTHER;
	int r = park_idle_join(s->set, p);
	if (r < 0)
		return r == -EBUSY ? PARK_PY_IDLE_OTHER : r;
	l->idle = s;
	l->member = park_parker_ref(p);
	l->idle_prev = NULL;
	l->idle_next = s->members;
	if (s->members)
		s->members->idle_prev = l;
	s->members = l;
	return 0;
}

/* 1 if the parker was still idle, 0 if an unpark took it. */
static int park_py_idle_leave(Ledger *l)
{
	int r = park_idle_leave(l->idle->set, l->member);
	park_py_idle_unlink(l);
	return r;
}

/* Leaves whatever set l's parker is in; keeps a pending exception. */
static void park_py_idle_forget(Ledger *l)
{
	if (!l->idle)
		return;
	PyObject *type, *value, *traceback;
	PyErr_Fetch(&type, &value, &traceback);
	park_py_idle_leave(l);
	PyErr_Restore(type, value, traceback);
}
%}

typedef struct {} IdleSet;
PARK_RAISE_ON_NULL(IdleSet::IdleSet)
%extend IdleSet {
	IdleSet(Driver *driver) {
		IdleSet *s = calloc(1, sizeof *s);
		if (!s) {
			errno = ENOMEM;
			return NULL;
		}
		s->set = park_idle_new(driver);
		if (!s->set) {
			int err = errno;
			free(s);
			errno = err;
			return NULL;
		}
		return s;
	}
	/* Forget the members here; libpark's last unref gives each parker
	 * still idle a token and lets every member join another set. */
	~IdleSet() {
		while ($self->members)
			park_py_idle_unlink($self->members);
		park_idle_unref($self->set);
		free($self);
	}

	park_result join(Parker *p, Ledger *l) {
		return park_py_idle_join($self, l, p);
	}

	/* 1 if p was still idle, 0 if an unpark took it (its token waits). */
	park_result leave(Parker *p, Ledger *l) {
		(void)p;
		if (l->idle != $self)
			return PARK_PY_IDLE_NOT_MEMBER;
		return park_py_idle_leave(l);
	}

	/* park_idle_park(): join unless joined, park as Ledger.park does,
	 * leave, unless another thread parks on p and this call did not
	 * join. */
	park_result park(Parker *p, Ledger *l, int64_t ns, bool main) {
		if (l->idle && l->idle != $self)
			return PARK_PY_IDLE_OTHER;
		bool joined_here = !l->idle;
		if (joined_here) {
			int err = park_py_idle_join($self, l, p);
			if (err < 0)
				return err;
		}
		int r = park_py_park(l, p, ns, main);
		/* Another thread may have closed p meanwhile: it left. */
		if ((r != -EBUSY || joined_here) && l->idle == $self)
			park_py_idle_forget(l);
		return r;
	}

	park_result unpark_one() { return park_idle_unpark_one($self->set); }
	park_result unpark_all() { return park_idle_unpark_all($self->set); }
	park_result count() { return park_idle_count($self->set); }
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
	/* Left on a base that a forked child's Driver.reinit() replaced:
	 * never touched again (see abandon()). */
	bool abandoned;
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
		if (!$self->abandoned) {
			park_py_event_cancel($self);
			event_free($self->ev);
			park_driver_unref($self->driver);
		}
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
	void cancel() {
		if (!$self->abandoned)
			park_py_event_cancel($self);
	}
	/* In a forked child whose Driver.reinit() gave the driver a new
	 * base: the old one is never run again, and with libevent's locks
	 * on, deleting or freeing the event a parent thread was running at
	 * the fork would wait for that thread for ever. So the event, and
	 * the driver reference that keeps its base, are left as they are. */
	void abandon() {
		$self->target = NULL;
		$self->abandoned = true;
	}
}

/* ---- functions posted to the loop thread ----------------------------------
 * park.Driver.call_soon_threadsafe() appends (fn, args) to the Driver's
 * queue, a deque that the garbage collector sees (a callback that refers to
 * its driver is an ordinary cycle), and posts a doorbell with
 * park_driver_post(). The doorbell runs on the loop thread, inside the park
 * that runs the loop, and calls Driver._run_posted(), which runs what was
 * queued when it started. It holds only a weak reference to the Driver:
 * what is still queued when the Driver goes is the Driver's business (its
 * __del__ runs it, or drops it at interpreter shutdown), and a doorbell
 * that rings after that finds nothing.
 *
 * An exception ends the park as a callback's does; the functions behind it
 * stay queued, as do those whose doorbell rings after it in the same loop
 * iteration, and run in order in the next park: the last doorbell in
 * flight (Driver._bells counts them) posts itself again when anything is
 * left. Posting, ringing and counting happen with the GIL held and no
 * Python code in between.
 */
%{
struct park_py_post {
	PyObject *driver_ref; /* a weak reference to the park.Driver */
	park_driver *driver;  /* the driver it is posted to: it runs there */
};

/* The referent of a weak reference as a new reference, or NULL. */
static PyObject *park_py_deref(PyObject *ref)
{
#if PY_VERSION_HEX >= 0x030D0000
	PyObject *obj = NULL;
	if (PyWeakref_GetRef(ref, &obj) < 0)
		PyErr_Clear();
	return obj;
#else
	PyObject *obj = PyWeakref_GetObject(ref);
	if (!obj || obj == Py_None)
		return NULL;
	Py_INCREF(obj);
	return obj;
#endif
}

/* driver._bells += delta; returns the new count. */
static long park_py_bells(PyObject *driver, long delta)
{
	PyObject *n = PyObject_GetAttrString(driver, "_bells");
	long bells = n ? PyLong_AsLong(n) : 0;
	Py_XDECREF(n);
	PyErr_Clear();
	bells += delta;
	n = PyLong_FromLong(bells);
	if (!n || PyObject_SetAttrString(driver, "_bells", n) < 0)
		PyErr_Clear();
	Py_XDECREF(n);
	return bells;
}

/* len(driver._posted) > 0 */
static bool park_py_posted_left(PyObject *driver)
{
	PyObject *queue = PyObject_GetAttrString(driver, "_posted");
	Py_ssize_t n = queue ? PyObject_Length(queue) : 0;
	Py_XDECREF(queue);
	PyErr_Clear();
	return n > 0;
}

static void park_py_post_run(void *arg);

static int park_py_ring(struct park_py_post *post, PyObject *driver)
{
	int r = park_driver_post(post->driver, park_py_post_run, post);
	if (r == 0)
		park_py_bells(driver, 1);
	return r;
}

/* Runs the queue; returns whether to ring again for what is left. */
static bool park_py_post_ring(struct park_py_post *post, PyObject *driver)
{
	struct park_py_frame *frame = park_py_frame_now;
	bool mine = frame &&
		    park_parker_get_driver(frame->parker) == post->driver;
	park_py_bells(driver, -1);
	/* Not when an earlier callback of this park raised: the park ends. */
	if (!mine || !frame->type) {
		PyObject *r = PyObject_CallMethod(driver, "_run_posted", NULL);
		if (r) {
			Py_DECREF(r);
		} else if (mine) {
			PyErr_Fetch(&frame->type, &frame->value,
				    &frame->traceback);
			event_base_loopbreak(park_driver_get_base(post->driver));
		} else {
			/* Not inside a Python park: the driver is being
			 * freed, or a C program ran the loop. */
			PyErr_WriteUnraisable(driver);
		}
	}
	/* Counted after the run: its callbacks may have posted. */
	return park_py_bells(driver, 0) == 0 && park_py_posted_left(driver);
}

static void park_py_post_run(void *arg)
{
	struct park_py_post *post = arg;
	if (!Py_IsInitialized()) {
		/* After the interpreter: nothing can be run or released. */
		free(post);
		return;
	}
	PyGILState_STATE gil = PyGILState_Ensure();
	PyObject *driver = park_py_finalizing() ? NULL
						: park_py_deref(post->driver_ref);
	/* Refused after shutdown (or while the driver is being freed): what
	 * is left runs when the Driver goes. */
	if (!driver || !park_py_post_ring(post, driver) ||
	    park_py_ring(post, driver) < 0) {
		Py_DECREF(post->driver_ref);
		free(post);
	}
	Py_XDECREF(driver);
	PyGILState_Release(gil);
}
%}

/* Driver.post(): park.Driver.call_soon_threadsafe. Posts a doorbell, then
 * appends item to the Driver's queue: in that order and with the GIL held
 * throughout, so that the doorbell (which needs the GIL) finds the item,
 * and nothing is queued when the post is refused. */
%{
static PyObject *park_py_post(park_driver *d, PyObject *driver,
			      PyObject *item)
{
	PyObject *ref = PyObject_GetAttrString(driver, "_ref");
	PyObject *queue = PyObject_GetAttrString(driver, "_posted");
	struct park_py_post *post = malloc(sizeof *post);
	PyObject *done = NULL;
	if (!ref || !queue || !post) {
		if (!PyErr_Occurred())
			PyErr_NoMemory();
		goto out;
	}
	Py_INCREF(ref);
	post->driver_ref = ref;
	post->driver = d;
	int r = park_py_ring(post, driver);
	if (r < 0) {
		Py_DECREF(ref);
		park_py_raise(r);
		goto out;
	}
	post = NULL;
	PyObject *append = PyUnicode_FromString("append");
	if (append) {
		done = PyObject_CallMethodObjArgs(queue, append, item, NULL);
		Py_DECREF(append);
	}
out:
	free(post);
	Py_XDECREF(ref);
	Py_XDECREF(queue);
	return done;
}
%}
%extend Driver {
	PyObject *post(PyObject *driver, PyObject *item) {
		return park_py_post($self, driver, item);
	}
	/* 1 when the driver has a new base, 0 when not. */
	park_result reinit() { return park_binding_reinit($self); }
}

%{
/* Reports exc, raised by a callback that ran outside any park, as
 * Python reports an exception from __del__. */
static PyObject *park_py_unraisable(PyObject *self, PyObject *args)
{
	PyObject *exc, *where;
	(void)self;
	if (!PyArg_ParseTuple(args, "OO", &exc, &where))
		return NULL;
	if (!PyExceptionInstance_Check(exc)) {
		PyErr_SetString(PyExc_TypeError, "an exception instance");
		return NULL;
	}
	Py_INCREF(exc);
	PyObject *type = (PyObject *)Py_TYPE(exc);
	Py_INCREF(type);
	PyErr_Restore(type, exc, PyException_GetTraceback(exc));
	PyErr_WriteUnraisable(where);
	Py_RETURN_NONE;
}
%}
%native(unraisable) PyObject *park_py_unraisable(PyObject *self, PyObject *args);

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
