/*
 * libpark: park a thread until another thread wakes it, sharing one libevent
 * loop (the driver) among all idle threads.
 *
 * This is the only public header. Every handle is opaque and reference
 * counted; every call that can fail returns a negative errno (or NULL with
 * errno set). See libpark(3) for the full contract.
 */
#ifndef PARK_H
#define PARK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PARK_VERSION_MAJOR 0
#define PARK_VERSION_MINOR 1
#define PARK_VERSION_PATCH 0
#define PARK_VERSION_STRING "0.1.0"
/* One integer that grows with every release: 0xMMmmpp. */
#define PARK_VERSION_NUMBER \
	((PARK_VERSION_MAJOR << 16) | (PARK_VERSION_MINOR << 8) | PARK_VERSION_PATCH)

#if defined(PARK_BUILDING) && defined(__GNUC__)
#define PARK_EXPORT __attribute__((visibility("default")))
#else
#define PARK_EXPORT
#endif

struct event_base;

/* The shared event loop that one idle parker at a time sleeps in. */
typedef struct park_driver park_driver;
/* One thread's right to sleep; owned by one thread at a time. */
typedef struct park_parker park_parker;
/* The right to wake one parker; usable from any thread. */
typedef struct park_unparker park_unparker;

/*
 * Why a park ended. A successful park returns exactly one reason, possibly
 * ORed with PARK_DRIVER.
 */
enum park_wake {
	PARK_TOKEN = 0x01,     /* an unpark's token was consumed */
	PARK_TIMED_OUT = 0x02, /* the timeout or deadline passed first */
	PARK_EVENTS = 0x04,    /* the driver served events; no token */
	PARK_SHUTDOWN = 0x08,  /* the driver was shut down */
	PARK_DRIVER = 0x10     /* flag: this park ran the driver */
};
#define PARK_REASON_MASK 0x0f
#define PARK_REASON(r) ((r) & PARK_REASON_MASK)

/* Per-parker counters. Set .size to sizeof(struct park_stats) before the
 * call; fields past .size are never written, so the struct can grow. */
struct park_stats {
	size_t size;
	uint64_t parks_driver;  /* parks that ran the driver (blocking or poll) */
	uint64_t parks_sleeper; /* parks that slept on the parker's sleeper */
	uint64_t tokens;        /* tokens consumed */
	uint64_t timeouts;      /* parks that ended PARK_TIMED_OUT */
	uint64_t spurious;      /* parks that ended PARK_EVENTS or PARK_SHUTDOWN */
};

PARK_EXPORT const char *park_version_string(void);
PARK_EXPORT unsigned park_version_number(void);

/* Driver: a new event_base owned by the driver, or an application's base
 * that the driver uses but never frees. NULL with errno on failure. */
PARK_EXPORT park_driver *park_driver_new(void);
PARK_EXPORT park_driver *park_driver_new_with_base(struct event_base *base);
PARK_EXPORT struct event_base *park_driver_get_base(const park_driver *driver);
/* Stop the driver: wake the thread parked in it, send later parks to their
 * sleepers. Idempotent; unpark keeps working. */
PARK_EXPORT int park_driver_shutdown(park_driver *driver);
PARK_EXPORT int park_driver_is_shutdown(const park_driver *driver);
PARK_EXPORT void park_driver_free(park_driver *driver);

/* Parker: its own token and sleeper, the driver shared. */
PARK_EXPORT park_parker *park_parker_new(park_driver *driver);
PARK_EXPORT park_parker *park_parker_clone(const park_parker *parker);
PARK_EXPORT park_driver *park_parker_get_driver(const park_parker *parker);
PARK_EXPORT park_unparker *park_parker_get_unparker(park_parker *parker);
/* Sleep until a token, or until the driver served events. */
PARK_EXPORT int park_parker_park(park_parker *parker);
/* timeout_ns > 0: sleep at most that long. timeout_ns == 0: poll the driver
 * once if it is free and return PARK_TIMED_OUT; never consumes a token. */
PARK_EXPORT int park_parker_park_timeout(park_parker *parker, int64_t timeout_ns);
/* Sleep until a token or an absolute CLOCK_MONOTONIC deadline. */
PARK_EXPORT int park_parker_park_until(park_parker *parker,
				       const struct timespec *deadline);
PARK_EXPORT int park_parker_get_stats(const park_parker *parker,
				      struct park_stats *stats);
PARK_EXPORT void park_parker_free(park_parker *parker);

/* Unparker: copies are new references to the same parker's token. */
PARK_EXPORT park_unparker *park_unparker_clone(park_unparker *unparker);
PARK_EXPORT int park_unparker_unpark(const park_unparker *unparker);
PARK_EXPORT void park_unparker_free(park_unparker *unparker);

#ifdef __cplusplus
}
#endif

#endif /* PARK_H */
