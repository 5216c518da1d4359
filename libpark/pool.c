/*
 * The worker pool: W threads, each with its own parker, on one driver and
 * one idle set. A worker takes jobs from the queue (queue.c) while there
 * are any; then it joins the idle set, looks at the queue once more and
 * parks. The parker's driver lock makes one idle worker serve the loop and
 * sends the others to their sleepers; a busy worker serves the loop itself
 * every poll_ns between jobs, so timers stay on time under load.
 *
 * Exactly once (docs/design.md): every job enters and leaves the queue
 * under the pool's lock; it leaves either to one worker (which runs it) or
 * in the one swap of the whole queue that a cancel makes (which hands it
 * back). `stopping` is set under the same lock, so a submission either
 * lands before it (and is drained or cancelled) or is refused. A worker
 * leaves only when, under the lock, the queue is empty and `stopping` is
 * set; nothing can be queued after that.
 */
#include "config.h"

#include "park-internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define POOL_POLL_NS_DEFAULT (250 * 1000)
/* The most jobs a worker takes at once beyond the one it runs. */
#define POOL_BATCH 7
/* batch_next once a cancel took the batch: beyond any batch_len. */
#define POOL_BATCH_TAKEN (1u << 30)

/* On a cache line of its own: each worker counts its own jobs, and a
 * shared counter would move between the workers' cores on every job. */
struct worker {
	park_pool *pool;
	park_parker *parker;
	pthread_t thread;
	unsigned index;
	/* Written by this worker only, read by park_pool_get_stats:
	 * relaxed; an add that no other core contends for. */
	_Atomic uint64_t jobs_run, parks_driver;
	/* Jobs taken with the one it runs, when the queue is long, so that
	 * the worker and the producers meet on the lock once per batch, not
	 * once per job. Filled under the pool's lock; each slot is started
	 * by whoever claims it first with an add to batch_next: the worker,
	 * or the first cancel (which claims them all, under the lock, and
	 * hands them back: not started, they are still the queue's). */
	struct park_job batch[POOL_BATCH];
	unsigned batch_len, batch_cancelled;
	_Atomic unsigned batch_next;
} __attribute__((aligned(PARK_CACHE_LINE)));

struct park_pool {
	_Atomic uint32_t refs;
	/* The fork generation the pool was made in: its threads exist only
	 * there. */
	unsigned generation;
	park_driver *driver;
	park_idle *idle;
	struct park_pool_options opt;
	struct worker *workers;
	unsigned created; /* threads pthread_create made */
	/* At most this many woken workers search at once: one per CPU. */
	int searchers;

	pthread_mutex_t lock;
	/* Broadcast when started, released or running change. */
	pthread_cond_t changed;
	/* Everything below up to the counters: under lock. */
	struct park_queue queue;
	bool stopping;
	bool cancelled; /* a cancel took the queue (and the batches) */
	unsigned started;  /* threads whose start hook returned */
	int start_error;   /* the first failing hook's (or create's) error */
	bool released;     /* park_pool_new decided: run, or leave */
	unsigned running;  /* threads not yet past their last use of the pool */
	bool joined;       /* the threads were joined */
	/* The last reference went on a worker: the last thread to leave
	 * joins the others, detaches itself and frees the pool. */
	bool orphaned;

	/* Counted by any thread, rarely; each worker's own are in it. */
	_Atomic uint64_t jobs_cancelled, wakes;
};

/* The pool whose worker this thread is: a shutdown or last unref here
 * cannot wait for the thread it runs on. */
static _Thread_local park_pool *current_pool;

static void count(_Atomic uint64_t *counter)
{
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}


static bool forked(const park_pool *pool)
{
	return pool->generation != park__fork_generation();
}

/* --- the worker ------------------------------------------------------------ */

enum take { TAKE_JOB, TAKE_EMPTY, TAKE_DONE };

/* A share of a long queue: at most a half of each worker's part of it,
 * so that the others always find as much as this one took. */
static unsigned batch_size(const park_pool *pool)
{
	size_t share = pool->queue.len / (2 * (size_t)pool->opt.workers);
	return share < POOL_BATCH ? (unsigned)share : POOL_BATCH;
}

