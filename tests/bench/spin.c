/*
 * The spinning tables: what a spin budget (park_parker_set_spin) buys on
 * a ping-pong, what a park that nobody wakes costs with it, and what it
 * does when there are more spinning threads than cores.
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "peers.h"
#include "util.h"

#define US 1000

static const int64_t budgets[] = {0, 1 * US, 5 * US, 20 * US, 100 * US};
enum { NBUDGETS = sizeof budgets / sizeof budgets[0] };
static const char *const budget_names[NBUDGETS] = {
    "libpark, no spin (0)", "libpark, spin 1 us", "libpark, spin 5 us",
    "libpark, spin 20 us", "libpark, spin 100 us"};

static void spin_curve(void)
{
	struct row rows[1 + NBUDGETS] = {
	    ROW("raw futex parker", pingpong_raw, NULL),
	};
	for (int i = 0; i < NBUDGETS; i++)
		rows[1 + i] = (struct row)ROW(budget_names[i], pingpong_spin,
					      &budgets[i]);
	run_table(&(struct table){
		      .title = "spinning: pingpong against the spin budget",
		      .text = "The pingpong above with a spin budget set on "
			      "both parkers: a park first watches its state "
			      "word for that long, then sleeps. Speed-up over "
			      "the raw futex parker (no spinning) in the same "
			      "rounds. Per round trip; CPU time and switches "
			      "are both threads' (getrusage);",
		      .unit = "ns per round trip",
		      .ratio = "raw futex / this",
		      .ref = 0,
		      .usage = true,
		      .spun = true},
		  rows, 1 + NBUDGETS, scaled(100000));
}

/* ---- a park that nobody wakes ---------------------------------------------- */

#define IDLE_TIMEOUT_NS (1000 * US)

struct idle_run {
	double cpu_ns, wall_ns;
};

/* `parks` timed parks of 1 ms on one parker that nobody unparks. */
static struct idle_run idle_parks(int64_t budget, long parks)
{
	park_driver *d = park_driver_new();
	park_driver_shutdown(d);
	park_parker *p = park_parker_new(d);
	if (park_parker_set_spin(p, budget) != 0)
		abort();
	struct thread_usage u0 = thread_usage_now();
	int64_t t0 = now_ns();
	for (long i = 0; i < parks; i++)
		if (park_parker_park_timeout(p, IDLE_TIMEOUT_NS) != PARK_TIMED_OUT)
			abort();
	int64_t t1 = now_ns();
	struct thread_usage u1 = thread_usage_now();
	struct idle_run r = {
	    .cpu_ns = (double)(u1.cpu_ns - u0.cpu_ns) / (double)parks,
	    .wall_ns = (double)(t1 - t0) / (double)parks,
	};
	park_parker_unref(p);
	park_driver_unref(d);
	return r;
}

static void never_woken(void)
{
	long parks = scaled(200);
	struct idle_run runs[NBUDGETS][BENCH_MAX_ROUNDS];
	for (int i = 0; i < NBUDGETS; i++)
		idle_parks(budgets[i], parks / 4 + 1);
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < NBUDGETS; i++)
			runs[i][r] = idle_parks(budgets[i], parks);

	char text[512];
	snprintf(text, sizeof text,
		 "One thread parks with a 1 ms timeout and nobody unparks it, "
		 "so every park spins its whole budget and then sleeps out "
		 "the rest. CPU time is the thread's (getrusage); \"beyond "
		 "no spin\" is its CPU per park minus that of the park without "
		 "a budget in the same round: what the spin cost. %d rounds "
		 "of %ld parks after a warm-up, the budgets taking turns.",
		 rounds, parks);
	static const char *const cols[] = {
	    "", "budget (us)", "CPU us per park (min / median / max)",
	    "CPU us beyond no spin (min / median / max)",
	    "wall us per park (median)"};
	md_table("spinning: a park that nobody wakes", text, cols, 5);
	for (int i = 0; i < NBUDGETS; i++) {
		double cpu[BENCH_MAX_ROUNDS], beyond[BENCH_MAX_ROUNDS],
		    wall[BENCH_MAX_ROUNDS];
		for (int r = 0; r < rounds; r++) {
			cpu[r] = runs[i][r].cpu_ns / US;
			beyond[r] = (runs[i][r].cpu_ns - runs[0][r].cpu_ns) / US;
			wall[r] = runs[i][r].wall_ns / US;
		}
		char a[32], b[100], c[100], w[32];
		printf("| %s | %s | %s | %s | %s |\n", budget_names[i],
		       num(a, (double)budgets[i] / US),
		       spread_str(b, spread_of(cpu, rounds)),
		       i ? spread_str(c, spread_of(beyond, rounds)) : "",
		       num(w, spread_of(wall, rounds).med));
	}
}

