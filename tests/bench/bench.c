/*
 * libpark against what its users would otherwise write, in the same run,
 * interleaved (A B A B ...) so that drift on a shared machine hits both.
 * Every figure is min / median / max over the timed runs after a warm-up;
 * ratios are taken pair by pair (run i of libpark over run i of the
 * baseline).
 *
 *   bench [--smoke] [--runs N]     the table (docs/performance.md)
 *   bench --syscalls NAME COUNT    do COUNT operations of NAME and nothing
 *                                  else, for perf to count system calls
 */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#ifdef HAVE_LINUX_FUTEX_H
#include <linux/futex.h>
#endif
#ifdef HAVE_SYS_EVENTFD_H
#include <sys/eventfd.h>
#endif
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "libpark.h"
#include "util.h"

/* The sleeper of the library variant this program was linked with. */
extern const char park__sleeper_name[];

#define MAX_RUNS 31

static int runs = 7;
static double scale = 1.0; /* --smoke shrinks every count */

static long scaled(long n)
{
	long s = (long)(n * scale);
	return s > 0 ? s : 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void stats3(const double *v, int n, double *min, double *med, double *max)
{
	double s[MAX_RUNS];
	memcpy(s, v, sizeof(double) * (size_t)n);
	qsort(s, (size_t)n, sizeof s[0], cmp_double);
	*min = s[0];
	*med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	*max = s[n - 1];
}

struct impl {
	const char *name;
	double (*run)(long iters); /* ns per operation */
	double v[MAX_RUNS];
};

/* Runs every implementation once for warm-up, then `runs` rounds of all of
 * them in turn, and prints each with its ratio to impls[0]. */
static void compare(const char *title, const char *unit, struct impl *impls,
		    int n, long iters)
{
	for (int k = 0; k < n; k++)
		impls[k].run(iters / 4 + 1);
	for (int r = 0; r < runs; r++)
		for (int k = 0; k < n; k++)
			impls[k].v[r] = impls[k].run(iters);
	printf("\n%s (%s; %d runs of %ld)\n", title, unit, runs, iters);
	for (int k = 0; k < n; k++) {
		double mn, md, mx;
		stats3(impls[k].v, runs, &mn, &md, &mx);
		printf("  %-28s %10.1f %10.1f %10.1f", impls[k].name, mn, md, mx);
		if (k > 0) {
			double ratio[MAX_RUNS];
			for (int r = 0; r < runs; r++)
				ratio[r] = impls[0].v[r] / impls[k].v[r];
			stats3(ratio, runs, &mn, &md, &mx);
			printf("   libpark/this %.2f / %.2f / %.2f", mn, md, mx);
		}
		printf("\n");
	}
}

/* ---- raw futex hand-off: the same algorithm as libpark's sleeper, no
 * library around it (0 empty, 1 waiting, 2 notified) ------------------- */

#ifdef HAVE_LINUX_FUTEX_H
static void futex_wait(_Atomic uint32_t *w, uint32_t val)
{
	syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}
#else
/* No futex here: the floor degrades to a yielding spin (it is still the
 * same algorithm, so libpark's figures stay comparable with themselves). */
static void futex_wait(_Atomic uint32_t *w, uint32_t val)
{
	(void)w;
	(void)val;
	sched_yield();
}

static void futex_wake(_Atomic uint32_t *w)
{
	(void)w;
}
#endif

static void raw_wait(_Atomic uint32_t *w)
{
	uint32_t seen = 0;
	if (atomic_compare_exchange_strong(w, &seen, 1)) {
		while (atomic_load(w) == 1)
			futex_wait(w, 1);
	}
	atomic_store(w, 0);
}

static void raw_signal(_Atomic uint32_t *w)
{
	if (atomic_exchange(w, 2) == 1)
		futex_wake(w);
}

/* ---- mutex + condvar + flag ------------------------------------------- */

struct cv {
	pthread_mutex_t m;
	pthread_cond_t c;
	bool flag;
};

static void cv_init(struct cv *cv)
{
	pthread_mutex_init(&cv->m, NULL);
	pthread_cond_init(&cv->c, NULL);
	cv->flag = false;
}

static void cv_signal(struct cv *cv)
{
	pthread_mutex_lock(&cv->m);
	cv->flag = true;
	pthread_cond_signal(&cv->c);
	pthread_mutex_unlock(&cv->m);
}

static void cv_wait(struct cv *cv)
{
	pthread_mutex_lock(&cv->m);
	while (!cv->flag)
		pthread_cond_wait(&cv->c, &cv->m);
	cv->flag = false;
	pthread_mutex_unlock(&cv->m);
}

/* ---- self_pair: unpark then park on one thread ------------------------ */

static double self_pair_libpark(long iters)
{
	park_driver *d = park_driver_new();
	park_parker *p = park_parker_new(d);
	park_unparker *u = park_unparker_new(p);
	int64_t t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		park_unparker_unpark(u);
		if (park_parker_park(p) != PARK_TOKEN)
			abort();
	}
	double ns = (double)(now_ns() - t0) / (double)iters;
	park_unparker_unref(u);
	park_parker_unref(p);
	park_driver_unref(d);
	return ns;
}

