/*
 * What every benchmark program shares: rounds and their spread, the
 * Markdown it prints, and what the kernel says a thread used. The output
 * of make bench is pasted into docs/performance.md as it is, so every
 * table says its unit, its rounds and how its ratios were taken.
 */
#ifndef PARK_BENCH_REPORT_H
#define PARK_BENCH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BENCH_MAX_ROUNDS 31

/* min, median and max of a set of rounds. */
struct spread {
	double min, med, max;
};
struct spread spread_of(const double *v, int n);

/* A number as a table shows it: two decimals below 10, one below 1000,
 * none above (with thousands separated by a comma). */
const char *num(char buf[32], double v);
/* "min / median / max", each as num() writes it. */
const char *spread_str(char buf[100], struct spread s);

/* One table: a level-3 heading, a line of text, the header row. */
void md_table(const char *title, const char *text, const char *const *cols,
	      int ncols);

/* The calling thread's CPU time (user + system) in nanoseconds and its
 * voluntary context switches, from getrusage(RUSAGE_THREAD). */
struct thread_usage {
	int64_t cpu_ns;
	long voluntary;
};
struct thread_usage thread_usage_now(void);
/* Both for the whole process (every thread, RUSAGE_SELF). */
struct thread_usage process_usage_now(void);

/* argv[0] without what libtool's wrapper adds (.libs/lt-): the name the
 * program was built as. */
const char *program_name(const char *argv0);

/* Parses a positive count ("20000", "1e6"); false when it is not one. */
bool parse_count(const char *s, long *out);

/* The command line of every benchmark program; each takes the options
 * named in its usage, a subset of these. */
struct bench_options {
	bool smoke;           /* --smoke: tiny counts, 3 rounds */
	int rounds;           /* --rounds N, 1 to BENCH_MAX_ROUNDS; 0: unset */
	const char *syscalls; /* --syscalls X: one run of X, for perf */
	long count;           /* --count N */
	const char *only;     /* --only LIST */
	const char *impl;     /* --impl NAME */
	long workers;         /* --workers N */
	bool version;         /* --version */
};
/* Parses argv into o, accepting only the short options in `accept`
 * (getopt's form: "sr:h"); usage(to, argv0) prints the program's usage.
 * Returns -1 to go on, else the exit status: 0 after --help, 2 after a
 * bad option or value (said on stderr). */
int bench_options_parse(int argc, char **argv, const char *accept,
			void (*usage)(FILE *to, const char *argv0),
			struct bench_options *o);

#endif
