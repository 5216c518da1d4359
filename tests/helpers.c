#include "config.h"

#include "helpers.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

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

/* Every call a libevent backend may block in. Newer architectures (arm64)
 * have only the p- variants, so each name is used where it exists. */
static const long loop_waits[] = {
#ifdef SYS_epoll_wait
    SYS_epoll_wait,
#endif
#ifdef SYS_epoll_pwait
    SYS_epoll_pwait,
#endif
#ifdef SYS_epoll_pwait2
    SYS_epoll_pwait2,
#endif
#ifdef SYS_poll
    SYS_poll,
#endif
#ifdef SYS_ppoll
    SYS_ppoll,
#endif
#ifdef SYS_select
    SYS_select,
#endif
#ifdef SYS_pselect6
    SYS_pselect6,
#endif
#ifdef SYS__newselect
    SYS__newselect,
#endif
};

static bool is_loop_wait(long nr, uintptr_t a0, const void *arg)
{
	(void)a0;
	(void)arg;
	for (size_t i = 0; i < sizeof loop_waits / sizeof loop_waits[0]; i++)
		if (nr == loop_waits[i])
			return true;
	return false;
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

void park_thread_start_in_driver(struct park_thread *t, park_parker *parker,
				 int64_t timeout_ns)
{
	park_thread_start(t, parker, timeout_ns);
	ck_assert_msg(wait_in_driver(park_thread_tid(t)),
		      "the parking thread never slept in the driver");
}

void park_thread_start_on_sleeper(struct park_thread *t, park_parker *parker,
				  int64_t timeout_ns)
{
	park_thread_start(t, parker, timeout_ns);
	ck_assert_msg(wait_on_sleeper(park_thread_tid(t), parker),
		      "the parking thread never slept on its sleeper");
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