static double self_pair_atomic(long iters)
{
	static _Atomic uint32_t word;
	int64_t t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		atomic_exchange(&word, 3);
		uint32_t seen = 3;
		if (!atomic_compare_exchange_strong(&word, &seen, 0))
			abort();
	}
	return (double)(now_ns() - t0) / (double)iters;
}

static double self_pair_condvar(long iters)
{
	struct cv cv;
	cv_init(&cv);
	int64_t t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		cv_signal(&cv);
		cv_wait(&cv);
	}
	return (double)(now_ns() - t0) / (double)iters;
}

/* ---- parallel self_pair: two threads, each on its own parker ------------
 * What a parker's own cache line buys: the same loop on two words that
 * share a line (false sharing) and on two words a line apart. */

struct lane {
	pthread_t thread;
	long iters;
	park_parker *p;
	park_unparker *u;
	_Atomic uint32_t *word;
	_Atomic bool *go;
};

static void *lane_libpark(void *arg)
{
	struct lane *l = arg;
	while (!*l->go)
		;
	for (long i = 0; i < l->iters; i++) {
		park_unparker_unpark(l->u);
		park_parker_park(l->p);
	}
	return NULL;
}

static void *lane_word(void *arg)
{
	struct lane *l = arg;
	while (!*l->go)
		;
	for (long i = 0; i < l->iters; i++) {
		atomic_exchange(l->word, 3);
		uint32_t seen = 3;
		atomic_compare_exchange_strong(l->word, &seen, 0);
	}
	return NULL;
}

/* ns per pair per thread, two threads at once. */
static double two_lanes(long iters, void *(*fn)(void *), struct lane l[2])
{
	_Atomic bool go = false;
	for (int i = 0; i < 2; i++) {
		l[i].iters = iters;
		l[i].go = &go;
		pthread_create(&l[i].thread, NULL, fn, &l[i]);
	}
	int64_t t0 = now_ns();
	go = true;
	for (int i = 0; i < 2; i++)
		pthread_join(l[i].thread, NULL);
	return (double)(now_ns() - t0) / (double)iters;
}

static double parallel_libpark(long iters)
{
	park_driver *d = park_driver_new();
	struct lane l[2];
	for (int i = 0; i < 2; i++) {
		l[i].p = park_parker_new(d);
		l[i].u = park_unparker_new(l[i].p);
	}
	double ns = two_lanes(iters, lane_libpark, l);
	for (int i = 0; i < 2; i++) {
		park_unparker_unref(l[i].u);
		park_parker_unref(l[i].p);
	}
	park_driver_unref(d);
	return ns;
}

static _Alignas(64) _Atomic uint32_t words[32];

