"""park: Parker.spin, the budget a park spins before it sleeps, and the
parks_spin counter; also through the main thread's sliced parks.

A park spins only where it would sleep on its own sleeper, so most parkers
here are on a shut-down driver. Whether a park is spinning is read from
the parking thread's CPU clock: once it is inside a park, nothing but a
spin burns CPU time."""

import math
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import park  # noqa: E402
import fixtures  # noqa: E402

W = park.Wake
# A budget no test waits out: only an unpark or a timeout ends its spin.
FOREVER = 600.0


def wait_spinning(ident, cpu=0.05, limit=30.0):
    """Waits until thread `ident` (threading.get_ident()) has burned `cpu`
    seconds of CPU from now on: a thread that is about to park or inside
    one burns that much only by spinning."""
    clock = time.pthread_getcpuclockid(ident)
    start = time.clock_gettime(clock)
    deadline = time.monotonic() + limit
    while time.clock_gettime(clock) - start < cpu:
        if time.monotonic() > deadline:
            raise AssertionError(f"no spin: {cpu} s of CPU not burned in "
                                 f"{limit} s")
        time.sleep(0.002)


def stopped_parker():
    """A parker whose parks all go to the sleeper (or spin first)."""
    d = park.Driver()
    d.shutdown()
    return park.Parker(d)


class Worker:
    """A thread that parks p once with `timeout`, as soon as it is told,
    after a warm-up park that takes a waiting token (so that the code of a
    park has run once before anything is measured)."""

    def __init__(self, p, timeout=None, idle=None):
        self.p, self.timeout, self.idle = p, timeout, idle
        self.result = None
        self.started = threading.Event()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()
        self.started.wait()
        self.ident = self.thread.ident

    def _run(self):
        self.native_id = threading.get_native_id()
        self.p.unparker().unpark()
        assert self.p.park() == W.TOKEN
        self.started.set()
        if self.idle is not None:
            self.result = self.idle.park(self.p, self.timeout)
        else:
            self.result = self.p.park(self.timeout)

    def join(self):
        self.thread.join(60)
        assert not self.thread.is_alive()
        return self.result


def zero_stats(**counts):
    return park.Stats(*(counts.get(f, 0) for f in park.Stats._fields))


class TestSetting(unittest.TestCase):
    def setUp(self):
        self.p = park.Parker()
        self.u = self.p.unparker()

    def assert_intact(self, spin):
        """The budget is as it was, and the parker still takes a token."""
        self.assertEqual(self.p.spin, spin)
        self.u.unpark()
        self.assertEqual(self.p.park(), W.TOKEN)

    def test_a_new_parker_does_not_spin(self):
        self.assertEqual(self.p.spin, 0.0)
        self.assertIsInstance(self.p.spin, float)
        self.assertEqual(self.p.stats().parks_spin, 0)

    def test_the_budget_reads_back_as_set(self):
        for seconds in (20e-6, 1e-9, 0.5, 1.25, 5e-3, 0.0):
            self.p.spin = seconds
            self.assertEqual(self.p.spin, seconds)
        self.p.spin = 3
        self.assertEqual(self.p.spin, 3.0)
        self.assertIsInstance(self.p.spin, float)
        # The largest whole number of seconds in int64 nanoseconds.
        self.p.spin = 9223372036
        self.assertEqual(self.p.spin, 9223372036.0)
        self.p.spin = 0
        self.assertEqual(self.p.spin, 0.0)

    def test_the_budget_is_kept_to_the_nearest_nanosecond(self):
        self.p.spin = 1.4e-9
        self.assertEqual(self.p.spin, 1e-9)
        self.p.spin = 1.6e-9
        self.assertEqual(self.p.spin, 2e-9)
        self.p.spin = 0.4e-9
        self.assertEqual(self.p.spin, 0.0)

    def test_a_clone_has_the_same_budget(self):
        self.p.spin = 7e-6
        self.assertEqual(self.p.clone().spin, 7e-6)
        self.assertEqual(park.Parker(self.p.driver).spin, 0.0)

    def test_any_thread_sets_it(self):
        t = threading.Thread(target=setattr, args=(self.p, "spin", 2e-6))
        t.start()
        t.join()
        self.assertEqual(self.p.spin, 2e-6)

    def test_wrong_types_raise_type_error(self):
        self.p.spin = 1e-6
        for bad in ("1", None, True, False, b"0", 1j, [], object()):
            with self.assertRaisesRegex(TypeError, "spin must be a number "
                                        "of seconds, not " +
                                        type(bad).__name__, msg=repr(bad)):
                self.p.spin = bad
        self.assert_intact(1e-6)

    def test_negative_and_nan_raise_value_error(self):
        self.p.spin = 1e-6
        for bad in (-1, -1e-9, -math.inf, math.nan, -10 ** 400):
            with self.assertRaisesRegex(ValueError, "spin must be a "
                                        "non-negative number of seconds",
                                        msg=repr(bad)):
                self.p.spin = bad
        self.assert_intact(1e-6)

    def test_past_int64_nanoseconds_raises_value_error(self):
        self.p.spin = 1e-6
        for bad in (math.inf, 9223372037, 9.3e9, 1e300, 2 ** 63, 10 ** 400):
            with self.assertRaisesRegex(ValueError, r"spin must be at most "
                                        r"9223372036\.854775807 seconds",
                                        msg=repr(bad)):
                self.p.spin = bad
        self.assert_intact(1e-6)

    def test_cannot_be_deleted(self):
        with self.assertRaises(AttributeError):
            del self.p.spin
        self.assertEqual(self.p.spin, 0.0)

    def test_a_closed_parker_raises(self):
        self.p.close()
        with self.assertRaisesRegex(ValueError, "closed"):
            self.p.spin
        with self.assertRaisesRegex(ValueError, "closed"):
            self.p.spin = 1e-6


