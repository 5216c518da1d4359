/*
 * Parks and their slices. A park releases the GIL; a driver callback that
 * runs inside it takes the GIL, and an exception it raises is kept in the
 * park's frame and raised from park() once it returns. Such a park is not
 * counted, and a token it took waits for the next park.
 *
 * Python runs signal handlers in the main thread only, between bytecodes, so
 * the main thread parks in slices and checks for signals after each slice
 * that timed out. libpark counts every slice; the hidden ones are taken out
 * again (measured, not assumed), so that the stats count one park with the
 * park's result, as libpark would. A slice that ran a callback ends the
 * park, whatever libpark says about its own short timeout. A park spins
 * once, at its start: the slices after the first get what is left of the
 * budget the park started with.
 */
#include "config.h"

#include <event2/event.h>
#include <time.h>

#include "park-py.h"

_Thread_local struct park_py_frame *park_py_frame_now;

/* Long enough to cost nothing, short enough for Ctrl-C. */
int64_t park_py_slice_ns = 50000000;

struct park_py_frame *park_py_frame_of(const park_driver *d)
{
	struct park_py_frame *f = park_py_frame_now;
	return f && park_parker_get_driver(f->parker->parker) == d ? f : NULL;
}

void park_py_frame_catch(park_driver *d, PyObject *where)
{
	struct park_py_frame *f = park_py_frame_of(d);
	if (!f || f->type) {
		/* Not in a Python park (the driver is being freed, or a C
		 * program ran the loop), or the park has one already. */
		PyErr_WriteUnraisable(where);
		return;
	}
	PyErr_Fetch(&f->type, &f->value, &f->traceback);
	event_base_loopbreak(park_driver_get_base(d));
}

static struct park_stats raw_stats(park_parker *p)
{
	struct park_stats s = {.size = sizeof s};
	park_parker_get_stats(p, &s);
	return s;
}

/* to += a - b, field by field. */
static void add_delta(struct park_stats *to, const struct park_stats *a,
		      const struct park_stats *b)
{
	to->parks_driver += a->parks_driver - b->parks_driver;
	to->parks_sleeper += a->parks_sleeper - b->parks_sleeper;
	to->tokens += a->tokens - b->tokens;
	to->timeouts += a->timeouts - b->timeouts;
	to->spurious += a->spurious - b->spurious;
	to->parks_spin += a->parks_spin - b->parks_spin;
}

struct park_stats park_py_counters(Parker *pk)
{
	struct park_stats raw, s = {.size = 0};
	if (pk->frozen)
		return pk->before;
	raw = raw_stats(pk->parker);
	add_delta(&s, &raw, &pk->hidden);
	return s;
}

static struct timespec timespec_of(int64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000),
			      .tv_nsec = (long)(ns % 1000000000)};
	return ts;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One libpark park: until deadline if not NULL, else for ns (< 0: until
 * woken). *ran says whether a callback ran in it. */
static int wait_once(Parker *pk, int64_t ns, const struct timespec *deadline,
		     bool *ran)
{
	struct park_py_frame frame = {.parker = pk, .outer = park_py_frame_now};
	park_parker *p = pk->parker;
	struct park_stats pre = raw_stats(p), post;
	int r;
	park_py_frame_now = &frame;
	Py_BEGIN_ALLOW_THREADS
	if (deadline)
		r = park_parker_park_until(p, deadline);
	else
		r = ns < 0 ? park_parker_park(p) : park_parker_park_timeout(p, ns);
	Py_END_ALLOW_THREADS
	park_py_frame_now = frame.outer;
	*ran = frame.ran;
	/* Busy because this very thread parks on it further out. */
	for (struct park_py_frame *f = frame.outer; r == -EBUSY && f; f = f->outer)
		if (f->parker == pk)
			r = -EDEADLK;
	if (!frame.type)
		return r;
	if (r >= 0 && PARK_REASON(r) == PARK_TOKEN) {
		park_unparker *u = park_unparker_new(p);
		if (u) {
			park_unparker_unpark(u);
			park_unparker_unref(u);
		}
	}
	post = raw_stats(p);
	add_delta(&pk->hidden, &post, &pre);
	PyErr_Restore(frame.type, frame.value, frame.traceback);
	return PARK_BINDING_ERROR_SET;
}

/* What the hidden slices of one park did: whether any ran the driver, and
 * how the last one parked (its counter: parks_sleeper or parks_spin). */
struct slices {
	bool ran_driver;
	uint64_t *kind;
};

/* One slice, to end; last: it ends where the park must. Sets *hidden when
 * the park goes on; else the result is the park's, counted as libpark
 * would count one park with it. */
