/*
 * libpark against what its users would otherwise write, in the same run,
 * interleaved (A B C A B C ...) so that drift on a shared machine hits
 * every row alike. Prints Markdown (docs/performance.md is pasted from
 * make bench). Every figure is min / median / max over the rounds after a
 * warm-up; ratios are taken round by round.
 *
 *   bench [--smoke] [--rounds N]       every table
 *   bench --syscalls OP --count N      N operations of OP and nothing else,
 *                                      for perf to count system calls
 */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_SYS_EVENTFD_H
#include <sys/eventfd.h>
#endif

#include <event2/event.h>

#include "bench.h"
#include "peers.h"
#include "util.h"


int rounds = 9;
double scale = 1.0;

long scaled(long n)
{
	long s = (long)((double)n * scale);
	return s > 0 ? s : 1;
}

/* ---- tables ------------------------------------------------------------- */

void run_table(const struct table *t, struct row *rows, int n, long iters)
{
	for (int k = 0; k < n; k++)
		rows[k].run(iters / 4 + 1, rows[k].arg);
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < n; k++)
			rows[k].s[r] = rows[k].run(iters, rows[k].arg);

	char text[1024], unit[128], ratio[128];
	snprintf(text, sizeof text,
		 "%s %d rounds of %ld after a warm-up; the rows take turns "
		 "within each round.",
		 t->text, rounds, iters);
	snprintf(unit, sizeof unit, "%s (min / median / max)", t->unit);
	snprintf(ratio, sizeof ratio, "%s (min / median / max)", t->ratio);
	const char *cols[6] = {"", unit, ratio};
	int ncols = 3;
	if (t->usage) {
		cols[ncols++] = "CPU ns, both threads (median)";
		cols[ncols++] = "voluntary switches (median)";
	}
	if (t->spun)
		cols[ncols++] = "parks ended spinning (median)";
	md_table(t->title, text, cols, ncols);

	for (int k = 0; k < n; k++) {
		double v[BENCH_MAX_ROUNDS], q[BENCH_MAX_ROUNDS];
		char a[100], b[100], c[32];
		for (int r = 0; r < rounds; r++) {
			v[r] = rows[k].s[r].ns;
			q[r] = rows[t->ref].s[r].ns / rows[k].s[r].ns;
		}
		printf("| %s | %s | %s |", rows[k].name,
		       spread_str(a, spread_of(v, rounds)),
		       k == t->ref ? "" : spread_str(b, spread_of(q, rounds)));
		if (t->usage) {
			for (int r = 0; r < rounds; r++)
				v[r] = rows[k].s[r].cpu_ns;
			printf(" %s |", num(c, spread_of(v, rounds).med));
			for (int r = 0; r < rounds; r++)
				v[r] = rows[k].s[r].csw;
			printf(" %s |", num(c, spread_of(v, rounds).med));
		}
		if (t->spun) {
			for (int r = 0; r < rounds; r++)
				v[r] = rows[k].s[r].spun;
			double m = spread_of(v, rounds).med;
			if (isnan(m))
				printf(" - |");
			else
				printf(" %.0f%% |", 100 * m);
		}
		printf("\n");
	}
}

double spun_share(const park_parker *p, const struct park_stats *before)
{
	struct park_stats now = stats_of(p);
	uint64_t parks = (now.tokens + now.timeouts + now.spurious) -
			 (before->tokens + before->timeouts + before->spurious);
	return parks ? (double)(now.parks_spin - before->parks_spin) /
			   (double)parks
		     : NAN;
}

/* ---- self_pair: unpark then park on one thread ------------------------ */

static struct sample one_thread(int64_t t0, long iters)
{
	return (struct sample){(double)(now_ns() - t0) / (double)iters, NAN,
			       NAN, NAN};
}

