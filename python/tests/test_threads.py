"""park across Python threads: the GIL is released while parked, Ctrl-C
interrupts a park promptly, and no wakeup is lost."""

import os
import select
import signal
import statistics
import subprocess
import sys
import textwrap
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import park  # noqa: E402
import fixtures  # noqa: E402

W = park.Wake
# Under valgrind everything runs ~50x slower: timing bounds say nothing.
timing = unittest.skipIf(fixtures.UNDER_VALGRIND, "timing is meaningless under valgrind")


class TestThreads(unittest.TestCase):
    def test_other_thread_unparks_parked_main_thread(self):
        p = park.Parker()
        u = p.unparker()
        ids = []
        main_id = threading.get_native_id()

        def waker():
            # In the driver's wait: a futex wait could be the main
            # thread's wait for the GIL, before it parks at all.
            ids.append(fixtures.wait_sleeping(main_id, where="driver"))
            u.unpark()

        t = threading.Thread(target=waker)
        t.start()
        self.assertEqual(p.park(), W.TOKEN | W.DRIVER)
        t.join()
        self.assertEqual(ids, [True])

    def test_driver_flag_and_stats_agree_across_slices(self):
        # Unparks timed around the main thread's slice boundaries: however
        # the token arrives, the park ran the driver and counts as one
        # driver park with a token.
        for delay in (0.045, 0.05, 0.055, 0.095, 0.1, 0.105):
            p = park.Parker()
            threading.Timer(delay, p.unparker().unpark).start()
            self.assertEqual(p.park(), W.TOKEN | W.DRIVER, delay)
            self.assertEqual(p.stats(), park.Stats(1, 0, 1, 0, 0, 0), delay)

    @timing
    def test_python_threads_run_while_one_is_parked(self):
        p = park.Parker()
        counter = [0]
        stop = threading.Event()

        def spin():
            while not stop.is_set():
                counter[0] += 1

        t = threading.Thread(target=spin)
        t.start()
        time.sleep(0.01)
        before = counter[0]
        p.park(0.3)
        during = counter[0] - before
        stop.set()
        t.join()
        # Holding the GIL while parked would leave the spinner at ~0.
        self.assertGreater(during, 10000)

    @timing
    def test_wake_from_thread_is_fast_on_main_thread(self):
        # The main thread parks in 50 ms slices (for Ctrl-C); an unpark
        # must still wake it at once, not at the end of a slice.
        p = park.Parker()
        u = p.unparker()
        latencies = []
        for _ in range(20):
            sent = []

            def waker():
                time.sleep(0.002)
                sent.append(time.monotonic())
                u.unpark()

            t = threading.Thread(target=waker)
            t.start()
            # A driver park may end early (EVENTS) on a late wake-channel
            # write from the previous round; only the token counts.
            while p.park().reason != W.TOKEN:
                pass
            latencies.append(time.monotonic() - sent[0])
            t.join()
        self.assertLess(statistics.median(latencies), 0.01)

    def test_no_lost_wakeup_between_python_threads(self):
        driver = park.Driver()
        workers = [park.Parker(driver) for _ in range(4)]
        wakers = [w.unparker() for w in workers]
        done = [0] * len(workers)
        total = 2000
        lock = threading.Lock()
        queue = []

        def work(i):
            while True:
                with lock:
                    item = queue.pop(0) if queue else None
                if item is None:
                    workers[i].park()
                    continue
                if item < 0:
                    return
                done[i] += 1

        threads = [threading.Thread(target=work, args=(i,))
                   for i in range(len(workers))]
        for t in threads:
            t.start()
        for n in range(total):
            with lock:
                queue.append(n)
            wakers[n % len(wakers)].unpark()
        with lock:
            queue.extend([-1] * len(workers))
        for u in wakers:
            u.unpark()
        for t in threads:
            t.join(30)
            self.assertFalse(t.is_alive(), "a worker missed its wakeup")
        self.assertEqual(sum(done), total)


def readline(proc, timeout=10.0):
    """The child's next line, or "" when it says nothing in time (a park
    that Ctrl-C did not interrupt)."""
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline() if ready else ""


class TestCtrlC(unittest.TestCase):
    @timing
    def test_sigint_interrupts_park_promptly(self):
        child = textwrap.dedent("""
            import signal, sys, time, park
            # Python's own handler, even if SIGINT came in ignored.
            signal.signal(signal.SIGINT, signal.default_int_handler)
            p = park.Parker()
            print("ready", flush=True)
            try:
                p.park()
                print("returned", flush=True)
            except KeyboardInterrupt:
                print("interrupted", time.monotonic(), flush=True)
        """)
        proc = subprocess.Popen([sys.executable, "-c", child],
                                stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(proc.stdout.readline().strip(), "ready")
            self.assertTrue(fixtures.wait_sleeping(proc.pid, pid=proc.pid))
            sent = time.monotonic()
            proc.send_signal(signal.SIGINT)
            word, when = (readline(proc).split() + ["silent", "inf"])[:2]
            self.assertEqual(word, "interrupted")
            self.assertLess(float(when) - sent, 0.2)
        finally:
            proc.kill()
            proc.wait()

    @timing
    def test_sigint_interrupts_main_thread_of_child_forked_from_thread(self):
        # After a fork from a non-main thread, that thread is the child's
        # main thread: its parks must be interruptible.
        child = textwrap.dedent("""
            import os, signal, sys, threading, time, warnings, park
            warnings.simplefilter("ignore", DeprecationWarning)
            def forker():
                pid = os.fork()
                if pid:
                    os.waitpid(pid, 0)
                    return
                signal.signal(signal.SIGINT, signal.default_int_handler)
                p = park.Parker()
                print("ready", os.getpid(), flush=True)
                try:
                    p.park()
                    print("returned", flush=True)
                except KeyboardInterrupt:
                    print("interrupted", time.monotonic(), flush=True)
                os._exit(0)
            park.Parker().park(0.001)   # imported and used before
            t = threading.Thread(target=forker)
            t.start()
            t.join()
        """)
        proc = subprocess.Popen([sys.executable, "-c", child],
                                stdout=subprocess.PIPE, text=True)
        pid = None
        try:
            word, pid = proc.stdout.readline().split()
            self.assertEqual(word, "ready")
            self.assertTrue(fixtures.wait_sleeping(int(pid), pid=int(pid)))
            sent = time.monotonic()
            os.kill(int(pid), signal.SIGINT)
            word, when = (readline(proc).split() + ["silent", "inf"])[:2]
            self.assertEqual(word, "interrupted")
            self.assertLess(float(when) - sent, 0.2)
            self.assertEqual(proc.wait(30), 0)
            pid = None  # it returned, and its parent reaped it
        finally:
            if pid is not None:  # the grandchild, still parked
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    fixtures.main()
