"""park: callbacks on a Driver (timers, readers, writers, signals) run inside
the park of whichever thread holds the driver."""

import gc
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest
import weakref

sys.path.insert(0, os.path.dirname(__file__))
import park  # noqa: E402
import fixtures  # noqa: E402

W = park.Wake
timing = unittest.skipIf(fixtures.UNDER_VALGRIND,
                         "timing is meaningless under valgrind")
# libevent's clock on a driver's base is CLOCK_MONOTONIC_COARSE (Linux's
# clock id 6, which the time module does not name): a timer may fire up to
# two of its ticks early by CLOCK_MONOTONIC (the one it was added at, and
# the one it fired at).
COARSE = 2 * time.clock_getres(6 if sys.platform == "linux"
                               else time.CLOCK_MONOTONIC)


def park_until(p, condition, timeout=10.0):
    """Park p (which holds its driver) until condition() holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        p.park(0.05)


class TestTimers(unittest.TestCase):
    def setUp(self):
        self.d = park.Driver()
        self.p = park.Parker(self.d)

    def test_call_later_runs_in_the_park_of_the_driver_holder(self):
        w = fixtures.LoopWorker(self.d)
        self.assertTrue(fixtures.wait_sleeping(w.native_id))
        ran = []
        # Added from this thread while the worker sleeps in the loop.
        self.d.call_later(0.01, lambda: ran.append(threading.get_ident()))
        deadline = time.monotonic() + 10
        while not ran and time.monotonic() < deadline:
            time.sleep(0.005)
        w.join()
        self.assertEqual(ran, [w.ident])
        self.assertEqual(w.results[0], W.EVENTS | W.DRIVER)

    def test_arguments_are_passed(self):
        got = []
        self.d.call_later(0, lambda *a: got.append(a), 1, "two")
        park_until(self.p, lambda: got)
        self.assertEqual(got, [(1, "two")])

    @timing
    def test_call_later_waits_its_delay(self):
        ran = []
        start = time.monotonic()
        self.d.call_later(0.1, lambda: ran.append(time.monotonic()))
        park_until(self.p, lambda: ran)
        self.assertGreaterEqual(ran[0] - start, 0.1 - COARSE)

    def test_one_shot_is_done_after_firing(self):
        h = self.d.call_later(0, lambda: None)
        self.assertTrue(h.active)
        park_until(self.p, lambda: not h.active)
        self.assertIn("0 callbacks", repr(self.d))
        h.cancel()  # harmless after firing

    def test_repeating_until_cancelled(self):
        n = []
        h = self.d.call_repeatedly(0.005, lambda: n.append(1))
        park_until(self.p, lambda: len(n) >= 3)
        h.cancel()
        seen = len(n)
        self.p.park(0.05)
        self.assertEqual(len(n), seen)
        self.assertFalse(h.active)

    def test_handle_as_context_manager_cancels(self):
        ran = []
        with self.d.call_later(0, ran.append, 1) as h:
            self.assertTrue(h.active)
        self.assertFalse(h.active)
        self.p.park(0.02)
        self.assertEqual(ran, [])

    def test_self_cancel(self):
        n = []

        def tick():
            n.append(1)
            if len(n) == 3:
                h.cancel()

        h = self.d.call_repeatedly(0.002, tick)
        park_until(self.p, lambda: not h.active)
        self.p.park(0.03)
        self.assertEqual(len(n), 3)

    def test_cancel_other_due_in_the_same_iteration(self):
        ran = []
        first = self.d.call_later(0.001, lambda: (ran.append("first"),
                                                  second.cancel()))
        second = self.d.call_later(0.002, ran.append, "second")
        time.sleep(0.02)  # both are due before the loop looks
        park_until(self.p, lambda: not first.active)
        self.p.park(0.02)
        self.assertEqual(ran, ["first"])

    def test_register_from_callback(self):
        ran = []
        self.d.call_later(0, lambda: self.d.call_later(
            0, ran.append, "inner"))
        park_until(self.p, lambda: ran)
        self.assertEqual(ran, ["inner"])

    def test_unpark_own_parker_from_callback(self):
        u = self.p.unparker()
        self.d.call_later(0, u.unpark)
        r = self.p.park()
        while r.reason == W.EVENTS:
            r = self.p.park()
        self.assertEqual(r, W.TOKEN | W.DRIVER)

    def test_park_on_same_driver_from_callback_is_edeadlk(self):
        errors = []
        other = park.Parker()  # its own driver: allowed

        def cb():
            for p in (self.p, self.p.clone()):
                try:
                    p.park(0.01)
                except RuntimeError as e:
                    errors.append(str(e))
            errors.append(other.park(0.001).reason)

        self.d.call_later(0, cb)
        park_until(self.p, lambda: errors)
        self.assertEqual(len(errors), 3)
        self.assertIn("inside a callback", errors[0])
        self.assertIn("inside a callback", errors[1])
        self.assertEqual(errors[2], W.TIMED_OUT)


class TestExceptions(unittest.TestCase):
    def setUp(self):
        self.d = park.Driver()
        self.p = park.Parker(self.d)

    def test_exception_is_raised_from_park(self):
        def boom():
            raise KeyError("from the callback")

        self.d.call_later(0, boom)
        with self.assertRaisesRegex(KeyError, "from the callback"):
            park_until(self.p, lambda: False)
        # The driver keeps working; the park that raised is not counted.
        self.assertEqual(self.p.stats(), park.Stats(0, 0, 0, 0, 0, 0))
        ran = []
        self.d.call_later(0, ran.append, 1)
        park_until(self.p, lambda: ran)
        self.assertGreaterEqual(self.p.stats().spurious, 1)

    def test_rest_of_the_iteration_is_deferred_to_the_next_park(self):
        ran = []

        def boom():
            ran.append("boom")
            raise ValueError("boom")

        self.d.call_later(0.001, boom)
        self.d.call_later(0.002, ran.append, "next")
        time.sleep(0.02)  # both due: one loop iteration activates both
        with self.assertRaises(ValueError):
            self.p.park()
        self.assertEqual(ran, ["boom"])
        self.assertEqual(self.p.park(0).reason, W.TIMED_OUT)
        self.assertEqual(ran, ["boom", "next"])

    def test_exception_reaches_the_worker_that_ran_it(self):
        w = fixtures.LoopWorker(self.d)
        self.assertTrue(fixtures.wait_sleeping(w.native_id))
        self.d.call_later(0, lambda: 1 / 0)
        deadline = time.monotonic() + 10
        while not w.errors and time.monotonic() < deadline:
            time.sleep(0.005)
        w.join()
        self.assertEqual([type(e) for e in w.errors], [ZeroDivisionError])

    def test_keyboard_interrupt_in_a_callback_ends_the_park(self):
        child = textwrap.dedent("""
            import os, signal, time, park
            # Python's own handler, even if SIGINT came in ignored.
            signal.signal(signal.SIGINT, signal.default_int_handler)
            p = park.Parker()
            r, w = os.pipe()
            def slow():
                print("callback", flush=True)
                time.sleep(30)
            p.driver.add_reader(r, slow)
            os.write(w, b"x")
            try:
                p.park()
                print("returned", flush=True)
            except KeyboardInterrupt:
                print("interrupted", flush=True)
        """)
        proc = subprocess.Popen([sys.executable, "-c", child],
                                stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(proc.stdout.readline().strip(), "callback")
            proc.send_signal(signal.SIGINT)
            self.assertEqual(proc.stdout.readline().strip(), "interrupted")
            self.assertEqual(proc.wait(30), 0)
        finally:
            proc.kill()
            proc.wait()


class TestDescriptors(unittest.TestCase):
    def setUp(self):
        self.d = park.Driver()
        self.p = park.Parker(self.d)
        self.a, self.b = socket.socketpair()
        self.addCleanup(self.a.close)
        self.addCleanup(self.b.close)

    def test_reader_with_socket_object_and_int(self):
        for fd in (self.a, self.a.fileno()):
            got = []
            h = self.d.add_reader(fd, lambda: got.append(self.a.recv(10)))
            self.b.send(b"hi")
            park_until(self.p, lambda: got)
            self.assertEqual(got, [b"hi"])
            h.cancel()

    def test_writer(self):
        ready = []
        self.d.add_writer(self.b, lambda: ready.append(1))
        park_until(self.p, lambda: ready)
        self.assertTrue(self.d.remove_writer(self.b))
        self.assertFalse(self.d.remove_writer(self.b))

    def test_remove_reader_says_whether_there_was_one(self):
        self.assertFalse(self.d.remove_reader(self.a))
        h = self.d.add_reader(self.a, lambda: None)
        self.assertTrue(self.d.remove_reader(self.a))
        self.assertFalse(h.active)
        self.assertFalse(self.d.remove_reader(self.a))

    def test_second_reader_replaces_the_first(self):
        got = []
        first = self.d.add_reader(self.a, got.append, "first")
        self.d.add_reader(self.a, lambda: got.append(self.a.recv(10)))
        self.assertFalse(first.active)
        self.b.send(b"x")
        park_until(self.p, lambda: got)
        self.assertEqual(got, [b"x"])

    def test_reader_and_writer_on_one_fd(self):
        got = []
        self.d.add_reader(self.a, lambda: got.append(("r", self.a.recv(10))))
        self.d.add_writer(self.a, lambda: (got.append(("w",)),
                                           self.d.remove_writer(self.a)))
        self.b.send(b"z")
        park_until(self.p, lambda: len(got) >= 2)
        self.assertEqual(sorted(got), [("r", b"z"), ("w",)])


class TestSignals(unittest.TestCase):
    def setUp(self):
        self.d = park.Driver()
        self.p = park.Parker(self.d)

    def test_signal_runs_in_park(self):
        got = []
        self.assertIs(signal.getsignal(signal.SIGUSR1), signal.SIG_DFL)
        h = self.d.add_signal_handler(signal.SIGUSR1, got.append, "usr1")
        os.kill(os.getpid(), signal.SIGUSR1)
        park_until(self.p, lambda: got)
        self.assertEqual(got, ["usr1"])
        self.assertTrue(self.d.remove_signal_handler(signal.SIGUSR1))
        self.assertFalse(h.active)
        self.assertFalse(self.d.remove_signal_handler(signal.SIGUSR1))

    def test_signal_module_handler_is_not_fought(self):
        # Python's default_int_handler, as an interactive Python has it.
        old = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            with self.assertRaisesRegex(RuntimeError, "SIGINT.*SIG_DFL"):
                self.d.add_signal_handler(signal.SIGINT, lambda: None)
        finally:
            signal.signal(signal.SIGINT, old)
        old = signal.signal(signal.SIGUSR2, lambda *a: None)
        try:
            with self.assertRaisesRegex(RuntimeError, "SIGUSR2"):
                self.d.add_signal_handler(signal.SIGUSR2, lambda: None)
        finally:
            signal.signal(signal.SIGUSR2, old)
        self.assertIn("0 callbacks", repr(self.d))

    def test_removal_gives_the_signal_back(self):
        child = textwrap.dedent("""
            import os, signal, park
            p = park.Parker()
            got = []
            p.driver.add_signal_handler(signal.SIGUSR1, got.append, 1)
            os.kill(os.getpid(), signal.SIGUSR1)
            while not got:
                p.park(0.05)
            p.driver.remove_signal_handler(signal.SIGUSR1)
            signal.signal(signal.SIGUSR1, lambda *a: got.append(2))
            os.kill(os.getpid(), signal.SIGUSR1)
            print(got, flush=True)
        """)
        out = subprocess.run([sys.executable, "-c", child],
                             stdout=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(out.stdout.strip(), "[1, 2]")


class TestBadInput(unittest.TestCase):
    def setUp(self):
        self.d = park.Driver()

    def assert_nothing_registered(self):
        self.assertIn("0 callbacks", repr(self.d))

    def test_bad_delays(self):
        for bad in (-1, -0.5, float("nan"), -10 ** 400):
            with self.assertRaises(ValueError, msg=repr(bad)):
                self.d.call_later(bad, print)
            with self.assertRaises(ValueError, msg=repr(bad)):
                self.d.call_repeatedly(bad, print)
        for bad in ("1", None, True, [], 1j):
            with self.assertRaises(TypeError, msg=repr(bad)):
                self.d.call_later(bad, print)
        with self.assertRaisesRegex(ValueError, "positive"):
            self.d.call_repeatedly(0, print)
        self.assert_nothing_registered()

    def test_huge_delay_is_accepted(self):
        for huge in (10 ** 400, 1e300, float("inf")):
            self.d.call_later(huge, print).cancel()
        self.assert_nothing_registered()

    def test_not_callable(self):
        for add in (lambda f: self.d.call_later(0, f),
                    lambda f: self.d.call_repeatedly(1, f),
                    lambda f: self.d.add_reader(0, f),
                    lambda f: self.d.add_writer(1, f),
                    lambda f: self.d.add_signal_handler(signal.SIGUSR1, f)):
            with self.assertRaisesRegex(TypeError, "callable"):
                add("not a function")
        self.assert_nothing_registered()

    def test_bad_descriptors(self):
        r, w = os.pipe()
        os.close(r)
        os.close(w)
        with self.assertRaisesRegex(ValueError, "not open"):
            self.d.add_reader(r, print)
        with self.assertRaisesRegex(ValueError, "not open"):
            self.d.add_writer(w, print)
        for bad in (-1, 2 ** 31, 10 ** 400, -10 ** 400):
            with self.assertRaises(ValueError, msg=repr(bad)):
                self.d.add_reader(bad, print)
        for bad in (True, 1.0, "0", None, object()):
            with self.assertRaises(TypeError, msg=repr(bad)):
                self.d.add_reader(bad, print)
        with tempfile.TemporaryFile() as f:
            if os.environ.get("EVENT_NOEPOLL"):
                # poll and select watch a regular file, always ready.
                self.d.add_reader(f, print)
                self.assertTrue(self.d.remove_reader(f))
            else:
                # epoll refuses regular files.
                with self.assertRaisesRegex(ValueError, "cannot be watched"):
                    self.d.add_reader(f, print)
        self.assert_nothing_registered()

    def test_bad_signals(self):
        for bad in (0, -1, 10 ** 6, 10 ** 400, signal.SIGKILL,
                    signal.SIGSTOP):
            with self.assertRaises(ValueError, msg=repr(bad)):
                self.d.add_signal_handler(bad, print)
        for bad in (True, 10.0, "SIGUSR1"):
            with self.assertRaises(TypeError, msg=repr(bad)):
                self.d.add_signal_handler(bad, print)
        self.assert_nothing_registered()

    def test_closed_or_shut_down_driver(self):
        d = park.Driver()
        d.shutdown()
        with self.assertRaisesRegex(RuntimeError, "shut down"):
            d.call_later(0, print)
        d.close()
        with self.assertRaisesRegex(ValueError, "closed"):
            d.call_later(0, print)


class Token:
    """Something a callback closes over, to watch its lifetime."""


class TestLifetimes(unittest.TestCase):
    def test_callback_lives_while_registered(self):
        d = park.Driver()
        token = Token()
        gone = weakref.ref(token)
        h = d.call_later(3600, lambda t=token: t)
        del token
        gc.collect()
        self.assertIsNotNone(gone())
        h.cancel()
        gc.collect()
        self.assertIsNone(gone())

    def test_dropped_handle_stays_registered(self):
        d = park.Driver()
        p = park.Parker(d)
        ran = []
        d.call_later(0, ran.append, 1)  # the handle is not kept
        gc.collect()
        park_until(p, lambda: ran)

    def test_fired_one_shot_releases_its_callback(self):
        d = park.Driver()
        p = park.Parker(d)
        token = Token()
        gone = weakref.ref(token)
        h = d.call_later(0, lambda t=token: t)
        del token
        park_until(p, lambda: not h.active)
        gc.collect()
        self.assertIsNone(gone())

    def test_driver_close_releases_callbacks(self):
        d = park.Driver()
        p = park.Parker(d)
        a, b = socket.socketpair()
        token = Token()
        gone = weakref.ref(token)
        handles = [d.call_later(3600, lambda t=token: t),
                   d.add_reader(a, lambda t=token: t),
                   d.call_repeatedly(1, lambda t=token: t)]
        del token
        d.close()
        gc.collect()
        self.assertIsNone(gone())
        self.assertFalse(any(h.active for h in handles))
        self.assertEqual(p.park(0.001).reason, W.TIMED_OUT)
        a.close()
        b.close()

    def test_cycle_through_the_driver_is_collected(self):
        d = park.Driver()
        p = park.Parker(d)
        a, b = socket.socketpair()
        d.call_later(3600, lambda: d)
        d.add_reader(a, lambda: (d, p))
        d.call_repeatedly(1, lambda: p)
        gone = weakref.ref(d)
        del d, p
        gc.collect()
        self.assertIsNone(gone())
        a.close()
        b.close()

    def test_cancel_waits_for_a_running_callback_without_deadlock(self):
        d = park.Driver()
        w = fixtures.LoopWorker(d)
        self.assertTrue(fixtures.wait_sleeping(w.native_id))
        started = threading.Event()
        finished = []

        def slow():
            started.set()
            time.sleep(0.2)  # releases the GIL to the cancelling thread
            finished.append(1)

        h = d.call_later(0, slow)
        self.assertTrue(started.wait(10))
        h.cancel()
        self.assertEqual(finished, [1])
        w.join()

    def test_shutdown_with_registered_callbacks_and_parked_daemon(self):
        child = textwrap.dedent("""
            import os, threading, park
            d = park.Driver()
            r, w = os.pipe()
            d.add_reader(r, lambda: None)
            d.call_repeatedly(0.001, lambda: None)
            d.call_later(3600, lambda: d)
            workers = [park.Parker(d) for _ in range(3)]
            for p in workers:
                threading.Thread(target=p.park, daemon=True).start()
            print("exiting", flush=True)
        """)
        out = subprocess.run([sys.executable, "-c", child],
                             stdout=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual((out.returncode, out.stdout), (0, "exiting\n"))


if __name__ == "__main__":
    fixtures.main()