static double parallel_shared_line(long iters)
{
	struct lane l[2] = {{.word = &words[0]}, {.word = &words[1]}};
	return two_lanes(iters, lane_word, l);
}

static double parallel_own_lines(long iters)
{
	struct lane l[2] = {{.word = &words[0]}, {.word = &words[16]}};
	return two_lanes(iters, lane_word, l);
}

/* ---- two-thread hand-offs ---------------------------------------------- */

/* The partner thread of a ping-pong: waits, answers, `iters` times. */
struct partner {
	pthread_t thread;
	long iters;
	void (*wait)(void *);
	void (*answer)(void *);
	void *arg;
	long csw;
};

static long thread_csw(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nvcsw;
}

static void *partner_main(void *arg)
{
	struct partner *pt = arg;
	long csw = thread_csw();
	for (long i = 0; i < pt->iters; i++) {
		pt->wait(pt->arg);
		pt->answer(pt->arg);
	}
	pt->csw = thread_csw() - csw;
	return NULL;
}

static double last_csw_main, last_csw_partner;

/* Round trips: main answers first, then waits for the partner. */
static double ping_pong(long iters, void (*wait_main)(void *),
			void (*answer_main)(void *), struct partner *pt)
{
	pt->iters = iters;
	pthread_create(&pt->thread, NULL, partner_main, pt);
	long csw = thread_csw();
	int64_t t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		answer_main(pt->arg);
		wait_main(pt->arg);
	}
	double ns = (double)(now_ns() - t0) / (double)iters;
	last_csw_main = (double)(thread_csw() - csw) / (double)iters;
	pthread_join(pt->thread, NULL);
	last_csw_partner = (double)pt->csw / (double)iters;
	return ns;
}

/* libpark, sleeper path on both sides (a shut-down driver). */
struct park_pair {
	park_parker *a, *b;
	park_unparker *ua, *ub;
};

static void pp_wait_a(void *x) { park_parker_park(((struct park_pair *)x)->a); }
static void pp_wait_b(void *x) { park_parker_park(((struct park_pair *)x)->b); }
static void pp_wake_a(void *x) { park_unparker_unpark(((struct park_pair *)x)->ua); }
static void pp_wake_b(void *x) { park_unparker_unpark(((struct park_pair *)x)->ub); }

static double pingpong_csw[2][3];

static double pingpong_libpark(long iters)
{
	park_driver *d = park_driver_new();
	park_driver_shutdown(d);
	struct park_pair pp = {park_parker_new(d), park_parker_new(d), 0, 0};
	pp.ua = park_unparker_new(pp.a);
	pp.ub = park_unparker_new(pp.b);
	struct partner pt = {.wait = pp_wait_b, .answer = pp_wake_a, .arg = &pp};
	double ns = ping_pong(iters, pp_wait_a, pp_wake_b, &pt);
	pingpong_csw[0][0] = last_csw_main;
	pingpong_csw[1][0] = last_csw_partner;
	park_unparker_unref(pp.ua);
	park_unparker_unref(pp.ub);
	park_parker_unref(pp.a);
	park_parker_unref(pp.b);
	park_driver_unref(d);
	return ns;
}

struct raw_pair {
	_Atomic uint32_t a, b;
};
static void rp_wait_a(void *x) { raw_wait(&((struct raw_pair *)x)->a); }
static void rp_wait_b(void *x) { raw_wait(&((struct raw_pair *)x)->b); }
static void rp_wake_a(void *x) { raw_signal(&((struct raw_pair *)x)->a); }
static void rp_wake_b(void *x) { raw_signal(&((struct raw_pair *)x)->b); }

static double pingpong_futex(long iters)
{
	struct raw_pair rp = {0, 0};
	struct partner pt = {.wait = rp_wait_b, .answer = rp_wake_a, .arg = &rp};
	double ns = ping_pong(iters, rp_wait_a, rp_wake_b, &pt);
	pingpong_csw[0][1] = last_csw_main;
	pingpong_csw[1][1] = last_csw_partner;
	return ns;
}

