"""park.IdleSet: every method, which idle parker an unpark_one wakes, the
protocol that loses no job, the main thread's sliced park, bad input, and
lifetimes in any order."""

import gc
import os
import select
import signal
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
timing = unittest.skipIf(fixtures.UNDER_VALGRIND,
                         "timing is meaningless under valgrind")


class IdleWorker:
    """A thread that parks p through the set once (or until a token, with
    until_token) and records the result."""

    def __init__(self, idle, p, until_token=True, where=None):
        self.idle, self.parker = idle, p
        self.results, self.errors = [], []
        self.native_id = None
        self.until_token = until_token
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        while self.native_id is None:
            time.sleep(0.001)
        if where is not None:
            assert fixtures.wait_sleeping(self.native_id, where=where), where

    def run(self):
        self.native_id = threading.get_native_id()
        try:
            while True:
                r = self.idle.park(self.parker)
                self.results.append(r)
                if not self.until_token or r.reason == W.TOKEN:
                    return
        except Exception as e:  # noqa: BLE001 - recorded for the test
            self.errors.append(e)

    def done(self, timeout=10.0):
        self.thread.join(timeout)
        return not self.thread.is_alive()


class TestMethods(unittest.TestCase):
    def setUp(self):
        self.d = park.Driver()
        self.s = park.IdleSet(self.d)
        self.p = park.Parker(self.d)

    def test_join_count_leave(self):
        self.assertEqual((self.s.count(), len(self.s)), (0, 0))
        self.assertIsNone(self.s.join(self.p))
        self.assertEqual((self.s.count(), len(self.s)), (1, 1))
        self.assertIs(self.s.leave(self.p), True)
        self.assertEqual(self.s.count(), 0)
        # Nothing was left behind: no token, free to join again.
        self.assertEqual(self.p.park(0.001).reason, W.TIMED_OUT)
        self.s.join(self.p)
        self.assertEqual(self.s.count(), 1)
        self.assertTrue(self.s.leave(self.p))

    def test_leave_after_an_unpark_took_it_keeps_the_token(self):
        self.s.join(self.p)
        self.assertIs(self.s.unpark_one(), True)
        self.assertEqual(self.s.count(), 0)
        self.assertIs(self.s.leave(self.p), False)
        self.assertEqual(self.p.park(), W.TOKEN)

    def test_nobody_idle(self):
        self.assertIs(self.s.unpark_one(), False)
        self.assertEqual(self.s.unpark_all(), 0)
        # No token went anywhere.
        self.assertEqual(self.p.park(0.001).reason, W.TIMED_OUT)

    def test_unpark_all_wakes_every_idle_parker(self):
        parkers = [self.p] + [park.Parker(self.d) for _ in range(2)]
        for p in parkers:
            self.s.join(p)
        self.assertEqual(self.s.count(), 3)
        self.assertEqual(self.s.unpark_all(), 3)
        self.assertEqual(self.s.count(), 0)
        for p in parkers:
            self.assertIs(self.s.leave(p), False)
            self.assertEqual(p.park(), W.TOKEN)

    def test_park_joins_and_leaves(self):
        self.assertEqual(self.s.park(self.p, 0.01), W.TIMED_OUT | W.DRIVER)
        self.assertEqual(self.s.count(), 0)
        self.assertRaisesRegex(ValueError, "not in this IdleSet",
                               self.s.leave, self.p)

    def test_park_after_join_leaves(self):
        self.s.join(self.p)
        self.assertEqual(self.s.park(self.p, 0.01), W.TIMED_OUT | W.DRIVER)
        self.assertEqual(self.s.count(), 0)
        self.s.join(self.p)  # free to join again
        self.assertTrue(self.s.leave(self.p))

    def test_park_takes_the_token_of_an_earlier_unpark_one(self):
        self.s.join(self.p)
        self.s.unpark_one()
        self.assertEqual(self.s.park(self.p), W.TOKEN)
        self.assertEqual(self.s.count(), 0)

    def test_zero_timeout_polls_and_leaves(self):
        self.assertEqual(self.s.park(self.p, 0), W.TIMED_OUT | W.DRIVER)
        self.assertEqual(self.s.count(), 0)

    def test_unpark_one_from_another_thread(self):
        w = IdleWorker(self.s, self.p, where="driver")
        self.assertEqual(self.s.count(), 1)
        self.assertTrue(self.s.unpark_one())
        self.assertTrue(w.done())
        self.assertEqual(w.results, [W.TOKEN | W.DRIVER])
        self.assertEqual(self.s.count(), 0)

    def test_events_served_while_idle_in_the_driver(self):
        ran = []
        self.d.call_later(0.01, ran.append, "timer")
        self.assertEqual(self.s.park(self.p), W.EVENTS | W.DRIVER)
        self.assertEqual(ran, ["timer"])
        self.assertEqual(self.s.count(), 0)

    def test_repr_and_driver(self):
        self.assertIs(self.s.driver, self.d)
        self.assertEqual(repr(self.s), "<park.IdleSet 0 idle>")
        self.s.join(self.p)
        self.assertEqual(repr(self.s), "<park.IdleSet 1 idle>")
        self.s.close()
        self.assertEqual(repr(self.s), "<park.IdleSet closed>")

    def test_context_manager_closes(self):
        with park.IdleSet(self.d) as s:
            s.join(self.p)
        self.assertRaisesRegex(ValueError, "closed", s.count)
        # The closed set let its member go: the parker joins another.
        self.assertEqual(self.p.park(), W.TOKEN)
        self.s.join(self.p)


