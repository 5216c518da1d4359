"""Driver.call_soon_threadsafe (over park_driver_post) and Driver.wake: code
run on the loop thread inside the park that runs the loop, in order, once;
exceptions; shutdown; what happens to callbacks never run."""

import gc
import os
import subprocess
import sys
import textwrap
import threading
import time
import unittest
import weakref

sys.path.insert(0, os.path.dirname(__file__))
import park  # noqa: E402
import fixtures  # noqa: E402

W = park.Wake


class TestCallSoonThreadsafe(unittest.TestCase):
    def setUp(self):
        self.d = park.Driver()
        self.p = park.Parker(self.d)

    def test_runs_on_the_loop_thread_inside_its_park(self):
        w = fixtures.LoopWorker(self.d)
        ran = []
        self.d.call_soon_threadsafe(
            lambda *a: ran.append((threading.get_ident(), a)), 1, "two")
        self.assertTrue(fixtures.wait_for(lambda: ran))
        w.join()
        self.assertEqual(ran, [(w.ident, (1, "two"))])
        self.assertEqual(w.results[0], W.EVENTS | W.DRIVER)

    def test_in_the_callers_own_park(self):
        got = []
        self.assertIsNone(self.d.call_soon_threadsafe(got.append, "x"))
        self.assertEqual(got, [])  # not before a park runs the loop
        self.assertEqual(self.p.park(), W.EVENTS | W.DRIVER)
        self.assertEqual(got, ["x"])
        self.assertEqual(self.p.stats(), park.Stats(1, 0, 0, 0, 1, 0))

    def test_a_poll_runs_them(self):
        got = []
        self.d.call_soon_threadsafe(got.append, "x")
        self.assertEqual(self.p.park(0), W.TIMED_OUT | W.DRIVER)
        self.assertEqual(got, ["x"])

    def test_order_and_once_from_many_threads(self):
        n, threads = (50, 2) if fixtures.UNDER_VALGRIND else (500, 4)
        got = []

        def post(k):
            for i in range(n):
                self.d.call_soon_threadsafe(got.append, (k, i))

        posters = [threading.Thread(target=post, args=(k,))
                   for k in range(threads)]
        for t in posters:
            t.start()
        while any(t.is_alive() for t in posters) or len(got) < n * threads:
            self.p.park(0.05)
        for t in posters:
            t.join()
        self.assertEqual(len(got), n * threads)
        self.assertEqual(set(got), {(k, i) for k in range(threads)
                                    for i in range(n)})
        for k in range(threads):  # each thread's posts in its order
            self.assertEqual([i for j, i in got if j == k], list(range(n)))

    def test_wakes_the_main_thread_parked_in_slices(self):
        # The main thread parks in 50 ms slices; a post from another
        # thread ends its park at once and the stats count one park.
        ran = []

        def poster():
            time.sleep(0.12)
            self.d.call_soon_threadsafe(ran.append, time.monotonic())

        t = threading.Thread(target=poster)
        t.start()
        self.assertEqual(self.p.park(), W.EVENTS | W.DRIVER)
        ended = time.monotonic()
        t.join()
        self.assertEqual(len(ran), 1)
        if not fixtures.UNDER_VALGRIND:
            self.assertLess(ended - ran[0], 0.04)
        self.assertEqual(self.p.stats(), park.Stats(1, 0, 0, 0, 1, 0))

    def test_exception_ends_the_park_and_the_rest_run_next(self):
        ran = []

        def boom():
            ran.append("boom")
            raise KeyError("posted")

        for f in (lambda: ran.append("a"), boom, lambda: ran.append("b"),
                  lambda: ran.append("c")):
            self.d.call_soon_threadsafe(f)
        with self.assertRaisesRegex(KeyError, "posted"):
            self.p.park()
        self.assertEqual(ran, ["a", "boom"])
        self.assertEqual(self.p.park(), W.EVENTS | W.DRIVER)
        self.assertEqual(ran, ["a", "boom", "b", "c"])

    def test_two_exceptions_come_out_of_two_parks(self):
        def boom(n):
            raise ValueError(n)

        self.d.call_soon_threadsafe(boom, 1)
        self.d.call_soon_threadsafe(boom, 2)
        raised = []
        for _ in range(2):
            with self.assertRaises(ValueError) as e:
                self.p.park()
            raised.append(e.exception.args[0])
        self.assertEqual(raised, [1, 2])
        self.assertEqual(self.p.park(0.01).reason, W.TIMED_OUT)

    def test_exception_reaches_the_worker_that_ran_it(self):
        w = fixtures.LoopWorker(self.d)
        self.d.call_soon_threadsafe(lambda: 1 / 0)
        self.assertTrue(fixtures.wait_for(lambda: w.errors))
        w.join()
        self.assertEqual([type(e) for e in w.errors], [ZeroDivisionError])

    def test_a_callback_that_posts_again_does_not_hold_the_park(self):
        runs = []

        def again():
            runs.append(1)
            if len(runs) < 4:
                self.d.call_soon_threadsafe(again)

        self.d.call_soon_threadsafe(again)
        for n in range(1, 5):
            self.assertEqual(self.p.park(), W.EVENTS | W.DRIVER)
            self.assertEqual(len(runs), n)
        self.assertEqual(self.p.park(0.01).reason, W.TIMED_OUT)

    def test_those_run_at_the_end_cannot_post_again(self):
        seen, runs = [], []
        d = park.Driver()

        def again(d):
            runs.append(1)
            d.call_soon_threadsafe(again, d)

        d.call_soon_threadsafe(again, d)
        old = sys.unraisablehook
        sys.unraisablehook = lambda u: seen.append(u.exc_type)
        try:
            del d
            gc.collect()
        finally:
            sys.unraisablehook = old
        self.assertEqual((runs, seen), ([1], [ValueError]))

    def test_bad_input_and_closed_driver(self):
        for bad in (None, 1, "print"):
            with self.assertRaisesRegex(TypeError, "callable"):
                self.d.call_soon_threadsafe(bad)
        d = park.Driver()
        d.close()
        with self.assertRaisesRegex(ValueError, "closed"):
            d.call_soon_threadsafe(print)
        with self.assertRaisesRegex(ValueError, "closed"):
            d.wake()
        # Nothing was queued.
        self.assertEqual(self.p.park(0.01).reason, W.TIMED_OUT)

    def test_after_shutdown_it_raises_and_what_was_accepted_runs(self):
        got = []
        self.d.call_soon_threadsafe(got.append, "before")
        self.d.shutdown()
        with self.assertRaisesRegex(RuntimeError, "shut down"):
            self.d.call_soon_threadsafe(got.append, "after")
        # No park runs the loop after shutdown; the Driver's end does.
        self.assertEqual(self.p.park(0.01), W.TIMED_OUT)
        self.assertEqual(got, [])
        del self.d, self.p
        gc.collect()
        self.assertEqual(got, ["before"])

    def test_shutdown_wakes_the_loop_and_runs_what_was_posted(self):
        w = fixtures.LoopWorker(self.d)
        got = []
        # Posted and shut down while the worker wakes: the loop runs the
        # post in the park that sees the shutdown, or the one before.
        self.d.call_soon_threadsafe(got.append, 1)
        self.d.shutdown()
        self.assertTrue(fixtures.wait_for(lambda: W.SHUTDOWN | W.DRIVER in
                                 w.results))
        w.join()
        self.assertEqual(got, [1])

    def test_close_keeps_what_was_posted(self):
        got = []
        self.d.call_soon_threadsafe(got.append, 1)
        self.d.close()
        self.assertEqual(self.p.park(), W.EVENTS | W.DRIVER)
        self.assertEqual(got, [1])


