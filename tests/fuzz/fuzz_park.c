/*
 * libFuzzer harness: each input is a program of park calls on one thread,
 * run against a fresh driver and checked call by call against a model of
 * what libpark must return (tokens, reasons, errors, counters). Anything
 * the model does not predict aborts, and so does any sanitizer report.
 *
 *   make fuzz && tests/fuzz/fuzz-park -max_total_time=60 tests/fuzz/corpus
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libpark.h"

#define SLOTS 4

struct model {
	bool token;
	uint64_t tokens, timeouts, parks_driver, parks_sleeper, spurious;
};

static void expect(bool ok, const char *what, int got)
{
	if (!ok) {
		fprintf(stderr, "fuzz-park: model disagrees: %s (got %d)\n",
			what, got);
		abort();
	}
}

/* A timed park whose timeout may pass before it reaches the driver. */
static void check_timed(struct model *m, int r, bool shut)
{
	if (m->token) {
		expect(r == PARK_TOKEN, "timed park with a token", r);
		m->token = false;
		m->tokens++;
		return;
	}
	expect(PARK_REASON(r) == PARK_TIMED_OUT, "timed park times out", r);
	expect(!(shut && (r & PARK_DRIVER)), "no driver after shutdown", r);
	m->timeouts++;
	if (r & PARK_DRIVER)
		m->parks_driver++;
	else if (shut)
		m->parks_sleeper++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	park_driver *driver = park_driver_new();
	expect(driver != NULL, "driver", errno);
	park_parker *parkers[SLOTS] = {park_parker_new(driver)};
	park_unparker *unparkers[SLOTS] = {park_unparker_new(parkers[0])};
	struct model models[SLOTS] = {{0}};
	bool shut = false;

	for (size_t at = 0; at + 1 < size; at += 2) {
		int i = data[at + 1] % SLOTS;
		park_parker *p = parkers[i];
		struct model *m = &models[i];
		int r;
		switch (data[at] % 10) {
		case 0: /* unpark, also through an orphaned unparker */
			if (!unparkers[i])
				break;
			expect(park_unparker_unpark(unparkers[i]) == 0, "unpark", -1);
			m->token = true;
			break;
		case 1: /* zero-timeout poll: never takes the token */
			if (!p)
				break;
			r = park_parker_park_timeout(p, 0);
			if (shut) {
				expect(r == PARK_SHUTDOWN, "poll after shutdown", r);
				m->spurious++;
			} else {
				expect(r == (PARK_TIMED_OUT | PARK_DRIVER), "poll", r);
				m->parks_driver++;
				m->timeouts++;
			}
			break;
		case 2: { /* a deadline in the past */
			if (!p)
				break;
			struct timespec past = {0, data[at + 1]};
			r = park_parker_park_until(p, &past);
			if (m->token) {
				expect(r == PARK_TOKEN, "past deadline, token", r);
				m->token = false;
				m->tokens++;
			} else {
				expect(r == PARK_TIMED_OUT, "past deadline", r);
				m->timeouts++;
			}
			break;
		}
		case 3: /* a short timed park */
			if (!p)
				break;
			check_timed(m, park_parker_park_timeout(p, data[at + 1] % 8 + 1),
				    shut);
			break;
		case 4: /* untimed park, only when it cannot block */
			if (!p || !m->token)
				break;
			expect(park_parker_park(p) == PARK_TOKEN, "park", -1);
			m->token = false;
			m->tokens++;
			break;
		case 5: /* clone into a free slot */
			for (int j = 0; p && j < SLOTS; j++) {
				if (parkers[j] || unparkers[j])
					continue;
				parkers[j] = park_parker_clone(p);
				unparkers[j] = park_unparker_new(parkers[j]);
				expect(parkers[j] && unparkers[j], "clone", errno);
				memset(&models[j], 0, sizeof models[j]);
				break;
			}
			break;
		case 6: /* release a parker; its unparker stays usable */
			if (i != 0 && p) {
				park_parker_unref(p);
				parkers[i] = NULL;
			} else if (i != 0 && unparkers[i]) {
				park_unparker_unref(unparkers[i]);
				unparkers[i] = NULL;
			}
			break;
		case 7:
			expect(park_driver_shutdown(driver) == 0, "shutdown", -1);
			shut = true;
			break;
		case 8: { /* counters agree with the model */
			if (!p)
				break;
			struct park_stats s = {.size = sizeof s};
			expect(park_parker_get_stats(p, &s) == 0, "stats", -1);
			expect(s.tokens == m->tokens, "tokens counter", (int)s.tokens);
			expect(s.timeouts == m->timeouts, "timeouts counter", (int)s.timeouts);
			expect(s.parks_driver == m->parks_driver, "driver counter",
			       (int)s.parks_driver);
			expect(s.parks_sleeper == m->parks_sleeper, "sleeper counter",
			       (int)s.parks_sleeper);
			expect(s.spurious == m->spurious, "spurious counter",
			       (int)s.spurious);
			break;
		}
		case 9: { /* bad input changes nothing */
			struct timespec bad = {1, 1000000000L + data[at + 1]};
			expect(park_parker_park_timeout(p, -1 - data[at + 1]) == -EINVAL,
			       "negative timeout", -1);
			expect(park_parker_park_until(p, &bad) == -EINVAL,
			       "bad deadline", -1);
			expect(park_parker_park_until(p, NULL) == -EINVAL,
			       "NULL deadline", -1);
			break;
		}
		}
	}
	for (int i = 0; i < SLOTS; i++) {
		park_unparker_unref(unparkers[i]);
		park_parker_unref(parkers[i]);
	}
	park_driver_unref(driver);
	return 0;
}
