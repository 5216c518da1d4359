/* The run-time version, to compare with the PARK_VERSION_* a program was
 * compiled against. */
#include "config.h"

#include "park-internal.h"

const char *park_version_string(void)
{
	return PARK_VERSION_STRING;
}

unsigned park_version_number(void)
{
	return PARK_VERSION_NUMBER;
}
