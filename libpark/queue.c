/*
 * The pool's job queue: a ring of (function, argument) pairs that doubles
 * when full and never shrinks, so a steady stream of jobs allocates
 * nothing. The caller holds the pool's lock around every call.
 */
#include "config.h"

#include "park-internal.h"

#include <errno.h>
#include <stdlib.h>

#define QUEUE_FIRST_SLOTS 64

void park__queue_init(struct park_queue *q)
{
	q->slots = NULL;
	q->cap = q->head = q->len = 0;
}

void park__queue_destroy(struct park_queue *q)
{
	free(q->slots);
	park__queue_init(q);
}

/* Unrolls the ring into a buffer twice as large, oldest first. */
static int grow(struct park_queue *q)
{
	size_t cap = q->cap ? q->cap * 2 : QUEUE_FIRST_SLOTS;
	if (cap > SIZE_MAX / sizeof *q->slots)
		return -ENOMEM;
	struct park_job *slots = PARK_FAULT_OR(PARK_FAULT_ALLOC, NULL,
					       malloc(cap * sizeof *slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < q->len; i++)
		slots[i] = q->slots[(q->head + i) % q->cap];
	free(q->slots);
	q->slots = slots;
	q->cap = cap;
	q->head = 0;
	return 0;
}

int park__queue_push(struct park_queue *q, park_job_fn *fn, void *arg)
{
	if (q->len == q->cap) {
		int err = grow(q);
		if (err < 0)
			return err;
	}
	q->slots[(q->head + q->len) % q->cap] = (struct park_job){fn, arg};
	q->len++;
	return 0;
}

bool park__queue_pop(struct park_queue *q, struct park_job *job)
{
	if (q->len == 0)
		return false;
	*job = q->slots[q->head];
	q->head = (q->head + 1) % q->cap;
	q->len--;
	return true;
}
