/*
 * A model of libpark's state machine for spin: two parkers sharing one
 * driver, an unparker for each, and a shutdown. Each parker parks (untimed,
 * timed, or a zero-timeout poll, chosen freely) until its unparker has said
 * "done"; the unparker says "done" and then unparks. If any unpark could be
 * lost, some parker sleeps for ever: spin reports an invalid end state.
 *
 * Build flags pick the variant:
 *   -DFUTEX              the futex sleeper (default: mutex + condvar)
 *   -DSEM                the sem sleeper: a counting semaphore that unpark
 *                        posts; a post left from an earlier park is a
 *                        spurious wake for the next
 *   -DBROKEN_CAS_UNPARK  unpark sets NOTIFIED only by a CAS from EMPTY
 *   -DBROKEN_NO_HANDOFF  the condvar unpark skips taking the mutex
 *   -DBROKEN_LOOPBREAK   the driver is woken by a flag the loop clears on
 *                        entry (event_base_loopbreak), not by a channel
 *   -DBROKEN_POST_FIRST  (with SEM) unpark posts before its swap
 *   -DEXTRA_UNPARK       each unparker may unpark once more, early (the
 *                        full model: ~50x the states; tests/model/run.sh --full)
 *   -DSPIN               a park that lost the driver first spins: it looks
 *                        at the word any number of times, takes a token it
 *                        finds as the fast path does, ends by its timeout
 *                        (timed parks), or gives up and goes on to sleep
 *   -DBROKEN_SPIN_PUBLISH  (with SPIN) after the spin, PARKED_CONDVAR is
 *                        published by a check of the word and a store, not
 *                        by a compare-and-swap
 * The BROKEN variants must each produce a counterexample.
 */

#define EMPTY          0
#define PARKED_CONDVAR 1
#define PARKED_DRIVER  2
#define NOTIFIED       3

#define R_TOKEN    1
#define R_TIMEOUT  2
#define R_EVENTS   4
#define R_SHUTDOWN 8

#define N 2

byte state[N];
bool locked;        /* the driver's try-lock */
bool shut;          /* the driver was shut down */
bool readable;      /* the wake channel (eventfd) has an edge pending */
bool break_flag;           /* BROKEN_LOOPBREAK: libevent's break flag */
byte user_events = 1; /* one application event the loop may serve */
bool waiting[N];    /* on the sleeper's wait queue */
byte mutex[N];      /* condvar sleeper: holder's _pid + 1, 0 when free */
byte sem[N];        /* sem sleeper: the semaphore's count */
bool done[N];       /* the caller's condition: stop parking */
byte unparks[N];
byte tokens[N];

inline wake_driver() {
#ifdef BROKEN_LOOPBREAK
	break_flag = true
#else
	readable = true
#endif
}

/* One EVLOOP_ONCE iteration: returns on a wake, a user event or (timed)
 * the timer. */
inline run_loop(timed) {
#ifdef BROKEN_LOOPBREAK
	break_flag = false;
	if
	:: break_flag -> break_flag = false
#else
	if
	:: atomic { readable -> readable = false }
#endif
	:: atomic { user_events > 0 -> user_events-- }
	:: timed -> skip
	fi
}

/* EVLOOP_NONBLOCK: serve what is ready, never wait. */
inline poll_loop() {
	atomic {
		if
#ifdef BROKEN_LOOPBREAK
		:: break_flag -> break_flag = false
#else
		:: readable -> readable = false
#endif
		:: user_events > 0 -> user_events--
		:: else -> skip
		fi
	}
}

inline lock(i) { atomic { mutex[i] == 0 -> mutex[i] = _pid + 1 } }
inline unlock(i) { assert(mutex[i] == _pid + 1); mutex[i] = 0 }

inline unpark(i) {
#if defined(SEM) && defined(BROKEN_POST_FIRST)
	sem[i]++;
#endif
	atomic {
		old = state[i];
#ifdef BROKEN_CAS_UNPARK
		if
		:: state[i] == EMPTY -> state[i] = NOTIFIED
		:: else -> skip
		fi;
#else
		state[i] = NOTIFIED;
#endif
		unparks[i]++
	}
	if
	:: old == EMPTY || old == NOTIFIED -> skip
	:: old == PARKED_CONDVAR ->
#if defined(SEM)
#ifndef BROKEN_POST_FIRST
		sem[i]++                /* sem_post */
#else
		skip                    /* posted already, before the swap */
#endif
#else
#if !defined(FUTEX) && !defined(BROKEN_NO_HANDOFF)
		lock(i); unlock(i);
#endif
		waiting[i] = false      /* cond_signal / futex_wake */
#endif
	:: old == PARKED_DRIVER -> wake_driver()
	:: else -> assert(false)        /* impossible state */
	fi
}