static enum take take(park_pool *pool, struct worker *w, struct park_job *job)
{
	pthread_mutex_lock(&pool->lock);
	enum take t = park__queue_pop(&pool->queue, job) ? TAKE_JOB
		      : pool->stopping			    ? TAKE_DONE
							    : TAKE_EMPTY;
	if (t == TAKE_JOB) {
		unsigned n = batch_size(pool);
		for (unsigned i = 0; i < n; i++)
			park__queue_pop(&pool->queue, &w->batch[i]);
		w->batch_len = n;
		atomic_store_explicit(&w->batch_next, 0, memory_order_relaxed);
	}
	pthread_mutex_unlock(&pool->lock);
	return t;
}

/* The next job of the worker's batch, unless a cancel claimed it. */
static bool batch_next(struct worker *w, struct park_job *job)
{
	unsigned i = atomic_fetch_add_explicit(&w->batch_next, 1,
					       memory_order_relaxed);
	if (i >= w->batch_len)
		return false;
	*job = w->batch[i];
	return true;
}

/* The first cancel (lock held) claims the batch jobs no worker started.
 * The slots stay as they are once the lock is released: the queue is
 * empty from then on, and a worker refills its batch only from it. */
static void batch_take(park_pool *pool)
{
	for (unsigned k = 0; k < pool->created; k++) {
		struct worker *w = &pool->workers[k];
		unsigned i = atomic_exchange_explicit(
		    &w->batch_next, POOL_BATCH_TAKEN, memory_order_relaxed);
		w->batch_cancelled = i < w->batch_len ? i : w->batch_len;
	}
}

