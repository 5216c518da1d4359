/*
 * Functions posted to the loop thread (park.Driver.call_soon_threadsafe).
 * A post appends (fn, args) to the Driver's queue and rings a doorbell
 * with park_driver_post(). The doorbell runs on the loop thread, inside the
 * park that runs the loop, and runs what was queued when it started.
 *
 * The queue is a deque that the Python Driver owns, so that the garbage
 * collector sees it (a function that refers to its driver is an ordinary
 * cycle); the doorbells reach it through a weak reference: what is still
 * queued when the Driver goes is the Driver's business (its __del__ runs
 * it, or drops it at interpreter shutdown). The deque is used through the
 * sequence protocol only.
 *
 * An exception ends the park as a callback's does; the functions behind it
 * stay queued, as do those whose doorbell rings after it in the same loop
 * iteration, and run in order in the next park: the last doorbell in
 * flight rings again when anything is left. All of it with the GIL held
 * and no Python code between posting, ringing and counting.
 */
#include "config.h"

#include "park-py.h"

struct park_py_posts {
	/* The Driver's, and one per doorbell in flight. */
	long refs;
	long bells;
	park_driver *driver;
	PyObject *queue; /* a weak reference */
};

struct park_py_posts *park_py_posts_new(park_driver *d, PyObject *queue)
{
	struct park_py_posts *posts = calloc(1, sizeof *posts);
	if (!posts)
		return park_py_fail(NULL, ENOMEM);
	posts->queue = PyWeakref_NewRef(queue, NULL);
	if (!posts->queue) {
		PyErr_Clear();
		return park_py_fail(posts, EINVAL);
	}
	posts->refs = 1;
	posts->driver = d;
	return posts;
}

void park_py_posts_drop(struct park_py_posts *posts)
{
	if (--posts->refs > 0)
		return;
	Py_DECREF(posts->queue);
	free(posts);
}

void park_py_posts_forget_bells(struct park_py_posts *posts)
{
	/* Their references stay taken: a child's small leak, never a free
	 * under a doorbell. */
	posts->bells = 0;
}

/* The deque, as a new reference, or NULL when it is gone. */
static PyObject *queue_of(struct park_py_posts *posts)
{
#if PY_VERSION_HEX >= 0x030D0000
	PyObject *queue = NULL;
	if (PyWeakref_GetRef(posts->queue, &queue) < 0)
		PyErr_Clear();
	return queue;
#else
	PyObject *queue = PyWeakref_GetObject(posts->queue);
	if (!queue || queue == Py_None)
		return NULL;
	Py_INCREF(queue);
	return queue;
#endif
}

static void on_bell(void *arg);

static int ring(struct park_py_posts *posts)
{
	int r = park_driver_post(posts->driver, on_bell, posts);
	if (r == 0) {
		posts->bells++;
		posts->refs++;
	}
	return r;
}

/* Runs the first n functions of queue, until one raises. */
static void run(struct park_py_posts *posts, PyObject *queue, Py_ssize_t n)
{
	struct park_py_frame *frame = park_py_frame_of(posts->driver);
	if (frame)
		frame->ran = true;
	while (n-- > 0) {
		PyObject *item = PySequence_GetItem(queue, 0);
		if (!item || PySequence_DelItem(queue, 0) < 0) {
			Py_XDECREF(item);
			PyErr_WriteUnraisable(queue);
			return;
		}
		PyObject *fn = PyTuple_GET_ITEM(item, 0);
		PyObject *r = PyObject_Call(fn, PyTuple_GET_ITEM(item, 1), NULL);
		if (!r) {
			park_py_frame_catch(posts->driver, fn);
			Py_DECREF(item);
			return;
		}
		Py_DECREF(r);
		Py_DECREF(item);
	}
}

static void on_bell(void *arg)
{
	struct park_py_posts *posts = arg;
	if (!Py_IsInitialized())
		return; /* after the interpreter: nothing can run or go */
	PyGILState_STATE gil = PyGILState_Ensure();
	struct park_py_frame *frame = park_py_frame_of(posts->driver);
	PyObject *queue = park_py_finalizing() ? NULL : queue_of(posts);
	posts->bells--;
	/* Not when an earlier callback of this park raised: the park ends. */
	if (queue && !(frame && frame->type))
		run(posts, queue, PySequence_Size(queue));
	/* Counted after the run: its functions may have posted. Refused
	 * after shutdown: what is left runs when the Driver goes. */
	if (queue && posts->bells == 0 && PySequence_Size(queue) > 0)
		ring(posts);
	Py_XDECREF(queue);
	park_py_posts_drop(posts);
	PyGILState_Release(gil);
}

int park_py_post(struct park_py_posts *posts, PyObject *item)
{
	PyObject *queue = queue_of(posts);
	if (!queue)
		return -EINVAL;
	int r = ring(posts);
	if (r == 0) {
		PyObject *one = PyTuple_Pack(1, item);
		PyObject *grown = one ? PySequence_InPlaceConcat(queue, one) : NULL;
		Py_XDECREF(one);
		Py_XDECREF(grown);
		if (!grown)
			r = PARK_BINDING_ERROR_SET;
	}
	Py_DECREF(queue);
	return r;
}
