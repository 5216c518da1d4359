/* A downstream program built against an installed libpark only. */
#include <libpark.h>

#include <stdio.h>
#include <string.h>

int main(void)
{
	if (strcmp(park_version_string(), PARK_VERSION_STRING) != 0) {
		fprintf(stderr, "header %s, library %s\n", PARK_VERSION_STRING,
			park_version_string());
		return 1;
	}
	park_driver *d = park_driver_new();
	park_parker *p = d ? park_parker_new(d) : NULL;
	park_unparker *u = p ? park_unparker_new(p) : NULL;
	if (!u)
		return 1;
	int ok = park_unparker_unpark(u) == 0 &&
		 park_parker_park(p) == PARK_TOKEN &&
		 park_parker_park_timeout(p, 1000000) ==
		     (PARK_TIMED_OUT | PARK_DRIVER);
	park_unparker_unref(u);
	park_parker_unref(p);
	park_driver_unref(d);
	puts(ok ? "downstream: ok" : "downstream: FAILED");
	return ok ? 0 : 1;
}
