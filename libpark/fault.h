/*
 * Fault injection points. In the installed library every point is a
 * constant false; the test build (PARK_FAULT_INJECTION) lets a test make the
 * Nth pass through a point fail, to prove each failure path cleans up.
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

#ifdef PARK_FAULT_INJECTION
bool park_fault_hit(enum park_fault_point point);
/* Let `skip` passes through point succeed, fail the next one, then stop. */
void park_fault_arm(enum park_fault_point point, unsigned skip);
void park_fault_disarm(void);
/* How many passes through point since the last arm or disarm. */
unsigned park_fault_passes(enum park_fault_point point);
#else
static inline bool park_fault_hit(enum park_fault_point point)
{
	(void)point;
	return false;
}
#endif

#endif /* PARK_FAULT_H */
