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


def wait_sleeping(native_id, timeout=20.0, pid="self"):
    """Wait until thread `native_id` (threading.get_native_id()) of process
    `pid` is blocked in the kernel (futex, epoll_wait, poll), read from
    /proc/PID/task/TID/syscall. Returns whether it got there in time."""
    import time
    sleeping = {202, 232, 281, 7, 271}  # x86-64: futex epoll_wait epoll_pwait poll ppoll
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/task/{native_id}/syscall") as f:
                word = f.read().split()[0]
            if word.isdigit() and int(word) in sleeping:
                return True
        except OSError:
            pass
        time.sleep(0.001)
    return False
