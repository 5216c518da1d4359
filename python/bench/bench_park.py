#!/usr/bin/env python3
"""park against threading.Event, in the same run, interleaved.

Ping-pong between two Python threads (each side sleeps until the other wakes
it), and waking a thread that is not asleep (unpark against Event.set). Every
figure is min / median / max over the rounds; ratios are Event over park,
round by round (above 1: park is faster). Prints Markdown (make bench).

    bench_park.py [--smoke] [--rounds N]
"""

import argparse
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


def num(x):
    """As the C benchmarks print numbers: fewer decimals as they grow."""
    if abs(x) < 10:
        return f"{x:.2f}"
    if abs(x) < 1000:
        return f"{x:.1f}"
    return f"{x:,.0f}"


def spread(v):
    return " / ".join(num(x) for x in (min(v), statistics.median(v), max(v)))


def compare(title, text, ours, theirs, n, rounds):
    ours(n // 10)
    theirs(n // 10)
    a, b = [], []
    for _ in range(rounds):
        a.append(ours(n))
        b.append(theirs(n))
    ratio = [y / x for x, y in zip(a, b)]
    print(f"\n### {title}\n")
    print(f"{text} ns; {rounds} rounds of {n} after a warm-up, park and "
          "Event taking turns.\n")
    print("| | ns (min / median / max) | Event / park (min / median / max) |")
    print("|---|---|---|")
    print(f"| park | {spread(a)} | |")
    print(f"| threading.Event | {spread(b)} | {spread(ratio)} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="tiny counts and 3 rounds (make check)")
    parser.add_argument("--rounds", type=int, default=9,
                        help="timed rounds per table (default 9)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds wants a positive number")
    rounds = 3 if args.smoke else args.rounds
    print(f"\n## Python: park against threading.Event\n")
    print(f"park {park.__version__}, CPython {sys.version.split()[0]}.")
    compare("ping-pong between two threads",
            "Each thread sleeps until the other wakes it; per round trip,",
            pingpong_park, pingpong_event, 200 if args.smoke else 20000, rounds)
    compare("waking a thread that is not asleep",
            "unpark() against Event.set() on an object nobody waits on; "
            "per call,",
            wake_awake_park, wake_awake_event,
            2000 if args.smoke else 1000000, rounds)


if __name__ == "__main__":
    main()
