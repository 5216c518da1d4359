"""park: tokens, timeouts, polls, deadlines, shutdown, stats, docs."""

import inspect
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import park  # noqa: E402
import fixtures  # noqa: E402

W = park.Wake


class TestTokens(unittest.TestCase):
    def setUp(self):
        self.p = park.Parker()
        self.u = self.p.unparker()

    def test_version_is_the_c_library_version(self):
        self.assertRegex(park.__version__, r"^\d+\.\d+\.\d+$")
        self.assertEqual(park.__version__, park.core.version_string())

    def test_unpark_before_park_returns_token_at_once(self):
        self.u.unpark()
        start = time.monotonic()
        self.assertEqual(self.p.park(), W.TOKEN)
        self.assertLess(time.monotonic() - start, 1.0)

    def test_many_unparks_make_one_token(self):
        for _ in range(5):
            self.u.unpark()
        self.assertEqual(self.p.park(), W.TOKEN)
        self.assertEqual(self.p.park(0.01), W.TIMED_OUT | W.DRIVER)
        self.assertEqual(self.p.stats().tokens, 1)

    def test_timeout_in_seconds(self):
        start = time.monotonic()
        r = self.p.park(0.05)
        self.assertGreaterEqual(time.monotonic() - start, 0.05)
        self.assertEqual(r, W.TIMED_OUT | W.DRIVER)
        self.assertEqual(r.reason, W.TIMED_OUT)
        self.assertIsInstance(r, park.Wake)

    def test_integer_timeout_accepted(self):
        self.u.unpark()
        self.assertEqual(self.p.park(1), W.TOKEN)

    def test_zero_timeout_polls_and_keeps_token(self):
        self.u.unpark()
        self.assertEqual(self.p.park(0), W.TIMED_OUT | W.DRIVER)
        self.assertEqual(self.p.park(), W.TOKEN)

    def test_deadline_in_the_past(self):
        self.assertEqual(self.p.park_until(time.monotonic() - 1), W.TIMED_OUT)
        self.u.unpark()
        self.assertEqual(self.p.park_until(0), W.TOKEN)

    def test_deadline_in_the_future(self):
        deadline = time.monotonic() + 0.05
        self.assertEqual(self.p.park_until(deadline), W.TIMED_OUT | W.DRIVER)
        self.assertGreaterEqual(time.monotonic(), deadline)

    def test_clone_has_own_token_and_same_driver(self):
        c = self.p.clone()
        self.assertIs(c.driver, self.p.driver)
        self.u.unpark()
        self.assertEqual(c.park(0.01).reason, W.TIMED_OUT)
        self.assertEqual(self.p.park(), W.TOKEN)

    def test_unparker_clone_wakes_same_parker(self):
        u2 = self.u.clone()
        u2.unpark()
        self.assertEqual(self.p.park(), W.TOKEN)

    def test_stats_count_each_path(self):
        self.u.unpark()
        self.p.park()
        self.p.park(0.001)
        s = self.p.stats()
        self.assertIsInstance(s, park.Stats)
        self.assertEqual((s.tokens, s.timeouts, s.parks_driver), (1, 1, 1))
        self.assertEqual(s.parks_sleeper, 0)

    def test_a_long_main_thread_park_counts_once(self):
        # The main thread parks in 50 ms slices (for Ctrl-C); its stats
        # must still count one park and one timeout.
        self.assertEqual(self.p.park(0.2).reason, W.TIMED_OUT)
        s = self.p.stats()
        self.assertEqual((s.timeouts, s.parks_driver + s.parks_sleeper),
                         (1, 1))
        self.u.unpark()
        self.assertEqual(self.p.park(), W.TOKEN)
        self.assertEqual(self.p.stats().timeouts, 1)

    def test_stats_are_per_parker_while_main_thread_slices(self):
        # Another thread's parker parks and reads its stats while the main
        # thread's long park hides its slices: neither sees the other's.
        worker = park.Parker()
        wu = worker.unparker()
        seen = []

        def work():
            for _ in range(10):
                wu.unpark()
                self.assertEqual(worker.park(), W.TOKEN)
                seen.append(worker.stats())
                time.sleep(0.02)

        t = threading.Thread(target=work)
        t.start()
        self.assertEqual(self.p.park(0.3).reason, W.TIMED_OUT)
        t.join()
        self.assertEqual(seen[-1], park.Stats(0, 0, 10, 0, 0, 0))
        self.assertEqual(worker.stats(), park.Stats(0, 0, 10, 0, 0, 0))
        s = self.p.stats()
        self.assertEqual((s.timeouts, s.parks_driver + s.parks_sleeper,
                          s.tokens), (1, 1, 0))

    def test_stats_read_during_a_sliced_park_are_exact(self):
        self.u.unpark()
        self.p.park()
        before = self.p.stats()
        samples = []
        stop = threading.Event()

        def read():
            while not stop.is_set():
                samples.append(self.p.stats())
                time.sleep(0.001)

        t = threading.Thread(target=read)
        t.start()
        self.assertEqual(self.p.park(0.25).reason, W.TIMED_OUT)
        stop.set()
        t.join()
        after = self.p.stats()
        # A read shows the park either not yet counted or counted once;
        # never one of the slices it is made of.
        self.assertGreater(len(samples), 10)
        self.assertLessEqual(set(samples), {before, after})
        self.assertIn(before, samples)
        self.assertEqual(after.timeouts, before.timeouts + 1)
        self.assertEqual(after.parks_driver + after.parks_sleeper,
                         before.parks_driver + before.parks_sleeper + 1)

    def test_repr_shows_state(self):
        self.u.unpark()
        self.p.park()
        self.assertIn("tokens=1", repr(self.p))
        self.assertIn("running", repr(self.p.driver))
        self.assertIn("Unparker", repr(self.u))
        self.p.close()
        self.assertIn("closed", repr(self.p))


