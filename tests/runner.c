/*
 * The test runner: main() for every C test program. It is built once per
 * runner (PARK_RUNNER is public, white or lua; see tests/test-list.h) and
 * runs the suites whose column for it is 1, with TAP output on stdout, one
 * line per test.
 *
 *   tests/check-RUNNER [SUITE...]   only the suites named (default: all)
 */
#include "config.h"

#include "helpers.h"

#include <stdlib.h>
#include <string.h>

#ifndef PARK_RUNNER
#error "build the runner with -DPARK_RUNNER=public, white or lua"
#endif

/* Picks the row's column for this runner, then keeps the row or drops it
 * (a suite another runner runs is not linked into this one). */
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define COLUMN_public(public, white, lua) public
#define COLUMN_white(public, white, lua) white
#define COLUMN_lua(public, white, lua) lua
#define KEEP_0(name)
#define KEEP_1(name) {#name, name##_suite},
#define TEST_SUITE(name, public, white, lua)                                  \
	CAT(KEEP_, CAT(COLUMN_, PARK_RUNNER)(public, white, lua))(name)

static const struct {
	const char *name;
	Suite *(*make)(void);
} suites[] = {
#include "test-list.h"
};
#undef TEST_SUITE

static bool wanted(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	SRunner *sr = NULL;
	for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
		if (!wanted(suites[i].name, argc, argv))
			continue;
		if (sr == NULL)
			sr = srunner_create(suites[i].make());
		else
			srunner_add_suite(sr, suites[i].make());
	}
	if (sr == NULL) {
		fprintf(stderr, "%s: no such suite here\n", argv[0]);
		return EXIT_FAILURE;
	}
	srunner_set_tap(sr, "-");
	/* Learned here, before Check forks a child per test. */
	sleep_probe_report(stdout);
	fflush(stdout);
	srunner_run_all(sr, CK_SILENT);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
