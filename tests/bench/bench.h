/*
 * Shared by the parts of the bench program (bench.c, spin.c): a table of
 * implementations measured in interleaved rounds, and the two-thread
 * hand-off that pingpong, driver_rt and the spinning curves are made of.
 */
#ifndef PARK_BENCH_BENCH_H
#define PARK_BENCH_BENCH_H

#include <stdbool.h>

#include "libpark.h"
#include "report.h"

/* Set from the command line. */
extern int rounds;
extern double scale; /* --smoke shrinks every count */
long scaled(long n);

/* One run of one implementation, per operation. */
struct sample {
	double ns;     /* wall-clock time */
	double cpu_ns; /* CPU time of every thread involved */
	double csw;    /* voluntary context switches of those threads */
	double spun;   /* share of parks that ended while spinning, or NAN */
};

struct row {
	const char *name;
	struct sample (*run)(long iters, const void *arg);
	const void *arg;
	struct sample s[BENCH_MAX_ROUNDS];
};
#define ROW(n, f, a) {.name = (n), .run = (f), .arg = (a)}

struct table {
	const char *title;
	const char *text;  /* what is measured, one paragraph */
	const char *unit;  /* "ns per round trip" */
	const char *ratio; /* header of the ratio column, ref / this */
	int ref;           /* the row the ratio is taken against */
	bool usage;        /* CPU time and context-switch columns */
	bool spun;         /* the share of parks that ended spinning */
};

/* Runs every row once as a warm-up, then `rounds` rounds in which every
 * row runs once, in order, and prints the table. Ratios are taken round
 * by round: rows[ref] of round r over row k of round r. */
void run_table(const struct table *t, struct row *rows, int n, long iters);

/* Two threads hand a token back and forth `iters` times: this thread
 * answers first, then waits; the partner waits, then answers. Returns
 * wall time, and CPU time and voluntary switches of both threads, per
 * round trip. */
struct handoff {
	void (*wait_main)(void *);
	void (*answer_main)(void *);
	void (*wait_partner)(void *);
	void (*answer_partner)(void *);
	void *arg;
};
struct sample ping_pong(long iters, const struct handoff *h);

/* The share of a parker's parks that ended spinning, since `before`. */
double spun_share(const park_parker *p, const struct park_stats *before);

/* Pingpong rows, also used by spin.c: libpark on the sleeper path with a
 * spin budget (arg points at it; NULL: none), and the raw futex parker. */
struct sample pingpong_spin(long iters, const void *budget_ns);
struct sample pingpong_raw(long iters, const void *arg);

/* spin.c: the spinning tables. */
void spin_tables(void);

#endif