/* Take the token an unpark raced in with: a swap, then count it. */
inline take_raced(i) {
	atomic {
		assert(state[i] == NOTIFIED);
		state[i] = EMPTY;
		tokens[i]++;
		assert(tokens[i] <= unparks[i])
	}
}

/* try-lock: shut? then exchange, then shut? again under the lock */
inline try_lock(got) {
	got = false;
	if
	:: shut -> skip
	:: else ->
		atomic { if :: !locked -> locked = true; got = true :: else -> skip fi };
		if
		:: got && shut -> locked = false; got = false
		:: else -> skip
		fi
	fi
}

/* The inlines below use the locals of Parker: r, got, ok, timed_out, old,
 * before. */
inline park_driver(i, timed, r) {
	atomic { if :: state[i] == EMPTY -> state[i] = PARKED_DRIVER; ok = true :: else -> ok = false fi };
	if
	:: !ok -> take_raced(i); locked = false; r = R_TOKEN
	:: ok ->
		run_loop(timed);
		atomic {
			old = state[i];
			state[i] = EMPTY;
			assert(old == NOTIFIED || old == PARKED_DRIVER);
			if
			:: old == NOTIFIED -> tokens[i]++; assert(tokens[i] <= unparks[i]); r = R_TOKEN
			:: else -> r = (shut -> R_SHUTDOWN : R_EVENTS)
			fi
		};
		locked = false
	fi
}

/* The sleeper's wait: futex_wait(word, PARKED_CONDVAR) or cond_wait. A
 * timed wait may also end by the clock. */
inline sleeper_wait(i, timed, timed_out) {
	timed_out = false;
#if defined(SEM)
	/* sem_wait / sem_clockwait: takes one post, whenever it was made. */
	if
	:: atomic { sem[i] > 0 -> sem[i]-- }
	:: timed -> timed_out = true
	fi
#else
#ifdef FUTEX
	atomic {
		if
		:: state[i] == PARKED_CONDVAR -> waiting[i] = true
		:: else -> skip            /* value changed: return at once */
		fi
	};
#else
	atomic { waiting[i] = true; unlock(i) };  /* enqueue, release */
#endif
	if
	:: !waiting[i] -> skip
	:: timed -> timed_out = true
	fi;
	waiting[i] = false;
#ifndef FUTEX
	lock(i)
#endif
#endif
}

/* park_parker_set_spin: before the sleeper, watch the word. Nothing is
 * published while spinning (the word stays EMPTY), so each look is the
 * fast path again; the number of looks is the budget, chosen freely. */
inline spin(i, timed, r) {
	do
	:: atomic {
		state[i] == NOTIFIED ->
		state[i] = EMPTY; tokens[i]++; assert(tokens[i] <= unparks[i])
	   };
	   r = R_TOKEN; break
	:: timed -> r = R_TIMEOUT; break   /* the deadline came first */
	:: break                           /* the budget is spent */
	od
}

inline park_sleeper(i, timed, r) {
#ifdef SPIN
	spin(i, timed, r);
	if
	:: r != 0 -> skip
	:: else ->
#endif
#if !defined(FUTEX) && !defined(SEM)
	lock(i);
#endif
#ifdef BROKEN_SPIN_PUBLISH
	if :: state[i] == EMPTY -> state[i] = PARKED_CONDVAR; ok = true :: else -> ok = false fi;
#else
	atomic { if :: state[i] == EMPTY -> state[i] = PARKED_CONDVAR; ok = true :: else -> ok = false fi };
#endif
	if
	:: !ok -> take_raced(i); r = R_TOKEN
	:: ok ->
		do
		:: sleeper_wait(i, timed, timed_out);
			atomic {
				if
				:: state[i] == NOTIFIED ->
					state[i] = EMPTY; tokens[i]++;
					assert(tokens[i] <= unparks[i]); r = R_TOKEN
				:: else ->
					assert(state[i] == PARKED_CONDVAR);
					if
					:: timed_out -> state[i] = EMPTY; r = R_TIMEOUT
					:: else -> skip    /* spurious: sleep again */
					fi
				fi
			};
			if
			:: r != 0 -> break
			:: else -> skip
			fi
		od
	fi;
#if defined(SEM)
	/* sem_trywait until it fails: drop the posts this park left; a post
	 * still in flight may land after, so any number may be dropped. */
	do
	:: atomic { sem[i] > 0 -> sem[i]-- }
	:: break
	od
#else
#ifndef FUTEX
	unlock(i)
#endif
#endif
#ifdef SPIN
	fi
#endif
}

