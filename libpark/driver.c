/*
 * The driver: one libevent base shared by every parker made from it, a wake
 * channel that makes the loop return, a timer for timed parks, and the
 * try-lock that decides which idle thread sleeps in the loop.
 *
 * libpark never asks libevent to be thread-safe: the only things another
 * thread does to a driver are writing the wake channel (unpark, shutdown,
 * wake, post) and flipping atomics. The base itself is touched only by the
 * lock holder.
 */
#include "config.h"

#include "park-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#ifdef PARK_WAKE_EVENTFD
#include <sys/eventfd.h>
#endif

struct park_driver {
	_Atomic uint32_t refs;
	_Atomic bool locked;
	_Atomic bool shut_down;
	/* A park_driver_wake() that no blocking driver park has answered
	 * yet. The wake channel alone cannot hold it: a poll that runs the
	 * loop would consume the channel's edge (issue 21, item 3). */
	_Atomic bool wake_pending;
	/* Set by the lock holder while it polls: a poll leaves wake_pending
	 * for the next blocking park. */
	bool polling;
	/* The wake channel (configure --with-wake): an eventfd, whose read
	 * end doubles as the write end, or a pipe. */
	int wake_read_fd;
	int wake_write_fd;
	/* Edge-triggered wake event (epoll): nothing to drain, the loop
	 * sleeps again once the edge is consumed. Level-triggered backends
	 * (poll, select) must drain, or every later loop returns at once. */
	bool wake_needs_drain;
	bool owns_base;
	/* Set by the timer callback; read by the lock holder. */
	bool timer_fired;
	/* Functions posted to the loop thread (post.c). */
	struct park_post_queue posts;
	/* The fork generation whose kernel objects (base, wake channel) this
	 * driver uses: where it was made or last reinitialised. */
	unsigned generation;
	struct event_base *base;
	struct event *wake_event;
	struct event *timer_event;
	/* Owned bases that park_driver_reinit() replaced; freed with the
	 * driver, so events the application left on them stay valid. */
	struct retired_base *retired;
};

struct retired_base {
	struct event_base *base;
	struct retired_base *next;
};

/* The loops this thread is running, innermost first: a callback of one
 * driver may run another's loop, and returning restores the outer one.
 * Each link lives on the stack of run_loop(). */
struct running_loop {
	const park_driver *driver;
	const struct running_loop *outer;
};
static _Thread_local const struct running_loop *running_loops;

/*
 * fork(). A child shares its parent's kernel objects: the epoll set behind
 * the base, the wake channel. A pthread_atfork child handler bumps a
 * process-wide generation, and a driver from an older generation refuses
 * everything that would touch those objects (-ECHILD) until
 * park_driver_reinit(). Only slow paths compare: the token fast path and
 * unpark's swap never do.
 */
static _Atomic unsigned fork_generation;
static pthread_once_t fork_hook_once = PTHREAD_ONCE_INIT;
static int fork_hook_error;

static void fork_child(void)
{
	/* Only the forking thread exists here. */
	atomic_fetch_add_explicit(&fork_generation, 1, memory_order_relaxed);
}

static void fork_hook_install(void)
{
	fork_hook_error = pthread_atfork(NULL, NULL, fork_child);
}

unsigned park__fork_generation(void)
{
	return atomic_load_explicit(&fork_generation, memory_order_relaxed);
}

bool park__driver_forked(const park_driver *d)
{
	return d->generation != park__fork_generation();
}

/* Empties the channel: an eventfd in one read (it resets the counter), a
 * pipe until it would block. A write that lands after this is a wake for
 * the next iteration, which the state word makes harmless. */
static void wake_channel_drain(park_driver *d, evutil_socket_t fd)
{
	/* At least the 8 bytes an eventfd read needs. */
	uint64_t buf[64];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || d->wake_read_fd == d->wake_write_fd)
			return;
	}
}

/* The wake channel's callback, on the loop thread: drain it where the
 * backend is level-triggered, then, whatever woke the loop, run what was
 * posted. */
