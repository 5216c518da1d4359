/* The set-up most suites start from: a driver, a parker on it and that
 * parker's unparker, made by setup() and dropped by teardown(). Use them
 * as a checked fixture (tcase_add_checked_fixture), so that they run in
 * the forked child, like the test itself. */
#ifndef PARK_TEST_FIXTURE_H
#define PARK_TEST_FIXTURE_H

#include "libpark.h"

extern park_driver *driver;
extern park_parker *parker;
extern park_unparker *unparker;

void setup(void);
void teardown(void);

#endif