class TestWhichOneWakes(unittest.TestCase):
    """The two rules of park_idle_unpark_one(3), proved through /proc:
    the driver stays served, and the newest idle parker goes first."""

    def setUp(self):
        self.d = park.Driver()
        self.s = park.IdleSet(self.d)

    def worker(self, where):
        return IdleWorker(self.s, park.Parker(self.d), where=where)

    def wake_one(self, workers):
        """unpark_one, then the one worker that returned."""
        self.assertTrue(self.s.unpark_one())
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            done = [w for w in workers if w.results]
            if done:
                break
            time.sleep(0.001)
        time.sleep(0.05)  # a second one would have returned by now
        done = [w for w in workers if w.results]
        self.assertEqual(len(done), 1)
        workers.remove(done[0])
        return done[0]

    def test_a_sleeper_goes_before_the_driver(self):
        in_driver = self.worker("driver")
        on_sleeper = self.worker("sleeper")
        workers = [in_driver, on_sleeper]
        self.assertIs(self.wake_one(workers), on_sleeper)
        self.assertEqual(on_sleeper.results, [W.TOKEN])
        # The driver's parker still sleeps in the loop...
        self.assertTrue(fixtures.wait_sleeping(in_driver.native_id,
                                          where="driver"))
        # ...and is woken only when it is the only one idle.
        self.assertIs(self.wake_one(workers), in_driver)
        self.assertEqual(in_driver.results, [W.TOKEN | W.DRIVER])

    def test_newest_first_among_the_sleepers(self):
        in_driver = self.worker("driver")
        older = self.worker("sleeper")
        newer = self.worker("sleeper")
        workers = [in_driver, older, newer]
        self.assertEqual(self.s.count(), 3)
        self.assertIs(self.wake_one(workers), newer)
        self.assertIs(self.wake_one(workers), older)
        self.assertIs(self.wake_one(workers), in_driver)
        self.assertEqual(self.s.count(), 0)

    def test_a_joined_parker_that_has_not_parked_goes_first(self):
        in_driver = self.worker("driver")
        p = park.Parker(self.d)
        self.s.join(p)
        self.assertTrue(self.s.unpark_one())
        self.assertIs(self.s.leave(p), False)  # taken
        self.assertEqual(p.park(), W.TOKEN)
        self.assertTrue(fixtures.wait_sleeping(in_driver.native_id,
                                          where="driver"))
        self.assertEqual(in_driver.results, [])
        self.s.unpark_all()
        self.assertTrue(in_driver.done())


