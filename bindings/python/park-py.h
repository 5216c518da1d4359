/*
 * The C half of the Python extension park._core, which bindings/
 * park-python.i wraps: parks and their slices (park.c), events on a driver
 * (events.c), functions posted to the loop thread (posts.c), idle sets
 * (idle.c) and park.Executor's worker pool (pool.c). python/park/__init__.py
 * checks every argument; these trust what they are given. Everything here runs with the GIL, except where a park or
 * an event's add or delete releases it. Failures are negative errnos or
 * park.i's PARK_BINDING_* codes, which the wrapper raises.
 */
#ifndef PARK_PY_H
#define PARK_PY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "libpark.h"

/* park.i's codes, which a file here may return. */
#include "park-codes.h"

struct park_py_posts;
typedef struct park_py_idle IdleSet;

/* Frees p, a half-made object, and fails with err: NULL with errno. */
static inline void *park_py_fail(void *p, int err)
{
	free(p);
	errno = err;
	return NULL;
}

/* core.Driver: the handle and its queue of posted functions. */
typedef struct park_py_driver {
	park_driver *driver;
	struct park_py_posts *posts;
} Driver;

/* core.Parker: the handle, and what the binding keeps with it. */
typedef struct park_py_parker {
	park_parker *parker;
	/* What the hidden slices of main-thread parks and the parks that
	 * raised added to libpark's counters (subtracted when read); the
	 * counters as they were when the park in progress started. */
	struct park_stats hidden, before;
	bool frozen;
	/* The spin budget the script set, in ns (a sliced park narrows
	 * libpark's copy). */
	int64_t spin_ns;
	/* The idle set it joined and has not left, and the set's list. */
	IdleSet *idle;
	struct park_py_parker *idle_prev, *idle_next;
} Parker;

/* True while the interpreter is finalizing: a daemon thread that wakes in
 * a callback then exits inside it, so nothing may wait for a callback. */
static inline int park_py_finalizing(void)
{
#if PY_VERSION_HEX >= 0x030D0000
	return Py_IsFinalizing();
#else
	return _Py_IsFinalizing();
#endif
}

/* --- park.c ---------------------------------------------------------------- */

/* The park a thread is in, innermost first: a callback run by the loop
 * hands its exception to it, and marks that it ran. */
struct park_py_frame {
	Parker *parker;
	bool ran;
	PyObject *type, *value, *traceback;
	struct park_py_frame *outer;
};
extern _Thread_local struct park_py_frame *park_py_frame_now;

/* The frame of this thread's park on driver d, or NULL. */
struct park_py_frame *park_py_frame_of(const park_driver *d);
/* With an exception set by a callback that ran in d's loop: hand it to
 * this thread's park (which ends), or report it as unraisable. */
void park_py_frame_catch(park_driver *d, PyObject *where);

Parker *park_py_parker_new(Driver *d);
Parker *park_py_parker_clone(Parker *pk);
void park_py_parker_free(Parker *pk);
int park_py_set_spin(Parker *pk, int64_t ns);
/* The counters a script sees (see park_py_parker's hidden). */
struct park_stats park_py_counters(Parker *pk);
/* ns < 0: until woken; 0: poll; > 0: timeout. main: this thread runs the
 * signal handlers, so a long park is made of slices. */
int park_py_park(Parker *pk, int64_t ns, bool main);
/* deadline_ns: CLOCK_MONOTONIC nanoseconds, >= 0. */
int park_py_park_until(Parker *pk, int64_t deadline_ns, bool main);
/* The slice of a main-thread park, in ns (tests shorten it). */
extern int64_t park_py_slice_ns;

/* --- events.c ------------------------------------------------------------- */

typedef struct park_py_event Event;
/* fd: a descriptor, a signal number (EV_SIGNAL) or -1; what: libevent's
 * flags; fire(target) runs when it fires, target borrowed (the caller keeps
 * it while the event is added). NULL with errno. */
Event *park_py_event_new(Driver *d, int fd, int what, PyObject *target,
			 PyObject *fire);
void park_py_event_free(Event *e);
int park_py_event_add(Event *e, int64_t interval_ns);
void park_py_event_cancel(Event *e);
void park_py_event_abandon(Event *e);

/* --- posts.c -------------------------------------------------------------- */

/* queue: the deque of (fn, args) the Python Driver owns (the garbage
 * collector must see it), referred to weakly. NULL with errno. */
struct park_py_posts *park_py_posts_new(park_driver *d, PyObject *queue);
/* The Driver's reference; doorbells in flight keep theirs. */
void park_py_posts_drop(struct park_py_posts *posts);
/* Rings a doorbell, then queues item: 0 or a negative errno. */
int park_py_post(struct park_py_posts *posts, PyObject *item);
/* In a forked child: the parent's doorbells never ring here. */
void park_py_posts_forget_bells(struct park_py_posts *posts);

/* --- idle.c --------------------------------------------------------------- */

struct park_py_idle {
	park_idle *set;
	Parker *members;
};

IdleSet *park_py_idle_new(Driver *d);
void park_py_idle_free(IdleSet *s);
int park_py_idle_join(IdleSet *s, Parker *pk);
/* 1 if pk was still idle, 0 if an unpark took it. */
int park_py_idle_leave(IdleSet *s, Parker *pk);
int park_py_idle_park(IdleSet *s, Parker *pk, int64_t ns, bool main);
/* Leaves whatever set pk is in; keeps a pending exception. */
void park_py_idle_forget(Parker *pk);

/* --- pool.c --------------------------------------------------------------- */

typedef struct park_py_pool Pool;
/* workers threads on d's driver, each calling init(index) as it starts
 * (None: nothing; index 0 to workers - 1). An item (a tuple) runs as run(*item) on a worker; one a
 * shutdown takes back goes to cancel(*item). NULL with errno; an init
 * that raised: its exception set, errno -PARK_BINDING_ERROR_SET. */
Pool *park_py_pool_new(Driver *d, unsigned workers, PyObject *run,
		       PyObject *cancel, PyObject *init);
/* The Python object goes: the items queued still run, then the workers
 * leave; nothing waits. */
void park_py_pool_drop(Pool *p);
/* Queues item: 0, -ESHUTDOWN once shut down, or a negative errno. */
int park_py_pool_submit(Pool *p, PyObject *item);
/* Refuses new items, cancels those not taken if cancel says so, and if
 * wait says so waits for the workers to leave (in slices, checking for
 * signals between them): 0 once they have left, 1 on a worker of the pool
 * (which cannot wait for itself and does not), 2 when they have not and
 * wait said not to. */
int park_py_pool_shutdown(Pool *p, bool cancel, bool wait);

#endif