static struct sample self_pair_libpark(long iters, const void *arg)
{
	(void)arg;
	park_driver *d = park_driver_new();
	park_parker *p = park_parker_new(d);
	park_unparker *u = park_unparker_new(p);
	int64_t t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		park_unparker_unpark(u);
		if (park_parker_park(p) != PARK_TOKEN)
			abort();
	}
	struct sample s = one_thread(t0, iters);
	park_unparker_unref(u);
	park_parker_unref(p);
	park_driver_unref(d);
	return s;
}

static struct sample self_pair_raw(long iters, const void *arg)
{
	(void)arg;
	static struct raw_parker p;
	int64_t t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		raw_unpark(&p);
		raw_park(&p);
	}
	return one_thread(t0, iters);
}

static struct sample self_pair_condvar(long iters, const void *arg)
{
	(void)arg;
	struct cv_flag cv;
	cv_flag_init(&cv);
	int64_t t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		cv_flag_signal(&cv);
		cv_flag_wait(&cv);
	}
	struct sample s = one_thread(t0, iters);
	cv_flag_destroy(&cv);
	return s;
}

/* ---- parallel self_pair: two threads, each on its own parker ------------
 * What a parker's own cache line buys: the same loop on two raw parkers
 * that share a line (false sharing) and on two a line apart. */

struct lane {
	pthread_t thread;
	long iters;
	park_parker *p;
	park_unparker *u;
	_Atomic int32_t *word;
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
	/* The raw parker's fast path on this lane's word. */
	for (long i = 0; i < l->iters; i++) {
		if (atomic_exchange(l->word, 1) == -1 ||
		    atomic_fetch_sub(l->word, 1) != 1)
			abort();
	}
	return NULL;
}

/* ns per pair per thread, two threads at once. */
static struct sample two_lanes(long iters, void *(*fn)(void *),
			       struct lane l[2])
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
	return one_thread(t0, iters);
}

static struct sample parallel_libpark(long iters, const void *arg)
{
	(void)arg;
	park_driver *d = park_driver_new();
	struct lane l[2];
	for (int i = 0; i < 2; i++) {
		l[i].p = park_parker_new(d);
		l[i].u = park_unparker_new(l[i].p);
	}
	struct sample s = two_lanes(iters, lane_libpark, l);
	for (int i = 0; i < 2; i++) {
		park_unparker_unref(l[i].u);
		park_parker_unref(l[i].p);
	}
	park_driver_unref(d);
	return s;
}

static _Alignas(64) _Atomic int32_t words[32];

static struct sample parallel_shared_line(long iters, const void *arg)
{
	(void)arg;
	struct lane l[2] = {{.word = &words[0]}, {.word = &words[1]}};
	return two_lanes(iters, lane_word, l);
}

static struct sample parallel_own_lines(long iters, const void *arg)
{
	(void)arg;
	struct lane l[2] = {{.word = &words[0]}, {.word = &words[16]}};
	return two_lanes(iters, lane_word, l);
}

/* ---- two-thread hand-offs ---------------------------------------------- */

struct partner {
	const struct handoff *h;
	long iters;
	struct thread_usage used;
};

static void *partner_main(void *arg)
{
	struct partner *pt = arg;
	struct thread_usage u0 = thread_usage_now();
	for (long i = 0; i < pt->iters; i++) {
		pt->h->wait_partner(pt->h->arg);
		pt->h->answer_partner(pt->h->arg);
	}
	struct thread_usage u1 = thread_usage_now();
	pt->used = (struct thread_usage){u1.cpu_ns - u0.cpu_ns,
					 u1.voluntary - u0.voluntary};
	return NULL;
}

