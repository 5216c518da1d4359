/*
 * The pool's batches (libpark/pool.c) for spin: a worker that took a batch
 * of jobs with the one it runs claims each next one with an add to
 * batch_next; the first cancel claims what is left with one exchange, and
 * hands those back. Whatever the interleaving, each job of the batch must
 * be run or handed back, exactly once: an assertion at the end checks it.
 *   -DBROKEN_LOAD_STORE  the cancel claims the rest by a load and then a
 *                        store of batch_next, not one exchange: must give a
 *                        counterexample (a job run and handed back)
 */
#define LEN   3
#define TAKEN 8   /* beyond any batch length */

byte next;          /* batch_next */
byte ran[LEN];
byte handed[LEN];
bool worker_done, cancel_done;

proctype Worker() {
	byte i;
	do
	:: atomic { i = next; next++ };
		if
		:: i < LEN -> ran[i]++
		:: else -> break
		fi
	od;
	worker_done = true
}

proctype Cancel() {
	byte i;
#ifdef BROKEN_LOAD_STORE
	i = next;
	next = TAKEN;
#else
	atomic { i = next; next = TAKEN };
#endif
	do
	:: i < LEN -> handed[i]++; i++
	:: else -> break
	od;
	cancel_done = true
}

init {
	byte j;
	atomic { run Worker(); run Cancel() };
	worker_done && cancel_done;
	for (j : 0 .. LEN - 1) {
		assert(ran[j] + handed[j] == 1)
	}
}
