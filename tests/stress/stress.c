/*
 * Stress: owner threads make random park calls on their parkers while
 * unparker threads unpark them at random, a timer fires in the driver, and
 * the driver is shut down halfway. A watchdog fails the run when
 *   - a park outlives an unpark that came after it began by more than the
 *     grace period (a lost wakeup), or a timed park outlives its timeout by
 *     more than the grace period;
 * and the end of the run fails it when
 *   - a token is left over that no unpark can explain (invented), or an
 *     unpark that began after the last token was taken left none (lost).
 *
 *   stress [-o ops] [-t owners] [-u unparkers] [-g grace_ms] [-s seed]
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "libpark.h"
#include "util.h"

/* The sleeper of the library variant this program was linked with. */
extern const char park__sleeper_name[];

#define MAX_OWNERS 64

struct slot {
	park_parker *parker;
	park_unparker *unparker;
	/* Unparks begun; read by the owner right after taking a token. */
	_Atomic uint64_t unparks_begun;
	uint64_t begun_at_last_token;
	/* When the latest unpark began (before its swap); when the current
	 * park began (0: not parked) and its bound (0: none). An unpark that
	 * began after a park began must end that park. */
	_Atomic int64_t last_unpark_begun;
	_Atomic int64_t parked_since;
	_Atomic int64_t park_bound;
	uint64_t tokens, timeouts, events, polls, clones;
	pthread_t thread;
	unsigned seed;
};

static struct slot slots[MAX_OWNERS];
static int owners = 4, unparkers = 2;
static long ops_per_owner = 50000;
static int64_t grace_ns = 2000LL * 1000000;
static park_driver *driver;
static _Atomic int owners_running;
static _Atomic long ops_done;
static _Atomic bool failed;

/* A failure ends the run at once: the thread that lost its wakeup may
 * never return, so nothing could join it. */
static void fail(const char *what, int slot)
{
	if (atomic_exchange(&failed, true))
		return;
	fprintf(stderr, "stress: FAILED: %s (owner %d) after %ld operations\n",
		what, slot, (long)ops_done);
	fflush(stdout);
	_exit(1);
}

static void check_result(struct slot *s, int r, int64_t timeout_ns,
			 int64_t start)
{
	if (r < 0) {
		fail("park returned an error", (int)(s - slots));
		return;
	}
	switch (PARK_REASON(r)) {
	case PARK_TOKEN:
		s->tokens++;
		s->begun_at_last_token = atomic_load(&s->unparks_begun);
		if (s->tokens > s->begun_at_last_token)
			fail("more tokens taken than unparks begun",
			     (int)(s - slots));
		break;
	case PARK_TIMED_OUT:
		s->timeouts++;
		if (timeout_ns > 0 && now_ns() - start < timeout_ns)
			fail("timed out early", (int)(s - slots));
		break;
	default:
		s->events++;
		break;
	}
}

static void *owner_main(void *arg)
{
	struct slot *s = arg;
	for (long i = 0; i < ops_per_owner; i++) {
		unsigned pick = (unsigned)rand_r(&s->seed) % 100;
		int64_t start = now_ns(), timeout = -1;
		if (pick < 10) {
			/* A poll never takes a token and never waits. */
			s->polls++;
			int r = park_parker_park_timeout(s->parker, 0);
			if (r < 0 || PARK_REASON(r) == PARK_TOKEN)
				fail("zero-timeout poll", (int)(s - slots));
		} else if (pick < 12) {
			park_parker *c = park_parker_clone(s->parker);
			park_unparker *u = park_unparker_new(c);
			park_unparker_unpark(u);
			if (park_parker_park(c) != PARK_TOKEN)
				fail("clone lost its own token", (int)(s - slots));
			park_unparker_unref(u);
			park_parker_unref(c);
			s->clones++;
		} else {
			if (pick < 50)
				timeout = (int64_t)(rand_r(&s->seed) % 2000) * 1000;
			s->park_bound = timeout > 0 ? start + timeout : 0;
			s->parked_since = start;
			int r = timeout > 0
					? park_parker_park_timeout(s->parker, timeout)
					: park_parker_park(s->parker);
			s->parked_since = 0;
			check_result(s, r, timeout, start);
		}
		ops_done++;
	}
	owners_running--;
	return NULL;
}

static void *unparker_main(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	while (owners_running > 0) {
		struct slot *s = &slots[rand_r(&seed) % (unsigned)owners];
		park_unparker *u = s->unparker;
		bool copy = rand_r(&seed) % 16 == 0;
		if (copy)
			u = park_unparker_ref(u);
		s->unparks_begun++;
		int64_t begun = now_ns();
		int64_t seen = s->last_unpark_begun;
		while (seen < begun &&
		       !atomic_compare_exchange_weak(&s->last_unpark_begun,
						     &seen, begun))
			;
		if (park_unparker_unpark(u) != 0)
			fail("unpark returned an error", (int)(s - slots));
		if (copy)
			park_unparker_unref(u);
		ops_done++;
		if (rand_r(&seed) % 4 == 0)
			usleep(rand_r(&seed) % 50);
	}
	return NULL;
}

