/*
 * A worker pool whose idle workers park. One idle worker at a time sleeps in
 * the shared driver and serves its repeating timer; the others sleep on their
 * own sleepers. A producer hands out jobs and unparks one idle worker each.
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
	park_unparker *unparker;
	pthread_t thread;
	_Atomic bool idle;
};

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

static void *work(void *arg)
{
	struct worker *w = arg;
	current_worker = w->id;
	for (;;) {
		int job = take_job();
		if (job >= 0) {
			usleep(2000); /* the "work" */
			printf("worker %d did job %d\n", w->id, job);
			continue;
		}
		if (closing)
			return NULL;
		w->idle = true;
		double start = now_ms();
		int r = park_parker_park(w->parker);
		w->idle = false;
		if (r < 0) {
			fprintf(stderr, "worker %d: park failed: %d\n", w->id, r);
			return NULL;
		}
		printf("worker %d woke after %.1f ms: %s, slept %s\n", w->id,
		       now_ms() - start, why(r),
		       r & PARK_DRIVER ? "in the driver" : "on its sleeper");
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

	struct worker *workers = calloc((size_t)nworkers, sizeof *workers);
	for (int i = 0; i < nworkers; i++) {
		workers[i].id = i;
		workers[i].parker = park_parker_new(driver);
		workers[i].unparker = park_unparker_new(workers[i].parker);
		pthread_create(&workers[i].thread, NULL, work, &workers[i]);
	}

	usleep(100000); /* let everyone go idle: one in the driver */
	for (int j = 0; j < njobs; j++) {
		pthread_mutex_lock(&queue_lock);
		queued++;
		pthread_mutex_unlock(&queue_lock);
		/* Wake one idle worker, round robin; a busy one picks the
		 * job up anyway when it looks at the queue. */
		struct worker *w = &workers[j % nworkers];
		for (int i = 0; i < nworkers && !w->idle; i++)
			w = &workers[(j + i) % nworkers];
		printf("producer: job %d queued, unparking worker %d\n", j,
		       w->id);
		park_unparker_unpark(w->unparker);
		usleep(30000);
	}

	closing = true;
	park_driver_shutdown(driver);
	for (int i = 0; i < nworkers; i++)
		park_unparker_unpark(workers[i].unparker);
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
		park_unparker_unref(workers[i].unparker);
		park_parker_unref(workers[i].parker);
	}
	total = next_job;
	event_free(timer);
	park_driver_unref(driver);
	free(workers);
	printf("done: %d of %d jobs, %d timer ticks served while idle\n", total,
	       njobs, ticks);
	return total == njobs ? 0 : 1;
}