/* Only this worker writes it: no locked add. */
static void count_own(_Atomic uint64_t *counter)
{
	atomic_store_explicit(counter,
			      atomic_load_explicit(counter,
						   memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

static void count_park(struct worker *w, int r)
{
	if (r > 0 && (r & PARK_DRIVER))
		count_own(&w->parks_driver);
}

/* Runs a job and the rest of its batch, then serves the loop if poll_ns
 * has passed since this worker last did: one clock read (no system call)
 * per take otherwise. A clock read costs as much as a tiny job on some
 * machines; a batch is at most 1 + POOL_BATCH jobs (park_pool_new(3)). */
static void run(park_pool *pool, struct worker *w, struct park_job *job,
		int64_t *last_poll)
{
	do {
		job->fn(job->arg);
		count_own(&w->jobs_run);
	} while (batch_next(w, job));
	int64_t now = park__clock_now_ns();
	if (now - *last_poll < pool->opt.poll_ns)
		return;
	count_park(w, park_parker_park_timeout(w->parker, 0));
	*last_poll = park__clock_now_ns();
}

static bool work_left(park_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	bool left = pool->queue.len > 0;
	pthread_mutex_unlock(&pool->lock);
	return left;
}

/* A worker that found a job stops searching; the last searcher looks at
 * the queue again, since a submission made while it searched woke nobody
 * (park_idle_notify(3)). Not searching: one atomic load. */
static void found_work(park_pool *pool, struct worker *w)
{
	if (park_idle_stop_searching(pool->idle, w->parker) == 1 &&
	    work_left(pool) && park_idle_notify(pool->idle) > 0)
		count(&pool->wakes);
}

static void work(park_pool *pool, struct worker *w)
{
	int64_t last_poll = park__clock_now_ns();
	struct park_job job;
	for (;;) {
		enum take t = take(pool, w, &job);
		if (t == TAKE_EMPTY) {
			/* The lost-job race: join (which also ends a
			 * search), then look again (park_idle_new(3)). */
			park_idle_join(pool->idle, w->parker);
			t = take(pool, w, &job);
			if (t == TAKE_EMPTY) {
				count_park(w, park_idle_park(pool->idle,
							     w->parker, -1));
				last_poll = park__clock_now_ns();
				continue;
			}
			park_idle_leave(pool->idle, w->parker);
		}
		if (t == TAKE_DONE) {
			found_work(pool, w);
			return;
		}
		found_work(pool, w);
		run(pool, w, &job, &last_poll);
	}
}

static void pool_free(park_pool *pool);

/* The last reference went on a worker, and this is the last worker to
 * leave: it joins the others (they are past their last use of the pool),
 * so that nothing of theirs touches the pool it frees, and detaches
 * itself, since nobody is left to join it. */
static void orphan_free(park_pool *pool, struct worker *self)
{
	for (unsigned i = 0; i < pool->created; i++)
		if (&pool->workers[i] != self)
			pthread_join(pool->workers[i].thread, NULL);
	pthread_detach(self->thread);
	pool_free(pool);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	park_pool *pool = w->pool;
	current_pool = pool;
	int err = pool->opt.on_start ? pool->opt.on_start(pool->opt.user,
							  w->index)
				     : 0;
	pthread_mutex_lock(&pool->lock);
	pool->started++;
	if (err && !pool->start_error)
		pool->start_error = err < 0 ? err : -ECANCELED;
	pthread_cond_broadcast(&pool->changed);
	while (!pool->released)
		pthread_cond_wait(&pool->changed, &pool->lock);
	bool failed = pool->start_error != 0;
	pthread_mutex_unlock(&pool->lock);

	if (!err) {
		if (!failed)
			work(pool, w);
		if (pool->opt.on_stop)
			pool->opt.on_stop(pool->opt.user, w->index);
	}
	current_pool = NULL;
	pthread_mutex_lock(&pool->lock);
	bool last = --pool->running == 0;
	bool frees = last && pool->orphaned;
	pthread_cond_broadcast(&pool->changed);
	pthread_mutex_unlock(&pool->lock);
	/* Otherwise the pool is not touched again: a joiner may free it. */
	if (frees)
		orphan_free(pool, w);
	return NULL;
}

/* --- lifetime -------------------------------------------------------------- */

static void pool_free(park_pool *pool)
{
	for (unsigned i = 0; i < pool->opt.workers; i++)
		park_parker_unref(pool->workers[i].parker);
	park_idle_unref(pool->idle);
	park_driver_unref(pool->driver);
	park__queue_destroy(&pool->queue);
	/* In a forked child another thread of the parent may have held the
	 * lock or waited on the condition: both are only memory here. */
	if (!forked(pool)) {
		pthread_cond_destroy(&pool->changed);
		pthread_mutex_destroy(&pool->lock);
	}
	free(pool->workers);
	free(pool);
}

/* Joins every thread once the last has left (lock held). */
static void join_all(park_pool *pool)
{
	if (pool->joined)
		return;
	pool->joined = true;
	for (unsigned i = 0; i < pool->created; i++)
		pthread_join(pool->workers[i].thread, NULL);
}

static int options_read(const struct park_pool_options *in,
			struct park_pool_options *opt)
{
	memset(opt, 0, sizeof *opt);
	if (!in || in->size < offsetof(struct park_pool_options, workers) +
				  sizeof in->workers)
		return -EINVAL;
	memcpy(opt, in, in->size < sizeof *opt ? in->size : sizeof *opt);
	opt->size = sizeof *opt;
	if (opt->workers == 0 || opt->workers > PARK_POOL_MAX_WORKERS ||
	    opt->spin_ns < 0 || opt->poll_ns < 0)
		return -EINVAL;
	if (opt->poll_ns == 0)
		opt->poll_ns = POOL_POLL_NS_DEFAULT;
	return 0;
}

/* Everything but the threads. */
static int pool_init(park_pool *pool, const struct park_pool_options *opt)
{
	pool->opt = *opt;
	pool->generation = park__fork_generation();
	atomic_init(&pool->refs, 1);
	park__queue_init(&pool->queue);
	/* Held for a few instructions by producers and workers at once:
	 * spinning a little beats a futex sleep (glibc's adaptive kind). */
	pthread_mutexattr_t mattr;
	pthread_mutexattr_init(&mattr);
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
	pthread_mutexattr_settype(&mattr, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
	int err = pthread_mutex_init(&pool->lock, &mattr);
	pthread_mutexattr_destroy(&mattr);
	if (err)
		return -err;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	pool->searchers = cpus < 1			? 1
			  : cpus > (long)opt->workers ? (int)opt->workers
						      : (int)cpus;
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	err = pthread_cond_init(&pool->changed, &attr);
	pthread_condattr_destroy(&attr);
	if (err) {
		pthread_mutex_destroy(&pool->lock);
		return -err;
	}
	pool->driver = opt->driver ? park_driver_ref(opt->driver)
				   : park_driver_new();
	if (!pool->driver)
		return -errno;
	if (!(pool->idle = park_idle_new(pool->driver)))
		return -errno;
	size_t bytes = opt->workers * sizeof *pool->workers;
	pool->workers = PARK_FAULT_OR(PARK_FAULT_ALLOC, NULL,
				      aligned_alloc(PARK_CACHE_LINE, bytes));
	if (!pool->workers)
		return -ENOMEM;
	memset(pool->workers, 0, bytes);
	for (unsigned i = 0; i < opt->workers; i++) {
		struct worker *w = &pool->workers[i];
		w->pool = pool;
		w->index = i;
		if (!(w->parker = park_parker_new(pool->driver)))
			return -errno;
		park_parker_set_spin(w->parker, opt->spin_ns);
	}
	return 0;
}

/* Starts the threads and waits for every start hook. */
static int pool_start(park_pool *pool)
{
	pthread_attr_t attr;
	int err = pthread_attr_init(&attr);
	if (err)
		return -err;
	if (pool->opt.stack_size)
		err = pthread_attr_setstacksize(&attr, pool->opt.stack_size);
	pthread_mutex_lock(&pool->lock);
	for (unsigned i = 0; i < pool->opt.workers && !err; i++) {
		err = pthread_create(&pool->workers[i].thread, &attr,
				     worker_main, &pool->workers[i]);
		if (!err) {
			pool->created++;
			pool->running++;
		}
	}
	pthread_attr_destroy(&attr);
	if (err)
		pool->start_error = -err;
	while (pool->started < pool->created)
		pthread_cond_wait(&pool->changed, &pool->lock);
	err = pool->start_error;
	if (err)
		pool->stopping = true;
	pool->released = true;
	pthread_cond_broadcast(&pool->changed);
	if (err) {
		while (pool->running > 0)
			pthread_cond_wait(&pool->changed, &pool->lock);
		join_all(pool);
	}
	pthread_mutex_unlock(&pool->lock);
	return err;
}

park_pool *park_pool_new(const struct park_pool_options *options)
{
	struct park_pool_options opt;
	int err = options_read(options, &opt);
	if (err < 0) {
		errno = -err;
		return NULL;
	}
	park_pool *pool = PARK_FAULT_OR(PARK_FAULT_ALLOC, NULL,
					calloc(1, sizeof *pool));
	if (!pool) {
		errno = ENOMEM;
		return NULL;
	}
	err = pool_init(pool, &opt);
	if (err == 0)
		err = pool_start(pool);
	if (err < 0) {
		/* pool_init stopped part way: free what it made. */
		if (pool->workers)
			for (unsigned i = 0; i < opt.workers; i++)
				park_parker_unref(pool->workers[i].parker);
		park_idle_unref(pool->idle);
		park_driver_unref(pool->driver);
		park__queue_destroy(&pool->queue);
		free(pool->workers);
		free(pool);
		errno = -err;
		return NULL;
	}
	return pool;
}

park_pool *park_pool_ref(park_pool *pool)
{
	if (!pool) {
		errno = EINVAL;
		return NULL;
	}
	atomic_fetch_add_explicit(&pool->refs, 1, memory_order_relaxed);
	return pool;
}

void park_pool_unref(park_pool *pool)
{
	if (!pool || atomic_fetch_sub_explicit(&pool->refs, 1,
					       memory_order_acq_rel) != 1)
		return;
	if (forked(pool)) {
		/* The threads and their jobs are the parent's. */
		pool_free(pool);
		return;
	}
	if (current_pool == pool) {
		/* On a worker: it cannot join itself. The pool drains on;
		 * the last thread to leave joins the others and frees it. */
		pthread_mutex_lock(&pool->lock);
		pool->stopping = true;
		pool->orphaned = true;
		pthread_mutex_unlock(&pool->lock);
		park_idle_unpark_all(pool->idle);
		return;
	}
	park_pool_shutdown(pool, PARK_POOL_DRAIN, -1);
	pool_free(pool);
}

park_driver *park_pool_get_driver(const park_pool *pool)
{
	if (!pool) {
		errno = EINVAL;
		return NULL;
	}
	return pool->driver;
}

/* --- any thread ------------------------------------------------------------ */

int park_pool_submit(park_pool *pool, park_job_fn *fn, void *arg)
{
	if (!pool || !fn)
		return -EINVAL;
	if (forked(pool))
		return -ECHILD;
	pthread_mutex_lock(&pool->lock);
	int err = 0;
	if (pool->stopping)
		err = -ESHUTDOWN;
	else if (pool->opt.max_queued &&
		 pool->queue.len >= pool->opt.max_queued)
		err = -EAGAIN;
	else
		err = park__queue_push(&pool->queue, fn, arg);
	size_t queued = pool->queue.len;
	pthread_mutex_unlock(&pool->lock);
	if (err < 0)
		return err;
	/* After the push is published: the Dekker pair with a worker's
	 * join (idle.c). Nobody woken while as many woken workers search
	 * as there are jobs queued (or CPUs): each will find one, so a job
	 * costs at most one wake, and a searcher still waiting for a CPU
	 * holds up no job but its own. */
	int searchers = queued < (size_t)pool->searchers ? (int)queued
							: pool->searchers;
	if (park__idle_notify_below(pool->idle, searchers) > 0)
		count(&pool->wakes);
	return 0;
}

static void cancel_one(park_pool *pool, const struct park_job *job)
{
	pool->opt.on_cancel(pool->opt.user, job->fn, job->arg);
	count(&pool->jobs_cancelled);
}

/* Hands back what a cancel took: the workers' batches (older than
 * anything queued), then the queue, oldest first. */
static void hand_back(park_pool *pool, bool batches, struct park_queue *taken)
{
	for (unsigned k = 0; batches && k < pool->created; k++) {
		struct worker *w = &pool->workers[k];
		for (unsigned i = w->batch_cancelled; i < w->batch_len; i++)
			cancel_one(pool, &w->batch[i]);
	}
	struct park_job job;
	while (park__queue_pop(taken, &job))
		cancel_one(pool, &job);
	park__queue_destroy(taken);
}

static int wait_stopped(park_pool *pool, int64_t timeout_ns)
{
	struct timespec deadline;
	bool bounded = timeout_ns > 0 &&
		       park__clock_deadline(timeout_ns, &deadline);
	int r = 0;
	pthread_mutex_lock(&pool->lock);
	while (pool->running > 0 && r == 0) {
		if (timeout_ns == 0)
			r = ETIMEDOUT;
		else if (bounded)
			r = pthread_cond_timedwait(&pool->changed, &pool->lock,
						   &deadline);
		else
			pthread_cond_wait(&pool->changed, &pool->lock);
	}
	if (pool->running > 0) {
		pthread_mutex_unlock(&pool->lock);
		return -ETIMEDOUT;
	}
	join_all(pool);
	pthread_mutex_unlock(&pool->lock);
	return 0;
}

int park_pool_shutdown(park_pool *pool, int mode, int64_t timeout_ns)
{
	if (!pool || (mode != PARK_POOL_DRAIN && mode != PARK_POOL_CANCEL))
		return -EINVAL;
	if (mode == PARK_POOL_CANCEL && !pool->opt.on_cancel)
		return -EINVAL;
	if (forked(pool))
		return -ECHILD;
	struct park_queue taken;
	park__queue_init(&taken);
	pthread_mutex_lock(&pool->lock);
	bool first = !pool->stopping;
	pool->stopping = true;
	bool batches = mode == PARK_POOL_CANCEL && !pool->cancelled;
	if (batches) {
		pool->cancelled = true;
		taken = pool->queue;
		park__queue_init(&pool->queue);
		batch_take(pool);
	}
	pthread_mutex_unlock(&pool->lock);
	/* Idle workers learn of it here; a worker joining later sees
	 * `stopping` when it looks at the queue again. */
	if (first)
		park_idle_unpark_all(pool->idle);
	hand_back(pool, batches, &taken);
	if (current_pool == pool)
		return -EINPROGRESS;
	return wait_stopped(pool, timeout_ns);
}

int park_pool_get_stats(const park_pool *pool, struct park_pool_stats *stats)
{
	if (!pool || !stats || stats->size < sizeof stats->size)
		return -EINVAL;
	struct park_pool_stats now = {
	    .size = sizeof now,
	    .jobs_cancelled = atomic_load_explicit(&pool->jobs_cancelled,
						   memory_order_relaxed),
	    .wakes = atomic_load_explicit(&pool->wakes, memory_order_relaxed),
	};
	for (unsigned i = 0; i < pool->opt.workers; i++) {
		now.jobs_run += atomic_load_explicit(&pool->workers[i].jobs_run,
						     memory_order_relaxed);
		now.parks_driver += atomic_load_explicit(
		    &pool->workers[i].parks_driver, memory_order_relaxed);
	}
	park__stats_copy(stats, &now, sizeof now);
	return 0;
}
