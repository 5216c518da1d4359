#!/usr/bin/env python3
"""Two builds of park side by side in one run: bench_park.py's park
ping-pong and unpark(), each round a fresh process per build, the builds
taking turns (the order swapped every round). Prints Markdown.

    before_after.py BEFORE_PYTHONPATH AFTER_PYTHONPATH [ROUNDS]
"""

import os
import statistics
import subprocess
import sys

ROUND = ("import sys; sys.path.insert(0, {bench!r}); import bench_park as b; "
         "b.pingpong_park(2000); b.wake_awake_park(100000); "
         "print(b.pingpong_park(20000), b.wake_awake_park(1000000))")


def spread(values, fmt):
    return " / ".join(fmt(x) for x in (min(values), statistics.median(values),
                                        max(values)))


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    builds = {"before": sys.argv[1], "after": sys.argv[2]}
    rounds = int(sys.argv[3]) if len(sys.argv) == 4 else 9
    code = ROUND.format(bench=os.path.dirname(os.path.abspath(__file__)))
    runs = {name: ([], []) for name in builds}
    for i in range(rounds):
        for name in (list(builds) if i % 2 == 0 else list(builds)[::-1]):
            env = dict(os.environ, PYTHONPATH=builds[name])
            out = subprocess.run([sys.executable, "-c", code], env=env,
                                 check=True, capture_output=True, text=True)
            for series, value in zip(runs[name], out.stdout.split()):
                series.append(float(value))

    def ns(x):
        return f"{x:,.0f}" if x >= 1000 else f"{x:.1f}"

    print("| build | ping-pong ns (min / median / max) "
          "| unpark ns (min / median / max) |")
    print("|---|---|---|")
    for name, (pingpong, unpark) in runs.items():
        print(f"| {name} | {spread(pingpong, ns)} | {spread(unpark, ns)} |")
    print("\n| before / after | min / median / max |\n|---|---|")
    for i, what in enumerate(("ping-pong", "unpark()")):
        ratio = [a / b for a, b in zip(runs["before"][i], runs["after"][i])]
        print(f"| {what} | {spread(ratio, lambda x: f'{x:.2f}')} |")


if __name__ == "__main__":
    main()
