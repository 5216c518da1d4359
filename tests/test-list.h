/*
 * Every C test suite, one row each, and the runners it runs in (libuv's
 * test/test-list.h, as a table). A row is
 *
 *   TEST_SUITE(name, public, white, lua)
 *
 * where name_suite() builds the suite (in tests/check_name.c, or the file
 * tests/include.am lists for it), and each column says whether that runner
 * runs it:
 *
 *   public  tests/check-public: the black box, linked against libpark.la
 *           as users link it, whichever sleeper it was configured with
 *   white   tests/check-SLEEPER, one per sleeper variant: built with
 *           PARK_WHITE_BOX against that variant's fault-injection
 *           convenience library (libpark/libpark-SLEEPER-faults.la)
 *   lua     tests/check-lua: C hosts of the Lua binding
 *
 * The includer defines TEST_SUITE. A runner runs its suites in this order.
 */
/*         name        public white lua */
TEST_SUITE(internal,   0,     1,    0)
TEST_SUITE(api,        1,     1,    0)
TEST_SUITE(edges,      1,     1,    0)
TEST_SUITE(fork,       1,     1,    0)
TEST_SUITE(post,       1,     0,    0)
TEST_SUITE(wake,       0,     1,    0)
TEST_SUITE(idle,       1,     1,    0)
TEST_SUITE(spin,       0,     1,    0)
TEST_SUITE(pool,       1,     0,    0)
TEST_SUITE(signal,     0,     1,    0)
TEST_SUITE(lua_states, 0,     0,    1)
TEST_SUITE(lua_fork,   0,     0,    1)
