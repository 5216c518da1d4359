/* Shared by the C tests: clocks, threads that park, and a way to see from
 * outside that a thread really sleeps where it should. */
#ifndef PARK_TEST_HELPERS_H
#define PARK_TEST_HELPERS_H

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "libpark.h"
#include "util.h"
/* Upper bounds are loose: this machine is shared and valgrind is slow. The
 * lower bounds are the promise being tested and are exact. */
#define LATE_NS (2000 * MS)

/* Waits (up to 20 s) until thread tid sleeps in the driver's event loop
 * (whichever backend) or on the sleeper of `parker` (a futex inside the
 * parker's allocation). False on timeout; fails the test if the sleep probe
 * could not learn what the kernel shows for those calls. */
bool wait_in_driver(pid_t tid);
bool wait_on_sleeper(pid_t tid, const park_parker *parker);
/* The same for thread tid of child process pid (a fork of this one, so
 * parker is at the same address there). */
bool wait_on_sleeper_in(pid_t pid, pid_t tid, const park_parker *parker);
/* Learns (once) what /proc/TID/syscall shows for those calls, and reports
 * it as a TAP comment. */
void sleep_probe_learn(void);
void sleep_probe_report(FILE *out);

/* A thread that makes one park call and records what it returned. */
struct park_thread {
	pthread_t thread;
	park_parker *parker;
	int64_t timeout_ns; /* < 0: park_parker_park() */
	_Atomic pid_t tid;
	int result;
	int64_t elapsed_ns;
};
void park_thread_start(struct park_thread *t, park_parker *parker,
		       int64_t timeout_ns);
/* park_thread_start, then assert that the kernel shows the thread asleep
 * in the driver's loop, or on parker's sleeper. */
void park_thread_start_in_driver(struct park_thread *t, park_parker *parker,
				 int64_t timeout_ns);
void park_thread_start_on_sleeper(struct park_thread *t, park_parker *parker,
				  int64_t timeout_ns);
pid_t park_thread_tid(struct park_thread *t);
int park_thread_join(struct park_thread *t);

/* Kills the calling process at its next system call other than exit and
 * exit_group (a seccomp filter), to prove code makes none; for a forked
 * child. Where filters are refused (qemu-user does not emulate seccomp) it
 * exits with SECCOMP_REFUSED instead, which seccomp_refused() recognises
 * in the parent. */
#define SECCOMP_REFUSED 3
void forbid_system_calls(void);
bool seccomp_refused(int status);

/* Each suite's builder; tests/test-list.h has them all, and tests/runner.c
 * runs them. */
#define TEST_SUITE(name, public, white, lua) Suite *name##_suite(void);
#include "test-list.h"
#undef TEST_SUITE

#endif