struct cv_pair {
	struct cv a, b;
};
static void cp_wait_a(void *x) { cv_wait(&((struct cv_pair *)x)->a); }
static void cp_wait_b(void *x) { cv_wait(&((struct cv_pair *)x)->b); }
static void cp_wake_a(void *x) { cv_signal(&((struct cv_pair *)x)->a); }
static void cp_wake_b(void *x) { cv_signal(&((struct cv_pair *)x)->b); }

static double pingpong_condvar(long iters)
{
	struct cv_pair cp;
	cv_init(&cp.a);
	cv_init(&cp.b);
	struct partner pt = {.wait = cp_wait_b, .answer = cp_wake_a, .arg = &cp};
	double ns = ping_pong(iters, cp_wait_a, cp_wake_b, &pt);
	pingpong_csw[0][2] = last_csw_main;
	pingpong_csw[1][2] = last_csw_partner;
	return ns;
}

/* ---- driver_rt: one side in the driver, the other on a sleeper --------- */

struct driver_pair {
	park_parker *in_driver, *on_sleeper;
	park_unparker *wake_driver, *wake_sleeper;
};

static void dp_wait_driver(void *x)
{
	/* A driver park may return for events; only a token counts. */
	while (PARK_REASON(park_parker_park(((struct driver_pair *)x)->in_driver)) !=
	       PARK_TOKEN)
		;
}
static void dp_wait_sleeper(void *x) { park_parker_park(((struct driver_pair *)x)->on_sleeper); }
static void dp_wake_driver(void *x) { park_unparker_unpark(((struct driver_pair *)x)->wake_driver); }
static void dp_wake_sleeper(void *x) { park_unparker_unpark(((struct driver_pair *)x)->wake_sleeper); }

static double driver_rt_libpark(long iters)
{
	park_driver *live = park_driver_new(), *off = park_driver_new();
	park_driver_shutdown(off);
	struct driver_pair dp = {park_parker_new(live), park_parker_new(off), 0, 0};
	dp.wake_driver = park_unparker_new(dp.in_driver);
	dp.wake_sleeper = park_unparker_new(dp.on_sleeper);
	struct partner pt = {.wait = dp_wait_driver, .answer = dp_wake_sleeper, .arg = &dp};
	double ns = ping_pong(iters, dp_wait_sleeper, dp_wake_driver, &pt);
	park_unparker_unref(dp.wake_driver);
	park_unparker_unref(dp.wake_sleeper);
	park_parker_unref(dp.in_driver);
	park_parker_unref(dp.on_sleeper);
	park_driver_unref(live);
	park_driver_unref(off);
	return ns;
}

/* Raw libevent: EVLOOP_ONCE on a persistent read event on an eventfd,
 * drained by its callback; the answer goes back through a raw futex. */
struct event_pair {
	struct event_base *base;
	struct event *ev;
	int efd;
#ifndef HAVE_SYS_EVENTFD_H
	int rfd; /* a pipe: efd is its write end */
#endif
	bool got;
	_Atomic uint32_t back;
};

static int ep_read_fd(const struct event_pair *ep)
{
#ifdef HAVE_SYS_EVENTFD_H
	return ep->efd;
#else
	return ep->rfd;
#endif
}

static void ep_drain(evutil_socket_t fd, short what, void *arg)
{
	uint64_t n;
	(void)what;
	if (read(fd, &n, sizeof n) > 0)
		((struct event_pair *)arg)->got = true;
}
static void ep_wait_loop(void *x)
{
	struct event_pair *ep = x;
	while (!ep->got)
		event_base_loop(ep->base, EVLOOP_ONCE);
	ep->got = false;
}
static void ep_wake_loop(void *x)
{
	uint64_t one = 1;
	if (write(((struct event_pair *)x)->efd, &one, sizeof one) <= 0)
		abort();
}
static void ep_wait_back(void *x) { raw_wait(&((struct event_pair *)x)->back); }
static void ep_wake_back(void *x) { raw_signal(&((struct event_pair *)x)->back); }

