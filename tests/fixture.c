#include "config.h"

#include "fixture.h"

#include <check.h>
#include <stddef.h>

#ifdef PARK_WHITE_BOX
#include "park-internal.h"
#endif

park_driver *driver;
park_parker *parker;
park_unparker *unparker;

void setup(void)
{
#ifdef PARK_WHITE_BOX
	/* A test that armed a fault point does not leave it to the next. */
	park__fault_disarm();
#endif
	driver = park_driver_new();
	ck_assert_ptr_nonnull(driver);
	parker = park_parker_new(driver);
	ck_assert_ptr_nonnull(parker);
	unparker = park_unparker_new(parker);
	ck_assert_ptr_nonnull(unparker);
}

void teardown(void)
{
#ifdef PARK_WHITE_BOX
	park__fault_disarm();
#endif
	park_unparker_unref(unparker);
	park_parker_unref(parker);
	park_driver_unref(driver);
}
