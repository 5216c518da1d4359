/*
 * The library's pool (park_pool) against the pools a C programmer would
 * otherwise pick, in one run, rounds interleaved:
 *
 *   park_pool     libpark's pool; its idle workers serve the driver;
 *   condvar       a mutex-protected queue, idle workers in
 *                 pthread_cond_wait, submit signals when one waits (the
 *                 baseline of tests/bench/pool.c, same algorithm);
 *   GThreadPool   GLib's, exclusive threads (where configure found GLib);
 *   uv_queue_work libuv's threadpool, fed from the producer thread through
 *                 a uv_async_t to the loop thread, which calls
 *                 uv_queue_work (libuv's rule: only the loop thread may);
 *                 UV_THREADPOOL_SIZE is read once per process, so each
 *                 run is a child process (where configure found libuv).
 *
 * Tables, for W = 1, 2, 4, 16:
 *   saturated  jobs pushed as fast as 4096 in flight allow: jobs/s;
 *   sparse     a job every 50 us: submit-to-start latency p50, p99;
 *   idle       200 ms with nothing to do: CPU time and context switches
 *              of the whole process per second;
 *   timer      the sparse load plus a 1 ms timer: park_pool's on its
 *              driver; condvar's and GThreadPool's on a libevent loop
 *              thread of their own (counted in their CPU); libuv's on
 *              its loop (uv_timer_t, millisecond resolution): lateness.
 *
 *   pool-peers [--smoke] [--rounds N]
 *   pool-peers --syscalls MODE --impl IMPL --workers W --count N
 */
#include "config.h"

#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#ifdef PARK_BENCH_GLIB
#include <glib.h>
#endif
#ifdef PARK_BENCH_UV
#include <uv.h>
#endif

#include "libpark.h"
#include "report.h"
#include "util.h"

#define US 1000LL
#define IN_FLIGHT 4096
#define MAX_W 16

enum impl { PARK_POOL, CONDVAR, GLIB, UV, IMPLS };
static const char *const impl_names[IMPLS] = {"park_pool", "condvar",
					      "GThreadPool", "uv_queue_work"};
static const bool impl_built[IMPLS] = {
    true, true,
#ifdef PARK_BENCH_GLIB
    true,
#else
    false,
#endif
#ifdef PARK_BENCH_UV
    true,
#else
    false,
#endif
};
enum mode { SATURATED, SPARSE, IDLE, TIMER, MODES };
static const char *const mode_names[MODES] = {"saturated", "sparse", "idle",
					      "timer"};

static int runs = 5;
static double scale = 1.0;
static long idle_ms = 200; /* --smoke: 20 */

/* ---- jobs ------------------------------------------------------------------ */

struct rec {
	int64_t submitted;
#ifdef PARK_BENCH_UV
	uv_work_t work;
#endif
};

static struct rec *recs;
static int64_t *latency; /* NULL: not measured */
static _Atomic long done;
static _Atomic uint64_t sink;

/* A tiny job, as in pool.c: a few hundred nanoseconds of arithmetic. */
static void job(void *arg)
{
	struct rec *r = arg;
	if (latency)
		latency[r - recs] = now_ns() - r->submitted;
	atomic_fetch_add_explicit(&done, 1, memory_order_release);
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < 64; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	atomic_fetch_add_explicit(&sink, x & 1, memory_order_relaxed);
}

/* ---- the 1 ms timer (libevent) ---------------------------------------------- */

struct ticker {
	struct event *ev;
	int64_t target;
	_Atomic bool stop;
	int64_t late[100000];
	long n;
};
static struct ticker ticker;
/* The base of the peers' loop thread (NULL while none runs). */
static struct event_base *loop_base;

static int64_t next_target(int64_t now)
{
	while (ticker.target <= now)
		ticker.target += 1000 * US;
	return ticker.target;
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	int64_t now = now_ns();
	if (ticker.n < (long)(sizeof ticker.late / sizeof ticker.late[0]))
		ticker.late[ticker.n++] = now - ticker.target;
	if (ticker.stop) {
		/* The loop thread's own break: one from the stopping thread
		 * can land while the loop sleeps with no event left, and a
		 * base without libevent's threading never wakes for it. */
		if (loop_base)
			event_base_loopbreak(loop_base);
		return;
	}
	int64_t us = (next_target(now) - now + 999) / 1000;
	struct timeval tv = {(time_t)(us / 1000000), (suseconds_t)(us % 1000000)};
	event_add(ticker.ev, &tv);
}