inline park(i, timed, r) {
	r = 0;
	atomic {
		if
		:: state[i] == NOTIFIED ->
			state[i] = EMPTY; tokens[i]++;
			assert(tokens[i] <= unparks[i]); r = R_TOKEN
		:: else -> skip
		fi
	};
	if
	:: r != 0 -> skip
	:: else ->
		try_lock(got);
		if
		:: got -> park_driver(i, timed, r)
		:: else -> park_sleeper(i, timed, r)
		fi
	fi
}

/* park_timeout(0): run the loop once if the driver is free; the state
 * word is never touched, so a pending token stays. */
inline park_poll(i) {
	before = state[i];
	try_lock(got);
	if
	:: got -> poll_loop(); locked = false
	:: else -> skip
	fi;
	assert(before != NOTIFIED || state[i] == NOTIFIED)
}

proctype Parker(byte i) {
	byte r, old, before;
	bool got, ok, timed_out;
	do
	:: done[i] -> break
	:: else ->
		if
		:: park(i, false, r)
		:: park(i, true, r)
		:: park_poll(i)
		fi
	od
}

proctype Unparker(byte i) {
	byte old;
#ifdef EXTRA_UNPARK
	if
	:: unpark(i)          /* an early, extra unpark: tokens collapse */
	:: skip
	fi;
#endif
	done[i] = true;
	unpark(i)
}

proctype Shutdown() {
	if
	:: shut = true; wake_driver()
	:: skip
	fi
}

#ifndef IDLE
init {
	atomic {
		run Parker(0); run Parker(1);
		run Unparker(0); run Unparker(1);
		run Shutdown()
	}
}
#endif

#ifdef IDLE
/*
 * The idle set (libpark/idle.c) and the protocol that keeps a job from
 * being lost, on top of the parkers above. Two workers, each with its
 * parker; a producer that publishes NJOBS jobs, calling unpark_one after
 * each; once they ran, the main process publishes "closing" (a second kind
 * of work, published the same way) and calls unpark_all. A worker takes a job; else joins the set, looks at the jobs
 * and the closing flag again, leaves if either is there, else parks and
 * then leaves. Parks are untimed: a timeout would hide a lost wake.
 *
 * If a published job (or the close) could be missed while its worker
 * sleeps, spin finds a run that ends with a worker asleep in park or the
 * main process waiting for a job: an invalid end state.
 *   -DIDLE               this model instead of the one above
 *   -DBROKEN_NO_RECHECK  the worker parks right after joining: must give
 *                        a counterexample
 *   -DSEARCH             (with IDLE) the searching rule: the producer
 *                        notifies instead of unpark_one; a parker it woke
 *                        searches until it stops (having found a job) or
 *                        joins; a notify wakes nobody while one searches;
 *                        the last searcher to stop looks at the jobs again
 *                        and notifies if one is left. Each job waits, once
 *                        taken, until every job has been taken (jobs that
 *                        need each other, or a job long enough that its
 *                        worker cannot come back for the next): a burst
 *                        that does not fan out to every worker is a
 *                        deadlock. Run with NJOBS=2.
 *   -DBROKEN_NO_PASS_ON  (with SEARCH) the last searcher does not notify
 *                        again: must give a counterexample
 *   -DBOUNDED            (with SEARCH) the pool's submit: nobody is woken
 *                        only while as many search as jobs are queued
 *                        (at most N); the pass-on is as above
 * The set's lock is an atomic block per locked section; the unpark that
 * unpark_one makes after releasing it is not.
 */
#ifndef NJOBS
#define NJOBS 1  /* run.sh --full: 2 */
#endif
#define NONE N

byte queued;        /* published, not yet taken */
byte ran;           /* jobs run */
bool closing;
bool member[N];     /* on the set's idle list */
byte newest = NONE; /* the last to join, for last in first out */
byte count;         /* the idle count: length of the idle list */
bool searching[N];  /* SEARCH: woken by a notify, not yet stopped */
byte nsearch;       /* SEARCH: the searching count (same word as count) */

/* Publishing and taking are sequentially consistent (the protocol's
 * requirement on the work source). */
inline take_job(job) {
	atomic {
		if
		:: queued > 0 -> queued--; ran++; job = true
		:: else -> job = false
		fi
	}
}

