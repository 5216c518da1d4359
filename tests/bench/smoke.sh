#!/bin/sh
# make check's pass over every benchmark: tests/bench/run.sh --smoke, the
# whole of make bench with tiny counts. Each part must have produced its
# tables, and what holds at any count must hold: the self_pair fast path
# makes no system call, and no wake is made on an empty idle set (TAP).
report=$(mktemp)
trap 'rm -f "$report"' EXIT
# pool-peers runs each round in a forked child of a threaded process, which
# ThreadSanitizer refuses ("starting new threads after multi-threaded fork").
case "${PARK_BENCH_CFLAGS:-}" in
*-fsanitize=thread*)
	echo "# pools compared: not under ThreadSanitizer (its rounds fork)"
	unset PARK_PEERS_PROGRAM ;;
esac
$SHELL "$srcdir/tests/bench/run.sh" --smoke >"$report" 2>/dev/null
status=$?
n=0
fail=0
check() { # NAME COMMAND...
	n=$((n + 1))
	name=$1
	shift
	if "$@"; then echo "ok $n - $name"; else echo "not ok $n - $name"; fail=1; fi
}
# section HEADING: the lines of the section whose heading line starts with
# HEADING, up to the next section of its level.
section() {
	awk -v h="$1" 'index($0, h) == 1 { on = 1; next } on && /^## / { exit } on' "$report"
}
tables() { section "$1" | grep -c '^### '; }
has() { grep -qF -- "$1" "$report"; }

check "run.sh --smoke exits 0" test "$status" = 0
check "the header names the machine, load and commit" \
	sh -c "grep -q '^| machine | ' '$report' && grep -q '^| load average' '$report' && grep -q '^| commit | ' '$report'"
for prog in $PARK_BENCH_PROGRAMS; do
	sleeper=${prog##*-}
	heading="## C benchmarks, $sleeper sleeper ("
	check "$sleeper: 9 tables" test "$(tables "$heading")" = 9
	check "$sleeper: every spin budget measured, twice" \
		test "$(section "$heading" | grep -c "^| libpark, spin [0-9]* us |")" = 8
done
if ! has "Neither perf"; then
	check "system calls counted for 7 operations" \
		test "$(section "## System calls per operation" | grep -c '^| [a-z_0-9]* |')" = 7
	# self_pair's row: every column's median is below 0.1 calls per
	# pair. Not exactly 0: with smoke counts one stray call of a runtime
	# (the dynamic loader's) moves "all" by 1/180. A sanitizer's runtime
	# makes calls of its own on a clock, which "all" counts: there the
	# named calls (futex, epoll_wait, write, read) must still be 0.
	first=3
	case "${PARK_BENCH_CFLAGS:-}" in *-fsanitize=*) first=4 ;; esac
	check "self_pair makes no system call" \
		sh -c "grep '^| self_pair |' '$report' | awk -F'|' -v first=$first '{ for (i = first; i <= 8; i++) { split(\$i, v, \" / \"); if (v[2] + 0 >= 0.1) exit 1 } }'"
else
	echo "# no system-call counter (perf or strace) here"