static void ticker_reset(void)
{
	ticker.n = 0;
	ticker.stop = false;
	ticker.target = now_ns() + 1000 * US;
}

static void ticker_add(void *base)
{
	ticker.ev = event_new(base, -1, 0, tick, NULL);
	struct timeval tv = {0, 1000};
	event_add(ticker.ev, &tv);
}

static struct event_base *precise_base(void)
{
	struct event_config *cfg = event_config_new();
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	struct event_base *base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (!base)
		abort();
	return base;
}

/* A libevent loop thread for the peers' timer. */
static pthread_t loop_thread;
static void *loop_main(void *arg)
{
	(void)arg;
	event_base_loop(loop_base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static void loop_start(void)
{
	loop_base = precise_base();
	ticker_reset();
	ticker_add(loop_base);
	pthread_create(&loop_thread, NULL, loop_main, NULL);
}

static void loop_stop(void)
{
	/* The next tick (at most 1 ms away) sees it and breaks the loop. */
	ticker.stop = true;
	pthread_join(loop_thread, NULL);
	event_free(ticker.ev);
	event_base_free(loop_base);
	loop_base = NULL;
}

/* ---- the pools -------------------------------------------------------------- */

/* park_pool */
static park_pool *ppool;
static struct event_base *ppool_base;
static park_driver *ppool_driver;

static void ppool_start(int w, bool timer)
{
	/* The application's precise base, as a program with a 1 ms timer
	 * makes it (libevent's default clock moves in 4 ms steps). */
	ppool_base = precise_base();
	ppool_driver = park_driver_new_with_base(ppool_base);
	if (timer) {
		ticker_reset();
		ticker_add(ppool_base);
	}
	struct park_pool_options o = {.size = sizeof o,
				      .workers = (unsigned)w,
				      .driver = ppool_driver};
	if (!(ppool = park_pool_new(&o)))
		abort();
}

static void ppool_submit(struct rec *r)
{
	if (park_pool_submit(ppool, job, r) != 0)
		abort();
}

static void ppool_stop(bool timer)
{
	ticker.stop = true;
	park_pool_unref(ppool);
	/* The workers have left: the base is this thread's. */
	if (timer)
		event_free(ticker.ev);
	park_driver_unref(ppool_driver);
	event_base_free(ppool_base);
}

/* condvar */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int waiting;
	bool closing;
	struct rec *ring[IN_FLIGHT];
	unsigned head, tail;
	pthread_t threads[MAX_W];
	int workers;
} cv;

static void *cv_worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&cv.lock);
	for (;;) {
		if (cv.head != cv.tail) {
			struct rec *r = cv.ring[cv.head++ % IN_FLIGHT];
			pthread_mutex_unlock(&cv.lock);
			job(r);
			pthread_mutex_lock(&cv.lock);
		} else if (cv.closing) {
			break;
		} else {
			cv.waiting++;
			pthread_cond_wait(&cv.cond, &cv.lock);
			cv.waiting--;
		}
	}
	pthread_mutex_unlock(&cv.lock);
	return NULL;
}

static void cv_start(int w, bool timer)
{
	memset(&cv, 0, sizeof cv);
	pthread_mutex_init(&cv.lock, NULL);
	pthread_cond_init(&cv.cond, NULL);
	cv.workers = w;
	for (int i = 0; i < w; i++)
		pthread_create(&cv.threads[i], NULL, cv_worker, NULL);
	if (timer)
		loop_start();
}

static void cv_submit(struct rec *r)
{
	pthread_mutex_lock(&cv.lock);
	cv.ring[cv.tail++ % IN_FLIGHT] = r;
	bool wake = cv.waiting > 0;
	pthread_mutex_unlock(&cv.lock);
	if (wake)
		pthread_cond_signal(&cv.cond);
}

static void cv_stop(bool timer)
{
	pthread_mutex_lock(&cv.lock);
	cv.closing = true;
	pthread_mutex_unlock(&cv.lock);
	pthread_cond_broadcast(&cv.cond);
	for (int i = 0; i < cv.workers; i++)
		pthread_join(cv.threads[i], NULL);
	if (timer)
		loop_stop();
	pthread_cond_destroy(&cv.cond);
	pthread_mutex_destroy(&cv.lock);
}

