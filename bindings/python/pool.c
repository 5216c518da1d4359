/*
 * park.Executor's engine: a park_pool whose workers run Python items.
 *
 * The items wait here, in a ring of tuples under the GIL, not in the C
 * pool's queue: a C job is only a wake-up ("drain"), which takes the GIL
 * once and runs run(*item) for item after item while the ring has any.
 * A worker that released the GIL after every item would hand it to the
 * submitting thread and wait for it back (a switch interval) per item.
 *
 * Exactly once: an item leaves the ring once, under the GIL, to a drainer
 * (which runs it) or to a shutdown that cancels (cancel(*item)). The ring
 * is never left non-empty without a drainer to come: a submission wakes a
 * worker unless a wake-up is queued already or every worker is inside an
 * item (each will look at the ring again), and a drainer stops only when
 * it found the ring empty, with no Python code between the look and the
 * stop. Every counter below changes under the GIL.
 *
 * Each worker registers with the interpreter once, in on_start, and keeps
 * its thread state (driver callbacks run there find it too). The last of
 * the Python object and the workers' on_stop frees the pool: dropping the
 * object never waits, whatever thread drops it (a worker cannot wait for
 * itself, and at interpreter exit a worker cannot take the GIL).
 */
#include "config.h"

#include <time.h>

#include "park-py.h"

struct park_py_pool {
	park_pool *pool;
	park_driver *driver; /* the pool's reference keeps it */
	PyObject *run, *cancel;
	/* init(index), called on each worker as it starts (or NULL); the
	 * first exception it raised, for the thread that makes the pool. */
	PyObject *init, *init_error;
	/* Items not taken yet, oldest first. */
	PyObject **ring;
	size_t head, len, cap;
	unsigned workers;
	unsigned wakes;	  /* drain jobs queued, not yet started */
	unsigned busy;	  /* drainers inside an item */
	unsigned stopped; /* workers whose on_stop ran */
	bool closed;	  /* shut down: no more items */
	bool dropped;	  /* the Python object is gone */
};

/* A worker's thread state, kept from on_start to on_stop, and a parker of
 * its own on the driver, for the polls of a long drain (the pool's parker
 * for this thread is the pool's). */
static _Thread_local PyThreadState *worker_state;
static _Thread_local PyGILState_STATE worker_gil;
static _Thread_local park_parker *worker_parker;

/* A drainer with items left serves the driver's loop this often between
 * them, as the C pool does between its jobs (poll_ns), so that callbacks
 * are served while the ring keeps the worker busy, a shutdown's drain
 * included. */
#define DRAIN_SLICE_NS 1000000

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int ring_push(Pool *p, PyObject *item)
{
	if (p->len == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		PyObject **ring = malloc(cap * sizeof *ring);
		if (!ring)
			return -ENOMEM;
		for (size_t i = 0; i < p->len; i++)
			ring[i] = p->ring[(p->head + i) % p->cap];
		free(p->ring);
		p->ring = ring;
		p->head = 0;
		p->cap = cap;
	}
	Py_INCREF(item);
	p->ring[(p->head + p->len++) % p->cap] = item;
	return 0;
}

/* The oldest item (the ring's reference), or NULL. */
static PyObject *ring_pop(Pool *p)
{
	if (p->len == 0)
		return NULL;
	PyObject *item = p->ring[p->head];
	p->head = (p->head + 1) % p->cap;
	p->len--;
	return item;
}

static void drain(void *arg);

/* fn(*item), GIL held; an exception is reported, not lost. */
static void call_item(PyObject *fn, PyObject *item)
{
	PyObject *r = PyObject_Call(fn, item, NULL);
	if (r)
		Py_DECREF(r);
	else
		PyErr_WriteUnraisable(fn);
	Py_DECREF(item);
}

/* Wakes a worker unless one is coming or all are inside items. */
static int wake(Pool *p)
{
	if (p->wakes > 0 || p->busy >= p->workers)
		return 0;
	int r = park_pool_submit(p->pool, drain, p);
	if (r == 0)
		p->wakes++;
	return r;
}

static void drain(void *arg)
{
	Pool *p = arg;
	PyEval_RestoreThread(worker_state);
	p->wakes--;
	int64_t until = now_ns() + DRAIN_SLICE_NS;
	PyObject *item;
	while ((item = ring_pop(p))) {
		p->busy++;
		/* Work left: another worker, as long as one is free. */
		if (p->len > 0)
			(void)wake(p);
		call_item(p->run, item);
		p->busy--;
		if (p->len > 0 && now_ns() >= until) {
			worker_state = PyEval_SaveThread();
			park_parker_park_timeout(worker_parker, 0);
			PyEval_RestoreThread(worker_state);
			until = now_ns() + DRAIN_SLICE_NS;
		}
	}
	worker_state = PyEval_SaveThread();
}

static void pool_free(Pool *p)
{
	PyObject *item;
	park_pool_unref(p->pool);
	while ((item = ring_pop(p)))
		Py_DECREF(item);
	free(p->ring);
	Py_XDECREF(p->init);
	Py_DECREF(p->run);
	Py_DECREF(p->cancel);
	free(p);
}