class TestDriver(unittest.TestCase):
    def test_parkers_share_a_given_driver(self):
        d = park.Driver()
        a, b = park.Parker(d), park.Parker(d)
        self.assertIs(a.driver, d)
        self.assertIs(b.driver, d)

    def test_default_driver_is_private(self):
        self.assertIsNot(park.Parker().driver, park.Parker().driver)

    def test_shutdown_sends_parks_to_the_sleeper(self):
        d = park.Driver()
        p = park.Parker(d)
        self.assertFalse(d.is_shutdown)
        p.shutdown()
        self.assertTrue(d.is_shutdown)
        self.assertIn("shut down", repr(d))
        self.assertEqual(p.park(0), W.SHUTDOWN)
        self.assertEqual(p.park(0.01), W.TIMED_OUT)
        p.unparker().unpark()
        self.assertEqual(p.park(), W.TOKEN)
        d.shutdown()  # idempotent

    def test_context_managers_close(self):
        with park.Driver() as d, park.Parker(d) as p:
            self.assertEqual(p.park(0.001).reason, W.TIMED_OUT)
        self.assertRaises(ValueError, p.park)
        self.assertRaises(ValueError, d.shutdown)


class TestDocs(unittest.TestCase):
    def test_every_public_method_is_documented(self):
        for cls in (park.Driver, park.Parker, park.Unparker, park.Wake):
            self.assertTrue(cls.__doc__, cls)
            for name, member in inspect.getmembers(cls):
                if name.startswith("_") or name in dir(int):
                    continue
                self.assertTrue(inspect.getdoc(member), f"{cls}.{name}")

    def test_methods_say_what_they_return(self):
        for cls in (park.Driver, park.Parker, park.Unparker):
            for name, meth in inspect.getmembers(cls, inspect.isfunction):
                if not name.startswith("_"):
                    self.assertIn("Returns", meth.__doc__, f"{cls}.{name}")


if __name__ == "__main__":
    fixtures.main()
