#include "config.h"

#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

pid_t current_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

struct park_stats stats_of(const park_parker *p)
{
	struct park_stats s = {.size = sizeof s};
	int rc = park_parker_get_stats(p, &s);
	if (rc != 0) {
		fprintf(stderr, "stats_of: park_parker_get_stats: %d\n", rc);
		abort();
	}
	return s;
}
