"""Every public call of park, as a typed program: mypy --strict must accept
it (python/tests/test_types.py), and it runs."""

import concurrent.futures
import os
import signal
import socket
import threading
import time
from typing import List

import park


def main() -> None:
    assert isinstance(park.__version__, str)
    with park.Driver() as driver:
        p: park.Parker = park.Parker(driver)
        u: park.Unparker = p.unparker()
        threading.Timer(0.01, u.unpark).start()
        why: park.Wake = p.park()
        while why.reason == park.Wake.EVENTS:
            why = p.park(None)
        assert why & park.Wake.TOKEN
        p.park(0)
        p.park(0.001)
        p.park_until(time.monotonic() + 0.001)
        twin: park.Parker = p.clone()
        u.clone().unpark()
        p.spin = 20e-6
        budget: float = p.spin
        p.spin = 0
        s: park.Stats = p.stats()
        total: int = s.parks_driver + s.parks_sleeper + s.tokens + s.parks_spin
        assert budget == 20e-6
        assert total >= 0 and twin.driver is driver

        calls: List[str] = []
        a, b = socket.socketpair()
        handles: List[park.Handle] = [
            driver.call_later(0, calls.append, "later"),
            driver.call_repeatedly(0.001, calls.append, "again"),
            driver.add_reader(a, calls.append, "read"),
            driver.add_writer(b.fileno(), calls.append, "write"),
        ]
        if signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL:
            handles.append(driver.add_signal_handler(signal.SIGUSR1,
                                                     calls.append, "usr1"))
            os.kill(os.getpid(), signal.SIGUSR1)
        b.send(b"x")
        deadline = time.monotonic() + 5
        while len(set(calls)) < len(handles) and time.monotonic() < deadline:
            p.park(0.01)
        with handles[1] as repeating:
            assert isinstance(repeating.active, bool)
        removed: bool = driver.remove_reader(a)
        removed = driver.remove_writer(b) and removed
        driver.remove_signal_handler(signal.SIGUSR1)
        assert removed and not driver.is_shutdown

        driver.call_soon_threadsafe(calls.append, "posted")
        while "posted" not in calls:
            p.park()
        driver.wake()
        p.park()
        with park.IdleSet(driver) as idle:
            assert idle.driver is driver
            idle.join(twin)
            n: int = idle.count() + len(idle)
            taken: bool = not idle.leave(twin)
            assert n == 2 and not taken
            assert not idle.unpark_one() and idle.unpark_all() == 0
            threading.Timer(0.01, idle.unpark_one).start()
            woke: park.Wake = idle.park(p)
            while woke.reason == park.Wake.EVENTS:
                woke = idle.park(p, None)
            idle.park(p, 0)
        driver.shutdown()
        a.close()
        b.close()
    started: List[str] = []
    with park.Executor(2, driver=park.Driver(), thread_name_prefix="w",
                       initializer=started.append, initargs=("up",)) as ex:
        assert started == ["up", "up"]
        square: "concurrent.futures.Future[int]" = ex.submit(pow, 3, 2)
        assert square.result() == 9 and ex.max_workers == 2
        assert list(ex.map(str, [1, 2])) == ["1", "2"]
        done: "concurrent.futures.Future[str]" = concurrent.futures.Future()
        ex.driver.call_later(0, done.set_result, "served")
        assert done.result(10) == "served"
    ex.shutdown(wait=True, cancel_futures=True)
    print("typed usage ok", sorted(set(calls)))


if __name__ == "__main__":
    main()