struct sample ping_pong(long iters, const struct handoff *h)
{
	struct partner pt = {h, iters, {0, 0}};
	pthread_t thread;
	pthread_create(&thread, NULL, partner_main, &pt);
	struct thread_usage u0 = thread_usage_now();
	int64_t t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		h->answer_main(h->arg);
		h->wait_main(h->arg);
	}
	int64_t t1 = now_ns();
	struct thread_usage u1 = thread_usage_now();
	pthread_join(thread, NULL);
	double n = (double)iters;
	return (struct sample){
	    .ns = (double)(t1 - t0) / n,
	    .cpu_ns = (double)(u1.cpu_ns - u0.cpu_ns + pt.used.cpu_ns) / n,
	    .csw = (double)(u1.voluntary - u0.voluntary + pt.used.voluntary) / n,
	    .spun = NAN,
	};
}

/* libpark, sleeper path on both sides (a shut-down driver). */
struct park_pair {
	park_driver *d;
	park_parker *a, *b;
	park_unparker *ua, *ub;
};

static void pp_wait_a(void *x) { park_parker_park(((struct park_pair *)x)->a); }
static void pp_wait_b(void *x) { park_parker_park(((struct park_pair *)x)->b); }
static void pp_wake_a(void *x) { park_unparker_unpark(((struct park_pair *)x)->ua); }
static void pp_wake_b(void *x) { park_unparker_unpark(((struct park_pair *)x)->ub); }

static const struct handoff park_handoff = {pp_wait_a, pp_wake_b, pp_wait_b,
					    pp_wake_a, NULL};

static void park_pair_init(struct park_pair *pp, int64_t spin_ns)
{
	pp->d = park_driver_new();
	park_driver_shutdown(pp->d);
	pp->a = park_parker_new(pp->d);
	pp->b = park_parker_new(pp->d);
	pp->ua = park_unparker_new(pp->a);
	pp->ub = park_unparker_new(pp->b);
	if (park_parker_set_spin(pp->a, spin_ns) != 0 ||
	    park_parker_set_spin(pp->b, spin_ns) != 0)
		abort();
}

static void park_pair_destroy(struct park_pair *pp)
{
	park_unparker_unref(pp->ua);
	park_unparker_unref(pp->ub);
	park_parker_unref(pp->a);
	park_parker_unref(pp->b);
	park_driver_unref(pp->d);
}

/* Also the spinning curve's rows: arg points at the budget (NULL: 0). */
struct sample pingpong_spin(long iters, const void *budget_ns)
{
	struct park_pair pp;
	park_pair_init(&pp, budget_ns ? *(const int64_t *)budget_ns : 0);
	struct park_stats a = stats_of(pp.a), b = stats_of(pp.b);
	struct handoff h = park_handoff;
	h.arg = &pp;
	struct sample s = ping_pong(iters, &h);
	s.spun = (spun_share(pp.a, &a) + spun_share(pp.b, &b)) / 2;
	park_pair_destroy(&pp);
	return s;
}

struct raw_pair {
	struct raw_parker a, b;
};
static void rp_wait_a(void *x) { raw_park(&((struct raw_pair *)x)->a); }
static void rp_wait_b(void *x) { raw_park(&((struct raw_pair *)x)->b); }
static void rp_wake_a(void *x) { raw_unpark(&((struct raw_pair *)x)->a); }
static void rp_wake_b(void *x) { raw_unpark(&((struct raw_pair *)x)->b); }

struct sample pingpong_raw(long iters, const void *arg)
{
	(void)arg;
	struct raw_pair rp = {{0}, {0}};
	struct handoff h = {rp_wait_a, rp_wake_b, rp_wait_b, rp_wake_a, &rp};
	return ping_pong(iters, &h);
}

struct cv_pair {
	struct cv_flag a, b;
};
static void cp_wait_a(void *x) { cv_flag_wait(&((struct cv_pair *)x)->a); }
static void cp_wait_b(void *x) { cv_flag_wait(&((struct cv_pair *)x)->b); }
static void cp_wake_a(void *x) { cv_flag_signal(&((struct cv_pair *)x)->a); }
static void cp_wake_b(void *x) { cv_flag_signal(&((struct cv_pair *)x)->b); }