/* ---- more spinning threads than cores ------------------------------------------ */

#define PAIRS 4

struct pairs_row {
	bool raw;
	int64_t budget;
};

struct pair_thread {
	pthread_t thread;
	pthread_barrier_t *go;
	long iters;
	const struct pairs_row *what;
	struct sample s;
};

static void *pair_main(void *arg)
{
	struct pair_thread *t = arg;
	pthread_barrier_wait(t->go);
	t->s = t->what->raw ? pingpong_raw(t->iters, NULL)
			    : pingpong_spin(t->iters, &t->what->budget);
	return NULL;
}

/* PAIRS ping-pongs at once: wall time until the last one finished, per
 * round trip of one pair; CPU and switches per round trip, averaged. */
static struct sample pairs_at_once(long iters, const void *arg)
{
	struct pair_thread t[PAIRS];
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, PAIRS + 1);
	for (int i = 0; i < PAIRS; i++) {
		t[i] = (struct pair_thread){.go = &go, .iters = iters,
					    .what = arg};
		pthread_create(&t[i].thread, NULL, pair_main, &t[i]);
	}
	pthread_barrier_wait(&go);
	int64_t t0 = now_ns();
	struct sample sum = {0, 0, 0, 0};
	for (int i = 0; i < PAIRS; i++) {
		pthread_join(t[i].thread, NULL);
		sum.cpu_ns += t[i].s.cpu_ns / PAIRS;
		sum.csw += t[i].s.csw / PAIRS;
		sum.spun += t[i].s.spun / PAIRS;
	}
	sum.ns = (double)(now_ns() - t0) / (double)iters;
	pthread_barrier_destroy(&go);
	return sum;
}

static void oversubscribed(void)
{
	static const struct pairs_row what[] = {
	    {true, 0}, {false, 0}, {false, 5 * US}, {false, 20 * US},
	    {false, 100 * US}};
	struct row rows[] = {
	    ROW("4 raw futex pairs", pairs_at_once, &what[0]),
	    ROW("4 libpark pairs, no spin", pairs_at_once, &what[1]),
	    ROW("4 libpark pairs, spin 5 us", pairs_at_once, &what[2]),
	    ROW("4 libpark pairs, spin 20 us", pairs_at_once, &what[3]),
	    ROW("4 libpark pairs, spin 100 us", pairs_at_once, &what[4]),
	};
	char text[256];
	snprintf(text, sizeof text,
		 "Four pingpong pairs at once (8 threads on %ld CPUs), as an "
		 "oversubscribed pool would run: a spinning thread holds a "
		 "CPU that its partner needs. Wall time until the last pair "
		 "finished, per round trip of one pair; CPU and switches per "
		 "round trip of one pair;",
		 sysconf(_SC_NPROCESSORS_ONLN));
	run_table(&(struct table){
		      .title = "spinning: more spinning threads than cores",
		      .text = text,
		      .unit = "ns per round trip",
		      .ratio = "raw futex / this",
		      .ref = 0,
		      .usage = true,
		      .spun = true},
		  rows, sizeof rows / sizeof rows[0], scaled(25000));
}

void spin_tables(void)
{
	spin_curve();
	never_woken();
	oversubscribed();
}