fi
for prog in $PARK_POOL_PROGRAMS; do
	sleeper=${prog##*-}
	check "pool, $sleeper: 4 tables" test "$(tables "## Worker pool, $sleeper sleeper (")" = 4
done
if ! has "Neither perf"; then
	check "pool: system calls counted for 16 configurations" \
		test "$(section "## System calls per job, worker pool" | grep -c '^| [a-z]*, [a-z]*, W=')" = 16
fi
check "pool: no wake on an empty idle set" sh -c "! grep -q unexpected '$report'"
if [ -n "${PARK_PEERS_PROGRAM:-}" ]; then
	check "pools compared: 5 tables (the sparse CDF too)" test "$(tables "## Pools compared (")" = 5
	if ! has "Neither perf"; then
		check "pools compared: system calls for 32 configurations" \
			test "$(section "## System calls per job, pools compared" | grep -c '^| [a-z]*, [a-zA-Z_]*, W=')" = 32
	fi
fi
if [ -n "${PARK_SERVER_PROGRAM:-}" ] && command -v ab >/dev/null 2>&1; then
	check "HTTP server: 12 rows, no lost request" \
		sh -c "test \"\$(grep -c '^| [0-9]* µs |' '$report')\" = 12 &&
			grep '^| [0-9]* µs |' '$report' | awk -F'|' '\$7 + 0 != 0 { exit 1 }'"
else
	echo "# HTTP server not measured (no evhttp or no ab)"
fi
if [ -n "${PYTHON:-}" ]; then
	check "Python: 2 tables" test "$(tables "## Python: park against threading.Event")" = 2
	check "Python executor: 3 tables (W = 1, 2, 4)" test "$(tables "## Python: park.Executor against ThreadPoolExecutor")" = 3
else
	echo "# Python not measured (no module in this build)"
fi
# Bad arguments: a message on stderr, nothing on stdout, status 2.
refused() { # PROGRAM ARGS...
	out=$("$@" 2>"$report.err")
	status=$?
	test "$status" = 2 && test -z "$out" && test -s "$report.err"
}
bench=./$(echo "$PARK_BENCH_PROGRAMS" | cut -d' ' -f1)
pool=./$(echo "$PARK_POOL_PROGRAMS" | cut -d' ' -f1)
check "bench refuses --rounds 0" refused "$bench" --rounds 0
check "bench refuses --rounds 32" refused "$bench" --rounds 32
check "bench refuses --only with an unknown table" refused "$bench" --only self_pair,nope
check "bench refuses an unknown --syscalls operation" refused "$bench" --syscalls nope --count 10
check "bench refuses --syscalls without --count" refused "$bench" --syscalls self_pair
check "bench refuses --count 1.5" refused "$bench" --syscalls self_pair --count 1.5
check "bench refuses a stray argument" refused "$bench" self_pair
check "pool refuses --rounds x" refused "$pool" --rounds x
check "pool refuses an unknown mode" refused "$pool" --syscalls fast --impl libpark --workers 2 --count 10
check "pool refuses 17 workers" refused "$pool" --syscalls sparse --impl libpark --workers 17 --count 10
if [ -n "${PYTHON:-}" ]; then
	check "Python bench refuses --rounds 0" refused "$PYTHON" "$srcdir/python/bench/bench_park.py" --rounds 0
	check "Python executor bench refuses --rounds 0" refused "$PYTHON" "$srcdir/python/bench/bench_executor.py" --rounds 0
fi
# The figures: each drawn from a report carries that report's run id, and
# the committed ones (docs/plots/) the id of the report pasted into
# docs/performance.md: a figure from another run than its table fails.
plot="$srcdir/tests/bench/plot.sh"
runid() { $SHELL "$plot" --run-id "$1"; }
same_run() { # REPORT SVG...
	want=$(runid "$1")
	shift
	test -n "$want" || return 1
	for f in "$@"; do
		test "$(runid "$f")" = "$want" || { echo "# $f: run $(runid "$f"), its table's: $want"; return 1; }
	done
}
check "the report has a run id" test -n "$(runid "$report")"
if command -v gnuplot >/dev/null 2>&1; then
	figures=$(mktemp -d)
	check "the figures are drawn from the report" $SHELL "$plot" "$report" "$figures"
	check "each figure carries its report's run id" same_run "$report" \
		"$figures/spin.svg" "$figures/fanout.svg" \
		"$figures/pool-saturated.svg" "$figures/pool-sparse.svg" \
		$(ls "$figures"/server.svg "$figures"/pool-sparse-cdf-w*.svg 2>/dev/null)
	rm -rf "$figures"
else
	echo "# gnuplot not installed: figures not drawn (make bench needs it)"
fi
check "docs/plots come from the run pasted in docs/performance.md" same_run \
	"$srcdir/docs/performance.md" "$srcdir"/docs/plots/*.svg
rm -f "$report.err"
echo "1..$n"
sed 's/^/# /' "$report"
exit $fail