class Pool:
    """Workers that follow the protocol of park.IdleSet's docstring over a
    queue under a lock, counting every job's runs."""

    def __init__(self, workers):
        self.driver = park.Driver()
        self.idle = park.IdleSet(self.driver)
        self.lock = threading.Lock()
        self.jobs = []
        self.closing = False
        self.runs = {}
        self.parkers = [park.Parker(self.driver) for _ in range(workers)]

    def take(self):
        """A job, or None; "close" once closing and empty."""
        with self.lock:
            if self.jobs:
                return self.jobs.pop(0)
            return "close" if self.closing else None

    def run(self, job):
        with self.lock:
            self.runs[job] = self.runs.get(job, 0) + 1

    def work(self, p):
        while True:
            job = self.take()
            if job is None:
                self.idle.join(p)
                job = self.take()
                if job is None:
                    self.idle.park(p)
                    continue
                self.idle.leave(p)
            if job == "close":
                return
            self.run(job)

    def put(self, job):
        with self.lock:
            self.jobs.append(job)
        self.idle.unpark_one()

    def close(self):
        with self.lock:
            self.closing = True
        self.idle.unpark_all()


class TestProtocol(unittest.TestCase):
    def check(self, pool, total):
        self.assertEqual(len(pool.runs), total, "a job was lost")
        self.assertEqual(set(pool.runs.values()), {1}, "a job ran twice")
        self.assertEqual(pool.idle.count(), 0)

    def test_no_job_lost_between_python_threads(self):
        total = 200 if fixtures.UNDER_VALGRIND else 5000
        pool = Pool(4)
        threads = [threading.Thread(target=pool.work, args=(p,))
                   for p in pool.parkers]
        for t in threads:
            t.start()
        for n in range(total):
            pool.put(n)
            if n % 7 == 0:
                time.sleep(0)  # let the workers go idle now and then
        pool.close()
        for t in threads:
            t.join(60)
            self.assertFalse(t.is_alive(), "a worker missed its wake-up")
        self.check(pool, total)

    def test_many_producers(self):
        total, producers = (100, 2) if fixtures.UNDER_VALGRIND else (2000, 3)
        pool = Pool(3)
        workers = [threading.Thread(target=pool.work, args=(p,))
                   for p in pool.parkers]
        for t in workers:
            t.start()

        def produce(k):
            for n in range(total):
                pool.put((k, n))

        feeders = [threading.Thread(target=produce, args=(k,))
                   for k in range(producers)]
        for t in feeders:
            t.start()
        for t in feeders:
            t.join()
        pool.close()
        for t in workers:
            t.join(60)
            self.assertFalse(t.is_alive(), "a worker missed its wake-up")
        self.check(pool, total * producers)

    def test_main_thread_as_a_worker(self):
        # The main thread's parks are sliced (for Ctrl-C); between slices
        # it must stay in the set, or a job put then would be lost.
        total = 50 if fixtures.UNDER_VALGRIND else 400
        pool = Pool(1)

        def produce():
            for n in range(total):
                pool.put(n)
                time.sleep(0.0003 if n % 50 else 0.12)  # across slices
            pool.close()

        t = threading.Thread(target=produce)
        t.start()
        pool.work(pool.parkers[0])
        t.join()
        self.check(pool, total)