static struct sample pingpong_condvar(long iters, const void *arg)
{
	(void)arg;
	struct cv_pair cp;
	cv_flag_init(&cp.a);
	cv_flag_init(&cp.b);
	struct handoff h = {cp_wait_a, cp_wake_b, cp_wait_b, cp_wake_a, &cp};
	struct sample s = ping_pong(iters, &h);
	cv_flag_destroy(&cp.a);
	cv_flag_destroy(&cp.b);
	return s;
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

static struct sample driver_rt_libpark(long iters, const void *arg)
{
	(void)arg;
	park_driver *live = park_driver_new(), *off = park_driver_new();
	park_driver_shutdown(off);
	struct driver_pair dp = {park_parker_new(live), park_parker_new(off),
				 NULL, NULL};
	dp.wake_driver = park_unparker_new(dp.in_driver);
	dp.wake_sleeper = park_unparker_new(dp.on_sleeper);
	struct handoff h = {dp_wait_sleeper, dp_wake_driver, dp_wait_driver,
			    dp_wake_sleeper, &dp};
	struct sample s = ping_pong(iters, &h);
	park_unparker_unref(dp.wake_driver);
	park_unparker_unref(dp.wake_sleeper);
	park_parker_unref(dp.in_driver);
	park_parker_unref(dp.on_sleeper);
	park_driver_unref(live);
	park_driver_unref(off);
	return s;
}

/* Raw libevent: EVLOOP_ONCE on a persistent read event on an eventfd,
 * drained by its callback; the answer goes back through a raw parker. */
struct event_pair {
	struct event_base *base;
	struct event *ev;
	int write_fd, read_fd;
	bool got;
	struct raw_parker back;
};

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
	if (write(((struct event_pair *)x)->write_fd, &one, sizeof one) <= 0)
		abort();
}
static void ep_wait_back(void *x) { raw_park(&((struct event_pair *)x)->back); }
static void ep_wake_back(void *x) { raw_unpark(&((struct event_pair *)x)->back); }

static struct sample driver_rt_libevent(long iters, const void *arg)
{
	(void)arg;
	struct event_pair ep = {.base = event_base_new()};
#ifdef HAVE_SYS_EVENTFD_H
	ep.write_fd = ep.read_fd = eventfd(0, EFD_NONBLOCK);
#else
	int fds[2];
	if (pipe(fds) < 0)
		abort();
	ep.read_fd = fds[0];
	ep.write_fd = fds[1];
#endif
	ep.ev = event_new(ep.base, ep.read_fd, EV_READ | EV_PERSIST, ep_drain,
			  &ep);
	event_add(ep.ev, NULL);
	struct handoff h = {ep_wait_back, ep_wake_loop, ep_wait_loop,
			    ep_wake_back, &ep};
	struct sample s = ping_pong(iters, &h);
	event_free(ep.ev);
	event_base_free(ep.base);
	close(ep.read_fd);
	if (ep.write_fd != ep.read_fd)
		close(ep.write_fd);
	return s;
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

struct fan_set {
	int n;
	struct fan *fans;
	_Atomic long woken;
	_Atomic bool stop;
	park_driver *d;
};

static void fan_set_start(struct fan_set *s, int n)
{
	s->n = n;
	s->fans = calloc((size_t)n, sizeof *s->fans);
	s->woken = 0;
	s->stop = false;
	s->d = park_driver_new();
	park_driver_shutdown(s->d);
	for (int i = 0; i < n; i++) {
		s->fans[i].p = park_parker_new(s->d);
		s->fans[i].u = park_unparker_new(s->fans[i].p);
		s->fans[i].woken = &s->woken;
		s->fans[i].stop = &s->stop;
		pthread_create(&s->fans[i].thread, NULL, fan_main, &s->fans[i]);
	}
}

static void fan_set_stop(struct fan_set *s)
{
	s->stop = true;
	for (int i = 0; i < s->n; i++) {
		park_unparker_unpark(s->fans[i].u);
		pthread_join(s->fans[i].thread, NULL);
		park_unparker_unref(s->fans[i].u);
		park_parker_unref(s->fans[i].p);
	}
	free(s->fans);
	park_driver_unref(s->d);
}

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One round of set s: 64 wakes, in waves that each unpark every parker
 * of the set once it sleeps again. Wall and waker CPU ns per wake. */
#define FAN_WAKES 64
static void fan_round(struct fan_set *s, double *wall, double *cpu)
{
	int64_t wall_sum = 0, cpu_sum = 0;
	for (int wave = 0; wave < FAN_WAKES / s->n; wave++) {
		/* Everyone woken so far is back asleep on its sleeper. */
		long target = s->woken;
		usleep(2000);
		int64_t c0 = thread_cpu_ns(), t0 = now_ns();
		for (int i = 0; i < s->n; i++)
			park_unparker_unpark(s->fans[i].u);
		wall_sum += now_ns() - t0;
		cpu_sum += thread_cpu_ns() - c0;
		while (s->woken < target + s->n)
			usleep(100);
	}
	*wall = (double)wall_sum / FAN_WAKES;
	*cpu = (double)cpu_sum / FAN_WAKES;
}

static void fanout(void)
{
	static const int sizes[] = {1, 2, 4, 8, 16, 64};
	enum { NSIZES = sizeof sizes / sizeof sizes[0] };
	struct fan_set sets[NSIZES];
	double wall[NSIZES][BENCH_MAX_ROUNDS], cpu[NSIZES][BENCH_MAX_ROUNDS];
	double scratch;
	for (int k = 0; k < NSIZES; k++) {
		fan_set_start(&sets[k], sizes[k]);
		fan_round(&sets[k], &scratch, &scratch); /* warm-up */
	}
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < NSIZES; k++)
			fan_round(&sets[k], &wall[k][r], &cpu[k][r]);
	for (int k = 0; k < NSIZES; k++)
		fan_set_stop(&sets[k]);

