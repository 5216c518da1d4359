#!/usr/bin/env python3
"""park against threading.Event, in the same run, interleaved.

Ping-pong between two Python threads (each side sleeps until the other wakes
it), and waking a thread that is not asleep (unpark against Event.set). Every
figure is min / median / max over the runs; ratios are Event over park, pair
by pair (above 1: park is faster).
"""

import statistics
import sys
import threading
import time

import park


def pingpong_park(n):
    a, b = park.Parker(), park.Parker()
    ua, ub = a.unparker(), b.unparker()

    def partner():
        for _ in range(n):
            b.park()
            ua.unpark()

    t = threading.Thread(target=partner)
    t.start()
    start = time.perf_counter()
    for _ in range(n):
        ub.unpark()
        a.park()
    elapsed = time.perf_counter() - start
    t.join()
    return elapsed / n * 1e9


def pingpong_event(n):
    ea, eb = threading.Event(), threading.Event()

    def partner():
        for _ in range(n):
            eb.wait()
            eb.clear()
            ea.set()

    t = threading.Thread(target=partner)
    t.start()
    start = time.perf_counter()
    for _ in range(n):
        eb.set()
        ea.wait()
        ea.clear()
    elapsed = time.perf_counter() - start
    t.join()
    return elapsed / n * 1e9


def wake_awake_park(n):
    u = park.Parker().unparker()
    unpark = u.unpark
    start = time.perf_counter()
    for _ in range(n):
        unpark()
    return (time.perf_counter() - start) / n * 1e9


def wake_awake_event(n):
    e = threading.Event()
    set_ = e.set
    start = time.perf_counter()
    for _ in range(n):
        set_()
    return (time.perf_counter() - start) / n * 1e9


def compare(title, ours, theirs, n, runs):
    ours(n // 10)
    theirs(n // 10)
    a, b = [], []
    for _ in range(runs):
        a.append(ours(n))
        b.append(theirs(n))
    ratio = [y / x for x, y in zip(a, b)]

    def fmt(v):
        return f"{min(v):10.1f} {statistics.median(v):10.1f} {max(v):10.1f}"

    print(f"\n{title} (ns; {runs} runs of {n})")
    print(f"  park             {fmt(a)}")
    print(f"  threading.Event  {fmt(b)}   Event/park "
          f"{min(ratio):.2f} / {statistics.median(ratio):.2f} / {max(ratio):.2f}")


def main():
    smoke = "--smoke" in sys.argv
    runs = 5 if smoke else 9
    print(f"park {park.__version__}, Python {sys.version.split()[0]}")
    compare("ping-pong between two threads, per round trip",
            pingpong_park, pingpong_event, 200 if smoke else 20000, runs)
    compare("waking a thread that is not asleep, per call",
            wake_awake_park, wake_awake_event, 2000 if smoke else 1000000, runs)


if __name__ == "__main__":
    main()
