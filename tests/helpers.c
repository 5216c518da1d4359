#include "config.h"

#include "helpers.h"

#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

/* The system call thread tid of process pid (0: this one) is blocked in
 * and its first argument, from /proc/PID/task/TID/syscall; false while it
 * runs. */
static bool blocked_syscall(pid_t pid, pid_t tid, long *nr, uintptr_t *arg0)
{
	char path[64], buf[256];
	if (pid == 0)
		snprintf(path, sizeof path, "/proc/self/task/%d/syscall",
			 (int)tid);
	else
		snprintf(path, sizeof path, "/proc/%d/task/%d/syscall",
			 (int)pid, (int)tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool ok = fgets(buf, sizeof buf, f) != NULL;
	fclose(f);
	unsigned long long a0;
	return ok && sscanf(buf, "%ld %llx", nr, &a0) == 2 &&
	       (*arg0 = (uintptr_t)a0, true);
}

/*
 * What the kernel shows for the calls a parked thread sleeps in. The numbers
 * in /proc/TID/syscall are the running kernel's: natively this build's SYS_*
 * names, but under qemu-user the host's (and a futex address is the host's
 * view of ours). So the probe trusts no table: before the tests it watches
 * a process blocked in the very calls it will look for (a futex wait on a
 * known word; a libevent loop on each backend this libevent has) and learns
 * what the kernel shows for each. If it cannot learn them, every "where does
 * it sleep" check fails; it never passes by default.
 */
static struct {
	bool learned;
	const char *failure;
	long futex_nr;
	/* The address the kernel shows minus the address we waited on. */
	intptr_t futex_offset;
	long loop_nr[8];
	const char *loop_method[8];
	size_t loops;
	bool emulated;
} probe;

/* Two futex words: the offset learned at each must be the same. */
static uint32_t futex_words[2];

static void block_on_futex(const void *word)
{
	for (;;)
		syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

static void ignore_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
}

/* One backend, alone: every other method avoided, the environment
 * (EVENT_NOEPOLL...) ignored so that each one is learned. */
static void block_in_loop(const void *method)
{
	struct event_config *cfg = event_config_new();
	const char **all = event_get_supported_methods();
	for (size_t i = 0; all && all[i]; i++)
		if (strcmp(all[i], method) != 0)
			event_config_avoid_method(cfg, all[i]);
	event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV);
	struct event_base *base = event_base_new_with_config(cfg);
	int fds[2];
	if (!base || pipe(fds) != 0)
		return;
	struct event *ev = event_new(base, fds[0], EV_READ, ignore_event, NULL);
	event_add(ev, NULL);
	event_base_loop(base, EVLOOP_ONCE);
}

/* Runs block(arg) in a child process (one thread: nothing else of the
 * tests runs there, and no thread is left behind here) and reads what the
 * kernel shows once the child has stayed blocked in the same call for 10
 * consecutive looks. Then the child is killed. */
