#!/usr/bin/env python3
"""A producer hands jobs to worker threads; idle workers park.

One idle worker at a time sleeps inside the shared driver, the rest on their
own sleepers; each job unparks the worker it was queued for.
"""

import collections
import threading
import time
from typing import Deque, List

import park

driver = park.Driver()
queues: List[Deque[int]] = []
parkers: List[park.Parker] = []
done: "collections.Counter[int]" = collections.Counter()
stop = threading.Event()


def work(i: int) -> None:
    parker, queue = parkers[i], queues[i]
    while True:
        while queue:
            job = queue.popleft()
            done[i] += 1
            print(f"worker {i} did job {job}")
        if stop.is_set():
            return
        start = time.monotonic()
        why = parker.park()
        where = "in the driver" if why & park.Wake.DRIVER else "on its sleeper"
        print(f"worker {i} woke after {1000 * (time.monotonic() - start):.1f} ms:"
              f" {why.reason.name}, slept {where}")


def main(workers: int = 3, jobs: int = 6) -> None:
    print(f"park {park.__version__}: {workers} workers, {jobs} jobs")
    for _ in range(workers):
        parkers.append(park.Parker(driver))
        queues.append(collections.deque())
    wakers = [p.unparker() for p in parkers]
    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    time.sleep(0.05)
    for job in range(jobs):
        queues[job % workers].append(job)
        wakers[job % workers].unpark()
        time.sleep(0.02)
    stop.set()
    for u in wakers:
        u.unpark()
    for t in threads:
        t.join()
    for i, p in enumerate(parkers):
        print(f"worker {i}: {p.stats()}")
    assert sum(done.values()) == jobs


if __name__ == "__main__":
    main()
