/*
 * The baselines libpark is measured against: what a user would write
 * instead. Inline, as a user's own code would be.
 *
 * The raw futex parker is the smallest correct parker a futex allows (the
 * algorithm of Rust's std parker on Linux): one word, EMPTY 0, NOTIFIED 1,
 * PARKED -1. park is one decrement when a token waits; unpark is one swap,
 * plus FUTEX_WAKE only when the word said PARKED. Its fast path (a swap and
 * a decrement) is the floor of any token parker: two atomic
 * read-modify-writes.
 */
#ifndef PARK_BENCH_PEERS_H
#define PARK_BENCH_PEERS_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef HAVE_LINUX_FUTEX_H
#include <linux/futex.h>
#endif

struct raw_parker {
	_Alignas(64) _Atomic int32_t state;
};

static inline void raw_futex_wait(_Atomic int32_t *w, int32_t val)
{
#ifdef HAVE_LINUX_FUTEX_H
	syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
#else
	/* No futex here: a yielding spin, so the figures still run. */
	(void)w, (void)val;
	sched_yield();
#endif
}

static inline void raw_futex_wake(_Atomic int32_t *w)
{
#ifdef HAVE_LINUX_FUTEX_H
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
#else
	(void)w;
#endif
}

static inline void raw_park(struct raw_parker *p)
{
	/* NOTIFIED -> EMPTY: the token; EMPTY -> PARKED: sleep. */
	if (atomic_fetch_sub(&p->state, 1) == 1)
		return;
	for (;;) {
		raw_futex_wait(&p->state, -1);
		int32_t seen = 1;
		if (atomic_compare_exchange_strong(&p->state, &seen, 0))
			return;
	}
}

static inline void raw_unpark(struct raw_parker *p)
{
	if (atomic_exchange(&p->state, 1) == -1)
		raw_futex_wake(&p->state);
}

/* A mutex, a condition variable and a flag: the textbook hand-off. */
struct cv_flag {
	pthread_mutex_t m;
	pthread_cond_t c;
	bool flag;
};

static inline void cv_flag_init(struct cv_flag *cv)
{
	pthread_mutex_init(&cv->m, NULL);
	pthread_cond_init(&cv->c, NULL);
	cv->flag = false;
}

static inline void cv_flag_destroy(struct cv_flag *cv)
{
	pthread_cond_destroy(&cv->c);
	pthread_mutex_destroy(&cv->m);
}

static inline void cv_flag_signal(struct cv_flag *cv)
{
	pthread_mutex_lock(&cv->m);
	cv->flag = true;
	pthread_cond_signal(&cv->c);
	pthread_mutex_unlock(&cv->m);
}

static inline void cv_flag_wait(struct cv_flag *cv)
{
	pthread_mutex_lock(&cv->m);
	while (!cv->flag)
		pthread_cond_wait(&cv->c, &cv->m);
	cv->flag = false;
	pthread_mutex_unlock(&cv->m);
}

#endif
