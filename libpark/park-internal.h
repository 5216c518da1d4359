/*
 * Internal declarations shared by the files of libpark; never installed.
 * Its functions and variables are named park__ (two underscores), so a
 * call site shows whether it crosses the public API; its constants and
 * macros are upper case with a group prefix the public header never uses
 * (PARK_STATE_, PARK_HANDOFF_, PARK_TRYLOCK_, PARK_CACHE_LINE). The fault
 * points' park__fault_* are in fault.h, which this includes. Grouped by
 * the file that defines them.
 */
#ifndef PARK_INTERNAL_H
#define PARK_INTERNAL_H

#include "fault.h"
#include "libpark.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#if defined(PARK_SLEEPER_FUTEX) + defined(PARK_SLEEPER_SEM) + \
	defined(PARK_SLEEPER_CONDVAR) != 1
#error "define one of PARK_SLEEPER_FUTEX, PARK_SLEEPER_SEM, PARK_SLEEPER_CONDVAR"
#endif
#include <pthread.h>
#ifdef PARK_SLEEPER_SEM
#include <semaphore.h>
#endif

/* valgrind's helgrind and DRD do not model C11 atomics. Where an atomic
 * hands memory from one thread to another outside any lock, these tell
 * them so: a happens-before edge from BEFORE(obj) in one thread to
 * AFTER(obj) in the thread that observed it. A few no-op instructions
 * outside valgrind; nothing where valgrind's header is missing. */
#ifdef HAVE_VALGRIND_HELGRIND_H
#include <valgrind/helgrind.h>
#define PARK_HANDOFF_BEFORE(obj) ANNOTATE_HAPPENS_BEFORE(obj)
#define PARK_HANDOFF_AFTER(obj) ANNOTATE_HAPPENS_AFTER(obj)
#else
#define PARK_HANDOFF_BEFORE(obj) ((void)(obj))
#define PARK_HANDOFF_AFTER(obj) ((void)(obj))
#endif

/* The parker's state word. The values are the protocol: keep them dense so
 * that park__state_corrupt() can name any other value as a bug.
 * PARKED_CONDVAR is tokio's name, kept so that the code reads against
 * tokio's park.rs; here it means parked on this build's sleeper, whichever
 * it is (futex, sem or condvar). */
enum {
	PARK_STATE_EMPTY = 0,
	PARK_STATE_PARKED_CONDVAR = 1,
	PARK_STATE_PARKED_DRIVER = 2,
	PARK_STATE_NOTIFIED = 3
};

#define PARK_CACHE_LINE 64

/*
 * One allocation per parker, shared by the parker handle and all its
 * unparker handles (a park_unparker * is this struct). Aligned to a cache
 * line so that unparking one parker never touches another's line; what
 * unpark touches (state, driver) stays on the first line.
 */
struct park_parker {
	_Atomic uint32_t state;
	/* Set while a thread is in the slow path; a second one gets -EBUSY. */
	_Atomic uint32_t busy;
	/* One per parker and unparker reference. */
	_Atomic uint32_t refs;
	/* The fork generation of the process whose thread last parked: an
	 * unpark in a forked child must not wake a sleeper of the parent.
	 * Written before PARKED_* is published, read after a swap saw it. */
	_Atomic uint32_t generation;
	park_driver *driver;
	/* Written only by the parking thread, read by anyone: relaxed. */
	_Atomic uint64_t parks_driver;
	_Atomic uint64_t parks_sleeper;
	_Atomic uint64_t tokens;
	_Atomic uint64_t timeouts;
	_Atomic uint64_t spurious;
	/* Second cache line: what only the slow path touches. */
	_Atomic uint64_t parks_spin;
	/* Nanoseconds to spin before sleeping on the sleeper; any thread
	 * sets it, each park reads it once: relaxed. */
	_Atomic int64_t spin_ns;
	/* The idle set (idle.c). idle_set is the set this parker joined and
	 * has not left, NULL when none: written under that set's lock, read
	 * by the owner without it. The rest is guarded by the set's lock. */
	park_idle *_Atomic idle_set;
	struct park_parker *idle_prev, *idle_next;
	/* Taken by an unpark, not yet left: on the set's woken list. */
	bool idle_taken;
	/* Taken by notify: on the woken list without a reference of the set
	 * (the owner may drop it there). Guarded by the set's lock. */
	bool idle_notified;
	/* Counted in idle_hold's searching count. Guarded by its lock. */
	bool idle_searching;
	/* The set whose memory this parker keeps (a hold, not a reference)
	 * from notify's take until it has both left and stopped searching:
	 * set by notify under that set's lock while the parker is idle,
	 * cleared by the parker's side only (idle.c). */
	park_idle *_Atomic idle_hold;
#ifdef PARK_SLEEPER_CONDVAR
	pthread_mutex_t mutex;
	pthread_cond_t cond;
#endif
#ifdef PARK_SLEEPER_SEM
	/* Posted by an unpark that read PARKED_CONDVAR (sem_post is
	 * async-signal-safe); a post left over is one spurious wake. */
	sem_t sem;
#endif
} __attribute__((aligned(PARK_CACHE_LINE)));