static double driver_rt_libevent(long iters)
{
	struct event_pair ep = {.base = event_base_new()};
#ifdef HAVE_SYS_EVENTFD_H
	ep.efd = eventfd(0, EFD_NONBLOCK);
#else
	int fds[2];
	if (pipe(fds) < 0)
		abort();
	ep.efd = fds[1];
	ep.rfd = fds[0];
#endif
	ep.ev = event_new(ep.base, ep_read_fd(&ep), EV_READ | EV_PERSIST,
			  ep_drain, &ep);
	event_add(ep.ev, NULL);
	struct partner pt = {.wait = ep_wait_loop, .answer = ep_wake_back, .arg = &ep};
	double ns = ping_pong(iters, ep_wait_back, ep_wake_loop, &pt);
	event_free(ep.ev);
	event_base_free(ep.base);
	close(ep.efd);
#ifndef HAVE_SYS_EVENTFD_H
	close(ep.rfd);
#endif
	return ns;
}

/* ---- fanout: N sleeping parkers woken in turn --------------------------- */

struct fan {
	park_parker *p;
	park_unparker *u;
	pthread_t thread;
	_Atomic long *woken;
	_Atomic bool *stop;
};

static void *fan_main(void *arg)
{
	struct fan *f = arg;
	while (!*f->stop) {
		park_parker_park(f->p);
		(*f->woken)++;
	}
	return NULL;
}

/* ns per unpark of a sleeping parker, N parkers, min/med/max over rounds. */
static void fanout(int n, int rounds, double out[3])
{
	park_driver *d = park_driver_new();
	park_driver_shutdown(d);
	struct fan *fans = calloc((size_t)n, sizeof *fans);
	_Atomic long woken = 0;
	_Atomic bool stop = false;
	for (int i = 0; i < n; i++) {
		fans[i].p = park_parker_new(d);
		fans[i].u = park_unparker_new(fans[i].p);
		fans[i].woken = &woken;
		fans[i].stop = &stop;
		pthread_create(&fans[i].thread, NULL, fan_main, &fans[i]);
	}
	double per[MAX_RUNS];
	for (int r = 0; r < rounds + 1; r++) {
		/* Let everyone go back to sleep on its futex. */
		while (woken < (long)n * r)
			usleep(100);
		usleep(2000);
		int64_t t0 = now_ns();
		for (int i = 0; i < n; i++)
			park_unparker_unpark(fans[i].u);
		if (r > 0) /* round 0 is the warm-up */
			per[r - 1] = (double)(now_ns() - t0) / n;
	}
	stop = true;
	for (int i = 0; i < n; i++) {
		park_unparker_unpark(fans[i].u);
		pthread_join(fans[i].thread, NULL);
		park_unparker_unref(fans[i].u);
		park_parker_unref(fans[i].p);
	}
	free(fans);
	park_driver_unref(d);
	stats3(per, rounds, &out[0], &out[1], &out[2]);
}

/* ---- memory ------------------------------------------------------------ */

