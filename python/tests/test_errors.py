"""park: bad input raises a clear exception and leaves everything intact."""

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


class TestBadInput(unittest.TestCase):
    def setUp(self):
        self.p = park.Parker()
        self.u = self.p.unparker()

    def assert_token_intact(self):
        self.u.unpark()
        self.assertEqual(self.p.park(), W.TOKEN)

    def test_wrong_types_raise_type_error(self):
        for bad in ("1", [], object(), True, b"0.1", 1j):
            with self.assertRaises(TypeError, msg=repr(bad)):
                self.p.park(bad)
            with self.assertRaises(TypeError, msg=repr(bad)):
                self.p.park_until(bad)
        self.assertRaises(TypeError, self.p.park_until, None)
        self.assertRaises(TypeError, park.Parker, "driver")
        self.assertRaises(TypeError, park.Parker, park.Parker())
        self.assertRaises(TypeError, park.Unparker)
        self.assert_token_intact()

    def test_bad_timeouts_raise_value_error(self):
        for bad in (-1, -0.001, -math.inf, math.nan):
            with self.assertRaises(ValueError, msg=repr(bad)):
                self.p.park(bad)
        with self.assertRaises(ValueError):
            self.p.park_until(math.nan)
        with self.assertRaisesRegex(ValueError, "non-negative"):
            self.p.park(-1)
        self.assert_token_intact()

    def until_token(self, park_call):
        """Park until the token comes. A driver park may also return
        EVENTS: an unparker's wake-channel write can land after the token
        was taken (here: by the end of a 50 ms slice) and end the next
        park early. It must never time out."""
        while True:
            r = park_call()
            if r.reason != W.EVENTS:
                return r.reason

    def test_infinite_timeout_waits_for_unpark(self):
        threading.Timer(0.05, self.u.unpark).start()
        self.assertEqual(self.until_token(lambda: self.p.park(math.inf)),
                         W.TOKEN)
        threading.Timer(0.05, self.u.unpark).start()
        self.assertEqual(self.until_token(lambda: self.p.park_until(math.inf)),
                         W.TOKEN)

    def test_numbers_of_any_size(self):
        # Out of range is ValueError however big the number; a huge
        # timeout or deadline is no limit at all.
        for bad in (-10 ** 400, -2 ** 63, -1e300):
            with self.assertRaises(ValueError, msg=repr(bad)):
                self.p.park(bad)
        self.assertEqual(self.p.park_until(-10 ** 400), W.TIMED_OUT)
        self.assertEqual(self.p.park_until(-math.inf), W.TIMED_OUT)
        for huge in (10 ** 400, 2 ** 63, 2 ** 64):
            threading.Timer(0.02, self.u.unpark).start()
            self.assertEqual(self.until_token(lambda: self.p.park(huge)),
                             W.TOKEN)
            threading.Timer(0.02, self.u.unpark).start()
            self.assertEqual(
                self.until_token(lambda: self.p.park_until(huge)), W.TOKEN)
        self.assert_token_intact()

    def test_huge_timeout_does_not_overflow(self):
        threading.Timer(0.05, self.u.unpark).start()
        self.assertEqual(self.until_token(lambda: self.p.park(1e300)),
                         W.TOKEN)
        deadline = time.monotonic() + 1e12
        threading.Timer(0.05, self.u.unpark).start()
        self.assertEqual(self.until_token(lambda: self.p.park_until(deadline)),
                         W.TOKEN)

    def test_use_after_close_raises(self):
        d = park.Driver()
        p = park.Parker(d)
        u = p.unparker()
        for obj, call in ((p, p.park), (p, p.unparker), (p, p.clone),
                          (p, p.stats), (u, u.unpark), (d, d.shutdown)):
            obj.close()
            with self.assertRaisesRegex(ValueError, "closed"):
                call()
        self.assertRaises(ValueError, park.Parker, d)

    def test_close_twice_is_harmless(self):
        self.p.close()
        self.p.close()
        self.u.close()
        self.u.close()
        self.assertEqual((repr(self.p), repr(self.u)),
                         ("<park.Parker closed>", "<park.Unparker closed>"))
        self.assertRaisesRegex(ValueError, "closed", self.p.park)
        self.assertRaisesRegex(ValueError, "closed", self.u.unpark)

    def test_second_thread_parking_gets_runtime_error(self):
        ids = []

        def owner():
            ids.append(threading.get_native_id())
            self.p.park()

        t = threading.Thread(target=owner)
        t.start()
        while not ids:
            time.sleep(0.001)
        self.assertTrue(fixtures.wait_sleeping(ids[0]))
        with self.assertRaisesRegex(RuntimeError, "another thread"):
            self.p.park()
        with self.assertRaisesRegex(RuntimeError, "another thread"):
            self.p.park(0)
        self.u.unpark()
        t.join()
        self.assertEqual(self.p.stats().tokens, 1)


if __name__ == "__main__":
    fixtures.main()