/* A pause in a spin loop: tells the core that this is a wait, so that it
 * saves power and a sibling hyperthread runs (x86 pause, arm yield). */
static inline void park__cpu_relax(void)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
	__asm__ __volatile__("pause" ::: "memory");
#elif defined(__GNUC__) && (defined(__aarch64__) || defined(__arm__))
	__asm__ __volatile__("yield" ::: "memory");
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* --- parker.c: the state machine ------------------------------------------ */

/* Aborts: a state word no code path can write means memory corruption. */
__attribute__((noreturn, cold)) void park__state_corrupt(const char *where,
							  uint32_t state);
/* The state steps every sleeper shares. enter: EMPTY -> PARKED_CONDVAR,
 * 0 when parked or PARK_TOKEN when an unpark raced in. settle: after a wait
 * returned, PARK_TOKEN or PARK_TIMED_OUT when the park is over (the word is
 * EMPTY again), 0 to wait again. */
int park__sleeper_enter(struct park_parker *p);
int park__sleeper_settle(struct park_parker *p, bool timed_out);

/* --- sleeper-futex.c, sleeper-sem.c or sleeper-condvar.c: one per build -- */

/* What this build's sleeper is called ("futex", "sem", "condvar"). */
extern const char park__sleeper_name[];
int park__sleeper_init(struct park_parker *p);
void park__sleeper_destroy(struct park_parker *p);
/* EMPTY -> PARKED_CONDVAR, sleep until NOTIFIED or the deadline (NULL:
 * none), back to EMPTY. Returns PARK_TOKEN or PARK_TIMED_OUT. */
int park__sleeper_park(struct park_parker *p, const struct timespec *deadline);
/* Called by unpark after its swap read PARKED_CONDVAR. Leaves errno as it
 * found it; async-signal-safe except in the condvar build. */
void park__sleeper_wake(struct park_parker *p);

/* --- driver.c: the shared loop -------------------------------------------- */

/* What park__driver_try_lock got (PARK_TRYLOCK_, apart from the public
 * PARK_DRIVER flag that a park returns). */
enum park_driver_lock {
	PARK_TRYLOCK_ACQUIRED,
	PARK_TRYLOCK_BUSY,
	PARK_TRYLOCK_STOPPED
};
enum park_driver_lock park__driver_try_lock(park_driver *d);
void park__driver_unlock(park_driver *d);
/* True when the calling thread is inside d's loop (a callback), however
 * deeply nested in other drivers' loops. */
bool park__driver_running_here(const park_driver *d);
/* The process's fork generation: bumped in every child of fork(). */
unsigned park__fork_generation(void);
/* True in a forked child until park_driver_reinit(d): d's base and wake
 * channel are still the parent's. */
bool park__driver_forked(const park_driver *d);
/* With the lock held: arm the timer for deadline (NULL: none). Returns 0,
 * PARK_TIMED_OUT if it has passed already, or -errno. */
int park__driver_arm(park_driver *d, const struct timespec *deadline);
/* With the lock held: cancel what park__driver_arm() armed. */
void park__driver_disarm(park_driver *d);
/* With the lock held and the timer armed: one blocking loop iteration.
 * Returns PARK_TIMED_OUT, PARK_EVENTS, PARK_SHUTDOWN or -errno. */
int park__driver_run_once(park_driver *d);
/* With the lock held: one non-blocking loop iteration. 0 or -errno. */
int park__driver_poll(park_driver *d);
/* Make the loop return; safe from any thread and from a signal handler:
 * touches only the channel, and leaves errno as it found it. */
