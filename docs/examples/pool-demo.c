/*
 * A worker pool whose idle workers park through an idle set. One idle worker
 * at a time sleeps in the shared driver and serves its repeating timer; the
 * others sleep on their own sleepers. A producer queues jobs and wakes one
 * idle worker each: park_idle_unpark_one picks one that sleeps on its
 * sleeper, so the worker in the driver keeps serving the timer.
 *
 *   pool-demo [workers] [jobs]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <libpark.h>

struct worker {
	int id;
	park_parker *parker;
	pthread_t thread;
};

static park_idle *idle;

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static int queued, next_job;
static _Atomic bool closing;
static _Thread_local int current_worker = -1;
static _Atomic int ticks;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const char *why(int r)
{
	switch (PARK_REASON(r)) {
	case PARK_TOKEN:
		return "unparked";
	case PARK_TIMED_OUT:
		return "timed out";
	case PARK_EVENTS:
		return "served driver events";
	case PARK_SHUTDOWN:
		return "driver shut down";
	}
	return "?";
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	int n = ++ticks;
	if (n <= 5 || n % 10 == 0)
		printf("  timer tick %d served by worker %d inside the driver\n",
		       n, current_worker);
}

static int take_job(void)
{
	pthread_mutex_lock(&queue_lock);
	int job = queued > 0 ? (queued--, next_job++) : -1;
	pthread_mutex_unlock(&queue_lock);
	return job;
}

/* The idle set's protocol: join, look for work (and for the close) once
 * more, and only then park. A job queued at any moment is either seen by
 * that second look or finds this worker idle. */
static void *work(void *arg)
{
	struct worker *w = arg;
	current_worker = w->id;
	for (;;) {
		int job = take_job();
		if (job < 0 && closing)
			return NULL;
		if (job < 0) {
			park_idle_join(idle, w->parker);
			job = take_job();
			if (job >= 0 || closing) {
				park_idle_leave(idle, w->parker);
			} else {
				double start = now_ms();
				int r = park_idle_park(idle, w->parker, -1);
				if (r < 0) {
					fprintf(stderr, "worker %d: park failed: %d\n",
						w->id, r);
					return NULL;
				}
				printf("worker %d woke after %.1f ms: %s, slept %s\n",
				       w->id, now_ms() - start, why(r),
				       r & PARK_DRIVER ? "in the driver"
						       : "on its sleeper");
				continue;
			}
		}
		if (job >= 0) {
			usleep(2000); /* the "work" */
			printf("worker %d did job %d\n", w->id, job);
		}
	}
}

int main(int argc, char **argv)
{
	int nworkers = argc > 1 ? atoi(argv[1]) : 3;
	int njobs = argc > 2 ? atoi(argv[2]) : 8;
	if (nworkers < 1 || nworkers > 64 || njobs < 0) {
		fprintf(stderr, "usage: %s [workers 1-64] [jobs]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("libpark %s: %d workers, %d jobs\n", park_version_string(),
	       nworkers, njobs);

	park_driver *driver = park_driver_new();
	if (!driver) {
		perror("park_driver_new");
		return 1;
	}
	struct event *timer = event_new(park_driver_get_base(driver), -1,
					EV_PERSIST, tick, NULL);
	struct timeval every = {0, 25000};
	event_add(timer, &every);

	idle = park_idle_new(driver);
	struct worker *workers = calloc((size_t)nworkers, sizeof *workers);
	for (int i = 0; i < nworkers; i++) {
		workers[i].id = i;
		workers[i].parker = park_parker_new(driver);
		pthread_create(&workers[i].thread, NULL, work, &workers[i]);
	}

	usleep(100000); /* let everyone go idle: one in the driver */
	for (int j = 0; j < njobs; j++) {
		pthread_mutex_lock(&queue_lock);
		queued++;
		pthread_mutex_unlock(&queue_lock);
		/* After the job is queued: see the worker's protocol. */
		int idle_before = park_idle_count(idle);
		int woke = park_idle_unpark_one(idle);
		printf("producer: job %d queued, %d idle, %s\n", j, idle_before,
		       woke > 0 ? "woke one" : "all busy: a worker will find it");
		usleep(30000);
	}

	closing = true; /* work too: published before the wake */
	park_driver_shutdown(driver);
	park_idle_unpark_all(idle);
	int total = 0;
	for (int i = 0; i < nworkers; i++) {
		pthread_join(workers[i].thread, NULL);
		struct park_stats s = {.size = sizeof s};
		park_parker_get_stats(workers[i].parker, &s);
		printf("worker %d: %llu parks in the driver, %llu on its "
		       "sleeper, %llu tokens, %llu event wake-ups\n",
		       i, (unsigned long long)s.parks_driver,
		       (unsigned long long)s.parks_sleeper,
		       (unsigned long long)s.tokens,
		       (unsigned long long)s.spurious);
		park_parker_unref(workers[i].parker);
	}
	total = next_job;
	event_free(timer);
	park_idle_unref(idle);
	park_driver_unref(driver);
	free(workers);
	printf("done: %d of %d jobs, %d timer ticks served while idle\n", total,
	       njobs, ticks);
	return total == njobs ? 0 : 1;
}