#ifdef PARK_BENCH_GLIB
static GThreadPool *gpool;
static void glib_job(gpointer data, gpointer user)
{
	(void)user;
	job(data);
}
static void glib_start(int w, bool timer)
{
	if (!(gpool = g_thread_pool_new(glib_job, NULL, w, TRUE, NULL)))
		abort();
	if (timer)
		loop_start();
}
static void glib_submit(struct rec *r)
{
	g_thread_pool_push(gpool, r, NULL);
}
static void glib_stop(bool timer)
{
	g_thread_pool_free(gpool, FALSE, TRUE);
	if (timer)
		loop_stop();
}
#endif

#ifdef PARK_BENCH_UV
static struct {
	uv_loop_t loop;
	uv_async_t async;
	uv_timer_t timer;
	bool timer_on;
	pthread_mutex_t lock;
	struct rec *ring[IN_FLIGHT];
	unsigned head, tail;
	bool closing;
	pthread_t thread;
} uv;

static void uvp_job(uv_work_t *w)
{
	job(w->data);
}
static void uvp_after(uv_work_t *w, int status)
{
	(void)w;
	(void)status;
}

static void uvp_tick(uv_timer_t *t)
{
	int64_t now = now_ns();
	if (ticker.n < (long)(sizeof ticker.late / sizeof ticker.late[0]))
		ticker.late[ticker.n++] = now - ticker.target;
	if (ticker.stop)
		return;
	int64_t ms = (next_target(now) - now + 999999) / 1000000;
	uv_timer_start(t, uvp_tick, (uint64_t)ms, 0);
}

static void uvp_drain(uv_async_t *a)
{
	pthread_mutex_lock(&uv.lock);
	while (uv.head != uv.tail) {
		struct rec *r = uv.ring[uv.head++ % IN_FLIGHT];
		r->work.data = r;
		uv_queue_work(&uv.loop, &r->work, uvp_job, uvp_after);
	}
	bool closing = uv.closing;
	pthread_mutex_unlock(&uv.lock);
	if (closing) {
		uv_close((uv_handle_t *)a, NULL);
		if (uv.timer_on)
			uv_close((uv_handle_t *)&uv.timer, NULL);
	}
}

static void *uvp_loop_main(void *arg)
{
	(void)arg;
	uv_run(&uv.loop, UV_RUN_DEFAULT);
	return NULL;
}

static void uvp_start(int w, bool timer)
{
	char n[16];
	snprintf(n, sizeof n, "%d", w);
	setenv("UV_THREADPOOL_SIZE", n, 1);
	memset(&uv, 0, sizeof uv);
	pthread_mutex_init(&uv.lock, NULL);
	uv_loop_init(&uv.loop);
	uv_async_init(&uv.loop, &uv.async, uvp_drain);
	uv.timer_on = timer;
	if (timer) {
		ticker_reset();
		uv_timer_init(&uv.loop, &uv.timer);
		uv_timer_start(&uv.timer, uvp_tick, 1, 0);
	}
	/* Start the threadpool now, not in the first measured job. */
	struct rec warm = {0};
	warm.work.data = &warm;
	int64_t *keep = latency;
	latency = NULL;
	long before = done;
	uv_queue_work(&uv.loop, &warm.work, uvp_job, uvp_after);
	uv_run(&uv.loop, UV_RUN_ONCE);
	while (done == before)
		uv_run(&uv.loop, UV_RUN_ONCE);
	done = before;
	latency = keep;
	pthread_create(&uv.thread, NULL, uvp_loop_main, NULL);
}

static void uvp_submit(struct rec *r)
{
	pthread_mutex_lock(&uv.lock);
	uv.ring[uv.tail++ % IN_FLIGHT] = r;
	pthread_mutex_unlock(&uv.lock);
	uv_async_send(&uv.async);
}

static void uvp_stop(bool timer)
{
	(void)timer;
	ticker.stop = true;
	pthread_mutex_lock(&uv.lock);
	uv.closing = true;
	pthread_mutex_unlock(&uv.lock);
	uv_async_send(&uv.async);
	pthread_join(uv.thread, NULL);
	uv_loop_close(&uv.loop);
	pthread_mutex_destroy(&uv.lock);
}
#endif

struct ops {
	void (*start)(int w, bool timer);
	void (*submit)(struct rec *r);
	void (*stop)(bool timer);
};
static const struct ops ops[IMPLS] = {
    [PARK_POOL] = {ppool_start, ppool_submit, ppool_stop},
    [CONDVAR] = {cv_start, cv_submit, cv_stop},
#ifdef PARK_BENCH_GLIB
    [GLIB] = {glib_start, glib_submit, glib_stop},
#endif
#ifdef PARK_BENCH_UV
    [UV] = {uvp_start, uvp_submit, uvp_stop},
#endif
};