class TestNeverRun(unittest.TestCase):
    def test_they_run_when_the_driver_goes(self):
        d = park.Driver()
        got = []
        for i in range(3):
            d.call_soon_threadsafe(got.append, i)
        del d
        self.assertEqual(got, [0, 1, 2])

    def test_a_parker_keeps_the_driver_and_its_posts(self):
        d = park.Driver()
        p = park.Parker(d)
        got = []
        d.call_soon_threadsafe(got.append, "x")
        del d
        gc.collect()
        self.assertEqual(got, [])
        self.assertEqual(p.park(), W.EVENTS | W.DRIVER)
        self.assertEqual(got, ["x"])

    def test_exceptions_then_are_unraisable_and_the_rest_still_run(self):
        seen, got = [], []
        old = sys.unraisablehook
        sys.unraisablehook = lambda u: seen.append(
            (u.exc_type, str(u.exc_value)))
        try:
            d = park.Driver()

            def boom():
                raise RuntimeError("at the end")

            d.call_soon_threadsafe(boom)
            d.call_soon_threadsafe(got.append, "after")
            del d
            gc.collect()
        finally:
            sys.unraisablehook = old
        self.assertEqual(seen, [(RuntimeError, "at the end")])
        self.assertEqual(got, ["after"])

    def test_a_post_that_holds_its_driver_is_collected(self):
        class Token:
            pass

        d = park.Driver()
        token = Token()
        got = []
        d.call_soon_threadsafe(lambda d=d, t=token: got.append((d, t)))
        gone = weakref.ref(d), weakref.ref(token)
        del d, token
        gc.collect()
        self.assertEqual(len(got), 1)  # run as the cycle was collected
        del got
        gc.collect()
        self.assertEqual([w() for w in gone], [None, None])

    def test_dropped_at_interpreter_shutdown(self):
        child = textwrap.dedent("""
            import threading, park
            # A post accepted, then shutdown: no park runs the loop again,
            # and a daemon thread asleep on its sleeper holds the Driver
            # until the interpreter is gone.
            d = park.Driver()
            d.call_soon_threadsafe(print, "never")
            d.shutdown()
            threading.Thread(target=park.Parker(d).park, daemon=True).start()
            # A Driver that goes with the module's globals, while the
            # interpreter shuts down.
            d2 = park.Driver()
            d2.call_soon_threadsafe(print, "never either")
            print("exiting", flush=True)
        """)
        out = subprocess.run([sys.executable, "-c", child],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, timeout=60)
        self.assertEqual((out.returncode, out.stdout, out.stderr),
                         (0, "exiting\n", ""))


class TestWake(unittest.TestCase):
    def setUp(self):
        self.d = park.Driver()
        self.p = park.Parker(self.d)

    def test_wakes_the_thread_in_the_loop(self):
        w = fixtures.LoopWorker(self.d)
        self.assertIsNone(self.d.wake())
        self.assertTrue(fixtures.wait_for(lambda: w.results))
        w.join()
        self.assertEqual(w.results[0], W.EVENTS | W.DRIVER)
        self.assertEqual(w.errors, [])

    def test_with_nobody_in_the_loop_the_next_driver_park_returns(self):
        self.d.wake()
        self.assertEqual(self.p.park(), W.EVENTS | W.DRIVER)
        # Once.
        self.assertEqual(self.p.park(0.01), W.TIMED_OUT | W.DRIVER)

    def test_no_token_is_taken(self):
        self.d.wake()
        self.p.unparker().unpark()
        self.assertEqual(self.p.park().reason, W.TOKEN)


if __name__ == "__main__":
    fixtures.main()
