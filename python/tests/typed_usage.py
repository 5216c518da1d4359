"""Every public call of park, as a typed program: mypy --strict must accept
it (python/tests/test_types.py), and it runs."""

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
        s: park.Stats = p.stats()
        total: int = s.parks_driver + s.parks_sleeper + s.tokens
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
        removed: bool = driver.remove_reader(a) or driver.remove_writer(b)
        driver.remove_signal_handler(signal.SIGUSR1)
        assert removed and not driver.is_shutdown
        driver.shutdown()
        a.close()
        b.close()
    print("typed usage ok", sorted(set(calls)))


if __name__ == "__main__":
    main()