/* ---- one run ------------------------------------------------------------------ */

/* The quantiles of the sparse latency distribution (its CDF). */
static const double quantiles[] = {0.10, 0.25, 0.50, 0.75, 0.90,
				   0.95, 0.99, 0.999};
#define NQ (sizeof quantiles / sizeof quantiles[0])

struct result {
	double v[3];
	double csw_per_job;
	double q[NQ]; /* sparse: latency at each quantile, us */
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* v sorted by sorted_percentile's caller, or here. */
static double sorted_percentile(const int64_t *v, long n, double q)
{
	return n <= 0 ? 0 : (double)v[(long)(q * (double)(n - 1) + 0.5)];
}

static double percentile(int64_t *v, long n, double q)
{
	qsort(v, (size_t)(n > 0 ? n : 0), sizeof *v, cmp_i64);
	return sorted_percentile(v, n, q);
}

static long context_switches(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

static long own_switches(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

static int64_t own_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t process_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until(int64_t t)
{
	struct timespec ts = {(time_t)(t / 1000000000), (long)(t % 1000000000)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
		;
}

static struct result run_here(enum mode mode, enum impl impl, int w, long jobs)
{
	struct result res = {{0}, 0, {0}};
	const struct ops *o = &ops[impl];
	recs = calloc((size_t)jobs, sizeof *recs);
	latency = mode == SPARSE || mode == TIMER
		      ? calloc((size_t)jobs, sizeof *latency)
		      : NULL;
	done = 0;
	o->start(w, mode == TIMER);
	usleep(2000); /* let the workers go idle */
	if (mode == IDLE) {
		/* One job, so every worker has run, then nothing. */
		o->submit(&recs[0]);
		while (done < 1)
			sched_yield();
		usleep(10000);
		/* The pool's threads only: this one's own sleep is taken
		 * out. */
		long csw = context_switches() - own_switches();
		int64_t cpu = process_cpu_ns() - own_cpu_ns(), t0 = now_ns();
		usleep((useconds_t)(idle_ms * 1000));
		double secs = (double)(now_ns() - t0) / 1e9;
		/* The two clocks are read apart: a difference below their
		 * skew (under a microsecond) shows as 0. */
		int64_t used = process_cpu_ns() - own_cpu_ns() - cpu;
		res.v[0] = (double)(used > 0 ? used : 0) / 1e6 / secs;
		res.v[1] = (double)(context_switches() - own_switches() - csw) /
			   secs;
		o->stop(false);
		free(recs);
		return res;
	}
	long csw = context_switches();
	int64_t start = now_ns();
	for (long j = 0; j < jobs; j++) {
		if (mode == SATURATED) {
			while (j - atomic_load(&done) >= IN_FLIGHT - 1)
				sched_yield();
		} else {
			sleep_until(start + (j + 1) * 50 * US);
		}
		recs[j].submitted = now_ns();
		o->submit(&recs[j]);
	}
	while (atomic_load_explicit(&done, memory_order_acquire) < jobs)
		sched_yield();
	int64_t elapsed = now_ns() - start;
	res.csw_per_job = (double)(context_switches() - csw) / (double)jobs;
	o->stop(mode == TIMER);
	if (mode == SATURATED) {
		res.v[0] = (double)jobs / ((double)elapsed / 1e9);
	} else if (mode == SPARSE) {
		res.v[0] = percentile(latency, jobs, 0.50) / 1000.0;
		res.v[1] = sorted_percentile(latency, jobs, 0.99) / 1000.0;
		for (size_t i = 0; i < NQ; i++)
			res.q[i] = sorted_percentile(latency, jobs,
						     quantiles[i]) / 1000.0;
	} else {
		res.v[0] = (double)ticker.n;
		res.v[1] = percentile(ticker.late, ticker.n, 0.99) / 1000.0;
		res.v[2] = percentile(latency, jobs, 0.99) / 1000.0;
	}
	free(latency);
	latency = NULL;
	free(recs);
	return res;
}

/* libuv's threadpool size is fixed at its first use in a process: each
 * of its runs is a child. */
static struct result run_once(enum mode mode, enum impl impl, int w, long jobs)
{
	if (impl != UV)
		return run_here(mode, impl, w, jobs);
	int fds[2];
	struct result res = {{0}, 0, {0}};
	if (pipe(fds) != 0)
		abort();
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		res = run_here(mode, impl, w, jobs);
		ssize_t n = write(fds[1], &res, sizeof res);
		_exit(n == (ssize_t)sizeof res ? 0 : 1);
	}
	close(fds[1]);
	if (read(fds[0], &res, sizeof res) != (ssize_t)sizeof res)
		abort();
	close(fds[0]);
	waitpid(pid, NULL, 0);
	return res;
}

/* ---- the tables ------------------------------------------------------------------ */

struct mode_info {
	const char *title, *text;
	int nfig;
	const char *fig[3];
	int ratio_fig; /* -1: none */
	bool higher_better;
};

static const struct mode_info modes[MODES] = {
    [SATURATED] = {"pools compared, saturated: jobs/s",
		   "One producer pushes jobs of a few hundred nanoseconds as "
		   "fast as 4096 jobs in flight allow.",
		   1, {"jobs/s (min / median / max)"}, 0, true},
    [SPARSE] = {"pools compared, sparse: a job every 50 us",
		"Latency is submit to start.",
		2, {"p50 us (min / median / max)", "p99 us (min / median / max)"},
		1, false},
    [IDLE] = {"pools compared, idle",
	      "After one job, 200 ms (smoke: 20) with nothing to do: CPU "
	      "time and context switches per second of every thread but "
	      "the measuring one (a pool that sleeps for good shows 0).",
	      2, {"CPU ms/s (min / median / max)",
		  "switches/s (min / median / max)"},
	      -1, false},
    [TIMER] = {"pools compared, a 1 ms timer while the pool works",
	       "The sparse load plus a 1 ms timer: park_pool's on its "
	       "driver, served by its workers; condvar's and GThreadPool's "
	       "on a libevent loop thread of their own (precise timer); "
	       "libuv's on its loop thread (uv_timer_t, whole "
	       "milliseconds). Lateness: how long after its due time a tick "
	       "ran.",
	       3, {"ticks", "tick late p99 us (min / median / max)",
		   "job latency p99 us (min / median / max)"},
	       1, false},
};

#define NW 4
static const int ws[NW] = {1, 2, 4, 16};
/* The sparse rows' quantiles, median of the rounds: [w][impl][quantile]. */
static double cdf[NW][IMPLS][NQ];

/* The sparse latency distribution at W = 2 and 16 (tests/bench/plot.sh
 * draws its CDF), from the rounds of the sparse table. */
static void cdf_table(int runs_done, long jobs)
{
	char text[512];
	snprintf(text, sizeof text,
		 "The rounds of the sparse table above: each quantile of "
		 "submit-to-start latency, in us, the median of %d rounds of "
		 "%ld jobs.",
		 runs_done, jobs);
	const char *cols[2 + NQ] = {"W", "pool"};
	static char names[NQ][16];
	for (size_t i = 0; i < NQ; i++) {
		snprintf(names[i], sizeof names[i], "p%g", quantiles[i] * 100);
		cols[2 + i] = names[i];
	}
	md_table("pools compared, sparse: the latency distribution", text,
		 cols, 2 + (int)NQ);
	for (int wi = 0; wi < NW; wi++) {
		if (ws[wi] != 2 && ws[wi] != 16)
			continue;
		for (int k = 0; k < IMPLS; k++) {
			if (!impl_built[k])
				continue;
			char buf[100];
			printf("| %d | %s |", ws[wi], impl_names[k]);
			for (size_t i = 0; i < NQ; i++)
				printf(" %s |", num(buf, cdf[wi][k][i]));
			printf("\n");
		}
	}
}

static void table(enum mode mode, long jobs)
{
	const struct mode_info *m = &modes[mode];
	char text[1024];
	snprintf(text, sizeof text,
		 "%s Pools of W workers; %d rounds of %ld jobs after a "
		 "warm-up, the pools taking turns. Switches are the "
		 "process's per job. The ratio is park_pool's figure over "
		 "this row's, round by round%s.",
		 m->text, runs, jobs,
		 m->ratio_fig < 0 ? " (none here)"
		 : m->higher_better ? " (above 1: park_pool is faster)"
				    : " (below 1: park_pool is sooner)");
	const char *cols[8] = {"W", "pool"};
	int ncols = 2;
	for (int f = 0; f < m->nfig; f++)
		cols[ncols++] = m->fig[f];
	cols[ncols++] = "switches per job (median)";
	cols[ncols++] = "park_pool / this (min / median / max)";
	md_table(m->title, text, cols, ncols);

	for (int wi = 0; wi < NW; wi++) {
		static double v[IMPLS][3][BENCH_MAX_ROUNDS];
		static double csw[IMPLS][BENCH_MAX_ROUNDS];
		static double q[IMPLS][NQ][BENCH_MAX_ROUNDS];
		for (int k = 0; k < IMPLS; k++)
			if (impl_built[k] && mode != IDLE) /* warm-up */
				run_once(mode, (enum impl)k, ws[wi], jobs / 4 + 1);
		for (int r = 0; r < runs; r++)
			for (int k = 0; k < IMPLS; k++) {
				if (!impl_built[k])
					continue;
				struct result res =
				    run_once(mode, (enum impl)k, ws[wi], jobs);
				for (int f = 0; f < 3; f++)
					v[k][f][r] = res.v[f];
				for (size_t i = 0; i < NQ; i++)
					q[k][i][r] = res.q[i];
				csw[k][r] = res.csw_per_job;
			}
		for (int k = 0; k < IMPLS; k++)
			for (size_t i = 0; i < NQ; i++)
				cdf[wi][k][i] = spread_of(q[k][i], runs).med;
		for (int k = 0; k < IMPLS; k++) {
			char buf[100];
			printf("| %d | %s |", ws[wi], impl_names[k]);
			if (!impl_built[k]) {
				for (int f = 0; f < m->nfig + 2; f++)
					printf(" not built |");
				printf("\n");
				continue;
			}
			for (int f = 0; f < m->nfig; f++) {
				struct spread sp = spread_of(v[k][f], runs);
				if (mode == TIMER && f == 0)
					printf(" %.0f |", sp.med);
				else
					printf(" %s |", spread_str(buf, sp));
			}
			printf(" %s |", mode == IDLE ? "-"
				   : num(buf, spread_of(csw[k], runs).med));
			if (k == PARK_POOL || m->ratio_fig < 0) {
				printf(" |\n");
				continue;
			}
			double ratio[BENCH_MAX_ROUNDS];
			for (int r = 0; r < runs; r++)
				ratio[r] = v[PARK_POOL][m->ratio_fig][r] /
					   v[k][m->ratio_fig][r];
			printf(" %s |\n", spread_str(buf, spread_of(ratio, runs)));
		}
	}
	if (mode == SPARSE)
		cdf_table(runs, jobs);
}

static int syscall_mode(const char *mode_name, const char *impl_name,
			long w, long jobs)
{
	int mode = -1, impl = -1;
	for (int i = 0; i < MODES; i++)
		if (mode_name && strcmp(mode_name, mode_names[i]) == 0)
			mode = i;
	for (int i = 0; i < IMPLS; i++)
		if (impl_name && strcmp(impl_name, impl_names[i]) == 0)
			impl = i;
	if (mode < 0 || mode == IDLE || impl < 0 || w < 1 || w > MAX_W ||
	    jobs < 1) {
		fprintf(stderr, "pool-peers: --syscalls saturated|sparse|timer "
				"--impl park_pool|condvar|GThreadPool|uv_queue_work "
				"--workers 1..%d --count N\n", MAX_W);
		return 2;
	}
	if (!impl_built[impl])
		return 3;
	run_here((enum mode)mode, (enum impl)impl, (int)w, jobs);
	return 0;
}

static void usage(FILE *to, const char *argv0)
{
	fprintf(to, "usage: %s [--smoke] [--rounds N] [--only MODE]\n"
		    "       %s --syscalls MODE --impl IMPL --workers W --count N\n",
		argv0, argv0);
}

int main(int argc, char **argv)
{
	struct bench_options o;
	int status = bench_options_parse(argc, argv, "sr:o:i:w:n:O:h", usage, &o);
	if (status >= 0)
		return status;
	if (o.smoke) {
		scale = 0.01;
		runs = 3;
		idle_ms = 20;
	}
	if (o.rounds)
		runs = o.rounds;
	const char *mode = o.syscalls, *impl = o.impl, *only = o.only;
	long w = o.workers, count = o.count;
	if (mode || impl || w || count)
		return syscall_mode(mode, impl, w, count);
	setvbuf(stdout, NULL, _IOLBF, 0);
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	printf("\n## Pools compared (%s)\n", program_name(argv[0]));
	long counts[MODES] = {(long)(200000 * scale) + 1,
			      (long)(10000 * scale) + 1, 1,
			      (long)(10000 * scale) + 1};
	for (int m = 0; m < MODES; m++)
		if (!only || strcmp(only, mode_names[m]) == 0)
			table((enum mode)m, counts[m]);
	return 0;
}
