"""Run the unittest cases of the calling module and report them as TAP, one
line per test, so automake's TAP driver counts each of them."""

import os
import sys
import traceback
import unittest

#: Set by `make check-valgrind`.
UNDER_VALGRIND = os.environ.get("PARK_UNDER_VALGRIND") == "1"


class _TapResult(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.count = 0

    def _line(self, ok, test, note=""):
        self.count += 1
        status = "ok" if ok else "not ok"
        print(f"{status} {self.count} - {test.id()}{note}", flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._line(True, test)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._line(True, test, f" # SKIP {reason}")

    def _fail(self, test, err):
        self._line(False, test)
        for line in "".join(traceback.format_exception(*err)).splitlines():
            print(f"# {line}", flush=True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, err)

    def addError(self, test, err):
        super().addError(test, err)
        self._fail(test, err)


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(
        sys.modules["__main__"])
    result = _TapResult()
    suite.run(result)
    print(f"1..{result.count}")
    sys.exit(0 if result.wasSuccessful() and result.count else 1)


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
            raise RuntimeError("tap: no stable blocked call seen in "
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