static bool learn_blocked(void (*block)(const void *), const void *arg,
			  long *nr, uintptr_t *arg0)
{
	fflush(NULL);
	pid_t child = fork();
	if (child < 0)
		return false;
	if (child == 0) {
		block(arg);
		_exit(1);
	}
	long last_nr = -1;
	uintptr_t last_a0 = 0;
	int same = 0;
	int64_t give_up = now_ns() + 20000 * MS;
	while (same < 10 && now_ns() < give_up) {
		usleep(1000);
		long n;
		uintptr_t a;
		if (!blocked_syscall(child, child, &n, &a) || n < 0) {
			same = 0;
			continue;
		}
		same = n == last_nr && a == last_a0 ? same + 1 : 0;
		last_nr = n;
		last_a0 = a;
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	*nr = last_nr;
	*arg0 = last_a0;
	return same >= 10;
}

/* The child's word is at the same address as ours: it is a fork. */
static bool learn_futex(const uint32_t *word, intptr_t *offset)
{
	uintptr_t a0;
	if (!learn_blocked(block_on_futex, word, &probe.futex_nr, &a0))
		return false;
	*offset = (intptr_t)(a0 - (uintptr_t)word);
	return true;
}

static void learn(void)
{
	intptr_t off1, off2;
	if (!learn_futex(&futex_words[0], &off1) ||
	    !learn_futex(&futex_words[1], &off2) || off1 != off2) {
		probe.failure = "no stable futex wait seen in /proc/PID/syscall";
		return;
	}
	probe.futex_offset = off1;
	/* Copied: every call of event_get_supported_methods() frees the
	 * array the previous one returned (the names stay). */
	const char *methods[8] = {NULL};
	const char **all = event_get_supported_methods();
	for (size_t i = 0; all && all[i] && i < 7; i++)
		methods[i] = all[i];
	for (size_t i = 0; methods[i]; i++) {
		long nr;
		uintptr_t a0;
		if (!learn_blocked(block_in_loop, methods[i], &nr, &a0) ||
		    nr == probe.futex_nr) {
			probe.failure = "a libevent loop's wait cannot be told "
					"from a futex wait in /proc/PID/syscall";
			return;
		}
		probe.loop_method[probe.loops] = methods[i];
		probe.loop_nr[probe.loops++] = nr;
	}
	if (probe.loops == 0) {
		probe.failure = "libevent lists no backend";
		return;
	}
	probe.emulated = probe.futex_nr != SYS_futex || probe.futex_offset != 0;
	probe.learned = true;
}

void sleep_probe_learn(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, learn);
}

void sleep_probe_report(FILE *out)
{
	sleep_probe_learn();
	if (!probe.learned) {
		fprintf(out, "# sleep probe: FAILED: %s\n", probe.failure);
		return;
	}
	fprintf(out, "# sleep probe: futex is %ld%s; loop waits:", probe.futex_nr,
		probe.emulated ? " (not this build's SYS_futex: emulated CPU, "
				 "using what the kernel shows)"
			       : "");
	for (size_t i = 0; i < probe.loops; i++)
		fprintf(out, " %s %ld", probe.loop_method[i], probe.loop_nr[i]);
	fprintf(out, "\n");
}

static bool wait_until(pid_t pid, pid_t tid,
		       bool (*match)(long, uintptr_t, const void *),
		       const void *arg)
{
	sleep_probe_learn();
	ck_assert_msg(probe.learned, "cannot see where threads sleep: %s",
		      probe.failure);
	int64_t give_up = now_ns() + 20000 * MS;
	while (now_ns() < give_up) {
		long nr;
		uintptr_t a0;
		if (blocked_syscall(pid, tid, &nr, &a0) && match(nr, a0, arg))
			return true;
		usleep(1000);
	}
	return false;
}

static bool is_loop_wait(long nr, uintptr_t a0, const void *arg)
{
	(void)a0;
	(void)arg;
	for (size_t i = 0; i < probe.loops; i++)
		if (nr == probe.loop_nr[i])
			return true;
	return false;
}

static bool is_parker_futex(long nr, uintptr_t a0, const void *parker)
{
	uintptr_t base = (uintptr_t)parker + (uintptr_t)probe.futex_offset;
	/* The futex sleeper waits on the state word, the sem one on the
	 * semaphore's word and the condvar one on a word of its condition
	 * variable: all inside the parker's allocation (at most 256 bytes). */
	return nr == probe.futex_nr && a0 >= base && a0 < base + 256;
}

bool wait_in_driver(pid_t tid)
{
	return wait_until(0, tid, is_loop_wait, NULL);
}

bool wait_on_sleeper(pid_t tid, const park_parker *parker)
{
	return wait_until(0, tid, is_parker_futex, parker);
}

bool wait_on_sleeper_in(pid_t pid, pid_t tid, const park_parker *parker)
{
	return wait_until(pid, tid, is_parker_futex, parker);
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

void forbid_system_calls(void)
{
	struct sock_filter code[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		     offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, 2, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof code / sizeof code[0], code};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		syscall(SYS_exit_group, SECCOMP_REFUSED);
}

bool seccomp_refused(int status)
{
	if (!WIFEXITED(status) || WEXITSTATUS(status) != SECCOMP_REFUSED)
		return false;
	printf("# seccomp filters refused here (an emulator?): "
	       "no system call check\n");
	return true;
}