/* Every 10 ms: a park that an unpark began after must end within the grace
 * period from when the watchdog first saw that unpark (later unparks must
 * not restart the clock: they cannot help a lost wakeup). */
static void *watchdog_main(void *arg)
{
	int64_t watched_park[MAX_OWNERS] = {0}, give_up[MAX_OWNERS] = {0};
	(void)arg;
	while (owners_running > 0) {
		int64_t now = now_ns();
		for (int i = 0; i < owners; i++) {
			struct slot *s = &slots[i];
			int64_t since = s->parked_since;
			int64_t bound = s->park_bound;
			if (since == 0 || s->last_unpark_begun <= since) {
				watched_park[i] = 0;
			} else if (watched_park[i] != since) {
				watched_park[i] = since;
				give_up[i] = now + grace_ns;
			} else if (now > give_up[i]) {
				fail("lost wakeup: still parked after an unpark",
				     i);
			}
			if (since && bound && now - bound > grace_ns)
				fail("timed park outlived its timeout", i);
		}
		usleep(10000);
	}
	return NULL;
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	++*(long *)arg;
}

int main(int argc, char **argv)
{
	long total_ops = 200000;
	unsigned seed = (unsigned)time(NULL);
	for (int opt; (opt = getopt(argc, argv, "o:t:u:g:s:")) != -1;) {
		switch (opt) {
		case 'o': total_ops = atol(optarg); break;
		case 't': owners = atoi(optarg); break;
		case 'u': unparkers = atoi(optarg); break;
		case 'g': grace_ns = atol(optarg) * 1000000LL; break;
		case 's': seed = (unsigned)atol(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-o ops] [-t owners] "
					"[-u unparkers] [-g grace_ms] [-s seed]\n",
				argv[0]);
			return 2;
		}
	}
	if (owners < 1 || owners > MAX_OWNERS || unparkers < 1 || total_ops < 1)
		return 2;
	ops_per_owner = total_ops / (owners + unparkers) + 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("stress: libpark %s, %s sleeper, %d owners, %d unparkers, "
	       "%ld operations, seed %u\n",
	       park_version_string(), park__sleeper_name, owners, unparkers,
	       total_ops, seed);

	driver = park_driver_new();
	long ticks = 0;
	struct event *timer = event_new(park_driver_get_base(driver), -1,
					EV_PERSIST, tick, &ticks);
	struct timeval every = {0, 1000};
	event_add(timer, &every);
	for (int i = 0; i < owners; i++) {
		slots[i].parker = park_parker_new(driver);
		slots[i].unparker = park_unparker_new(slots[i].parker);
		slots[i].seed = seed + (unsigned)i;
	}
	owners_running = owners;
	int64_t start = now_ns();
	pthread_t unparker_threads[64], watchdog;
	for (int i = 0; i < owners; i++)
		pthread_create(&slots[i].thread, NULL, owner_main, &slots[i]);
	for (int i = 0; i < unparkers && i < 64; i++)
		pthread_create(&unparker_threads[i], NULL, unparker_main,
			       (void *)(uintptr_t)(seed * 31 + (unsigned)i));
	pthread_create(&watchdog, NULL, watchdog_main, NULL);

	/* Shut the driver down halfway: parks move to their sleepers. */
	while (owners_running > 0 && ops_done < total_ops / 2)
		usleep(1000);
	park_driver_shutdown(driver);

	/* Owners in untimed parks need unparks to finish: keep them coming
	 * until every owner is done. */
	for (int i = 0; i < owners; i++)
		pthread_join(slots[i].thread, NULL);
	for (int i = 0; i < unparkers && i < 64; i++)
		pthread_join(unparker_threads[i], NULL);
	pthread_join(watchdog, NULL);
	double secs = (double)(now_ns() - start) / 1e9;

	/* Quiescent: every token left must be explained, none lost. */
	uint64_t tokens = 0, timeouts = 0, events = 0, unparks = 0;
	for (int i = 0; i < owners; i++) {
		struct slot *s = &slots[i];
		struct timespec past = {0, 0};
		bool pending = park_parker_park_until(s->parker, &past) ==
			       PARK_TOKEN;
		uint64_t begun = s->unparks_begun;
		if (pending && begun == s->tokens)
			fail("a token nobody unparked for", i);
		if (!pending && begun > s->begun_at_last_token)
			fail("an unpark after the last token left none", i);
		tokens += s->tokens;
		timeouts += s->timeouts;
		events += s->events;
		unparks += begun;
		park_unparker_unref(s->unparker);
		park_parker_unref(s->parker);
	}
	event_free(timer);
	park_driver_unref(driver);
	printf("stress: %ld operations in %.1f s: %llu unparks, %llu tokens, "
	       "%llu timeouts, %llu event returns, %ld timer ticks\n",
	       (long)ops_done, secs, (unsigned long long)unparks,
	       (unsigned long long)tokens, (unsigned long long)timeouts,
	       (unsigned long long)events, ticks);
	/* Every check above exits on failure: getting here is the pass. */
	printf("stress: no lost or invented token\n");
	return 0;
}