/* join: lock, push, count++ (seq_cst), unlock. With SEARCH the same
 * read-modify-write ends the parker's search. */
inline join(i) {
	atomic {
		assert(!member[i]);
		member[i] = true; newest = i; count++;
		if
		:: searching[i] -> searching[i] = false; nsearch--
		:: else -> skip
		fi
	}
}

/* stop_searching: last is true when this parker was the last searcher. */
inline stop_searching(i, last) {
	atomic {
		if
		:: searching[i] -> searching[i] = false; nsearch--;
			last = (nsearch == 0)
		:: else -> last = false
		fi
	}
}

inline leave(i) {
	atomic {
		if
		:: member[i] -> member[i] = false; count--
		:: else -> skip   /* taken by an unpark: its token is pending */
		fi
	}
}

/* The newest idle parker not asleep in the driver, else the one that is. */
inline pick(w) {
	w = NONE; k = 0;
	do
	:: k < N ->
		if
		:: member[k] && state[k] != PARKED_DRIVER &&
		   (w == NONE || k == newest) -> w = k
		:: else -> skip
		fi;
		k++
	:: else -> break
	od;
	k = 0;
	do
	:: w == NONE && k < N ->
		if
		:: member[k] -> w = k
		:: else -> skip
		fi;
		k++
	:: else -> break
	od
}

/* unpark_one: one load of the count when nobody is idle; else under the
 * lock pick and remove one, then unpark it outside the lock. */
inline unpark_one() {
	if
	:: count == 0 -> skip
	:: else ->
		atomic {
			pick(w);
			if
			:: w != NONE -> member[w] = false; count--
			:: else -> skip
			fi
		};
		if
		:: w != NONE -> unpark(w)
		:: else -> skip
		fi
	fi
}

/* notify: one load of the word; under the lock, load it again, pick and
 * take one, making it searching in the same step; unpark it outside the
 * lock. Nobody is woken while `limit` or more search (park_idle_notify:
 * 1; the pool's submit with BOUNDED: a searcher per queued job, up to
 * one per worker here). */
inline notify(limit) {
	if
	:: count == 0 || nsearch >= limit -> skip
	:: else ->
		atomic {
			w = NONE;
			if
			:: count > 0 && nsearch < limit ->
				pick(w);
				member[w] = false; count--;
				searching[w] = true; nsearch++
			:: else -> skip
			fi
		};
		if
		:: w != NONE -> unpark(w)
		:: else -> skip
		fi
	fi
}

/* The worker took a job: stop searching; the last searcher looks at the
 * jobs again and passes the wake on. Then the job waits for the others. */
inline found(i) {
#ifdef SEARCH
	stop_searching(i, last);
#ifndef BROKEN_NO_PASS_ON
	if
	:: last && queued > 0 -> notify(1)
	:: else -> skip
	fi;
#endif
	ran == NJOBS
#else
	skip
#endif
}

inline unpark_all() {
	if
	:: count == 0 -> skip
	:: else ->
		k = 0;
		do
		:: k < N ->
			if
			/* the take is under the set's lock (a notify
			 * may still run: SEARCH) */
			:: atomic { member[k] -> member[k] = false; count--; w = k };
				unpark(w)
			:: else -> skip
			fi;
			k++
		:: else -> break
		od
	fi
}

proctype Worker(byte i) {
	byte r, old, before, w, k;
	bool got, ok, timed_out, job, late, last;
	do
	:: take_job(job);
		if
		:: job -> found(i)
		:: !job && closing -> break
		:: !job && !closing ->
			join(i);
#ifdef BROKEN_NO_RECHECK
			job = false; late = false;
#else
			take_job(job); late = closing;
#endif
			if
			:: job || late -> leave(i);
				if
				:: job -> found(i)
				:: else -> skip
				fi
			:: else -> park(i, false, r); leave(i)
			fi
		fi
	od
}

proctype Producer() {
	byte old, w, k, j, lim;
	for (j : 1 .. NJOBS) {
		atomic { queued++ };
#if defined(SEARCH) && defined(BOUNDED)
		lim = (queued < N -> queued : N);
		notify(lim)
#elif defined(SEARCH)
		notify(1)
#else
		unpark_one()
#endif
	}
}

init {
	byte old, w, k;
	atomic {
		user_events = 0;  /* a served event is a spurious return: covered above */
		run Worker(0); run Worker(1);
		run Producer()
	};
	ran == NJOBS;
	closing = true;
	unpark_all()
}
#endif
