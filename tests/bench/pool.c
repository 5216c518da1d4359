/*
 * A worker pool fed by one producer, two ways in the same run, rounds
 * interleaved (condvar, libpark, condvar, ...) so drift hits both:
 *
 *   condvar  a mutex-protected queue; idle workers wait on a condition
 *            variable; submit signals it (pthread_cond_signal) when
 *            someone waits;
 *   libpark  the same queue; idle workers park through an idle set
 *            (join, re-check, park); submit calls park_idle_notify, which
 *            wakes nobody while a worker it woke still searches; the last
 *            searcher to find a job notifies again if more are queued.
 *
 * Modes, for W = 1, 2, 4, 16 workers:
 *   saturated  jobs pushed as fast as possible: jobs per second;
 *   sparse     a job every 50 us: submit-to-start latency p50 and p99;
 *   timer      sparse, plus a 1 ms timer (libpark: on the driver, served
 *              by whichever worker idles there; condvar: a thread of its
 *              own running a libevent loop): ticks' lateness p99 and max.
 * Each mode also reports context switches per job (getrusage). System
 * calls per job are counted by perf in make bench (tests/bench/run.sh,
 * --syscalls).
 *
 * Prints Markdown (docs/performance.md is pasted from make bench).
 *
 *   pool [--smoke] [--rounds N]
 *   pool --syscalls MODE --impl IMPL --workers W --count N
 *                                   N jobs of one configuration, for perf
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
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "libpark.h"
#include "report.h"
#include "util.h"


#define MAX_WORKERS 16
#define QUEUE 4096 /* jobs in flight at most; a power of two */
#define US 1000LL

enum impl { CONDVAR, LIBPARK, IMPLS };
static const char *const impl_names[IMPLS] = {"condvar", "libpark"};
enum mode { SATURATED, SPARSE, TIMER };

static int runs = 5;
static double scale = 1.0;

/* ---- the pool ------------------------------------------------------------ */

struct pool {
	enum impl impl;
	int workers;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* condvar */
	int waiting;         /* condvar: workers in cond_wait */
	int64_t submitted_at[QUEUE];
	unsigned head, tail; /* under lock */
	bool closing;        /* under lock */
	park_driver *driver; /* libpark */
	park_idle *set;
	park_parker *parkers[MAX_WORKERS];
	pthread_t threads[MAX_WORKERS];
	_Atomic long done;
	_Atomic long latency_next;
	/* sparse: start - submit, one slot per job */
	int64_t *latency;
	long latency_cap;
};

/* A tiny job: a few hundred nanoseconds of arithmetic. */
static _Atomic uint64_t job_sink;
static void run_job(void)
{
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < 64; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	atomic_fetch_add_explicit(&job_sink, x & 1, memory_order_relaxed);
}

/* Takes a job under the lock; false when the queue is empty. */
static bool pop_locked(struct pool *p, int64_t *submitted)
{
	if (p->head == p->tail)
		return false;
	*submitted = p->submitted_at[p->head++ % QUEUE];
	return true;
}

static void job_started(struct pool *p, int64_t submitted)
{
	/* The latency is written before the job counts as started, and the
	 * count is a release: the main thread, which waits until every job
	 * started, then reads every latency. */
	if (p->latency) {
		long n = atomic_fetch_add_explicit(&p->latency_next, 1,
						   memory_order_relaxed);
		if (n < p->latency_cap)
			p->latency[n] = now_ns() - submitted;
	}
	atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
	run_job();
}