class TestMainThread(unittest.TestCase):
    def test_stays_idle_across_slices_and_counts_one_park(self):
        d = park.Driver()
        s = park.IdleSet(d)
        p = park.Parker(d)
        seen = []

        def waker():
            for _ in range(3):  # 3 x 60 ms: across two slice ends
                time.sleep(0.06)
                seen.append(s.count())
            s.unpark_one()

        t = threading.Thread(target=waker)
        t.start()
        self.assertEqual(s.park(p), W.TOKEN | W.DRIVER)
        t.join()
        self.assertEqual(seen, [1, 1, 1])
        self.assertEqual(s.count(), 0)
        self.assertEqual(p.stats(), park.Stats(1, 0, 1, 0, 0, 0))

    def test_timed_park_across_slices(self):
        d = park.Driver()
        s = park.IdleSet(d)
        p = park.Parker(d)
        start = time.monotonic()
        self.assertEqual(s.park(p, 0.12), W.TIMED_OUT | W.DRIVER)
        self.assertGreaterEqual(time.monotonic() - start, 0.12)
        self.assertEqual(p.stats(), park.Stats(1, 0, 0, 1, 0, 0))
        self.assertEqual(s.count(), 0)

    @timing
    def test_ctrl_c_interrupts_an_idle_park_and_it_leaves(self):
        child = textwrap.dedent("""
            import signal, time, park
            signal.signal(signal.SIGINT, signal.default_int_handler)
            d = park.Driver()
            s = park.IdleSet(d)
            p = park.Parker(d)
            print("ready", flush=True)
            try:
                s.park(p)
                print("returned", flush=True)
            except KeyboardInterrupt:
                print("interrupted", time.monotonic(), s.count(),
                      p.stats().tokens, flush=True)
        """)
        proc = subprocess.Popen([sys.executable, "-c", child],
                                stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(proc.stdout.readline().strip(), "ready")
            self.assertTrue(fixtures.wait_sleeping(proc.pid, pid=proc.pid))
            sent = time.monotonic()
            proc.send_signal(signal.SIGINT)
            ready, _, _ = select.select([proc.stdout], [], [], 10)
            line = proc.stdout.readline() if ready else ""
            word, when, count, tokens = (line.split() + ["silent"] * 4)[:4]
            self.assertEqual(word, "interrupted")
            self.assertLess(float(when) - sent, 0.2)
            self.assertEqual((count, tokens), ("0", "0"))
        finally:
            proc.kill()
            proc.wait()


class TestBadInput(unittest.TestCase):
    def setUp(self):
        self.d = park.Driver()
        self.s = park.IdleSet(self.d)
        self.p = park.Parker(self.d)

    def assert_untouched(self):
        """Nobody idle, no token anywhere, and the set still works."""
        self.assertEqual(self.s.count(), 0)
        self.assertEqual(self.p.park(0.001).reason, W.TIMED_OUT)
        self.s.join(self.p)
        self.assertTrue(self.s.leave(self.p))

    def test_wrong_types(self):
        for bad in (None, "driver", self.p, 1):
            with self.assertRaisesRegex(TypeError, "park.Driver"):
                park.IdleSet(bad)
        for bad in (None, self.d, self.p.unparker(), "p"):
            for call in (self.s.join, self.s.leave, self.s.park):
                with self.assertRaisesRegex(TypeError, "park.Parker"):
                    call(bad)
        for bad in ("1", [], True):
            with self.assertRaises(TypeError):
                self.s.park(self.p, bad)
        self.assert_untouched()

    def test_bad_timeout_is_refused_before_joining(self):
        for bad in (-1, float("nan"), -10 ** 400):
            with self.assertRaises(ValueError):
                self.s.park(self.p, bad)
        self.assert_untouched()

    def test_parker_of_another_driver(self):
        other = park.Parker()
        for call in (self.s.join, self.s.leave, self.s.park):
            with self.assertRaisesRegex(ValueError, "driver"):
                call(other)
        self.assert_untouched()

    def test_join_twice_and_two_sets(self):
        other = park.IdleSet(self.d)
        self.s.join(self.p)
        with self.assertRaisesRegex(RuntimeError, "joined this IdleSet"):
            self.s.join(self.p)
        with self.assertRaisesRegex(RuntimeError, "another IdleSet"):
            other.join(self.p)
        with self.assertRaisesRegex(RuntimeError, "another IdleSet"):
            other.park(self.p, 0.001)
        with self.assertRaisesRegex(ValueError, "not in this IdleSet"):
            other.leave(self.p)
        # Still idle in the first set, and only there.
        self.assertEqual((self.s.count(), other.count()), (1, 0))
        self.assertTrue(self.s.leave(self.p))
        self.assert_untouched()

    def test_leave_without_join(self):
        with self.assertRaisesRegex(ValueError, "not in this IdleSet"):
            self.s.leave(self.p)
        self.assert_untouched()

    def test_closed_objects(self):
        p = park.Parker(self.d)
        p.close()
        for call in (self.s.join, self.s.leave, self.s.park):
            with self.assertRaisesRegex(ValueError, "closed"):
                call(p)
        s = park.IdleSet(self.d)
        s.close()
        for call in (lambda: s.join(self.p), lambda: s.leave(self.p),
                     lambda: s.park(self.p), s.unpark_one, s.unpark_all,
                     s.count, lambda: len(s)):
            with self.assertRaisesRegex(ValueError, "closed"):
                call()
        d = park.Driver()
        d.close()
        with self.assertRaisesRegex(ValueError, "closed"):
            park.IdleSet(d)
        self.assert_untouched()

    def test_second_thread_parking_on_an_idle_parker(self):
        w = IdleWorker(self.s, self.p, where="driver")
        with self.assertRaisesRegex(RuntimeError, "another thread"):
            self.s.park(self.p, 0.001)
        # The owner is still idle in the set, and its wake still works.
        self.assertEqual(self.s.count(), 1)
        self.assertTrue(self.s.unpark_one())
        self.assertTrue(w.done())
        self.assertEqual(w.results, [W.TOKEN | W.DRIVER])
        # A park that joined for itself and failed leaves again.
        ids, results = [], []

        def plain():
            ids.append(threading.get_native_id())
            results.append(self.p.park())

        t = threading.Thread(target=plain)
        t.start()
        while not ids:
            time.sleep(0.001)
        self.assertTrue(fixtures.wait_sleeping(ids[0], where="driver"))
        with self.assertRaisesRegex(RuntimeError, "another thread"):
            self.s.park(self.p, 0.001)
        self.assertEqual(self.s.count(), 0)
        self.p.unparker().unpark()
        t.join()
        self.assertEqual(results, [W.TOKEN | W.DRIVER])

    def test_park_from_a_callback_of_its_driver(self):
        errors = []

        def cb():
            try:
                self.s.park(self.p, 0.001)
            except RuntimeError as e:
                errors.append((str(e), self.s.count()))

        self.d.call_later(0, cb)
        q = park.Parker(self.d)
        while not errors:
            q.park(0.05)
        # Refused, and the parker is not left idle.
        self.assertIn("inside a callback", errors[0][0])
        self.assertEqual(errors[0][1], 0)
        self.assert_untouched()


class TestLifetime(unittest.TestCase):
    def test_set_dropped_while_a_parker_is_idle(self):
        d = park.Driver()
        p = park.Parker(d)
        s = park.IdleSet(d)
        s.join(p)
        gone = weakref.ref(s)
        del s
        gc.collect()
        self.assertIsNone(gone())
        # libpark gave the idle parker a token and let it go.
        self.assertEqual(p.park(), W.TOKEN)
        s2 = park.IdleSet(d)
        s2.join(p)
        self.assertTrue(s2.leave(p))

    def test_parker_dropped_or_closed_while_idle_leaves(self):
        d = park.Driver()
        s = park.IdleSet(d)
        p, q = park.Parker(d), park.Parker(d)
        s.join(p)
        s.join(q)
        q.close()
        self.assertEqual(s.count(), 1)
        gone = weakref.ref(p)
        del p
        gc.collect()
        self.assertIsNone(gone())
        self.assertEqual(s.count(), 0)
        # No wake goes to a parker nobody can park on.
        self.assertIs(s.unpark_one(), False)

    def test_set_closed_while_a_thread_parks_in_it(self):
        d = park.Driver()
        s = park.IdleSet(d)
        p = park.Parker(d)
        w = IdleWorker(s, p, where="driver")
        gone = weakref.ref(s)
        s.close()
        del s
        gc.collect()
        # The park holds the set: it goes on, and ends as any park does.
        self.assertIsNotNone(gone())
        self.assertTrue(fixtures.wait_sleeping(w.native_id, where="driver"))
        p.unparker().unpark()
        self.assertTrue(w.done())
        self.assertEqual(w.results, [W.TOKEN | W.DRIVER])
        del w
        gc.collect()
        self.assertIsNone(gone())

    def test_every_release_order(self):
        import itertools
        for order in itertools.permutations(range(3)):
            objects = [park.Driver()]
            objects.append(park.IdleSet(objects[0]))
            objects.append(park.Parker(objects[0]))
            objects[1].join(objects[2])
            u = objects[2].unparker()
            for i in order:
                objects[i] = None
                gc.collect()
                # What is left still works.
                if objects[1] is not None:
                    objects[1].count()
                    objects[1].unpark_all()
                if objects[2] is not None:
                    objects[2].park(0)
            self.assertIsNone(u.unpark(), order)

    def test_cycle_through_set_parker_and_driver(self):
        class Holder:
            pass

        h = Holder()
        h.driver = park.Driver()
        h.idle = park.IdleSet(h.driver)
        h.parker = park.Parker(h.driver)
        h.idle.join(h.parker)
        h.driver.call_later(3600, lambda: h)
        h.self = h
        gone = [weakref.ref(o) for o in (h.driver, h.idle, h.parker)]
        del h
        gc.collect()
        self.assertEqual([w() for w in gone], [None, None, None])


class TestSearching(unittest.TestCase):
    """notify(), stop_searching() and searching (libpark 1.1), from one
    thread: a parker a notify woke searches until it stops or joins
    again, and notify wakes nobody meanwhile."""

    def setUp(self):
        self.d = park.Driver()
        self.s = park.IdleSet(self.d)
        self.p, self.q = park.Parker(self.d), park.Parker(self.d)

    def test_a_notify_wakes_one_and_the_next_waits_for_the_search(self):
        self.s.join(self.p)
        self.s.join(self.q)
        self.assertEqual(self.s.searching, 0)
        self.assertTrue(self.s.notify())  # q: joined last
        self.assertEqual((self.s.searching, self.s.count()), (1, 1))
        self.assertFalse(self.s.notify())  # q searches: p stays idle
        self.assertEqual(self.s.count(), 1)
        self.assertFalse(self.s.leave(self.q))  # its token waits
        self.assertEqual(self.q.park(), W.TOKEN)
        self.assertTrue(self.s.stop_searching(self.q))  # the last one
        self.assertEqual(self.s.searching, 0)
        self.assertFalse(self.s.stop_searching(self.q))
        self.assertTrue(self.s.notify())  # now p
        self.assertFalse(self.s.leave(self.p))
        self.assertEqual(self.p.park(), W.TOKEN)

    def test_nobody_idle_wakes_nobody(self):
        self.assertFalse(self.s.notify())
        self.assertEqual(self.s.searching, 0)

    def test_joining_again_ends_the_search(self):
        self.s.join(self.p)
        self.assertTrue(self.s.notify())
        self.assertEqual(self.s.park(self.p), W.TOKEN)
        self.assertEqual(self.s.searching, 1)
        self.s.join(self.p)
        self.assertEqual(self.s.searching, 0)
        self.s.leave(self.p)

    def test_bad_input(self):
        with self.assertRaisesRegex(TypeError, "park.Parker"):
            self.s.stop_searching(None)
        with self.assertRaisesRegex(ValueError, "driver"):
            self.s.stop_searching(park.Parker())


if __name__ == "__main__":
    fixtures.main()