static long resident_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;
	if (f && fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	if (f)
		fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void memory(int n)
{
	park_driver *d = park_driver_new();
	park_parker **ps = calloc((size_t)n, sizeof *ps);
	struct mallinfo2 before = mallinfo2();
	long rss = resident_kib();
	for (int i = 0; i < n; i++)
		ps[i] = park_parker_new(d);
	struct mallinfo2 after = mallinfo2();
	long rss_after = resident_kib();
	printf("\nmemory (%d parkers)\n", n);
	printf("  heap bytes per parker (malloc's view)  %.1f\n",
	       (double)(after.uordblks - before.uordblks) / n);
	printf("  RSS growth                             %ld KiB (%.1f bytes per parker)\n",
	       rss_after - rss, (rss_after - rss) * 1024.0 / n);
	for (int i = 0; i < n; i++)
		park_parker_unref(ps[i]);
	free(ps);
	park_driver_unref(d);
}

/* ---- --syscalls: one operation, COUNT times, nothing else -------------- */

static int syscall_mode(const char *name, long count)
{
	struct impl impls[] = {
	    {"self_pair", self_pair_libpark, {0}},
	    {"pingpong", pingpong_libpark, {0}},
	    {"pingpong_futex", pingpong_futex, {0}},
	    {"driver_rt", driver_rt_libpark, {0}},
	    {"driver_rt_libevent", driver_rt_libevent, {0}},
	};
	for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++) {
		if (strcmp(name, impls[i].name) == 0) {
			if (count > 0)
				impls[i].run(count);
			return 0;
		}
	}
	fprintf(stderr, "bench: no operation %s\n", name);
	return 2;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--smoke") == 0) {
			scale = 0.001;
			runs = 5;
		} else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
			runs = atoi(argv[++i]);
			if (runs < 1 || runs > MAX_RUNS)
				return 2;
		} else if (strcmp(argv[i], "--syscalls") == 0 && i + 2 < argc) {
			return syscall_mode(argv[i + 1], atol(argv[i + 2]));
		} else {
			fprintf(stderr, "usage: %s [--smoke] [--runs N] | "
					"--syscalls NAME COUNT\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("libpark %s bench, %s sleeper; %ld CPUs; columns: min median max\n",
	       park_version_string(), park__sleeper_name,
	       sysconf(_SC_NPROCESSORS_ONLN));

	struct impl self_pair[] = {
	    {"libpark unpark+park", self_pair_libpark, {0}},
	    {"atomic swap+CAS (floor)", self_pair_atomic, {0}},
	    {"mutex+condvar+flag", self_pair_condvar, {0}},
	};
	compare("self_pair: unpark then park, one thread", "ns per pair",
		self_pair, 3, scaled(5000000));

	struct impl parallel[] = {
	    {"libpark, own parker each", parallel_libpark, {0}},
	    {"two words on one line", parallel_shared_line, {0}},
	    {"two words a line apart", parallel_own_lines, {0}},
	};
	compare("parallel self_pair: two threads at once, each its own parker",
		"ns per pair", parallel, 3, scaled(5000000));

	struct impl pingpong[] = {
	    {"libpark (sleeper both sides)", pingpong_libpark, {0}},
	    {"raw futex hand-off (floor)", pingpong_futex, {0}},
	    {"mutex+condvar", pingpong_condvar, {0}},
	};
	compare("pingpong: two sleeping threads", "ns per round trip", pingpong,
		3, scaled(100000));
	printf("  voluntary context switches per round trip (main, partner): "
	       "libpark %.2f, %.2f; futex %.2f, %.2f; condvar %.2f, %.2f\n",
	       pingpong_csw[0][0], pingpong_csw[1][0], pingpong_csw[0][1],
	       pingpong_csw[1][1], pingpong_csw[0][2], pingpong_csw[1][2]);

	struct impl driver_rt[] = {
	    {"libpark driver <-> sleeper", driver_rt_libpark, {0}},
	    {"raw libevent + futex", driver_rt_libevent, {0}},
	};
	compare("driver_rt: one thread in the driver, one on a sleeper",
		"ns per round trip", driver_rt, 2, scaled(100000));

	printf("\nfanout: N sleeping parkers, each unparked in turn (ns per wake)\n");
	int ns[] = {1, 2, 4, 8, 16, 64};
	double first[3] = {0, 0, 0}, out[3];
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		fanout(ns[i], scale < 1 ? 3 : 15, out);
		if (i == 0)
			memcpy(first, out, sizeof out);
		printf("  N=%-3d %10.1f %10.1f %10.1f   median/N=1 %.2f\n", ns[i],
		       out[0], out[1], out[2], out[1] / first[1]);
	}

	memory(scale < 1 ? 1000 : 10000);
	return 0;
}
