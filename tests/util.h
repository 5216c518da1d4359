/* Small helpers every C test program shares, the stress and benchmark
 * programs included (no Check here). */
#ifndef PARK_TEST_UTIL_H
#define PARK_TEST_UTIL_H

#include <stdint.h>
#include <sys/types.h>

#include "libpark.h"

#define MS 1000000LL

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t now_ns(void);
/* The calling thread's kernel id (what /proc/self/task lists). */
pid_t current_tid(void);
/* p's counters; aborts when park_parker_get_stats fails (in a Check test
 * the abort fails the test). */
struct park_stats stats_of(const park_parker *p);

#endif
