"""What a park must never lose: a main-thread park is made of slices, and
whatever runs at a slice's edge (a timer, a post, a reader, a signal
callback, a token) ends the park; a park that raises leaves the token it
took for the next park, and is not counted."""

import os
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import park  # noqa: E402
import fixtures  # noqa: E402

W = park.Wake
LONG = 5.0  # a park that ends early ends well before this


def slow(fn, *args):
    """fn(*args) after 1 ms: ten 100 us slices."""
    return lambda: (time.sleep(0.001), fn(*args))


class TestAtTheSliceEdge(unittest.TestCase):
    """The main thread's park (the tests run there) in 100 us slices, and
    callbacks that take 1 ms: each ends after its slice's own timeout, the
    edge every time, not by luck."""

    def setUp(self):
        self.p = park.Parker()
        self.d = self.p.driver
        park.core._set_slice_ns(100_000)

    def tearDown(self):
        park.core._set_slice_ns(50_000_000)

    def ends_the_park(self, arm, wake=W.EVENTS):
        for _ in range(10):
            ran = []
            done = arm(ran)
            start = time.monotonic()
            self.assertIn(self.p.park(LONG), (wake | W.DRIVER,
                                              W.EVENTS | W.DRIVER))
            self.assertLess(time.monotonic() - start, LONG / 2)
            self.assertEqual(ran, [1])
            if done:
                done()

    def test_a_timer(self):
        self.ends_the_park(lambda ran: self.d.call_later(
            0.0002, slow(ran.append, 1)).cancel)

    def test_a_post(self):
        self.ends_the_park(lambda ran: self.d.call_soon_threadsafe(
            slow(ran.append, 1)))

    def test_a_reader(self):
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)

        def arm(ran):
            h = self.d.add_reader(r, slow(lambda: (os.read(r, 1),
                                                   ran.append(1))))
            os.write(w, b"x")
            return h.cancel

        self.ends_the_park(arm)

    def test_a_signal(self):
        def arm(ran):
            h = self.d.add_signal_handler(signal.SIGUSR1, slow(ran.append, 1))
            os.kill(os.getpid(), signal.SIGUSR1)
            return h.cancel

        self.ends_the_park(arm)

    def test_a_token(self):
        # TOKEN, or EVENTS with the token left for the next park.
        u = self.p.unparker()
        self.ends_the_park(lambda ran: self.d.call_soon_threadsafe(
            slow(lambda: (u.unpark(), ran.append(1)))), W.TOKEN)
        self.p.park(0)

    def test_the_park_counts_once_as_events(self):
        self.d.call_soon_threadsafe(slow(lambda: None))
        self.assertEqual(self.p.park(LONG), W.EVENTS | W.DRIVER)
        s = self.p.stats()
        self.assertEqual((s.parks_driver, s.spurious, s.timeouts), (1, 1, 0))


class TestAroundTheRealSliceEdge(unittest.TestCase):
    def test_timers_due_near_the_edges_end_the_park(self):
        # 17 of 32 such parks slept on to their timeout before the fix.
        p = park.Parker()
        edge = 0.05  # the slice
        for delay in (0.045, 0.048, 0.049, 0.0495, 0.05, 0.0505, 0.051,
                      0.099, 0.0995, 0.1, 0.1005, 0.101):
            self.assertLess(abs(delay - edge * round(delay / edge)), 0.006)
            ran = []
            p.driver.call_later(delay, ran.append, 1)
            self.assertEqual(p.park(LONG), W.EVENTS | W.DRIVER, delay)
            self.assertEqual(ran, [1])


class TestRaisingKeepsTheToken(unittest.TestCase):
    """A callback unparks the parker, the next one in the same loop run
    raises: the park took the token and raises; the token waits."""

    def check(self, park_it):
        p = park.Parker()
        u = p.unparker()

        def boom():
            raise KeyError("boom")

        p.driver.call_soon_threadsafe(u.unpark)
        p.driver.call_soon_threadsafe(boom)
        with self.assertRaises(KeyError):
            park_it(p)
        self.assertEqual(p.stats(), park.Stats(0, 0, 0, 0, 0, 0))
        self.assertEqual(p.park(LONG), W.TOKEN)
        self.assertEqual(p.stats().tokens, 1)

    def test_a_sliced_park(self):
        self.check(lambda p: p.park(LONG))

    def test_a_worker_threads_park(self):
        def in_a_thread(p):
            raised = []

            def run():
                try:
                    p.park(LONG)
                except KeyError as e:
                    raised.append(e)

            t = threading.Thread(target=run)
            t.start()
            t.join()
            if raised:
                raise raised[0]

        self.check(in_a_thread)

    def test_an_untimed_park(self):
        self.check(lambda p: p.park())

    def test_a_park_until(self):
        self.check(lambda p: p.park_until(time.monotonic() + LONG))

    def test_an_idle_set_park(self):
        def idle_park(p):
            idle = park.IdleSet(p.driver)
            idle.park(p, LONG)
        self.check(idle_park)


if __name__ == "__main__":
    fixtures.main()
