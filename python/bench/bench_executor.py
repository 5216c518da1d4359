#!/usr/bin/env python3
"""park.Executor against concurrent.futures.ThreadPoolExecutor, tiny jobs.

For W = 1, 2 and 4 workers, in the same run, the two executors taking turns
round by round: (a) jobs/s of "submit N calls of a function that does
nothing, then result() each"; (b) the latency of one submit + result()
round trip, p50 and p99 over each round's trips. Every figure is min /
median / max over the rounds; ratios are round by round (above 1: park is
better). Prints Markdown, with the load average before and after.

    bench_executor.py [--smoke] [--rounds N]

From a build directory: PYTHONPATH=python/stage python3
$srcdir/python/bench/bench_executor.py (make bench runs it so).
"""

import argparse
import concurrent.futures as cf
import os
import sys
import time

import park
from bench_park import spread  # one number format for both benches


def nothing():
    return None


def throughput(ex, n):
    """Jobs per second of n submissions, then n result() calls."""
    submit = ex.submit
    start = time.perf_counter()
    futures = [submit(nothing) for _ in range(n)]
    for f in futures:
        f.result()
    return n / (time.perf_counter() - start)


def latency(ex, n):
    """(p50, p99) in microseconds of n submit + result() round trips."""
    submit, clock, trips = ex.submit, time.perf_counter, []
    for _ in range(n):
        start = clock()
        submit(nothing).result()
        trips.append(clock() - start)
    trips.sort()
    return trips[n // 2] * 1e6, trips[min(n - 1, n * 99 // 100)] * 1e6


def measure(workers, rounds, jobs, trips):
    """Per executor: lists of jobs/s, p50 and p99, one entry per round."""
    kinds = (("park.Executor", park.Executor),
             ("ThreadPoolExecutor", cf.ThreadPoolExecutor))
    got = {name: ([], [], []) for name, _ in kinds}
    executors = [(name, make(workers)) for name, make in kinds]
    try:
        for _, ex in executors:  # warm-up: every thread started
            throughput(ex, max(jobs // 10, 4 * workers))
            latency(ex, max(trips // 10, 10))
        for _ in range(rounds):
            for name, ex in executors:
                rate, lat = throughput(ex, jobs), latency(ex, trips)
                got[name][0].append(rate)
                got[name][1].append(lat[0])
                got[name][2].append(lat[1])
    finally:
        for _, ex in executors:
            ex.shutdown()
    return got


def table(workers, got):
    ours, theirs = got["park.Executor"], got["ThreadPoolExecutor"]
    ratio_rate = [a / b for a, b in zip(ours[0], theirs[0])]
    ratio_p50 = [b / a for a, b in zip(ours[1], theirs[1])]
    ratio_p99 = [b / a for a, b in zip(ours[2], theirs[2])]
    print(f"\n### W = {workers}\n")
    print("| | jobs/s | p50 us | p99 us |")
    print("|---|---|---|---|")
    for name in got:
        rate, p50, p99 = got[name]
        print(f"| {name} | {spread(rate)} | {spread(p50)} | {spread(p99)} |")
    print(f"| park / TPE (TPE / park for latency) | {spread(ratio_rate)} | "
          f"{spread(ratio_p50)} | {spread(ratio_p99)} |")


def loadavg():
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="tiny counts and 3 rounds (make check)")
    parser.add_argument("--rounds", type=int, default=9,
                        help="timed rounds per W (default 9)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds wants a positive number")
    rounds = 3 if args.smoke else args.rounds
    jobs, trips = (200, 50) if args.smoke else (20000, 4000)
    print("\n## Python: park.Executor against ThreadPoolExecutor\n")
    print(f"park {park.__version__}, CPython {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs; load average before: {loadavg()}.")
    print(f"Tiny jobs (a function that returns None); per round {jobs} "
          f"jobs submitted then waited for (jobs/s), then {trips} "
          "submit + result() round trips (latency); "
          f"{rounds} rounds, the two executors taking turns; min / median "
          "/ max over the rounds.")
    for workers in (1, 2, 4):
        table(workers, measure(workers, rounds, jobs, trips))
    print(f"\nLoad average after: {loadavg()}.")


if __name__ == "__main__":
    main()
