/*
 * The Python module park._core: the typemaps and C glue for Python, then
 * the shared interface (park.i). Errors become exceptions; a park releases
 * the GIL; the main thread parks in slices so that Ctrl-C is seen.
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

/* A timeout or deadline: a number of seconds, or None for "no timeout". */
%typemap(in) double timeout, double deadline {
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
}

%include "park.i"

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

/* ---- the GIL and Ctrl-C -------------------------------------------------- */

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

static int park_binding_park(park_parker *p, int64_t ns)
{
	if (ns == 0)
		return park_py_park_once(p, 0, NULL);
	if (ns < 0)
		return park_py_park(p, NULL);
	/* Past a century is "no deadline" for libpark too. */
	if (ns >= 3153600000LL * 1000000000LL)
		return park_py_park(p, NULL);
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	park_py_add_ns(&deadline, ns);
	return park_py_park(p, &deadline);
}

static int park_binding_park_until(park_parker *p,
				   const struct timespec *deadline)
{
	return park_py_park(p, deadline);
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
