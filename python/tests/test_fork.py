"""park across os.fork(): nothing a child does with the drivers it inherited
reaches the parent.

Each case runs in a fresh interpreter, so that its child can end the way
programs end, by running off the end of the script: Python then frees every
handle it still can. (Not the ones a parent thread was parking with: CPython
never releases what the frames of threads missing from the child hold.)"""

import os
import subprocess
import sys
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import park  # noqa: E402,F401  (the scripts import it from the same path)
import fixtures  # noqa: E402

PRELUDE = textwrap.dedent("""\
    import errno, os, sys, threading, time
    sys.path.insert(0, {tests!r})
    import park, fixtures
    W = park.Wake

    def parked_thread(p):
        ids, result = [], []
        def run():
            ids.append(threading.get_native_id())
            result.append(p.park())
        t = threading.Thread(target=run, daemon=True)  # a lost wake-up
        t.start()                                      # must not hang exit
        while not ids:
            time.sleep(0.001)
        assert fixtures.wait_sleeping(ids[0]), "never slept"
        return t, result

    def still_parked_then_woken(t, result, u, expect):
        t.join(0.1)
        assert t.is_alive(), f"woke without an unpark: {{result}}"
        u.unpark()
        t.join(5)
        assert not t.is_alive(), "the unpark was lost"
        assert result == [expect], result

    def wait_child(pid):
        give_up = time.monotonic() + 20
        while time.monotonic() < give_up:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                assert os.WIFEXITED(status), status
                assert os.WEXITSTATUS(status) == 0, "the child failed"
                return
            time.sleep(0.001)
        os.kill(pid, 9)
        raise AssertionError("the child hung")
""")


def run_script(body):
    """Runs body as the function main() of a new interpreter, after
    PRELUDE; fails unless it prints "ok" and exits 0. In a function, the
    child's handles are locals that die when main() returns; as globals they
    would live on in the module dict that the frame of the parked thread,
    copied into the child, still holds."""
    code = PRELUDE.format(tests=os.path.dirname(os.path.abspath(__file__)))
    code += "def main():\n" + textwrap.indent(textwrap.dedent(body), "    ")
    code += "\nmain()\n"
    proc = subprocess.run([sys.executable, "-c", code],
                          capture_output=True, text=True, timeout=60)
    if proc.returncode != 0 or proc.stdout.strip() != "ok":
        raise AssertionError(f"status {proc.returncode}\n{proc.stdout}"
                             f"{proc.stderr}")


class TestFork(unittest.TestCase):
    def test_child_exit_leaves_parent_parks_woken(self):
        # d1 has a thread parked in its loop; d2 is idle at fork, so the
        # child frees it when it exits. Both must still wake in the parent.
        run_script("""
            d1 = park.Driver(); p1 = park.Parker(d1); u1 = p1.unparker()
            d2 = park.Driver(); p2 = park.Parker(d2); u2 = p2.unparker()
            t1, r1 = parked_thread(p1)
            pid = os.fork()
            if pid:
                wait_child(pid)
                still_parked_then_woken(t1, r1, u1, W.TOKEN | W.DRIVER)
                t2, r2 = parked_thread(p2)
                still_parked_then_woken(t2, r2, u2, W.TOKEN | W.DRIVER)
                print("ok")
            """)

    def test_child_park_on_inherited_driver_is_refused(self):
        run_script("""
            d = park.Driver(); p = park.Parker(d); u = p.unparker()
            t, r = parked_thread(p)
            pid = os.fork()
            if pid == 0:
                own = p.clone()
                for timeout in (None, 0, 0.5):
                    try:
                        own.park(timeout)
                    except OSError as e:
                        assert e.errno == errno.ECHILD, e
                    else:
                        raise AssertionError("a park in the child ran")
                try:
                    p.park(0.5)
                except RuntimeError:
                    pass  # still busy: its thread was parked at fork
                else:
                    raise AssertionError("the busy parker parked")
                own.unparker().unpark()
                assert own.park() == W.TOKEN
            else:
                wait_child(pid)
                still_parked_then_woken(t, r, u, W.TOKEN | W.DRIVER)
                print("ok")
            """)

    def test_child_unpark_does_not_wake_the_parent(self):
        run_script("""
            d = park.Driver(); p = park.Parker(d); u = p.unparker()
            t, r = parked_thread(p)
            pid = os.fork()
            if pid == 0:
                u.unpark()
            else:
                wait_child(pid)
                still_parked_then_woken(t, r, u, W.TOKEN | W.DRIVER)
                print("ok")
            """)


if __name__ == "__main__":
    fixtures.main()