static void *condvar_worker(void *arg)
{
	struct pool *p = arg;
	int64_t submitted;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		if (pop_locked(p, &submitted)) {
			pthread_mutex_unlock(&p->lock);
			job_started(p, submitted);
			pthread_mutex_lock(&p->lock);
		} else if (p->closing) {
			break;
		} else {
			p->waiting++;
			pthread_cond_wait(&p->cond, &p->lock);
			p->waiting--;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* 1: a job, 0: none, -1: closing. */
static int take(struct pool *p, int64_t *submitted)
{
	pthread_mutex_lock(&p->lock);
	int r = pop_locked(p, submitted) ? 1 : p->closing ? -1 : 0;
	pthread_mutex_unlock(&p->lock);
	return r;
}

struct libpark_worker {
	struct pool *pool;
	park_parker *parker;
};

/* The worker found a job: if it was the last searcher, the notifies made
 * while it searched woke nobody; pass one on if jobs are left. */
static void found_job(struct pool *p, park_parker *me)
{
	if (park_idle_stop_searching(p->set, me) != 1)
		return;
	pthread_mutex_lock(&p->lock);
	bool left = p->head != p->tail;
	pthread_mutex_unlock(&p->lock);
	if (left)
		park_idle_notify(p->set);
}

static void *libpark_worker(void *arg)
{
	struct pool *p = ((struct libpark_worker *)arg)->pool;
	park_parker *me = ((struct libpark_worker *)arg)->parker;
	free(arg);
	int64_t submitted;
	for (;;) {
		int r = take(p, &submitted);
		if (r == 0) {
			/* The documented protocol: join, look again, park. */
			park_idle_join(p->set, me);
			r = take(p, &submitted);
			if (r != 0) {
				park_idle_leave(p->set, me);
			} else {
				park_idle_park(p->set, me, -1);
				continue;
			}
		}
		if (r < 0)
			return NULL;
		found_job(p, me);
		job_started(p, submitted);
	}
}

static void submit(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->submitted_at[p->tail++ % QUEUE] = now_ns();
	bool wake = p->impl == CONDVAR && p->waiting > 0;
	pthread_mutex_unlock(&p->lock);
	if (p->impl == LIBPARK)
		park_idle_notify(p->set);
	else if (wake)
		pthread_cond_signal(&p->cond);
}

static void pool_start(struct pool *p, enum impl impl, int workers,
		       park_driver *driver)
{
	memset(p, 0, sizeof *p);
	p->impl = impl;
	p->workers = workers;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (impl == LIBPARK) {
		p->driver = driver;
		p->set = park_idle_new(driver);
		if (!p->set)
			abort();
	}
	for (int i = 0; i < workers; i++) {
		if (impl == CONDVAR) {
			pthread_create(&p->threads[i], NULL, condvar_worker, p);
			continue;
		}
		struct libpark_worker *w = malloc(sizeof *w);
		p->parkers[i] = park_parker_new(driver);
		if (!w || !p->parkers[i])
			abort();
		*w = (struct libpark_worker){p, p->parkers[i]};
		pthread_create(&p->threads[i], NULL, libpark_worker, w);
	}
}

static void pool_stop(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->closing = true;
	pthread_mutex_unlock(&p->lock);
	if (p->impl == CONDVAR)
		pthread_cond_broadcast(&p->cond);
	else
		park_idle_unpark_all(p->set);
	for (int i = 0; i < p->workers; i++) {
		pthread_join(p->threads[i], NULL);
		park_parker_unref(p->parkers[i]);
	}
	park_idle_unref(p->set);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
}

/* ---- the 1 ms timer -------------------------------------------------------- */

struct ticker {
	struct event *ev;
	int64_t target;
	_Atomic bool stop;
	int64_t *late;
	long n, cap;
};

static void tick(evutil_socket_t fd, short what, void *arg)
{
	struct ticker *t = arg;
	(void)fd;
	(void)what;
	int64_t now = now_ns();
	if (t->n < t->cap)
		t->late[t->n++] = now - t->target;
	if (t->stop)
		return;
	while (t->target <= now)
		t->target += 1000 * US;
	int64_t us = (t->target - now + 999) / 1000;
	struct timeval tv = {(time_t)(us / 1000000),
			     (suseconds_t)(us % 1000000)};
	event_add(t->ev, &tv);
}

static void ticker_start(struct ticker *t, struct event_base *base, long cap)
{
	memset(t, 0, sizeof *t);
	t->cap = cap;
	t->late = calloc((size_t)cap, sizeof *t->late);
	t->ev = event_new(base, -1, 0, tick, t);
	t->target = now_ns() + 1000 * US;
	struct timeval tv = {0, 1000};
	event_add(t->ev, &tv);
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

static void *loop_thread(void *arg)
{
	event_base_dispatch(arg);
	return NULL;
}

/* ---- one run ---------------------------------------------------------------- */

struct result {
	double value[3]; /* mode-specific figures */
	double csw_per_job;
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static double percentile(int64_t *v, long n, double q)
{
	if (n <= 0)
		return 0;
	qsort(v, (size_t)n, sizeof *v, cmp_i64);
	long i = (long)(q * (double)(n - 1) + 0.5);
	return (double)v[i];
}

static long context_switches(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

static void sleep_until(int64_t t)
{
	struct timespec ts = {(time_t)(t / 1000000000), (long)(t % 1000000000)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
		;
}

static struct result run_once(enum mode mode, enum impl impl, int workers,
			      long jobs)
{
	struct result res = {{0}, 0};
	struct event_base *timer_base = NULL, *driver_base = NULL;
	park_driver *driver;
	if (mode == TIMER && impl == LIBPARK) {
		/* The application's base, as a program with a 1 ms timer
		 * would make it: libevent's default clock is coarse (4 ms
		 * steps at HZ=250). */
		driver_base = precise_base();
		driver = park_driver_new_with_base(driver_base);
	} else {
		driver = park_driver_new();
	}
	pthread_t timer_thread;
	struct ticker ticker;
	if (mode == TIMER) {
		long cap = jobs / 10 + 1000;
		if (impl == LIBPARK) {
			ticker_start(&ticker, park_driver_get_base(driver), cap);
		} else {
			timer_base = precise_base();
			ticker_start(&ticker, timer_base, cap);
			pthread_create(&timer_thread, NULL, loop_thread,
				       timer_base);
		}
	}
	struct pool *p = malloc(sizeof *p);
	pool_start(p, impl, workers, driver);
	if (mode != SATURATED) {
		p->latency_cap = jobs;
		p->latency = calloc((size_t)jobs, sizeof *p->latency);
	}
	usleep(2000); /* let the workers go idle */

	long csw = context_switches();
	int64_t start = now_ns();
	for (long j = 0; j < jobs; j++) {
		if (mode == SATURATED) {
			while (j - atomic_load(&p->done) >= QUEUE - 1)
				sched_yield();
		} else {
			sleep_until(start + (j + 1) * 50 * US);
		}
		submit(p);
	}
	while (atomic_load(&p->done) < jobs)
		sched_yield();
	int64_t elapsed = now_ns() - start;
	res.csw_per_job = (double)(context_switches() - csw) / (double)jobs;

	if (mode == SATURATED) {
		res.value[0] = (double)jobs / ((double)elapsed / 1e9);
	} else {
		res.value[0] = percentile(p->latency, jobs, 0.50) / 1000.0;
		res.value[1] = percentile(p->latency, jobs, 0.99) / 1000.0;
	}
	if (mode == TIMER) {
		ticker.stop = true;
		if (impl == CONDVAR)
			pthread_join(timer_thread, NULL);
	}
	pool_stop(p);
	if (mode == TIMER) {
		/* Every worker has left the driver (or the loop thread has
		 * returned): the base is ours again. */
		long n = ticker.n;
		int64_t worst = 0;
		for (long i = 0; i < n; i++)
			if (ticker.late[i] > worst)
				worst = ticker.late[i];
		res.value[1] = percentile(ticker.late, n, 0.99) / 1000.0;
		res.value[2] = (double)worst / 1000.0;
		res.value[0] = (double)n;
		event_free(ticker.ev);
		free(ticker.late);
		if (timer_base)
			event_base_free(timer_base);
	}
	free(p->latency);
	free(p);
	park_driver_unref(driver);
	if (driver_base)
		event_base_free(driver_base);
	return res;
}

/* ---- the tables ------------------------------------------------------------ */

struct mode_info {
	const char *title, *text;
	int nfig;
	const char *fig[3];    /* column headers of the figures */
	const char *ratio;     /* the figure the ratio compares */
	int ratio_fig;
};

static const struct mode_info modes[] = {
    [SATURATED] = {"pool, saturated: jobs pushed as fast as possible",
		   "One producer pushes jobs of a few hundred nanoseconds as "
		   "fast as the queue takes them.",
		   1, {"jobs/s (min / median / max)"}, "jobs/s", 0},
    [SPARSE] = {"pool, sparse: a job every 50 us",
		"One producer submits a job every 50 us; latency is submit "
		"to start.",
		2, {"latency p50 us (min / median / max)",
		    "latency p99 us (min / median / max)"}, "p99", 1},
    [TIMER] = {"pool, timer: a job every 50 us and a 1 ms timer",
	       "The sparse load, plus a 1 ms repeating timer: on the "
	       "driver's base for libpark, served by whichever worker idles "
	       "there; on a thread of its own running a libevent loop for "
	       "condvar. Lateness is how long after its due time a tick "
	       "ran.",
	       3, {"ticks", "tick late p99 us (min / median / max)",
		   "tick late max us (min / median / max)"}, "tick p99", 1},
};

static void table(enum mode mode, long jobs)
{
	const struct mode_info *m = &modes[mode];
	char text[1024], ratio_col[64];
	snprintf(text, sizeof text,
		 "%s Pools of W workers; %d rounds of %ld jobs after a "
		 "warm-up, condvar and libpark taking turns. Switches are the "
		 "process's (voluntary and involuntary) per job. The ratio "
		 "is libpark over condvar, round by round.",
		 m->text, runs, jobs);
	snprintf(ratio_col, sizeof ratio_col,
		 "libpark / condvar %s (min / median / max)", m->ratio);
	const char *cols[8] = {"W", "pool"};
	int ncols = 2;
	for (int f = 0; f < m->nfig; f++)
		cols[ncols++] = m->fig[f];
	cols[ncols++] = "switches per job (median)";
	cols[ncols++] = ratio_col;
	md_table(m->title, text, cols, ncols);

	int ws[] = {1, 2, 4, 16};
	for (size_t wi = 0; wi < sizeof ws / sizeof ws[0]; wi++) {
		double v[IMPLS][3][BENCH_MAX_ROUNDS], csw[IMPLS][BENCH_MAX_ROUNDS];
		for (int k = 0; k < IMPLS; k++) /* warm-up */
			run_once(mode, (enum impl)k, ws[wi], jobs / 4 + 1);
		for (int r = 0; r < runs; r++)
			for (int k = 0; k < IMPLS; k++) {
				struct result res =
				    run_once(mode, (enum impl)k, ws[wi], jobs);
				for (int f = 0; f < 3; f++)
					v[k][f][r] = res.value[f];
				csw[k][r] = res.csw_per_job;
			}
		/* Pair by pair: run r of libpark against run r of condvar. */
		double ratio[BENCH_MAX_ROUNDS];
		for (int r = 0; r < runs; r++)
			ratio[r] = v[LIBPARK][m->ratio_fig][r] /
				   v[CONDVAR][m->ratio_fig][r];
		for (int k = 0; k < IMPLS; k++) {
			char buf[100];
			printf("| %d | %s |", ws[wi], impl_names[k]);
			for (int f = 0; f < m->nfig; f++) {
				struct spread sp = spread_of(v[k][f], runs);
				if (mode == TIMER && f == 0) /* ticks */
					printf(" %.0f |", sp.med);
				else
					printf(" %s |", spread_str(buf, sp));
			}
			printf(" %s |", num(buf, spread_of(csw[k], runs).med));
			printf(" %s |\n", k == LIBPARK
					      ? spread_str(buf, spread_of(ratio, runs))
					      : "");
		}
	}
}

/* unpark_one with nobody idle against the condvar pool's submit-side
 * check (lock, look at the waiter count, unlock). */
static void empty_wake(long iters)
{
	park_driver *d = park_driver_new();
	park_idle *set = park_idle_new(d);
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int waiting = 0, found = 0;
	double v[2][BENCH_MAX_ROUNDS];
	for (int r = 0; r < runs; r++) {
		int64_t t0 = now_ns();
		for (long i = 0; i < iters; i++)
			found += park_idle_unpark_one(set);
		int64_t t1 = now_ns();
		for (long i = 0; i < iters; i++) {
			pthread_mutex_lock(&lock);
			found += *(volatile int *)&waiting;
			pthread_mutex_unlock(&lock);
		}
		int64_t t2 = now_ns();
		v[0][r] = (double)(t1 - t0) / (double)iters;
		v[1][r] = (double)(t2 - t1) / (double)iters;
	}
	char text[256], buf[100];
	snprintf(text, sizeof text,
		 "What a producer pays per job when every worker is busy. "
		 "%d rounds of %ld calls.", runs, iters);
	static const char *const cols[] = {"", "ns per call (min / median / max)"};
	md_table("pool: the wake check on submit, nobody idle", text, cols, 2);
	printf("| libpark park_idle_unpark_one | %s |\n",
	       spread_str(buf, spread_of(v[0], runs)));
	printf("| condvar lock + check + unlock | %s |\n",
	       spread_str(buf, spread_of(v[1], runs)));
	if (found != 0)
		printf("\n(unexpected: %d wakes on an empty set)\n", found);
	park_idle_unref(set);
	park_driver_unref(d);
}

static int syscall_mode(const char *mode_name, const char *impl_name,
			long workers, long jobs)
{
	static const char *const mode_names[] = {"saturated", "sparse", "timer"};
	int mode = -1, impl = -1;
	for (int i = 0; i < 3; i++)
		if (mode_name && strcmp(mode_name, mode_names[i]) == 0)
			mode = i;
	for (int i = 0; i < IMPLS; i++)
		if (impl_name && strcmp(impl_name, impl_names[i]) == 0)
			impl = i;
	if (mode < 0 || impl < 0 || workers < 1 || workers > MAX_WORKERS ||
	    jobs < 1) {
		fprintf(stderr, "pool: --syscalls saturated|sparse|timer "
				"--impl condvar|libpark --workers 1..%d "
				"--count N\n", MAX_WORKERS);
		return 2;
	}
	run_once((enum mode)mode, (enum impl)impl, (int)workers, jobs);
	return 0;
}

static void usage(FILE *to, const char *argv0)
{
	fprintf(to,
		"usage: %s [--smoke] [--rounds N] [--only TABLE]\n"
		"       %s --syscalls MODE --impl IMPL --workers W --count N\n"
		"  --smoke        tiny counts and 3 rounds (make check)\n"
		"  --rounds N     timed rounds per table, 1 to %d (default 5)\n"
		"  --only TABLE   empty, saturated, sparse or timer only\n"
		"  --syscalls MODE  one run of saturated, sparse or timer\n"
		"                 with N jobs only, for perf\n",
		argv0, argv0, BENCH_MAX_ROUNDS);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"smoke", no_argument, NULL, 's'},
	    {"rounds", required_argument, NULL, 'r'},
	    {"syscalls", required_argument, NULL, 'o'},
	    {"impl", required_argument, NULL, 'i'},
	    {"workers", required_argument, NULL, 'w'},
	    {"count", required_argument, NULL, 'n'},
	    {"only", required_argument, NULL, 'O'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *mode = NULL, *impl = NULL, *only = NULL;
	long workers = 0, count = 0, n;
	for (int c; (c = getopt_long(argc, argv, "sr:o:i:w:n:O:h", options,
				     NULL)) != -1;) {
		switch (c) {
		case 's':
			scale = 0.01;
			runs = 3;
			break;
		case 'r':
			if (!parse_count(optarg, &n) || n < 1 ||
			    n > BENCH_MAX_ROUNDS) {
				fprintf(stderr, "pool: --rounds wants 1 to %d, "
						"not %s\n", BENCH_MAX_ROUNDS, optarg);
				return 2;
			}
			runs = (int)n;
			break;
		case 'o':
			mode = optarg;
			break;
		case 'i':
			impl = optarg;
			break;
		case 'w':
		case 'n':
			if (!parse_count(optarg, c == 'w' ? &workers : &count)) {
				fprintf(stderr, "pool: not a count: %s\n", optarg);
				return 2;
			}
			break;
		case 'O':
			only = optarg;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr, argv[0]);
		return 2;
	}
	if (mode || impl || workers || count)
		return syscall_mode(mode, impl, workers, count);
	if (only && strcmp(only, "empty") && strcmp(only, "saturated") &&
	    strcmp(only, "sparse") && strcmp(only, "timer")) {
		fprintf(stderr, "pool: --only takes one of empty, saturated, "
				"sparse, timer\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The producer's 50 us schedule needs a tight sleep. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	printf("\n## Worker pool, %s sleeper (%s: %s)\n", PARK_BENCH_SLEEPER,
	       PARK_BENCH_LINK, program_name(argv[0]));
	if (!only || strcmp(only, "empty") == 0)
		empty_wake((long)(10000000 * scale) + 1);
	if (!only || strcmp(only, "saturated") == 0)
		table(SATURATED, (long)(200000 * scale) + 1);
	if (!only || strcmp(only, "sparse") == 0)
		table(SPARSE, (long)(10000 * scale) + 1);
	if (!only || strcmp(only, "timer") == 0)
		table(TIMER, (long)(10000 * scale) + 1);
	return 0;
}