	char text[512];
	snprintf(text, sizeof text,
		 "N threads asleep on their sleepers; one thread unparks each "
		 "in turn. A round is %d wakes for every N (waves of N, each "
		 "after the last wave's threads went back to sleep); %d "
		 "rounds, the sizes taking turns within each round. Wall: the "
		 "unpark loop's elapsed time, which includes running woken "
		 "threads that preempt the waker; CPU: the waker thread's own "
		 "CPU time (CLOCK_THREAD_CPUTIME_ID), the cost of the unpark "
		 "itself. Ratios over N=1, round by round.",
		 FAN_WAKES, rounds);
	static const char *const cols[] = {
	    "N", "wall ns per wake (min / median / max)",
	    "wall / N=1 (min / median / max)",
	    "CPU ns per wake (min / median / max)",
	    "CPU / N=1 (min / median / max)"};
	md_table("fanout: N sleeping parkers, each unparked in turn", text,
		 cols, 5);
	for (int k = 0; k < NSIZES; k++) {
		double qw[BENCH_MAX_ROUNDS], qc[BENCH_MAX_ROUNDS];
		char a[100], b[100], c[100], d[100];
		for (int r = 0; r < rounds; r++) {
			qw[r] = wall[k][r] / wall[0][r];
			qc[r] = cpu[k][r] / cpu[0][r];
		}
		printf("| %d | %s | %s | %s | %s |\n", sizes[k],
		       spread_str(a, spread_of(wall[k], rounds)),
		       k ? spread_str(b, spread_of(qw, rounds)) : "",
		       spread_str(c, spread_of(cpu[k], rounds)),
		       k ? spread_str(d, spread_of(qc, rounds)) : "");
	}
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
	char text[128], a[32], b[32];
	snprintf(text, sizeof text, "%d parkers made on one driver.", n);
	static const char *const cols[] = {
	    "sleeper", "heap bytes per parker (malloc's in-use bytes)",
	    "RSS growth per parker (bytes)"};
	md_table("memory", text, cols, 3);
	printf("| %s | %s | %s |\n", PARK_BENCH_SLEEPER,
	       num(a, (double)(after.uordblks - before.uordblks) / n),
	       num(b, (double)(rss_after - rss) * 1024.0 / n));
	for (int i = 0; i < n; i++)
		park_parker_unref(ps[i]);
	free(ps);
	park_driver_unref(d);
}

