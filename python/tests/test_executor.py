"""park.Executor: a concurrent.futures executor whose workers are
park_pool's C threads. Futures, map, wait and as_completed; shutdown
(drain, cancel exactly the calls not started, from inside a call); the
driver's callbacks served by idle workers; bad input; Ctrl-C, interpreter
exit and fork, each in a fresh interpreter."""

import concurrent.futures as cf
import gc
import os
import subprocess
import sys
import textwrap
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import park  # noqa: E402
import fixtures  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# Generous: a wait that takes this long is a hang, not a slow machine.
LONG = 30.0


def threads_now():
    return len(os.listdir("/proc/self/task"))


def run_script(body, timeout=60, setup=""):
    """Runs setup, then body, in a new interpreter that imports park as the
    tests do; returns (status, stdout, stderr)."""
    code = f"import sys; sys.path.insert(0, {HERE!r})\n"
    code += setup + textwrap.dedent(body)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


class TestFutures(unittest.TestCase):
    def setUp(self):
        self.ex = park.Executor(2)

    def tearDown(self):
        self.ex.shutdown(wait=True)

    def test_results_and_exceptions_through_futures(self):
        f = self.ex.submit(pow, 2, 10)
        g = self.ex.submit(lambda: 1 / 0)
        h = self.ex.submit(dict, a=1)
        self.assertIsInstance(f, cf.Future)
        self.assertEqual(f.result(LONG), 1024)
        self.assertIsInstance(g.exception(LONG), ZeroDivisionError)
        with self.assertRaises(ZeroDivisionError):
            g.result(LONG)
        self.assertEqual(h.result(LONG), {"a": 1})

    def test_base_exceptions_go_to_the_future_too(self):
        f = self.ex.submit(sys.exit, 3)
        self.assertIsInstance(f.exception(LONG), SystemExit)
        self.assertEqual(self.ex.submit(int, "7").result(LONG), 7)

    def test_map_keeps_order_and_raises_in_place(self):
        self.assertEqual(list(self.ex.map(str, range(100))),
                         [str(i) for i in range(100)])
        it = self.ex.map(lambda x: 1 // x, [1, 0, 1])
        self.assertEqual(next(it), 1)
        with self.assertRaises(ZeroDivisionError):
            next(it)

    def test_map_timeout(self):
        gate = threading.Event()
        it = self.ex.map(gate.wait, [LONG], timeout=0.05)
        try:
            with self.assertRaises(cf.TimeoutError):
                next(it)
        finally:
            gate.set()

    def test_wait_and_as_completed(self):
        gate = threading.Event()
        slow = self.ex.submit(gate.wait, LONG)
        quick = [self.ex.submit(int, i) for i in range(10)]
        done, pending = cf.wait(quick, timeout=LONG)
        self.assertEqual(done, set(quick))
        done, pending = cf.wait([slow] + quick, timeout=0.01,
                                return_when=cf.FIRST_COMPLETED)
        self.assertIn(slow, pending)
        gate.set()
        seen = list(cf.as_completed([slow] + quick, timeout=LONG))
        self.assertEqual(set(seen), set([slow] + quick))
        self.assertTrue(slow.result())

    def test_calls_start_in_the_order_submitted(self):
        ex = park.Executor(1)
        got = []
        for i in range(1000):
            ex.submit(got.append, i)
        ex.shutdown()
        self.assertEqual(got, list(range(1000)))

    def test_submit_from_inside_a_call(self):
        outer = self.ex.submit(lambda: self.ex.submit(pow, 3, 3))
        self.assertEqual(outer.result(LONG).result(LONG), 27)

    def test_max_workers_threads(self):
        before = threads_now()
        ex = park.Executor(5)
        self.assertEqual(threads_now(), before + 5)
        self.assertEqual(ex.max_workers, 5)
        ex.shutdown()
        self.assertTrue(fixtures.wait_for(lambda: threads_now() == before))


class TestShutdown(unittest.TestCase):
    def test_wait_drains_what_was_queued(self):
        ex = park.Executor(2)
        fs = [ex.submit(time.sleep, 0.001) for _ in range(50)]
        ex.shutdown(wait=True)
        self.assertTrue(all(f.done() and not f.cancelled() for f in fs))

    def test_no_wait_still_runs_them(self):
        ex = park.Executor(1)
        gate = threading.Event()
        fs = [ex.submit(gate.wait, LONG)] + [ex.submit(int, i)
                                             for i in range(5)]
        ex.shutdown(wait=False)
        self.assertFalse(fs[-1].done())
        gate.set()
        self.assertEqual([f.result(LONG) for f in fs[1:]], list(range(5)))
        ex.shutdown()  # again: waits, harmless

    def test_submit_after_shutdown(self):
        ex = park.Executor(1)
        ex.shutdown()
        with self.assertRaisesRegex(RuntimeError, "after shutdown"):
            ex.submit(int)

    def test_cancel_futures_cancels_exactly_those_not_started(self):
        ex = park.Executor(1)
        gate, started = threading.Event(), threading.Event()
        first = ex.submit(lambda: (started.set(), gate.wait(LONG)))
        rest = [ex.submit(int, i) for i in range(5)]
        self.assertTrue(started.wait(LONG))
        waiter = threading.Thread(target=cf.wait, args=(rest,))
        waiter.start()  # concurrent.futures.wait hears of the cancel
        ex.shutdown(wait=False, cancel_futures=True)
        self.assertTrue(all(f.cancelled() for f in rest))
        self.assertFalse(first.done())
        waiter.join(LONG)
        self.assertFalse(waiter.is_alive())
        gate.set()
        ex.shutdown(wait=True)
        self.assertEqual(first.result(), (None, True))

    def test_every_future_ends_once_under_a_burst_racing_shutdown(self):
        n, threads = (300, 2) if fixtures.UNDER_VALGRIND else (2500, 4)
        ex = park.Executor(4)
        ran, ended, futures = [], [], []
        go = threading.Barrier(threads + 1)

        def burst(k):
            go.wait()
            for i in range(n):
                try:
                    f = ex.submit(ran.append, (k, i))
                except RuntimeError:
                    return
                f.add_done_callback(ended.append)
                futures.append((f, (k, i)))

        submitters = [threading.Thread(target=burst, args=(k,))
                      for k in range(threads)]
        for t in submitters:
            t.start()
        go.wait()
        while len(futures) < n:  # some accepted, some queued: then stop
            time.sleep(0.0005)
        ex.shutdown(wait=True, cancel_futures=True)
        for t in submitters:
            t.join()
        self.assertTrue(all(f.done() for f, _ in futures))
        self.assertEqual(len(ended), len(futures))
        self.assertEqual(len(set(map(id, ended))), len(futures))
        cancelled = {key for f, key in futures if f.cancelled()}
        completed = {key for f, key in futures if not f.cancelled()}
        self.assertEqual(len(ran), len(set(ran)))  # none ran twice
        self.assertEqual(set(ran), completed)     # none ran cancelled
        self.assertGreater(len(futures), 0)
        print(f"# {len(futures)} accepted: {len(completed)} ran, "
              f"{len(cancelled)} cancelled")

    def test_shutdown_from_inside_a_call_does_not_wait(self):
        ex = park.Executor(1)
        gate = threading.Event()

        def stop():
            ex.shutdown(wait=True)  # its own worker: returns at once
            return "returned"

        f = ex.submit(stop)
        later = ex.submit(gate.wait, LONG)
        self.assertEqual(f.result(LONG), "returned")
        with self.assertRaises(RuntimeError):
            ex.submit(int)
        gate.set()
        ex.shutdown(wait=True)
        self.assertTrue(later.result())

    def test_context_manager(self):
        got = []
        with park.Executor(2) as ex:
            for i in range(20):
                ex.submit(got.append, i)
        self.assertEqual(sorted(got), list(range(20)))
        with self.assertRaises(RuntimeError):
            ex.submit(int)

    def test_dropped_without_shutdown_runs_the_rest_then_leaves(self):
        before = threads_now()
        ex = park.Executor(2)
        fs = [ex.submit(time.sleep, 0.001) for _ in range(20)]
        del ex
        gc.collect()
        for f in fs:
            f.result(LONG)
        self.assertTrue(fixtures.wait_for(lambda: threads_now() == before))

    def test_last_reference_dropped_on_a_worker(self):
        before = threads_now()
        ex = park.Executor(2)
        gate = threading.Event()
        # The call holds the executor; the worker drops it when done.
        f = ex.submit(lambda e=ex: gate.wait(LONG))
        del ex
        gate.set()
        self.assertTrue(f.result(LONG))
        self.assertTrue(fixtures.wait_for(lambda: threads_now() == before))


class TestBadInput(unittest.TestCase):
    def test_max_workers(self):
        for bad in (0, -1, 1025):
            with self.assertRaises(ValueError):
                park.Executor(bad)
        for bad in (1.5, "2", True):
            with self.assertRaises(TypeError):
                park.Executor(bad)
        ex = park.Executor()
        self.assertEqual(ex.max_workers, min(32, (os.cpu_count() or 1) + 4))
        ex.shutdown()

    def test_driver(self):
        with self.assertRaises(TypeError):
            park.Executor(1, driver=object())
        with self.assertRaises(TypeError):
            park.Executor(1, driver=park.Parker())

    def test_not_callable_loses_nothing(self):
        with park.Executor(1) as ex:
            with self.assertRaises(TypeError):
                ex.submit(42)
            self.assertEqual(ex.submit(int, "5").result(LONG), 5)


class TestInitializer(unittest.TestCase):
    def test_runs_once_in_each_worker_before_any_call(self):
        seen, local = [], threading.local()

        def init(tag):
            local.tag = tag
            seen.append(threading.get_ident())

        with park.Executor(3, initializer=init, initargs=("set",)) as ex:
            self.assertEqual(len(seen), 3)  # all before the constructor
            self.assertEqual(len(set(seen)), 3)
            tags = ex.map(lambda _: (local.tag, threading.get_ident()),
                          range(50))
            for tag, ident in tags:
                self.assertEqual(tag, "set")
                self.assertIn(ident, seen)

    def test_an_exception_comes_out_of_the_constructor(self):
        before = threads_now()
        calls = []

        def init():
            calls.append(1)
            raise LookupError("no config")

        with self.assertRaisesRegex(LookupError, "no config"):
            park.Executor(2, initializer=init)
        self.assertGreaterEqual(len(calls), 1)
        self.assertTrue(fixtures.wait_for(lambda: threads_now() == before))

    def test_not_callable(self):
        with self.assertRaises(TypeError):
            park.Executor(1, initializer=42)

    def test_thread_name_prefix(self):
        with park.Executor(2, thread_name_prefix="io") as ex:
            names = {ex.submit(lambda: threading.current_thread().name)
                     .result(LONG) for _ in range(20)}
        self.assertLessEqual(names, {"io_0", "io_1"})
        self.assertTrue(names)
        with self.assertRaises(TypeError):
            park.Executor(1, thread_name_prefix=3)


class TestDriverCallbacks(unittest.TestCase):
    def test_idle_workers_serve_call_later_and_add_reader(self):
        with park.Executor(2) as ex:
            d = ex.driver
            self.assertIsInstance(d, park.Driver)
            fired = cf.Future()
            d.call_later(0.01, lambda: fired.set_result(threading.get_ident()))
            self.assertNotEqual(fired.result(LONG), threading.get_ident())
            r, w = os.pipe()
            try:
                got = cf.Future()
                d.add_reader(r, lambda: got.set_result(os.read(r, 10)))
                os.write(w, b"ping")
                self.assertEqual(got.result(LONG), b"ping")
                d.remove_reader(r)
            finally:
                os.close(r)
                os.close(w)

    def test_a_busy_worker_serves_the_driver_between_calls(self):
        # The one worker has 100 calls of at least 1 ms queued: a timer
        # due after 10 ms runs between two of them, not after the last.
        order = []
        with park.Executor(1) as ex:
            gate = threading.Event()
            ex.submit(gate.wait, LONG)
            for i in range(100):
                ex.submit(lambda i=i: (order.append(i), time.sleep(0.001)))
            ex.driver.call_later(0.01, order.append, "timer")
            gate.set()
        self.assertIn("timer", order)
        self.assertEqual([x for x in order if x != "timer"], list(range(100)))
        self.assertNotEqual(order[-1], "timer")

    def test_a_driver_given(self):
        d = park.Driver()
        with park.Executor(1, driver=d) as ex:
            self.assertIs(ex.driver, d)
            fired = cf.Future()
            d.call_soon_threadsafe(fired.set_result, "posted")
            self.assertEqual(fired.result(LONG), "posted")

    def test_a_callback_exception_is_unraisable(self):
        seen, got = [], threading.Event()
        old = sys.unraisablehook

        def hook(u):
            seen.append(u.exc_type)
            got.set()

        sys.unraisablehook = hook
        try:
            with park.Executor(1) as ex:
                ex.driver.call_later(0, lambda: 1 / 0)
                self.assertTrue(got.wait(LONG))
                got.clear()
                # A posted function's too; the one posted after it runs.
                after = cf.Future()
                ex.driver.call_soon_threadsafe(lambda: {}["missing"])
                ex.driver.call_soon_threadsafe(after.set_result, "ran")
                self.assertEqual(after.result(LONG), "ran")
                self.assertTrue(got.wait(LONG))
                # The worker lives on.
                self.assertEqual(ex.submit(int, "1").result(LONG), 1)
        finally:
            sys.unraisablehook = old
        self.assertEqual(seen, [ZeroDivisionError, KeyError])

    def test_shutdown_from_a_callback_on_a_worker_does_not_wait(self):
        ex = park.Executor(2)
        gate = threading.Event()
        busy = ex.submit(gate.wait, LONG)
        returned = cf.Future()
        ex.driver.call_later(
            0, lambda: returned.set_result(ex.shutdown(wait=True)))
        self.assertIsNone(returned.result(LONG))
        self.assertFalse(busy.done())
        with self.assertRaises(RuntimeError):
            ex.submit(int)
        gate.set()
        ex.shutdown(wait=True)
        self.assertTrue(busy.result(0))


# A child with one call held 30 s and a SIGINT due in 0.2 s, with Python's
# own handler even if SIGINT came in ignored (a test run started in the
# background of a shell).
CTRL_C_SETUP = """
import os, signal, threading, time, park
signal.signal(signal.SIGINT, signal.default_int_handler)
ex = park.Executor(1)
gate = threading.Event()
f = ex.submit(gate.wait, 30)
threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
start = time.monotonic()
"""


class TestProcess(unittest.TestCase):
    def test_ctrl_c_while_waiting_on_a_future(self):
        status, out, err = run_script(setup=CTRL_C_SETUP, body="""
            try:
                f.result()
            except KeyboardInterrupt:
                print("interrupted", time.monotonic() - start < 2.0)
            gate.set()
            ex.shutdown()
        """)
        self.assertEqual((status, out), (0, "interrupted True\n"), err)

    def test_ctrl_c_while_waiting_in_shutdown(self):
        status, out, err = run_script(setup=CTRL_C_SETUP, body="""
            try:
                ex.shutdown(wait=True)
            except KeyboardInterrupt:
                print("interrupted", time.monotonic() - start < 2.0)
            gate.set()
            ex.shutdown(wait=True)  # waits again
            print(f.result(0))
        """)
        self.assertEqual((status, out), (0, "interrupted True\nTrue\n"), err)

    def test_interpreter_exit_with_a_live_executor(self):
        status, out, err = run_script("""
            import time, park
            ex = park.Executor(2)
            ex.submit(lambda: (time.sleep(0.3), print("ran", flush=True)))
            for i in range(100):
                ex.submit(int, i)
            print("exiting", flush=True)
        """)
        self.assertEqual((status, out), (0, "exiting\nran\n"), err)
        self.assertEqual(err, "")

    def test_interpreter_exit_after_dropping_a_busy_executor(self):
        # Its queued calls still run, as ThreadPoolExecutor's do.
        status, out, err = run_script("""
            import time, park
            ex = park.Executor(1)
            ex.submit(time.sleep, 0.3)
            ex.submit(print, "ran", flush=True)
            del ex
            print("exiting", flush=True)
        """)
        self.assertEqual((status, out), (0, "exiting\nran\n"), err)
        self.assertEqual(err, "")

    def test_fork_child_gets_a_clear_error(self):
        status, out, err = run_script("""
            import os, threading, park
            ex = park.Executor(2)
            assert ex.submit(int, "1").result() == 1
            # And one dropped while busy, which the exit hook waits for.
            gate = threading.Event()
            dropped = park.Executor(1)
            dropped.submit(gate.wait, 30)
            del dropped
            pid = os.fork()
            gate.set()
            if pid == 0:
                msgs = []
                for call in (lambda: ex.submit(int), ex.shutdown):
                    try:
                        call()
                    except RuntimeError as e:
                        msgs.append("fork" in str(e))
                print("child", msgs, flush=True)
                with park.Executor(1) as mine:  # a new one works
                    print("child", mine.submit(int, "2").result(), flush=True)
                sys.exit(0)  # a normal exit: hooks and finalizers run
            _, status = os.waitpid(pid, 0)
            print("parent", ex.submit(int, "3").result(), status)
        """)
        self.assertEqual(
            (status, out),
            (0, "child [True, True]\nchild 2\nparent 3 0\n"), err)


class TestBench(unittest.TestCase):
    def test_bench_smoke(self):
        bench = os.path.join(HERE, os.pardir, "bench", "bench_executor.py")
        proc = subprocess.run([sys.executable, bench, "--smoke"],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("ThreadPoolExecutor", proc.stdout)


if __name__ == "__main__":
    fixtures.main()
