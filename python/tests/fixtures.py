"""What the Python tests share: whether they run under valgrind, how to
see that a thread is asleep (and where), a thread parked in a driver's
loop, and main(), which runs the calling module's tests on tappy's TAP
runner (Debian's python3-tap) so that automake counts each test."""

import os
import sys
import threading
import time
import unittest

import park

#: Set by `make check-valgrind`.
UNDER_VALGRIND = os.environ.get("PARK_UNDER_VALGRIND") == "1"


def main():
    try:
        from tap import TAPTestRunner
    except ImportError:
        # An interpreter of its own (pyenv, a venv) does not see Debian's
        # python3-tap; it is pure Python, so take it from there.
        sys.path.append("/usr/lib/python3/dist-packages")
        from tap import TAPTestRunner
    runner = TAPTestRunner()
    runner.set_stream(True)
    result = unittest.main(testRunner=runner, exit=False).result
    sys.exit(0 if result.wasSuccessful() and result.testsRun else 1)


def wait_for(condition, timeout=10.0):
    """Whether condition() holds within timeout seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


class LoopWorker:
    """A thread that parks on a new parker of driver until stopped,
    recording what its parks returned or raised; made once it sleeps in the
    driver's loop."""

    def __init__(self, driver):
        self.parker = park.Parker(driver)
        self.results, self.errors = [], []
        self.ident = self.native_id = None
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        while self.native_id is None:
            time.sleep(0.001)
        assert wait_sleeping(self.native_id, where="driver")

    def run(self):
        self.ident = threading.get_ident()
        self.native_id = threading.get_native_id()
        while not self.stop:
            try:
                self.results.append(self.parker.park())
            except Exception as e:  # noqa: BLE001 - recorded for the test
                self.errors.append(e)

    def join(self):
        self.stop = True
        self.parker.unparker().unpark()
        self.thread.join(10)
        assert not self.thread.is_alive()


_SLEEP_CALLS = None


def _blocked_call(pid, tid):
    """The system call number thread tid is blocked in, or None."""
    try:
        with open(f"/proc/{pid}/task/{tid}/syscall") as f:
            word = f.read().split()[0]
    except (OSError, IndexError):
        return None
    return int(word) if word.isdigit() else None


def _learn_sleep_calls():
    """What the kernel shows in /proc/TID/syscall for a thread blocked in a
    futex wait (a lock: a parker's sleeper), and in epoll, poll or select (a
    libevent loop: the driver): learned by blocking a thread in each, so that
    no architecture's numbers are written here (and an emulated CPU, which
    shows the host's, is handled the same way). Returns {"sleeper": set,
    "driver": set}."""
    import select
    import threading
    import time

    def learn(block, release):
        tids = []
        thread = threading.Thread(
            target=lambda: (tids.append(threading.get_native_id()), block()))
        thread.start()
        while not tids:
            time.sleep(0.001)
        seen, same = None, 0
        deadline = time.monotonic() + 20.0
        while same < 10 and time.monotonic() < deadline:
            time.sleep(0.001)
            nr = _blocked_call("self", tids[0])
            same = same + 1 if nr is not None and nr == seen else 0
            seen = nr
        release()
        thread.join()
        if same < 10:
            raise RuntimeError("fixtures: no stable blocked call seen in "
                               "/proc/self/task/TID/syscall")
        return seen

    lock = threading.Lock()
    lock.acquire()
    calls = {"sleeper": {learn(lock.acquire, lock.release)}, "driver": set()}
    waits = [lambda r: select.select([r], [], [])]
    if hasattr(select, "poll"):
        def poll(r):
            p = select.poll()
            p.register(r, select.POLLIN)
            p.poll()
        waits.append(poll)
    if hasattr(select, "epoll"):
        def epoll(r):
            with select.epoll() as e:
                e.register(r, select.EPOLLIN)
                e.poll()
        waits.append(epoll)
    for wait in waits:
        r, w = os.pipe()
        try:
            calls["driver"].add(learn(lambda: wait(r),
                                      lambda: os.write(w, b"x")))
        finally:
            os.close(r)
            os.close(w)
    return calls


def wait_sleeping(native_id, timeout=20.0, pid="self", where=None):
    """Wait until thread `native_id` (threading.get_native_id()) of process
    `pid` is blocked in the kernel, read from /proc/PID/task/TID/syscall:
    in a futex wait (where="sleeper"), in a libevent loop's wait: epoll,
    poll or select (where="driver"), or in either (where=None). Returns
    whether it got there in time."""
    import time
    global _SLEEP_CALLS
    if _SLEEP_CALLS is None:
        _SLEEP_CALLS = _learn_sleep_calls()
    if where is None:
        calls = _SLEEP_CALLS["sleeper"] | _SLEEP_CALLS["driver"]
    else:
        calls = _SLEEP_CALLS[where]
    # Three looks in a row, 1 ms apart: a thread that waits for the GIL
    # (a futex wait too) while this one reads /proc holding it gets the
    # GIL in between, and does not look asleep the next time.
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        seen = seen + 1 if _blocked_call(pid, native_id) in calls else 0
        if seen == 3:
            return True
        time.sleep(0.001)
    return False
