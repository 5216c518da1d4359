#!/bin/sh
# make bench: the full benchmark run (docs/performance.md). Both sleepers,
# system calls per operation counted by perf, and the Python comparison.
set -u
echo "== $(uname -srm); $(nproc) CPUs; $(date -u +%Y-%m-%d)"
for prog in ${PARK_BENCH_PROGRAMS:?}; do
	echo
	echo "== C benchmarks, $prog"
	./"$prog" --runs "${BENCH_RUNS:-9}" || exit 1
done

echo
echo "== system calls per operation (perf, tracepoints; count of 20000 minus count of 0)"
if perf stat -e raw_syscalls:sys_enter true >/dev/null 2>&1; then
	events=raw_syscalls:sys_enter,syscalls:sys_enter_futex,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_write,syscalls:sys_enter_read
	count() { # op n -> "total futex epoll_wait write read"
		perf stat -x, -e "$events" ./tests/bench/bench-futex --syscalls "$1" "$2" 2>&1 >/dev/null |
			awk -F, '{ printf "%s ", $1 }'
	}
	printf '  %-20s %8s %8s %8s %8s %8s   (per operation)\n' op all futex epoll_wait write read
	for op in self_pair pingpong pingpong_futex driver_rt driver_rt_libevent; do
		set -- $(count $op 20000)
		full="$*"
		set -- $(count $op 0)
		base="$*"
		echo "$full|$base" | awk -F'|' -v op="$op" '{
			split($1, f, " "); split($2, b, " ");
			printf "  %-20s", op;
			for (i = 1; i <= 5; i++) printf " %8.3f", (f[i] - b[i]) / 20000;
			printf "\n" }'
	done
	echo "  (pingpong and driver_rt count both threads: divide by 2 per thread)"
else
	echo "  perf cannot read syscall tracepoints here; skipped"
fi

for prog in ${PARK_POOL_PROGRAMS:-}; do
	echo
	echo "== worker pool, $prog"
	./"$prog" --runs "${BENCH_RUNS:-9}" || exit 1
done

echo
echo "== system calls per job, worker pool (perf; count of 20000 jobs minus count of 0)"
if [ -x ./tests/bench/pool-futex ] && perf stat -e raw_syscalls:sys_enter true >/dev/null 2>&1; then
	events=raw_syscalls:sys_enter,syscalls:sys_enter_futex,syscalls:sys_enter_write
	pool_count() { # mode impl W n -> "total futex write"
		perf stat -x, -e "$events" ./tests/bench/pool-futex --syscalls "$1" "$2" "$3" "$4" 2>&1 >/dev/null |
			awk -F, '{ printf "%s ", $1 }'
	}
	printf '  %-10s %-8s %3s %8s %8s %8s   (per job)\n' mode impl W all futex write
	for mode in saturated sparse; do
		for impl in condvar libpark; do
			for w in 1 2 4 16; do
				full=$(pool_count $mode $impl $w 20000)
				base=$(pool_count $mode $impl $w 0)
				echo "$full|$base" | awk -F'|' -v m=$mode -v i=$impl -v w=$w '{
					split($1, f, " "); split($2, b, " ");
					printf "  %-10s %-8s %3d", m, i, w;
					for (k = 1; k <= 3; k++) printf " %8.3f", (f[k] - b[k]) / 20000;
					printf "\n" }'
			done
		done
	done
else
	echo "  perf cannot read syscall tracepoints here (or no futex build); skipped"
fi

if [ -n "${PYTHON:-}" ]; then
	echo
	echo "== Python: park against threading.Event"
	"$PYTHON" "$srcdir/python/bench/bench_park.py"
fi