class TestSpinning(unittest.TestCase):
    def setUp(self):
        self.p = stopped_parker()
        self.u = self.p.unparker()

    def test_an_unpark_during_the_spin_ends_it(self):
        # In another thread: one park, no slices.
        self.p.spin = FOREVER
        w = Worker(self.p)
        wait_spinning(w.ident)
        self.u.unpark()
        self.assertEqual(w.join(), W.TOKEN)
        self.assertEqual(self.p.stats(),
                         zero_stats(tokens=2, parks_spin=1))

    def test_a_spinning_main_thread_park_counts_once(self):
        # The main thread parks in 50 ms slices; every slice spins and
        # times out until the unpark, and the ledger hides all of them.
        self.p.spin = FOREVER
        main = threading.get_ident()
        unparker = threading.Thread(
            target=lambda: (wait_spinning(main, cpu=0.15), self.u.unpark()))
        unparker.start()
        self.assertEqual(self.p.park(), W.TOKEN)
        unparker.join()
        self.assertEqual(self.p.stats(), zero_stats(tokens=1, parks_spin=1))
        self.assertEqual(self.p.spin, FOREVER)

    def test_a_waiting_token_is_taken_without_spinning(self):
        self.p.spin = FOREVER
        self.u.unpark()
        self.assertEqual(self.p.park(), W.TOKEN)
        self.assertEqual(self.p.stats(), zero_stats(tokens=1))

    def test_no_budget_never_spins(self):
        w = Worker(self.p)
        self.assertTrue(fixtures.wait_sleeping(w.native_id, where="sleeper"))
        self.u.unpark()
        self.assertEqual(w.join(), W.TOKEN)
        self.assertEqual(self.p.park(0.01), W.TIMED_OUT)
        self.assertEqual(self.p.park(0.2), W.TIMED_OUT)
        self.assertEqual(self.p.stats(),
                         zero_stats(parks_sleeper=3, tokens=2, timeouts=2))

    def test_a_spent_budget_goes_on_to_sleep(self):
        self.p.spin = 0.005
        w = Worker(self.p)
        self.assertTrue(fixtures.wait_sleeping(w.native_id, where="sleeper"))
        self.u.unpark()
        self.assertEqual(w.join(), W.TOKEN)
        self.assertEqual(self.p.stats(),
                         zero_stats(parks_sleeper=1, tokens=2))

    def test_the_timeout_ends_the_spin(self):
        self.p.spin = FOREVER
        start = time.monotonic()
        self.assertEqual(self.p.park(0.02), W.TIMED_OUT)
        took = time.monotonic() - start
        self.assertGreaterEqual(took, 0.02)
        self.assertLess(took, 10.0)
        self.assertEqual(self.p.stats(), zero_stats(timeouts=1, parks_spin=1))

    def test_the_timeout_ends_a_sliced_spin(self):
        # Four slices that spin and time out: one park, ended spinning.
        self.p.spin = FOREVER
        start = time.monotonic()
        self.assertEqual(self.p.park(0.2), W.TIMED_OUT)
        self.assertGreaterEqual(time.monotonic() - start, 0.2)
        self.assertEqual(self.p.stats(), zero_stats(timeouts=1, parks_spin=1))
        deadline = time.monotonic() + 0.2
        self.assertEqual(self.p.park_until(deadline), W.TIMED_OUT)
        self.assertGreaterEqual(time.monotonic(), deadline)
        self.assertEqual(self.p.stats(), zero_stats(timeouts=2, parks_spin=2))

    def test_a_sliced_park_spins_its_budget_once(self):
        # Ten 50 ms slices: only the first spins (30 ms), the rest sleep
        # (300 ms if each spun); the park ends on the sleeper, and the
        # budget is as it was.
        self.p.spin = 0.03
        cpu = time.thread_time()
        self.assertEqual(self.p.park(0.5), W.TIMED_OUT)
        cpu = time.thread_time() - cpu
        self.assertEqual(self.p.stats(),
                         zero_stats(parks_sleeper=1, timeouts=1))
        self.assertEqual(self.p.spin, 0.03)
        if not fixtures.UNDER_VALGRIND:  # valgrind's own work counts as CPU
            self.assertLess(cpu, 0.15, "CPU seconds of the park")

    def test_a_poll_never_spins(self):
        self.p.spin = FOREVER
        self.assertEqual(self.p.park(0), W.SHUTDOWN)
        self.assertEqual(self.p.stats(), zero_stats(spurious=1))

    def test_a_park_that_gets_the_driver_does_not_spin(self):
        p = park.Parker()
        p.spin = FOREVER
        start = time.monotonic()
        self.assertEqual(p.park(0.02), W.TIMED_OUT | W.DRIVER)
        self.assertLess(time.monotonic() - start, 10.0)
        self.assertEqual(p.stats(), zero_stats(parks_driver=1, timeouts=1))

    def test_an_idle_set_park_spins(self):
        idle = park.IdleSet(self.p.driver)
        self.p.spin = FOREVER
        w = Worker(self.p, idle=idle)
        wait_spinning(w.ident)
        self.assertTrue(idle.unpark_one())
        self.assertEqual(w.join(), W.TOKEN)
        self.assertEqual(self.p.stats(), zero_stats(tokens=2, parks_spin=1))
        self.assertEqual(len(idle), 0)


if __name__ == "__main__":
    fixtures.main()