int park__driver_wake(park_driver *d);

/* --- post.c: functions posted to the loop thread ---------------------------- */

struct park_post;
struct park_post_queue {
	_Atomic(struct park_post *) head;
};
/* Any thread: queue fn(arg). 1 when the queue was empty (the caller must
 * wake the loop), 0 when not, -ENOMEM. */
int park__post_push(struct park_post_queue *q, park_post_fn *fn, void *arg);
/* Empty the queue, oldest first: run each function (run) or only free it
 * (!run: a forked child drops what its parent posted). Loop thread, or the
 * last reference. */
void park__post_run(struct park_post_queue *q, bool run);

/* --- idle.c: the idle set ------------------------------------------------- */

/* Here rather than in idle.c so that white-box tests can hold the lock. */
struct park_idle {
	/* The idle count in the low half, the searching count in the high
	 * half (PARK_IDLE_SEARCHER): unpark_one's and notify's fast paths
	 * read only this word, on its own line. */
	_Atomic uint64_t counts;
	char pad[PARK_CACHE_LINE - sizeof(uint64_t)];
	_Atomic uint32_t refs;
	/* Keeps the memory: 1 for all of refs, 1 per parker whose idle_hold
	 * is this set. The last reference empties the lists; the last hold
	 * frees. */
	_Atomic uint32_t holds;
	park_driver *driver;
	pthread_mutex_t lock;
	struct park_parker *idle; /* newest first */
	struct park_parker *woken;
} __attribute__((aligned(PARK_CACHE_LINE)));

#define PARK_IDLE_SEARCHER (UINT64_C(1) << 32)

/* The parker's last reference went while it held a set (a search not
 * stopped, or a notify's take not left): end both, and pass a wake on as
 * a last searcher must, since nobody will look at the work source. */
void park__idle_release(struct park_parker *p);

/* park_idle_notify, but skipped only while `searchers` (>= 1) or more
 * search: the pool lets a queued job wake a searcher of its own (up to
 * the CPUs), so that one woken thread still waiting for a CPU does not
 * hold up the jobs behind it. */
int park__idle_notify_below(park_idle *set, int searchers);

/* --- queue.c: the pool's job ring (the pool's lock held) ------------------ */

struct park_job {
	park_job_fn *fn;
	void *arg;
};
struct park_queue {
	struct park_job *slots;
	size_t cap, head, len;
};
void park__queue_init(struct park_queue *q);
void park__queue_destroy(struct park_queue *q);
/* 0, or -ENOMEM when the ring had to grow and could not. */
int park__queue_push(struct park_queue *q, park_job_fn *fn, void *arg);
/* The oldest job into *job: true, or false when empty. */
bool park__queue_pop(struct park_queue *q, struct park_job *job);

/* --- clock.c: CLOCK_MONOTONIC arithmetic ---------------------------------- */

/* Every computation saturates: no input overflows. */

/* now + timeout_ns (>= 0); false when the sum is beyond any sleep worth
 * arming (treat as no deadline). */
bool park__clock_deadline(int64_t timeout_ns, struct timespec *deadline);
bool park__clock_valid(const struct timespec *ts);
/* deadline - now in nanoseconds: 0 when passed, INT64_MAX when beyond any
 * sleep worth arming. deadline must be valid. */
int64_t park__clock_remaining_ns(const struct timespec *deadline);
/* ns (> 0) as a timeval, rounded up to a microsecond, at most the largest
 * time_t. */
void park__clock_timeval(int64_t ns, struct timeval *tv);
/* CLOCK_MONOTONIC now, in nanoseconds. */
int64_t park__clock_now_ns(void);

/* --- clock-realtime.c: for waits that only take CLOCK_REALTIME ------------ */

/* The CLOCK_REALTIME time that is as far from now as the CLOCK_MONOTONIC
 * deadline. The wall clock may jump meanwhile: a wait on it must re-check
 * the monotonic deadline when it times out (early) and is bounded by the
 * jump when late. */
void park__clock_realtime_deadline(const struct timespec *deadline,
				   struct timespec *realtime);

/* Copies a counters struct (its size_t size, then uint64_t counters) into
 * a caller's, whose .size says how much it has room for (parker.c). */
void park__stats_copy(void *out, const void *now, size_t now_size);

#endif /* PARK_INTERNAL_H */