/* ---- --syscalls: one operation, N times, nothing else -------------------- */

static const int64_t spin_20us = 20000;

static const struct row syscall_ops[] = {
    ROW("self_pair", self_pair_libpark, NULL),
    ROW("self_pair_raw", self_pair_raw, NULL),
    ROW("pingpong", pingpong_spin, NULL),
    ROW("pingpong_raw", pingpong_raw, NULL),
    ROW("pingpong_spin20us", pingpong_spin, &spin_20us),
    ROW("driver_rt", driver_rt_libpark, NULL),
    ROW("driver_rt_libevent", driver_rt_libevent, NULL),
};

static int syscall_mode(const char *op, long count)
{
	for (size_t i = 0; i < sizeof syscall_ops / sizeof syscall_ops[0]; i++) {
		if (strcmp(op, syscall_ops[i].name) == 0) {
			syscall_ops[i].run(count, syscall_ops[i].arg);
			return 0;
		}
	}
	fprintf(stderr, "bench: no operation %s; one of:", op);
	for (size_t i = 0; i < sizeof syscall_ops / sizeof syscall_ops[0]; i++)
		fprintf(stderr, " %s", syscall_ops[i].name);
	fprintf(stderr, "\n");
	return 2;
}

/* ---- the tables, in the order they print -------------------------------- */

static void table_self_pair(void)
{
	struct row self_pair[] = {
	    ROW("libpark unpark + park", self_pair_libpark, NULL),
	    ROW("raw futex parker (floor)", self_pair_raw, NULL),
	    ROW("mutex + condvar + flag", self_pair_condvar, NULL),
	};
	run_table(&(struct table){
		      .title = "self_pair: unpark, then park with the token there",
		      .text = "One thread; no system call on any row. The "
			      "raw futex parker's two atomic operations are "
			      "the floor of a token parker. ns per pair;",
		      .unit = "ns per pair",
		      .ratio = "libpark / this",
		      .ref = 0},
		  self_pair, 3, scaled(5000000));
}

static void table_parallel(void)
{
	struct row parallel[] = {
	    ROW("libpark, own parker each", parallel_libpark, NULL),
	    ROW("raw parkers on one cache line", parallel_shared_line, NULL),
	    ROW("raw parkers a line apart", parallel_own_lines, NULL),
	};
	run_table(&(struct table){
		      .title = "parallel self_pair: two threads at once, each "
			       "on its own parker",
		      .text = "What a parker's own cache line buys: the raw "
			      "fast path on two words that share a line "
			      "(false sharing) and on two words a line apart. "
			      "ns per pair per thread;",
		      .unit = "ns per pair",
		      .ratio = "libpark / this",
		      .ref = 0},
		  parallel, 3, scaled(5000000));
}

static void table_pingpong(void)
{
	struct row pingpong[] = {
	    ROW("libpark, sleeper both sides", pingpong_spin, NULL),
	    ROW("raw futex parker", pingpong_raw, NULL),
	    ROW("mutex + condvar + flag", pingpong_condvar, NULL),
	};
	run_table(&(struct table){
		      .title = "pingpong: two threads, each sleeps until the "
			       "other wakes it",
		      .text = "libpark without spinning (the default), on a "
			      "shut-down driver so both sides use their "
			      "sleepers. Per round trip; CPU time and "
			      "switches are both threads' (getrusage);",
		      .unit = "ns per round trip",
		      .ratio = "libpark / this",
		      .ref = 0,
		      .usage = true},
		  pingpong, 3, scaled(100000));
}

