/* The test build's fault injector; see fault.h. Tests arm it from one
 * thread, but unparks on other threads pass through points, so every field
 * is atomic. */
#include "config.h"

#include "fault.h"

#include <stdatomic.h>

static _Atomic int armed_point = -1;
static _Atomic unsigned armed_skip;
static _Atomic unsigned passes[PARK_FAULT_COUNT];

static void reset_passes(void)
{
	for (int i = 0; i < PARK_FAULT_COUNT; i++)
		passes[i] = 0;
}

bool park__fault_hit(enum park_fault_point point)
{
	passes[point]++;
	if ((int)point != armed_point)
		return false;
	if (armed_skip > 0) {
		armed_skip--;
		return false;
	}
	int expected = (int)point;
	return atomic_compare_exchange_strong(&armed_point, &expected, -1);
}

void park__fault_arm(enum park_fault_point point, unsigned skip)
{
	reset_passes();
	armed_point = (int)point;
	armed_skip = skip;
}

void park__fault_disarm(void)
{
	reset_passes();
	armed_point = -1;
}

unsigned park__fault_passes(enum park_fault_point point)
{
	return passes[point];
}
