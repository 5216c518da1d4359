/*
 * Functions posted to the driver's loop thread: a lock-free queue that any
 * thread pushes onto and the thread running the loop empties.
 *
 * Producers push onto a stack with a compare-and-swap; the loop takes the
 * whole stack with one swap and reverses it, so functions run in the order
 * their pushes took effect (FIFO). Only the push that finds the stack empty
 * needs to wake the loop: every later push lands in a stack the loop has
 * not taken yet, and the loop takes the whole stack when it wakes.
 */
#include "config.h"

#include "park-internal.h"

#include <errno.h>
#include <stdlib.h>

struct park_post {
	park_post_fn *fn;
	void *arg;
	struct park_post *next;
};

int park__post_push(struct park_post_queue *q, park_post_fn *fn, void *arg)
{
	struct park_post *post =
	    PARK_FAULT_OR(PARK_FAULT_ALLOC, NULL, malloc(sizeof *post));
	if (!post)
		return -ENOMEM;
	post->fn = fn;
	post->arg = arg;
	/* Release: the loop that takes this node sees fn, arg and whatever
	 * the poster wrote before posting. */
	struct park_post *head = atomic_load_explicit(&q->head,
						      memory_order_relaxed);
	do {
		post->next = head;
		PARK_HANDOFF_BEFORE(&q->head);
	} while (!atomic_compare_exchange_weak_explicit(
	    &q->head, &head, post, memory_order_release, memory_order_relaxed));
	return head == NULL;
}

/* Takes everything posted so far, oldest first. */
static struct park_post *take_all(struct park_post_queue *q)
{
	struct park_post *newest =
	    atomic_exchange_explicit(&q->head, NULL, memory_order_acquire);
	PARK_HANDOFF_AFTER(&q->head);
	struct park_post *oldest = NULL;
	while (newest) {
		struct park_post *next = newest->next;
		newest->next = oldest;
		oldest = newest;
		newest = next;
	}
	return oldest;
}

void park__post_run(struct park_post_queue *q, bool run)
{
	struct park_post *post = take_all(q);
	while (post) {
		struct park_post *next = post->next;
		if (run)
			post->fn(post->arg);
		free(post);
		post = next;
	}
}