static int slice(Parker *pk, const struct timespec *end, bool last,
		 struct slices *st, bool *hidden)
{
	struct park_stats pre = raw_stats(pk->parker), post, d = {.size = 0};
	bool ran;
	int r = wait_once(pk, -1, end, &ran);
	*hidden = r >= 0 && !last && PARK_REASON(r) == PARK_TIMED_OUT && !ran;
	if (r < 0)
		return r;
	post = raw_stats(pk->parker);
	add_delta(&d, &post, &pre);
	if (*hidden) {
		add_delta(&pk->hidden, &post, &pre);
		st->ran_driver |= (r & PARK_DRIVER) != 0;
		if (d.parks_spin || d.parks_sleeper)
			st->kind = d.parks_spin ? &pk->hidden.parks_spin
						: &pk->hidden.parks_sleeper;
		return r;
	}
	if (!last && PARK_REASON(r) == PARK_TIMED_OUT) {
		/* A callback ran as the slice timed out: the park's events. */
		pk->hidden.timeouts++;
		pk->hidden.spurious--;
		r = (r & PARK_DRIVER) | PARK_EVENTS;
	}
	if (st->ran_driver && !(r & PARK_DRIVER)) {
		/* A driver park, as libpark counts a DRIVER result (one hidden
		 * one shows again), not a sleeper or spin one. */
		pk->hidden.parks_driver--;
		pk->hidden.parks_sleeper += d.parks_sleeper;
		pk->hidden.parks_spin += d.parks_spin;
		r |= PARK_DRIVER;
	} else if (!d.parks_driver && !d.parks_sleeper && !d.parks_spin &&
		   st->kind) {
		/* The last slice's deadline had passed as it began: the park
		 * ended as the slice before it slept (or spun). */
		(*st->kind)--;
	}
	return r;
}

/* A main-thread park in slices until end_ns (< 0: until woken), with a look
 * for signals after each hidden slice. */
static int sliced(Parker *pk, int64_t end_ns)
{
	int64_t start = now_ns(), budget = pk->spin_ns;
	struct slices st = {.ran_driver = false};
	bool hidden;
	int r;
	pk->before = park_py_counters(pk);
	pk->frozen = true;
	for (;;) {
		int64_t slice_end = now_ns() + park_py_slice_ns;
		bool last = end_ns >= 0 && slice_end >= end_ns;
		struct timespec end = timespec_of(last ? end_ns : slice_end);
		r = slice(pk, &end, last, &st, &hidden);
		if (!hidden)
			break;
		if (PyErr_CheckSignals() < 0) {
			r = PARK_BINDING_ERROR_SET;
			break;
		}
		int64_t left = budget - (now_ns() - start);
		park_parker_set_spin(pk->parker, left > 0 ? left : 0);
	}
	pk->frozen = false;
	/* The script's budget, which another thread may have changed. */
	park_parker_set_spin(pk->parker, pk->spin_ns);
	return r;
}

int park_py_park(Parker *pk, int64_t ns, bool main)
{
	bool ran;
	if (!main || (ns >= 0 && ns <= park_py_slice_ns))
		return wait_once(pk, ns, NULL, &ran);
	return sliced(pk, ns < 0 ? -1 : now_ns() + ns);
}

int park_py_park_until(Parker *pk, int64_t deadline_ns, bool main)
{
	bool ran;
	if (!main || deadline_ns - now_ns() <= park_py_slice_ns) {
		struct timespec ts = timespec_of(deadline_ns);
		return wait_once(pk, -1, &ts, &ran);
	}
	return sliced(pk, deadline_ns);
}

int park_py_set_spin(Parker *pk, int64_t ns)
{
	int r = park_parker_set_spin(pk->parker, ns);
	if (r == 0)
		pk->spin_ns = ns;
	return r;
}

/* p: a new parker, or NULL with errno. */
static Parker *wrap(park_parker *p)
{
	Parker *pk = p ? calloc(1, sizeof *pk) : NULL;
	if (pk)
		pk->parker = p;
	else if (p) {
		park_parker_unref(p);
		errno = ENOMEM;
	}
	return pk;
}

Parker *park_py_parker_new(Driver *d)
{
	return wrap(park_parker_new(d->driver));
}

Parker *park_py_parker_clone(Parker *pk)
{
	Parker *twin = wrap(park_parker_clone(pk->parker));
	/* The script's budget: libpark's copy may be a sliced park's rest. */
	if (twin)
		park_py_set_spin(twin, pk->spin_ns);
	return twin;
}

/* A parker that goes leaves its set: nobody can park on it any more, and a
 * wake sent to it would be lost. */
void park_py_parker_free(Parker *pk)
{
	park_py_idle_forget(pk);
	/* Last: the final reference may free the driver, which runs what was
	 * posted to it (Python code). */
	park_parker_unref(pk->parker);
	free(pk);
}
