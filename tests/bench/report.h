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

#endif