static void table_driver_rt(void)
{
	struct row driver_rt[] = {
	    ROW("libpark driver <-> sleeper", driver_rt_libpark, NULL),
	    ROW("raw libevent + raw futex parker", driver_rt_libevent, NULL),
	};
	run_table(&(struct table){
		      .title = "driver_rt: one thread in the driver, one on a "
			       "sleeper",
		      .text = "The driver side sleeps in epoll through "
			      "libevent and is woken through the wake channel; "
			      "the baseline is the same with libevent and an "
			      "eventfd by hand. Per round trip;",
		      .unit = "ns per round trip",
		      .ratio = "libpark / this",
		      .ref = 0,
		      .usage = true},
		  driver_rt, 2, scaled(100000));
}

static void table_memory(void)
{
	memory(scale < 1 ? 1000 : 10000);
}

static const struct {
	const char *name;
	void (*run)(void);
} tables[] = {
    {"self_pair", table_self_pair}, {"parallel", table_parallel},
    {"pingpong", table_pingpong},   {"driver_rt", table_driver_rt},
    {"spin", spin_tables},          {"fanout", fanout},
    {"memory", table_memory},
};

static const char *only; /* --only: a comma-separated list of tables */

/* Every name in --only is a table's. */
static bool only_names_known(void)
{
	for (const char *p = only; *p;) {
		size_t len = strcspn(p, ",");
		bool known = false;
		for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
			known |= strlen(tables[i].name) == len &&
				 strncmp(p, tables[i].name, len) == 0;
		if (!known)
			return false;
		p += len + (p[len] == ',');
	}
	return true;
}

/* ---- main ---------------------------------------------------------------- */

static bool wanted(const char *table)
{
	if (!only)
		return true;
	size_t len = strlen(table);
	for (const char *p = only; (p = strstr(p, table)); p += len)
		if ((p == only || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return true;
	return false;
}

static void usage(FILE *to, const char *argv0)
{
	fprintf(to,
		"usage: %s [--smoke] [--rounds N] [--only LIST]\n"
		"       %s --syscalls OP --count N\n"
		"  --smoke        tiny counts and 3 rounds (make check)\n"
		"  --rounds N     timed rounds per table, 1 to %d (default 9)\n"
		"  --syscalls OP  run N operations of OP only, for perf\n"
		"  --count N      with --syscalls (N >= 1)\n"
		"  --only LIST    only these tables, by comma-separated name:\n"
		"                 self_pair parallel pingpong driver_rt spin\n"
		"                 fanout memory\n"
		"  --version      the versions of libpark and libevent\n",
		argv0, argv0, BENCH_MAX_ROUNDS);
}

int main(int argc, char **argv)
{
	struct bench_options o;
	int rc = bench_options_parse(argc, argv, "sr:o:n:O:vh", usage, &o);
	if (rc >= 0)
		return rc;
	if (o.smoke) {
		scale = 0.001;
		rounds = 3;
	}
	if (o.rounds)
		rounds = o.rounds;
	only = o.only;
	if (o.version) {
		printf("libpark %s (%s sleeper), libevent %s\n",
		       park_version_string(), PARK_BENCH_SLEEPER,
		       event_get_version());
		return 0;
	}
	if ((o.syscalls != NULL) != (o.count > 0)) {
		usage(stderr, argv[0]);
		return 2;
	}
	if (o.syscalls)
		return syscall_mode(o.syscalls, o.count);
	if (only && !only_names_known()) {
		fprintf(stderr, "bench: --only takes table names; one of:");
		for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
			fprintf(stderr, " %s", tables[i].name);
		fprintf(stderr, "\n");
		return 2;
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("\n## C benchmarks, %s sleeper (%s: %s)\n", PARK_BENCH_SLEEPER,
	       PARK_BENCH_LINK, program_name(argv[0]));

	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
		if (wanted(tables[i].name))
			tables[i].run();
	return 0;
}
