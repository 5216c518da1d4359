"""Driver.reinit() after os.fork(): the child gets a driver of its own and
runs its own loop, while the parent's parks are still woken; what the
binding does with callbacks and posts from before the fork. The binding
never reinitialises by itself (see the README): each case shows what the
child sees before and after it does."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import park  # noqa: E402
import fixtures  # noqa: E402
from test_fork import run_script  # noqa: E402

W = park.Wake


class TestReinit(unittest.TestCase):
    def test_child_parks_in_its_own_loop_parent_still_woken(self):
        # A parent thread sleeps in the driver at the fork: the child's
        # driver gets a new loop, the callbacks registered before are
        # dropped there (and only there), new ones are served.
        run_script("""
            d = park.Driver(); p = park.Parker(d); u = p.unparker()
            r, w = os.pipe()
            got = []
            reader = d.add_reader(r, lambda: got.append(os.read(r, 10)))
            t, result = parked_thread(p)
            pid = os.fork()
            if pid == 0:
                own = park.Parker(d)
                for call in (lambda: own.park(0.01), d.wake, d.shutdown,
                             lambda: d.call_soon_threadsafe(print)):
                    try:
                        call()
                    except OSError as e:
                        assert e.errno == errno.ECHILD, e
                    else:
                        raise AssertionError("used before reinit")
                d.reinit()
                assert not reader.active
                ran = []
                d.call_later(0.01, ran.append, "timer")
                d.call_soon_threadsafe(ran.append, "posted")
                while len(ran) < 2:
                    assert own.park(5) & W.DRIVER
                assert sorted(ran) == ["posted", "timer"], ran
                d.wake()
                assert own.park() == W.EVENTS | W.DRIVER
                # (A write to the pipe would wake the parent's reader: the
                # pipe is shared, the registration is not.)
                os._exit(0)
            wait_child(pid)
            still_parked_then_woken(t, result, u, W.TOKEN | W.DRIVER)
            # The parent's loop and its reader are untouched.
            assert reader.active
            os.write(w, b"y")
            while not got:
                p.park(5)
            assert got == [b"y"], got
            print("ok")
            """)

    def test_fork_while_a_parent_thread_runs_a_callback(self):
        # libevent (with its locks on, as the binding has them) would wait
        # in the child for ever to delete or free the event whose callback
        # the parent's thread was running at the fork: reinit leaves it.
        run_script("""
            d = park.Driver(); p = park.Parker(d)
            inside, release = threading.Event(), threading.Event()
            def slow():
                inside.set()
                release.wait()          # the GIL is free: the fork comes
            handle = d.call_repeatedly(0.001, slow)
            t = threading.Thread(target=p.park, daemon=True)
            t.start()
            assert inside.wait(10)
            pid = os.fork()
            if pid == 0:
                d.reinit()
                assert not handle.active
                handle.cancel()
                own = park.Parker(d)
                ran = []
                d.call_later(0.01, ran.append, 1)
                while not ran:
                    own.park(5)
                os._exit(0)
            release.set()
            t.join(10)
            assert not t.is_alive()
            wait_child(pid)
            handle.cancel()
            print("ok")
            """)

    def test_callbacks_stay_when_no_thread_held_the_loop(self):
        run_script("""
            d = park.Driver(); p = park.Parker(d)
            r, w = os.pipe()
            got = []
            reader = d.add_reader(r, lambda: got.append(os.read(r, 10)))
            pid = os.fork()
            if pid == 0:
                d.reinit()
                assert reader.active
                os.write(w, b"child")
                while not got:
                    assert p.park(5) & W.DRIVER
                assert got == [b"child"], got
                os._exit(0)
            wait_child(pid)
            os.write(w, b"parent")
            while not got:
                p.park(5)
            assert got == [b"parent"], got
            print("ok")
            """)

    def test_posts_from_before_the_fork_are_the_parents(self):
        run_script("""
            d = park.Driver(); p = park.Parker(d)
            ran = []
            d.call_soon_threadsafe(ran.append, "before")
            pid = os.fork()
            if pid == 0:
                d.reinit()
                d.call_soon_threadsafe(ran.append, "child")
                while "child" not in ran:
                    p.park(5)
                p.park(0.02)
                assert ran == ["child"], ran
                # Nor does the Driver's end run them here.
                del d, p
                import gc; gc.collect()
                assert ran == ["child"], ran
                os._exit(0)
            wait_child(pid)
            p.park()
            assert ran == ["before"], ran
            print("ok")
            """)

    def test_child_that_exits_without_reinit_runs_none_of_them(self):
        run_script("""
            parent = os.getpid()
            def where():
                if os.getpid() != parent:
                    print("the parent's post ran in the child", flush=True)
            d = park.Driver()
            d.call_soon_threadsafe(where)
            pid = os.fork()
            if pid == 0:
                return  # main() returns: the Driver goes with its frame
            wait_child(pid)
            print("ok")
            """)

    def test_reinit_inside_a_callback_of_the_driver(self):
        # Forked from a callback: the child is still inside the loop,
        # which must end before the driver can be reinitialised.
        run_script("""
            d = park.Driver(); p = park.Parker(d)
            child = []
            def fork_here():
                pid = os.fork()
                if pid == 0:
                    try:
                        d.reinit()
                    except RuntimeError as e:
                        child.append(str(e))
                else:
                    child.append(pid)
            d.call_later(0, fork_here)
            assert p.park() == W.EVENTS | W.DRIVER
            if isinstance(child[0], int):
                wait_child(child[0])
                print("ok")
                return
            assert "inside one of its callbacks" in child[0], child
            d.reinit()
            d.call_later(0.01, child.append, "timer")
            while "timer" not in child:
                p.park(5)
            os._exit(0)
            """)

    def test_reinit_without_a_fork_does_nothing(self):
        d = park.Driver()
        p = park.Parker(d)
        got = []
        h = d.call_repeatedly(0.001, got.append, 1)
        d.call_soon_threadsafe(got.append, "posted")
        self.assertIsNone(d.reinit())
        self.assertTrue(h.active)
        while "posted" not in got or 1 not in got:
            p.park(1)
        h.cancel()
        d.close()
        self.assertRaisesRegex(ValueError, "closed", d.reinit)


if __name__ == "__main__":
    fixtures.main()
