#!/bin/sh
# make bench: every benchmark of the project, one Markdown report on
# stdout, from which docs/performance.md's figures are pasted unedited.
# Progress goes to stderr as each part finishes.
#
#   run.sh [--smoke]
#
# --smoke (make check) runs every part with tiny counts. The environment
# comes from make (AM_TESTS_ENVIRONMENT and the bench rule): the programs
# of each variant, the server, $PYTHON, $PARK_BENCH_CC and
# $PARK_BENCH_CFLAGS; BENCH_RUNS sets the rounds of every table (default 9).
set -u
smoke=
[ "${1:-}" = --smoke ] && smoke=--smoke
rounds=${BENCH_RUNS:-9}
# Operations for the system-call counts: the difference between a large
# and a tiny run, so that setup cancels; repeated for the spread.
big=20000 tiny=2000 repeats=5
pool_big=10000 pool_tiny=1000 pool_repeats=3
server_rounds=5 server_requests=20000
if [ -n "$smoke" ]; then
	rounds=3 big=200 tiny=20 repeats=2
	pool_big=100 pool_tiny=10 pool_repeats=1
	server_rounds=1 server_requests=200
fi

body=$(mktemp)
trap 'rm -f "$body" "$body.part"' EXIT
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
load_before=$(loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
# Stamped in the report and, by tests/bench/plot.sh, in every figure drawn
# from it: smoke.sh tells a figure from another run by it.
run_id=$(date -u '+%Y%m%dT%H%M%SZ')-$$

# part TITLE COMMAND...: runs COMMAND, its stdout into the report (and to
# stderr as it comes, for whoever watches); a failure fails the run.
part() {
	title=$1
	shift
	echo "bench: $title" >&2
	if ! "$@" >"$body.part"; then
		echo "bench: $title failed" >&2
		cat "$body.part" >&2
		exit 1
	fi
	cat "$body.part" >>"$body"
	cat "$body.part" >&2
}

# ---- system calls ------------------------------------------------------

# How system calls are counted here: perf's tracepoints where the kernel
# lets perf read them, else strace (slower, but the counts are the same).
if perf stat -e raw_syscalls:sys_enter true >/dev/null 2>&1; then
	counter=perf
elif command -v strace >/dev/null 2>&1; then
	counter=strace
else
	counter=
fi

# count PROGRAM ARGS...: "all futex_wake futex epoll_wait write read"
# for one run.
count() {
	if [ "$counter" = perf ]; then
		perf stat -x, -e raw_syscalls:sys_enter \
			-e syscalls:sys_enter_futex --filter 'op == 129' \
			-e syscalls:sys_enter_futex \
			-e syscalls:sys_enter_epoll_wait \
			-e syscalls:sys_enter_write -e syscalls:sys_enter_read \
			"$@" 2>&1 >/dev/null | awk -F, '{ printf "%s ", $1 } END { print "" }'
	else
		trace=$(mktemp)
		strace -f -qq -o "$trace" "$@" >/dev/null 2>&1
		# A call split by another thread's is counted at its start.
		awk '/resumed>/ || /^[0-9]+ +\+\+\+/ || /^[0-9]+ +---/ { next }
			{ all++ }
			/ futex\(.*FUTEX_WAKE_PRIVATE/ { wake++ }
			/ futex\(/ { futex++ }
			/ epoll_wait\(/ { ep++ }
			/ write\(/ { wr++ }
			/ read\(/ { rd++ }
			END { printf "%d %d %d %d %d %d\n", all, wake, futex, ep, wr, rd }' "$trace"
		rm -f "$trace"
	fi
}

# per_op N_BIG N_TINY REPEATS LABEL PROGRAM ARGS... (the count goes last):
# a table row, each column min / median / max over the repeats of
# (count(N_BIG) - count(N_TINY)) / (N_BIG - N_TINY).
per_op() {
	nb=$1 nt=$2 reps=$3 label=$4
	shift 4
	runs=
	for _ in $(seq "$reps"); do
		b=$(count "$@" "$nb")
		t=$(count "$@" "$nt")
		runs="$runs$b|$t
"
	done
	printf '%s' "$runs" | awk -F'|' -v n="$((nb - nt))" -v label="$label" '
		function spread(col,   i, j, k, v, t, m) {
			k = 0
			for (i = 1; i <= NR; i++) v[++k] = d[i, col]
			for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
				if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
			m = k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
			return sprintf("%.3f / %.3f / %.3f", v[1], m, v[k])
		}
		{
			split($1, b, " "); split($2, t, " ")
			for (c = 1; c <= 6; c++) d[NR, c] = (b[c] - t[c]) / n
		}
		END {
			printf "| %s |", label
			for (c = 1; c <= 6; c++) printf " %s |", spread(c)
			printf "\n"
		}'
}

# unwrapped PROGRAM: the command that runs PROGRAM itself. A program linked
# with the uninstalled libpark.so is a libtool wrapper script, which forks
# sed and ls before it execs the program: their system calls vary from run
# to run and would be counted too.
unwrapped() {
	dir=$(dirname "$1") base=$(basename "$1")
	if [ "$(head -c 2 "$1")" = "#!" ] && [ -x "$dir/${objdir:-.libs}/$base" ]; then
		echo "env LD_LIBRARY_PATH=libpark/${objdir:-.libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} $dir/${objdir:-.libs}/$base"
	else
		echo "$1"
	fi
}

syscall_header() { # TITLE TEXT
	printf '\n## %s\n\n%s\n\n' "$1" "$2"
	echo "| | all | futex wake | futex, any | epoll_wait | write | read |"
	echo "|---|---|---|---|---|---|---|"
}

syscalls_c() {
	prog=./tests/bench/bench-futex
	[ -x "$prog" ] || prog=./$(echo "$PARK_BENCH_PROGRAMS" | cut -d' ' -f1)
	syscall_header "System calls per operation" \
"Counted by $counter, for $prog: the calls of a run of $big operations minus those of a run of $tiny, over $((big - tiny)), so that setup and teardown cancel; min / median / max over $repeats such pairs of runs. pingpong, driver_rt and the spin rows count both threads of a round trip. futex wake is FUTEX_WAKE_PRIVATE; \"futex, any\" includes it."
	for op in self_pair self_pair_raw pingpong pingpong_raw \
		pingpong_spin20us driver_rt driver_rt_libevent; do
		per_op "$big" "$tiny" "$repeats" "$op" $(unwrapped "$prog") --syscalls "$op" --count
	done
}

syscalls_pool() {
	prog=./tests/bench/pool-futex
	[ -x "$prog" ] || prog=./$(echo "$PARK_POOL_PROGRAMS" | cut -d' ' -f1)
	syscall_header "System calls per job, worker pool" \
"Counted by $counter, for $prog: a run of $pool_big jobs minus a run of $pool_tiny, over $((pool_big - pool_tiny)); min / median / max over $pool_repeats such pairs. Every thread of the process is counted: the producer's wakes and the workers' sleeps."
	for mode in saturated sparse; do
		for impl in condvar libpark; do
			for w in 1 2 4 16; do
				per_op "$pool_big" "$pool_tiny" "$pool_repeats" \
					"$mode, $impl, W=$w" $(unwrapped "$prog") --syscalls "$mode" \
					--impl "$impl" --workers "$w" --count
			done
		done
	done
}

# ---- the parts ----------------------------------------------------------

for prog in ${PARK_BENCH_PROGRAMS:?}; do
	part "$prog" ./"$prog" $smoke --rounds "$rounds"
done
if [ -n "$counter" ]; then
	part "system calls" syscalls_c
else
	printf '\n## System calls per operation\n\nNeither perf (with tracepoints) nor strace works here: not counted.\n' >>"$body"
fi

for prog in ${PARK_POOL_PROGRAMS:-}; do
	part "$prog" ./"$prog" $smoke --rounds "$rounds"
done
if [ -n "${PARK_POOL_PROGRAMS:-}" ] && [ -n "$counter" ]; then
	part "pool system calls" syscalls_pool
fi

# The library's pool against the condvar pool, GThreadPool and
# uv_queue_work, and their system calls per job.
syscalls_peers() {
	prog=$PARK_PEERS_PROGRAM
	syscall_header "System calls per job, pools compared" \
"Counted by $counter, for $prog: a run of $pool_big jobs minus a run of $pool_tiny, over $((pool_big - pool_tiny)); min / median / max over $pool_repeats such pairs. Every thread of the process is counted (libuv's loop thread too)."
	for mode in saturated sparse; do
		for impl in park_pool condvar GThreadPool uv_queue_work; do
			for w in 1 2 4 16; do
				if ! $(unwrapped "$prog") --syscalls "$mode" --impl "$impl" \
					--workers 1 --count 1 >/dev/null 2>&1; then
					echo "| $mode, $impl, W=$w | not built | | | | | |"
					continue
				fi
				per_op "$pool_big" "$pool_tiny" "$pool_repeats" \
					"$mode, $impl, W=$w" $(unwrapped "$prog") --syscalls "$mode" \
					--impl "$impl" --workers "$w" --count
			done
		done
	done
}
if [ -n "${PARK_PEERS_PROGRAM:-}" ]; then
	part "pools compared" ./"$PARK_PEERS_PROGRAM" $smoke --rounds "$rounds"
	if [ -n "$counter" ]; then
		part "pools compared, system calls" syscalls_peers
	fi
fi

if [ -n "${PARK_SERVER_PROGRAM:-}" ] && command -v ab >/dev/null 2>&1; then
	part "HTTP server" $SHELL "$srcdir/tests/bench/server.sh" \
		"$server_rounds" "$server_requests"
else
	printf '\n## HTTP server\n\nNot measured here: it needs evhttp (libevent_extra) and ab (apache2-utils).\n' >>"$body"
fi

if [ -n "${PYTHON:-}" ]; then
	part "Python" "$PYTHON" "$srcdir/python/bench/bench_park.py" $smoke \
		--rounds "$rounds"
	part "Python executor" "$PYTHON" \
		"$srcdir/python/bench/bench_executor.py" $smoke --rounds "$rounds"
else
	printf '\n## Python\n\nNot measured: this build has no Python module (configure --enable-python).\n' >>"$body"
fi

# ---- the report ------------------------------------------------------------

load_after=$(loadavg)
if [ -e "$srcdir/.git" ]; then
	commit=$(git -C "$srcdir" describe --always --dirty --tags 2>/dev/null) ||
		commit="not a git checkout"
else
	commit="not a git checkout"
fi
cpu=$(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo | head -n 1)
virt=
grep -qw hypervisor /proc/cpuinfo && virt=", virtual machine"
os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
versions=$(./$(echo "$PARK_BENCH_PROGRAMS" | cut -d' ' -f1) --version |
	sed 's/ ([a-z]* sleeper)//')
echo "## The run"
echo
echo "| | |"
echo "|---|---|"
echo "| command | make bench${smoke:+ (smoke: tiny counts)}, $rounds rounds per table |"
echo "| machine | ${cpu:-unknown CPU}, $(nproc) CPUs$virt |"
echo "| system | ${os:-unknown}, $(uname -srm) |"
echo "| compiler | $(${PARK_BENCH_CC:-cc} --version 2>/dev/null | head -n 1), CFLAGS ${PARK_BENCH_CFLAGS:-none} |"
echo "| libraries | $versions |"
echo "| date | $started |"
echo "| run id | $run_id |"
echo "| commit | $commit |"
echo "| load average (1, 5, 15 min) | before: $load_before; after: $load_after |"
cat "$body"
