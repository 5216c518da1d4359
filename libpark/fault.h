/*
 * Fault injection points. In the installed library every point is a
 * constant false; the test build (PARK_FAULT_INJECTION) lets a test make the
 * Nth pass through a point fail, to prove each failure path cleans up.
 *
 * A point is always written at the call it stands for, with
 * PARK_FAULT_OR(point, failure, call): the value of call, or of failure
 * (what that call returns when it fails, errno set as it would be) when the
 * point is armed.
 */
#ifndef PARK_FAULT_H
#define PARK_FAULT_H

#include <stdbool.h>

enum park_fault_point {
	PARK_FAULT_ALLOC,
	PARK_FAULT_WAKE_CHANNEL,
	PARK_FAULT_EVENT_BASE,
	PARK_FAULT_EVENT_NEW,
	PARK_FAULT_EVENT_ADD,
	PARK_FAULT_WAKE_WRITE,
	PARK_FAULT_SLEEPER_INIT,
	PARK_FAULT_COUNT
};

#define PARK_FAULT_OR(point, failure, call) \
	(park__fault_hit(point) ? (failure) : (call))

#ifdef PARK_FAULT_INJECTION
bool park__fault_hit(enum park_fault_point point);
/* Let `skip` passes through point succeed, fail the next one, then stop. */
void park__fault_arm(enum park_fault_point point, unsigned skip);
void park__fault_disarm(void);
/* How many passes through point since the last arm or disarm. */
unsigned park__fault_passes(enum park_fault_point point);
#else
static inline bool park__fault_hit(enum park_fault_point point)
{
	(void)point;
	return false;
}
#endif

#endif /* PARK_FAULT_H */