static void wake_channel_ready(evutil_socket_t fd, short what, void *arg)
{
	park_driver *d = arg;
	(void)what;
	if (d->wake_needs_drain)
		wake_channel_drain(d, fd);
	/* A blocking park returns for this, so it answers every wake whose
	 * write it saw; one whose write comes after this store finds the
	 * channel readable again. */
	if (!d->polling)
		atomic_store(&d->wake_pending, false);
	park__post_run(&d->posts, true);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	park_driver *d = arg;
	(void)fd;
	(void)what;
	d->timer_fired = true;
}

static int wake_channel_open(park_driver *d)
{
#ifdef PARK_WAKE_EVENTFD
	int fd = PARK_FAULT_OR(PARK_FAULT_WAKE_CHANNEL, (errno = EMFILE, -1),
			       eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
	if (fd < 0)
		return -errno;
	d->wake_read_fd = d->wake_write_fd = fd;
#else
	int fds[2];
	if (PARK_FAULT_OR(PARK_FAULT_WAKE_CHANNEL, (errno = EMFILE, -1),
			  pipe(fds)) < 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
		fcntl(fds[i], F_SETFD, FD_CLOEXEC);
	}
	d->wake_read_fd = fds[0];
	d->wake_write_fd = fds[1];
#endif
	return 0;
}

static void wake_channel_close(park_driver *d)
{
	if (d->wake_read_fd >= 0)
		close(d->wake_read_fd);
	if (d->wake_write_fd >= 0 && d->wake_write_fd != d->wake_read_fd)
		close(d->wake_write_fd);
}

/* event_add fails only when the backend cannot take the event. */
static int add_event(struct event *ev, const struct timeval *tv)
{
	return PARK_FAULT_OR(PARK_FAULT_EVENT_ADD, -1, event_add(ev, tv)) < 0
		   ? -ENOMEM
		   : 0;
}

/* Edge-triggered where the backend can: nothing to drain. */
static short wake_event_flags(park_driver *d)
{
	short flags = EV_READ | EV_PERSIST;
	if (event_base_get_features(d->base) & EV_FEATURE_ET)
		flags |= EV_ET;
	d->wake_needs_drain = !(flags & EV_ET);
	return flags;
}

/* libpark's wake event marks a base that a live driver uses. */
static int is_wake_event(const struct event_base *base,
			 const struct event *ev, void *arg)
{
	(void)base;
	(void)arg;
	return event_get_callback(ev) == wake_channel_ready;
}

static bool base_has_driver(struct event_base *base)
{
	return event_base_foreach_event(base, is_wake_event, NULL) != 0;
}

/*
 * libevent exits the whole process when event_base_new() cannot make the
 * socketpair its signal handling needs (evsig_init_ calls event_sock_err).
 * So check first that the descriptors it will take are free: epoll takes
 * one (two with EVENT_PRECISE_TIMER, whose timerfd comes before the pair),
 * then the pair, then, with libevent's thread support on, an eventfd to
 * wake the base; poll and select take no descriptor for themselves. That
 * last one is counted whether or not thread support is on (libevent does
 * not say), so that its failure, which libevent reports as a bare NULL
 * with no reliable errno, never happens: EMFILE comes from here. Another
 * thread opening descriptors between this check and libevent's calls can
 * still win that race; see park_driver_new(3).
 */
static int reserve_descriptors(int like_fd)
{
	int need = getenv("EVENT_PRECISE_TIMER") ? 5 : 4;
	int fds[5], n = 0, err = 0;
	while (n < need) {
		int fd = fcntl(like_fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0) {
			err = -errno;
			break;
		}
		fds[n++] = fd;
	}
	while (n > 0)
		close(fds[--n]);
	return err;
}

/* Not EVENT_BASE_FLAG_PRECISE_TIMER: on epoll it costs a timerfd_settime
 * on every loop iteration, timed or not. The parker sleeps out a timer
 * that fired early by the coarse clock instead. */
static struct event_base *base_new(park_driver *d, int *err)
{
	*err = reserve_descriptors(d->wake_read_fd);
	if (*err < 0)
		return NULL;
	struct event_base *base = PARK_FAULT_OR(PARK_FAULT_EVENT_BASE, NULL,
						event_base_new());
	if (!base)
		*err = -ENOMEM;
	return base;
}

/* In a forked child that did not reinitialise the driver, every base it
 * holds still shares the parent's epoll set, and deleting an event from it
 * would unregister the parent's descriptor. event_reinit() gives this
 * process its own set first (it drops the old registrations through a
 * no-op backend, never through the shared one). */
static void bases_reinit(park_driver *d)
{
	event_reinit(d->base);
	for (struct retired_base *r = d->retired; r; r = r->next)
		event_reinit(r->base);
}

static void driver_destroy(park_driver *d)
{
	bool forked = park__driver_forked(d);
	if (d->base && forked)
		bases_reinit(d);
	/* No thread can be in the loop now (each parker holds a reference):
	 * this thread runs what is still posted, so that every accepted post
	 * runs exactly once. In a forked child that did not reinitialise the
	 * driver, the queue is the parent's copy: those run in the parent. */
	atomic_store(&d->shut_down, true);
	park__post_run(&d->posts, !forked);
	if (d->timer_event)
		event_free(d->timer_event);
	if (d->wake_event)
		event_free(d->wake_event);
	wake_channel_close(d);
	if (d->owns_base && d->base)
		event_base_free(d->base);
	while (d->retired) {
		struct retired_base *r = d->retired;
		d->retired = r->next;
		event_base_free(r->base);
		free(r);
	}
	free(d);
}

static park_driver *driver_new(struct event_base *adopted)
{
	pthread_once(&fork_hook_once, fork_hook_install);
	if (fork_hook_error) {
		errno = fork_hook_error;
		return NULL;
	}
	/* Two drivers on one base would each run its loop, re-entering it. */
	if (adopted && base_has_driver(adopted)) {
		errno = EBUSY;
		return NULL;
	}
	park_driver *d =
	    PARK_FAULT_OR(PARK_FAULT_ALLOC, NULL, calloc(1, sizeof *d));
	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	atomic_init(&d->refs, 1);
	d->generation = park__fork_generation();
	d->wake_read_fd = d->wake_write_fd = -1;
	int err = wake_channel_open(d);
	if (err < 0)
		goto fail;

	d->owns_base = adopted == NULL;
	d->base = adopted ? adopted : base_new(d, &err);
	if (!d->base)
		goto fail;

	err = -ENOMEM;
	d->wake_event = PARK_FAULT_OR(PARK_FAULT_EVENT_NEW, NULL,
				      event_new(d->base, d->wake_read_fd,
						wake_event_flags(d),
						wake_channel_ready, d));
	d->timer_event = PARK_FAULT_OR(PARK_FAULT_EVENT_NEW, NULL,
				       event_new(d->base, -1, 0, on_timer, d));
	if (!d->wake_event || !d->timer_event)
		goto fail;
	err = add_event(d->wake_event, NULL);
	if (err < 0)
		goto fail;
	return d;
fail:
	driver_destroy(d);
	errno = -err;
	return NULL;
}

park_driver *park_driver_new(void)
{
	return driver_new(NULL);
}

park_driver *park_driver_new_with_base(struct event_base *base)
{
	if (!base) {
		errno = EINVAL;
		return NULL;
	}
	return driver_new(base);
}

struct event_base *park_driver_get_base(const park_driver *d)
{
	if (!d) {
		errno = EINVAL;
		return NULL;
	}
	return d->base;
}

park_driver *park_driver_ref(park_driver *d)
{
	if (!d) {
		errno = EINVAL;
		return NULL;
	}
	atomic_fetch_add_explicit(&d->refs, 1, memory_order_relaxed);
	return d;
}

void park_driver_unref(park_driver *d)
{
	if (!d)
		return;
	if (atomic_fetch_sub_explicit(&d->refs, 1, memory_order_acq_rel) == 1)
		driver_destroy(d);
}

/* One write(2) and atomics: async-signal-safe, so unpark and shutdown may
 * run in a signal handler; errno is restored for the code it interrupted. */
int park__driver_wake(park_driver *d)
{
	int saved = errno, r = 0;
	uint64_t one = 1;
	/* An eventfd takes 8 bytes, a pipe takes the first one. */
	size_t len = d->wake_read_fd == d->wake_write_fd ? sizeof one : 1;
	for (;;) {
		if (PARK_FAULT_OR(PARK_FAULT_WAKE_WRITE, (errno = EIO, -1),
				  write(d->wake_write_fd, &one, len)) >= 0)
			break;
		/* Full means already readable: the loop will return anyway. */
		if (errno == EAGAIN)
			break;
		if (errno != EINTR) {
			r = -errno;
			break;
		}
	}
	errno = saved;
	return r;
}

int park_driver_shutdown(park_driver *d)
{
	if (!d)
		return -EINVAL;
	/* The wake channel is the parent's: writing it would wake its loop. */
	if (park__driver_forked(d))
		return -ECHILD;
	if (atomic_exchange(&d->shut_down, true))
		return 0;
	/* A parker that takes the lock after this store sees the flag; one
	 * that took it before will see this write in its loop. */
	return park__driver_wake(d);
}

int park_driver_post(park_driver *d, park_post_fn *fn, void *arg)
{
	if (!d || !fn)
		return -EINVAL;
	/* Nothing in this process would run it, and the wake would reach the
	 * parent's loop. */
	if (park__driver_forked(d))
		return -ECHILD;
	if (atomic_load(&d->shut_down))
		return -ESHUTDOWN;
	int first = park__post_push(&d->posts, fn, arg);
	if (first < 0)
		return first;
	/* Accepted: it runs whenever the loop next runs, so a failed wake
	 * (which leaves the loop asleep until its next event) is no reason
	 * to tell the caller it was not. */
	if (first)
		park__driver_wake(d);
	return 0;
}

int park_driver_wake(park_driver *d)
{
	if (!d)
		return -EINVAL;
	if (park__driver_forked(d))
		return -ECHILD;
	/* Before the write, so that whichever loop sees the write also sees
	 * the flag. A lock-free atomic store: async-signal-safe. */
	atomic_store(&d->wake_pending, true);
	return park__driver_wake(d);
}

int park_driver_is_shutdown(const park_driver *d)
{
	if (!d)
		return -EINVAL;
	return atomic_load(&d->shut_down);
}

enum park_driver_lock park__driver_try_lock(park_driver *d)
{
	if (atomic_load(&d->shut_down))
		return PARK_TRYLOCK_STOPPED;
	/* Test before test-and-set: a busy driver's line stays shared. */
	if (atomic_load_explicit(&d->locked, memory_order_relaxed) ||
	    atomic_exchange(&d->locked, true))
		return PARK_TRYLOCK_BUSY;
	/* The base passes from the last holder to this one. */
	PARK_HANDOFF_AFTER(&d->locked);
	/* Checked again under the lock: see park_driver_shutdown(). */
	if (atomic_load(&d->shut_down)) {
		park__driver_unlock(d);
		return PARK_TRYLOCK_STOPPED;
	}
	return PARK_TRYLOCK_ACQUIRED;
}

void park__driver_unlock(park_driver *d)
{
	PARK_HANDOFF_BEFORE(&d->locked);
	atomic_store(&d->locked, false);
}

bool park__driver_running_here(const park_driver *d)
{
	for (const struct running_loop *r = running_loops; r; r = r->outer)
		if (r->driver == d)
			return true;
	return false;
}

int park__driver_arm(park_driver *d, const struct timespec *deadline)
{
	d->timer_fired = false;
	if (!deadline)
		return 0;
	int64_t ns = park__clock_remaining_ns(deadline);
	if (ns == 0)
		return PARK_TIMED_OUT;
	struct timeval tv;
	park__clock_timeval(ns, &tv);
	return add_event(d->timer_event, &tv);
}

static int run_loop(park_driver *d, int flags)
{
	struct running_loop self = {d, running_loops};
	running_loops = &self;
	int rc = event_base_loop(d->base, flags);
	running_loops = self.outer;
	return rc < 0 ? -EIO : 0;
}

void park__driver_disarm(park_driver *d)
{
	if (!d->timer_fired)
		event_del(d->timer_event);
}

int park__driver_run_once(park_driver *d)
{
	/* A wake that a poll left pending (or whose write a poll consumed)
	 * ends this park at once; the loop still runs, without blocking, so
	 * what is ready is served. */
	bool woken = atomic_exchange(&d->wake_pending, false);
	int rc = run_loop(d, woken ? EVLOOP_NONBLOCK : EVLOOP_ONCE);
	park__driver_disarm(d);
	if (rc < 0)
		return rc;
	if (atomic_load(&d->shut_down))
		return PARK_SHUTDOWN;
	return d->timer_fired ? PARK_TIMED_OUT : PARK_EVENTS;
}

int park__driver_poll(park_driver *d)
{
	d->polling = true;
	int rc = run_loop(d, EVLOOP_NONBLOCK);
	d->polling = false;
	return rc;
}

/* A parent thread held the driver when the process forked: libevent's copy
 * of the base still says that thread's loop is running, and refuses to run
 * it again in this process. An owned base is replaced; the old one is kept
 * (retired) so that events the application added to it stay valid. */
static int replace_stuck_base(park_driver *d)
{
	struct retired_base *r =
	    PARK_FAULT_OR(PARK_FAULT_ALLOC, NULL, malloc(sizeof *r));
	if (!r)
		return -ENOMEM;
	int err;
	struct event_base *base = base_new(d, &err);
	if (!base) {
		free(r);
		return err;
	}
	r->base = d->base;
	r->next = d->retired;
	d->retired = r;
	d->base = base;
	return 0;
}

int park_driver_reinit(park_driver *d)
{
	if (!d)
		return -EINVAL;
	if (!park__driver_forked(d))
		return 0;
	/* Forked from inside one of this driver's callbacks: its loop is
	 * still on this thread's stack; finish the callback first. */
	if (park__driver_running_here(d))
		return -EDEADLK;
	/* From here on only this process's copies are touched. Every step
	 * can be repeated, so a failed call leaves the driver refusing parks
	 * (-ECHILD), safe to free, and ready for another try. */
	bases_reinit(d);
	if (atomic_load(&d->locked) && !d->owns_base)
		return -EBUSY;
	/* Posts copied from the parent are the parent's to run, and a wake
	 * it left pending was for its loop. */
	park__post_run(&d->posts, false);
	atomic_store(&d->wake_pending, false);
	d->polling = false;
	event_del(d->wake_event);
	event_del(d->timer_event);
	/* Closed first, so the new channel can take the same descriptor. */
	wake_channel_close(d);
	d->wake_read_fd = d->wake_write_fd = -1;
	int err = wake_channel_open(d);
	if (err < 0)
		return err;
	if (atomic_load(&d->locked)) {
		err = replace_stuck_base(d);
		if (err < 0)
			return err;
		/* No thread of this process can hold it: every park refused
		 * with -ECHILD until now. */
		atomic_store(&d->locked, false);
	}
	event_assign(d->wake_event, d->base, d->wake_read_fd,
		     wake_event_flags(d), wake_channel_ready, d);
	event_assign(d->timer_event, d->base, -1, 0, on_timer, d);
	err = add_event(d->wake_event, NULL);
	if (err < 0)
		return err;
	d->generation = park__fork_generation();
	return 0;
}
