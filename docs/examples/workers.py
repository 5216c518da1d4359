#!/usr/bin/env python3
"""A producer hands jobs to a pool of worker threads; idle workers park.

The workers share one queue and one park.IdleSet. A job wakes exactly one
idle worker: one asleep on its own sleeper if there is one, so that the
worker asleep in the shared driver keeps serving its timer. Every worker
follows the set's protocol (join, look at the queue again, park), which
keeps a job from waiting in the queue while everyone sleeps; shutting down
is one more thing to look for in the same two places.
"""

import threading
import time
from collections import Counter, deque
from typing import Deque, List, Optional

import park

driver = park.Driver()
idle = park.IdleSet(driver)
lock = threading.Lock()
jobs: Deque[int] = deque()
closing = False
done: "Counter[int]" = Counter()
ticks = 0


def take() -> Optional[int]:
    """The next job; None if there is none, -1 once closing and empty."""
    with lock:
        if jobs:
            return jobs.popleft()
        return -1 if closing else None


def work(i: int, parker: park.Parker) -> None:
    while True:
        job = take()
        if job is None:
            idle.join(parker)           # idle from here on
            job = take()                # look once more
            if job is None:
                start = time.monotonic()
                why = idle.park(parker)  # parks, then leaves
                if why.reason == park.Wake.TOKEN:  # not the timer's
                    where = ("in the driver" if why & park.Wake.DRIVER
                             else "on its sleeper")
                    print(f"worker {i} woken after "
                          f"{1000 * (time.monotonic() - start):.1f} ms, "
                          f"asleep {where}")
                continue
            idle.leave(parker)
        if job < 0:
            return
        with lock:
            done[i] += 1
        print(f"worker {i} did job {job}")


def tick() -> None:
    global ticks
    ticks += 1


def main(workers: int = 3, count: int = 6) -> None:
    global closing
    print(f"park {park.__version__}: {workers} workers, {count} jobs")
    parkers: List[park.Parker] = [park.Parker(driver) for _ in range(workers)]
    timer = driver.call_repeatedly(0.005, tick)
    threads = [threading.Thread(target=work, args=(i, p))
               for i, p in enumerate(parkers)]
    for t in threads:
        t.start()
    time.sleep(0.05)
    for job in range(count):
        with lock:
            jobs.append(job)
        idle.unpark_one()               # after publishing the job
        time.sleep(0.02)
    with lock:
        closing = True
    idle.unpark_all()                   # after publishing the close
    for t in threads:
        t.join()
    timer.cancel()
    for i, p in enumerate(parkers):
        print(f"worker {i}: {p.stats()}")
    print(f"{ticks} timer ticks served by idle workers")
    assert sum(done.values()) == count and len(idle) == 0


if __name__ == "__main__":
    main()
