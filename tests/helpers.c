#include "config.h"

#include "helpers.h"

#include <stdarg.h>
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

/* The system call thread tid is blocked in and its first argument, from
 * /proc/self/task/TID/syscall; false while it runs. */
static bool blocked_syscall(pid_t tid, long *nr, uintptr_t *arg0)
{
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool ok = fgets(buf, sizeof buf, f) != NULL;
	fclose(f);
	unsigned long long a0;
	return ok && sscanf(buf, "%ld %llx", nr, &a0) == 2 &&
	       (*arg0 = (uintptr_t)a0, true);
}

static bool wait_until(pid_t tid, bool (*match)(long, uintptr_t, const void *),
		       const void *arg)
{
	int64_t give_up = now_ns() + 20000 * MS;
	while (now_ns() < give_up) {
		long nr;
		uintptr_t a0;
		if (blocked_syscall(tid, &nr, &a0) && match(nr, a0, arg))
			return true;
		usleep(1000);
	}
	return false;
}

static bool is_loop_wait(long nr, uintptr_t a0, const void *arg)
{
	(void)a0;
	(void)arg;
	return nr == SYS_epoll_wait || nr == SYS_epoll_pwait || nr == SYS_poll ||
	       nr == SYS_ppoll || nr == SYS_select || nr == SYS_pselect6;
}

static bool is_parker_futex(long nr, uintptr_t a0, const void *parker)
{
	uintptr_t base = (uintptr_t)parker;
	/* The futex sleeper waits on the state word, the condvar one on a
	 * word of its condition variable: both inside the parker. */
	return nr == SYS_futex && a0 >= base && a0 < base + 256;
}

bool wait_in_driver(pid_t tid)
{
	return wait_until(tid, is_loop_wait, NULL);
}

bool wait_on_sleeper(pid_t tid, const park_parker *parker)
{
	return wait_until(tid, is_parker_futex, parker);
}

static void *park_thread_main(void *arg)
{
	struct park_thread *t = arg;
	t->tid = current_tid();
	int64_t start = now_ns();
	t->result = t->timeout_ns < 0
			? park_parker_park(t->parker)
			: park_parker_park_timeout(t->parker, t->timeout_ns);
	t->elapsed_ns = now_ns() - start;
	return NULL;
}

void park_thread_start(struct park_thread *t, park_parker *parker,
		       int64_t timeout_ns)
{
	t->parker = parker;
	t->timeout_ns = timeout_ns;
	t->tid = 0;
	ck_assert_int_eq(pthread_create(&t->thread, NULL, park_thread_main, t),
			 0);
}

pid_t park_thread_tid(struct park_thread *t)
{
	while (t->tid == 0)
		usleep(100);
	return t->tid;
}

int park_thread_join(struct park_thread *t)
{
	ck_assert_int_eq(pthread_join(t->thread, NULL), 0);
	return t->result;
}

int run_suites(Suite *first, ...)
{
	SRunner *sr = srunner_create(first);
	va_list ap;
	va_start(ap, first);
	for (Suite *s; (s = va_arg(ap, Suite *)) != NULL;)
		srunner_add_suite(sr, s);
	va_end(ap);
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
