/*
 * Pool stress: rounds of 8 producers submitting to a pool of 1 to 8
 * workers while the pool is shut down under them, alternately draining
 * and cancelling, sometimes from inside one of its own jobs. Each job
 * has an id; at the end of every round
 *   - an accepted job ran once (drain), or ran or was handed back once
 *     (cancel), never both, never twice;
 *   - a refused job neither ran nor was handed back;
 *   - the pool's counters agree;
 * and a shutdown that does not finish within the watchdog's bound fails
 * the run (a worker that never left: a lost wake or a deadlock).
 *
 *   pool-stress [-o jobs] [-p producers] [-s seed]
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libpark.h"
#include "util.h"

extern const char park__sleeper_name[];

#define ROUND_JOBS 50000
#define MAX_PRODUCERS 64
#define WATCHDOG_NS (60000 * MS)

static int producers = 8;
static park_pool *pool;
static long round_jobs;
static _Atomic unsigned char *ran, *handed_back;
static bool *accepted;
/* The id of the job that shuts its own pool down (-1: none). */
static long shutdown_job_id;
static int round_mode;
static _Atomic int inner_result;

static void fail(const char *what, long id)
{
	fprintf(stderr, "pool-stress: FAILED: %s (job %ld)\n", what, id);
	fflush(stdout);
	_exit(1);
}

static void job(void *arg)
{
	long id = (long)arg;
	if (ran[id]++)
		fail("a job ran twice", id);
	if (id == shutdown_job_id)
		inner_result = park_pool_shutdown(pool, round_mode, -1);
}

static void on_cancel(void *user, park_job_fn *fn, void *arg)
{
	(void)user;
	long id = (long)arg;
	if (fn != job)
		fail("a cancelled job came back with another function", id);
	if (handed_back[id]++)
		fail("a job was handed back twice", id);
}

struct producer {
	pthread_t thread;
	long first, count;
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	for (long id = p->first; id < p->first + p->count; id++) {
		int r = park_pool_submit(pool, job, (void *)id);
		if (r != 0 && r != -ESHUTDOWN)
			fail("submit failed", id);
		accepted[id] = r == 0;
	}
	return NULL;
}

struct totals {
	long accepted, ran, cancelled, refused;
};

static void round_run(unsigned *seed, int mode, struct totals *t)
{
	unsigned workers = 1 + (unsigned)(rand_r(seed) % 8);
	struct park_pool_options o = {.size = sizeof o,
				      .workers = workers,
				      .on_cancel = on_cancel};
	memset((void *)ran, 0, (size_t)round_jobs);
	memset((void *)handed_back, 0, (size_t)round_jobs);
	memset(accepted, 0, (size_t)round_jobs);
	round_mode = mode;
	inner_result = 1;
	/* One round in four stops from inside a job. */
	shutdown_job_id = rand_r(seed) % 4 == 0 ? rand_r(seed) % round_jobs
						: -1;
	pool = park_pool_new(&o);
	if (!pool)
		fail("park_pool_new", -1);
	struct producer prod[MAX_PRODUCERS];
	long each = round_jobs / producers;
	for (int i = 0; i < producers; i++) {
		prod[i].first = i * each;
		prod[i].count = i == producers - 1 ? round_jobs - i * each
						   : each;
		pthread_create(&prod[i].thread, NULL, producer_main, &prod[i]);
	}
	/* Shut down somewhere in the producers' run. */
	long at = rand_r(seed) % round_jobs;
	struct park_pool_stats st = {.size = sizeof st};
	do {
		park_pool_get_stats(pool, &st);
		usleep(50);
	} while ((long)st.jobs_run < at && inner_result == 1);
	if (park_pool_shutdown(pool, mode, WATCHDOG_NS) != 0)
		fail("the workers did not leave (shutdown timed out)", -1);
	for (int i = 0; i < producers; i++)
		pthread_join(prod[i].thread, NULL);
	if (inner_result != 1 && inner_result != -EINPROGRESS)
		fail("shutdown in a job did not return -EINPROGRESS", -1);

	long acc = 0, r = 0, c = 0;
	for (long id = 0; id < round_jobs; id++) {
		int done = ran[id] + handed_back[id];
		if (accepted[id] && done != 1)
			fail(done ? "an accepted job ran and was handed back"
				  : "an accepted job was lost",
			     id);
		if (!accepted[id] && done)
			fail("a refused job ran or came back", id);
		if (mode == PARK_POOL_DRAIN && handed_back[id])
			fail("drain handed a job back", id);
		acc += accepted[id];
		r += ran[id];
		c += handed_back[id];
	}
	park_pool_get_stats(pool, &st);
	if ((long)st.jobs_run != r || (long)st.jobs_cancelled != c)
		fail("the counters disagree", -1);
	park_pool_unref(pool);
	t->accepted += acc;
	t->ran += r;
	t->cancelled += c;
	t->refused += round_jobs - acc;
}

int main(int argc, char **argv)
{
	long total = 1000000;
	unsigned seed = (unsigned)now_ns();
	for (int opt; (opt = getopt(argc, argv, "o:p:s:")) != -1;) {
		switch (opt) {
		case 'o': total = atol(optarg); break;
		case 'p': producers = atoi(optarg); break;
		case 's': seed = (unsigned)atol(optarg); break;
		default:
			fprintf(stderr, "usage: pool-stress [-o jobs] "
					"[-p producers] [-s seed]\n");
			return 2;
		}
	}
	if (total < 1 || producers < 1 || producers > MAX_PRODUCERS)
		return 2;
	round_jobs = total < ROUND_JOBS ? total : ROUND_JOBS;
	if (round_jobs < producers)
		round_jobs = producers;
	ran = calloc((size_t)round_jobs, 1);
	handed_back = calloc((size_t)round_jobs, 1);
	accepted = calloc((size_t)round_jobs, 1);
	printf("pool-stress: %s sleeper, seed %u, %d producers\n",
	       park__sleeper_name, seed, producers);
	struct totals t = {0};
	int64_t start = now_ns();
	long rounds = 0;
	for (long done = 0; done < total; done += round_jobs, rounds++)
		round_run(&seed, rounds % 2 ? PARK_POOL_CANCEL : PARK_POOL_DRAIN,
			  &t);
	printf("stress: pool: %ld rounds, %ld jobs in %.1f s: %ld accepted, "
	       "%ld ran, %ld handed back, %ld refused\n",
	       rounds, rounds * round_jobs, (double)(now_ns() - start) / 1e9,
	       t.accepted, t.ran, t.cancelled, t.refused);
	printf("stress: every accepted job ran or came back exactly once\n");
	free((void *)ran);
	free((void *)handed_back);
	free(accepted);
	return 0;
}