static int on_start(void *user, unsigned index)
{
	Pool *p = user;
	if (park_py_finalizing())
		return -ESHUTDOWN;
	if (!(worker_parker = park_parker_new(p->driver)))
		return -errno;
	PyGILState_STATE gil = PyGILState_Ensure();
	PyObject *r = Py_None, *i = NULL;
	if (p->init) {
		i = PyLong_FromUnsignedLong(index);
		r = i ? PyObject_CallFunctionObjArgs(p->init, i, NULL) : NULL;
		Py_XDECREF(i);
	}
	if (!r) {
		PyObject *type, *value, *traceback;
		PyErr_Fetch(&type, &value, &traceback);
		PyErr_NormalizeException(&type, &value, &traceback);
		if (value && traceback)
			PyException_SetTraceback(value, traceback);
		if (!p->init_error && value) {
			Py_INCREF(value);
			p->init_error = value;
		}
		Py_XDECREF(type);
		Py_XDECREF(value);
		Py_XDECREF(traceback);
		PyGILState_Release(gil);
		park_parker_unref(worker_parker);
		return -ECANCELED;
	}
	if (p->init)
		Py_DECREF(r);
	worker_gil = gil;
	worker_state = PyEval_SaveThread();
	return 0;
}

static void on_stop(void *user, unsigned index)
{
	Pool *p = user;
	(void)index;
	park_parker_unref(worker_parker);
	/* A thread that takes the GIL now never returns. */
	if (park_py_finalizing())
		return;
	PyEval_RestoreThread(worker_state);
	if (++p->stopped == p->workers && p->dropped && p->pool)
		pool_free(p);
	PyGILState_Release(worker_gil);
}

/* A wake-up not started, handed back with the GIL held (below). */
static void on_cancel(void *user, park_job_fn *fn, void *arg)
{
	Pool *p = user;
	(void)fn;
	(void)arg;
	p->wakes--;
}

/* The first exception of the start hooks, raised here; or errno's. */
static Pool *start_failed(Pool *p, int err)
{
	if (p->init_error) {
		PyErr_SetObject((PyObject *)Py_TYPE(p->init_error), p->init_error);
		Py_DECREF(p->init_error);
		err = -PARK_BINDING_ERROR_SET;
	}
	Py_XDECREF(p->init);
	return park_py_fail(p, err);
}

Pool *park_py_pool_new(Driver *d, unsigned workers, PyObject *run,
		       PyObject *cancel, PyObject *init)
{
	Pool *p = calloc(1, sizeof *p);
	if (!p)
		return park_py_fail(NULL, ENOMEM);
	struct park_pool_options o = {
	    .size = sizeof o,
	    .workers = workers,
	    .driver = d->driver,
	    .on_start = on_start,
	    .on_stop = on_stop,
	    .on_cancel = on_cancel,
	    .user = p,
	};
	park_pool *pool;
	int err;
	p->workers = workers;
	p->driver = d->driver;
	if (init != Py_None) {
		Py_INCREF(init);
		p->init = init;
	}
	/* The workers' start hooks take the GIL. */
	Py_BEGIN_ALLOW_THREADS
	pool = park_pool_new(&o);
	err = errno;
	Py_END_ALLOW_THREADS
	if (!pool)
		return start_failed(p, err);
	Py_INCREF(run);
	Py_INCREF(cancel);
	p->run = run;
	p->cancel = cancel;
	p->pool = pool;
	return p;
}

void park_py_pool_drop(Pool *p)
{
	p->dropped = p->closed = true;
	/* Stops the workers once the ring is empty, without waiting. */
	int r = park_pool_shutdown(p->pool, PARK_POOL_DRAIN, 0);
	if (r == -ECHILD || p->stopped == p->workers)
		pool_free(p);
}

int park_py_pool_submit(Pool *p, PyObject *item)
{
	if (p->closed)
		return -ESHUTDOWN;
	int r = ring_push(p, item);
	if (r == 0 && (r = wake(p)) < 0)
		Py_DECREF(p->ring[(p->head + --p->len) % p->cap]);
	return r;
}

/* Hands every item not taken to cancel(*item), oldest first. */
static void cancel_all(Pool *p)
{
	PyObject *item;
	while ((item = ring_pop(p)))
		call_item(p->cancel, item);
}

int park_py_pool_shutdown(Pool *p, bool cancel, bool wait)
{
	int r;
	p->closed = true;
	if (cancel) {
		cancel_all(p);
		/* Hands the wake-ups back here, with the GIL (on_cancel),
		 * without waiting; the loop below waits. */
		r = park_pool_shutdown(p->pool, PARK_POOL_CANCEL, 0);
		if (r != -ETIMEDOUT && r != -EINPROGRESS && r != 0)
			return r;
	}
	for (;;) {
		Py_BEGIN_ALLOW_THREADS
		r = park_pool_shutdown(p->pool, PARK_POOL_DRAIN,
				       wait ? park_py_slice_ns : 0);
		Py_END_ALLOW_THREADS
		if (r == -EINPROGRESS)
			return 1;
		if (r != -ETIMEDOUT)
			return r;
		if (!wait)
			return 2;
		if (PyErr_CheckSignals() < 0)
			return PARK_BINDING_ERROR_SET;
	}
}
