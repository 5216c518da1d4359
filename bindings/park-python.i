/*
 * The Python extension park._core: the typemaps and errors for Python,
 * park.i's shared classes, and the SWIG surface of the C in
 * bindings/python/ (park-py.h says what is where, and what a core object
 * holds). python/park/__init__.py is the API and checks every argument.
 */
%module(package="park") core

/* First in the wrapper: the platform feature macros; the one warning
 * SWIG's generated code gives with the library's flags (its functions'
 * unused self and args parameters); and Python.h, included as SWIG would,
 * so that its runtime's one use of PyWeakref_GET_OBJECT (deprecated in
 * 3.13, gone in 3.15: a weakref.proxy standing for a core object, which
 * nothing makes) compiles out. */
%begin %{
#include "config.h"
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#undef PyWeakref_CheckProxy
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

/* A parker's counters: a tuple in park.Stats's order. */
%typemap(out) struct park_stats {
	$result = Py_BuildValue("(KKKKKK)", (unsigned long long)$1.parks_driver,
				(unsigned long long)$1.parks_sleeper,
				(unsigned long long)$1.tokens,
				(unsigned long long)$1.timeouts,
				(unsigned long long)$1.spurious,
				(unsigned long long)$1.parks_spin);
}

%{
#define PARK_BINDING_OWN_TYPES
#include "python/park-py.h"
#define PARK_DRIVER_OF(self) ((self)->driver)
#define PARK_PARKER_OF(self) ((self)->parker)
/* SWIG defines it without one. */
PyMODINIT_FUNC PyInit__core(void);
%}
#define PARK_BINDING_OWN_TYPES
%include "park.i"

%{
#include <event2/event.h>
#include <event2/thread.h>

/* A libpark errno or a PARK_BINDING_* code as a Python exception. */
static void park_py_raise(int code)
{
	PyObject *type = PyExc_RuntimeError;
	switch (code) {
	case PARK_BINDING_ERROR_SET:
		return;
	case -ENOMEM:
		PyErr_NoMemory();
		return;
	case -EINVAL:
	case PARK_BINDING_IDLE_NOT_MEMBER:
		type = PyExc_ValueError;
		break;
	case -EBUSY: case -EDEADLK: case -ESHUTDOWN:
	case PARK_BINDING_REINIT_IN_CALLBACK:
	case PARK_BINDING_IDLE_JOINED: case PARK_BINDING_IDLE_OTHER:
		break;
	default: {
		/* OSError(errno, message): .errno set, as from the system. */
		PyObject *args = Py_BuildValue("(is)", code < 0 ? -code : code,
					       park_binding_message(code));
		if (args)
			PyErr_SetObject(PyExc_OSError, args);
		Py_XDECREF(args);
		return;
	}
	}
	PyErr_SetString(type, park_binding_message(code));
}
#define PARK_RAISE(code)                                                       \
	do {                                                                   \
		park_py_raise(code);                                           \
		SWIG_fail;                                                     \
	} while (0)
%}

/* ---- drivers: the handle and its posted functions ------------------------- */
%extend Driver {
	Driver(PyObject *queue) {
		Driver *d = calloc(1, sizeof *d);
		if (d && (d->driver = park_driver_new()) &&
		    (d->posts = park_py_posts_new(d->driver, queue)))
			return d;
		int err = d ? errno : ENOMEM;
		if (d)
			park_driver_unref(d->driver);
		return park_py_fail(d, err);
	}
	~Driver() {
		park_py_posts_drop($self->posts);
		park_driver_unref($self->driver);
		free($self);
	}
	park_result post(PyObject *item) {
		return park_py_post($self->posts, item);
	}
	/* 1 when the driver has a new base, 0 when not; forked: the first
	 * reinit in this process, where the parent's doorbells never ring. */
	park_result reinit(bool forked) {
		int r = park_binding_reinit($self->driver);
		if (r >= 0 && forked)
			park_py_posts_forget_bells($self->posts);
		return r;
	}
}

/* ---- parkers: parks in nanoseconds, counters, spin ------------------------ */
%extend Parker {
	Parker(Driver *driver) { return park_py_parker_new(driver); }
	~Parker() { park_py_parker_free($self); }
	Parker *clone() { return park_py_parker_clone($self); }
	/* Raises what a callback or a signal handler raised. */
	park_result park(int64_t ns, bool main) {
		return park_py_park($self, ns, main);
	}
	park_result park_until(int64_t deadline_ns, bool main) {
		return park_py_park_until($self, deadline_ns, main);
	}
	/* The counters, as a tuple in park.Stats's order. */
	struct park_stats counters() { return park_py_counters($self); }
	park_result set_spin(int64_t ns) { return park_py_set_spin($self, ns); }
	int64_t spin() { return $self->spin_ns; }
	/* park.Parker.close: leave the idle set, if any. */
	void forget_idle() { park_py_idle_forget($self); }
}

/* ---- idle sets ------------------------------------------------------------ */
typedef struct {} IdleSet;
PARK_RAISE_ON_NULL(IdleSet::IdleSet)
%extend IdleSet {
	IdleSet(Driver *driver) { return park_py_idle_new(driver); }
	~IdleSet() { park_py_idle_free($self); }
	park_result join(Parker *p) { return park_py_idle_join($self, p); }
	park_result leave(Parker *p) { return park_py_idle_leave($self, p); }
	park_result park(Parker *p, int64_t ns, bool main) {
		return park_py_idle_park($self, p, ns, main);
	}
	park_result unpark_one() { return park_idle_unpark_one($self->set); }
	park_result unpark_all() { return park_idle_unpark_all($self->set); }
	park_result count() { return park_idle_count($self->set); }
	park_result notify() { return park_idle_notify($self->set); }
	park_result searching() { return park_idle_searching($self->set); }
	park_result stop_searching(Parker *p) {
		return park_idle_stop_searching($self->set, p->parker);
	}
}

/* ---- events --------------------------------------------------------------- */
typedef struct {} Event;
PARK_RAISE_ON_NULL(Event::Event)
%extend Event {
	Event(Driver *driver, int fd, int what, PyObject *target, PyObject *fire) {
		return park_py_event_new(driver, fd, what, target, fire);
	}
	~Event() { park_py_event_free($self); }
	/* interval_ns < 0: none. OSError when the backend refuses the fd. */
	park_result add(int64_t interval_ns) {
		return park_py_event_add($self, interval_ns);
	}
	/* After cancel() the event never fires again. Idempotent. */
	void cancel() { park_py_event_cancel($self); }
	void abandon() { park_py_event_abandon($self); }
}

/* ---- park.Executor's pool ------------------------------------------------ */
typedef struct {} Pool;
PARK_RAISE_ON_NULL(Pool::Pool)
%extend Pool {
	Pool(Driver *driver, unsigned workers, PyObject *run, PyObject *cancel,
	     PyObject *init) {
		return park_py_pool_new(driver, workers, run, cancel, init);
	}
	~Pool() { park_py_pool_drop($self); }
	park_result submit(PyObject *item) {
		return park_py_pool_submit($self, item);
	}
	/* 0: the workers left; 1: on a worker, which does not wait; 2: not
	 * yet (wait false). */
	park_result shutdown(bool cancel, bool wait) {
		return park_py_pool_shutdown($self, cancel, wait);
	}
}

%{
/* Reports exc, raised by a callback that ran outside any park, as Python
 * reports an exception from __del__. */
static PyObject *park_py_unraisable(PyObject *self, PyObject *args)
{
	PyObject *exc, *where;
	(void)self;
	if (!PyArg_ParseTuple(args, "O!O", PyExc_BaseException, &exc, &where))
		return NULL;
	Py_INCREF(exc);
	Py_INCREF(Py_TYPE(exc));
	PyErr_Restore((PyObject *)Py_TYPE(exc), exc, PyException_GetTraceback(exc));
	PyErr_WriteUnraisable(where);
	Py_RETURN_NONE;
}

/* Tests only: the main thread's slice, in ns (> 0). */
static void park_py_set_slice(int64_t ns) { park_py_slice_ns = ns; }
%}
%native(unraisable) PyObject *park_py_unraisable(PyObject *self, PyObject *args);
%rename(_set_slice_ns) park_py_set_slice;
void park_py_set_slice(int64_t ns);

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
#ifdef Py_GIL_DISABLED
	/* Not safe without the GIL: the parkers' counters, the idle sets'
	 * lists and the post queues rely on it. */
	PyUnstable_Module_SetGIL(m, Py_MOD_GIL_USED);
#endif
%}
