/*
 * The portable sleeper: a mutex and a CLOCK_MONOTONIC condition variable per
 * parker. The state changes happen under the mutex, and unpark takes and
 * drops the mutex before signalling, so a parker between its state change
 * and its wait cannot miss the signal.
 */
#include "config.h"

#include "park-internal.h"

#include <errno.h>

const char park__sleeper_name[] = "condvar";

int park__sleeper_init(struct park_parker *p)
{
	pthread_condattr_t attr;
	int err = PARK_FAULT_OR(PARK_FAULT_SLEEPER_INIT, ENOMEM,
				pthread_condattr_init(&attr));
	if (err)
		return -err;
	err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!err)
		err = pthread_cond_init(&p->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (err)
		return -err;
	err = pthread_mutex_init(&p->mutex, NULL);
	if (err) {
		pthread_cond_destroy(&p->cond);
		return -err;
	}
	return 0;
}

void park__sleeper_destroy(struct park_parker *p)
{
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->mutex);
}

int park__sleeper_park(struct park_parker *p, const struct timespec *deadline)
{
	pthread_mutex_lock(&p->mutex);
	int r = park__sleeper_enter(p);
	while (r == 0) {
		int err = deadline ? pthread_cond_timedwait(&p->cond, &p->mutex,
							    deadline)
				   : pthread_cond_wait(&p->cond, &p->mutex);
		r = park__sleeper_settle(p, err == ETIMEDOUT);
	}
	pthread_mutex_unlock(&p->mutex);
	return r;
}

void park__sleeper_wake(struct park_parker *p)
{
	pthread_mutex_lock(&p->mutex);
	pthread_mutex_unlock(&p->mutex);
	pthread_cond_signal(&p->cond);
}
