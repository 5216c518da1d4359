#!/bin/sh
# Model-check tests/model/park.pml with spin (TAP, one line per variant).
# The correct state machine, with each sleeper, must verify with no error;
# each deliberately broken variant must give a counterexample.
#   run.sh          the quick model (every interleaving, single unparks)
#   run.sh --full   also lets each unparker unpark twice (minutes, GBs)
set -u
models="$(cd "${srcdir:-$(dirname "$0")/../..}/tests/model" && pwd)"
model=$models/park.pml
extra=
idle_jobs=-DNJOBS=1
[ "${1:-}" = "--full" ] && extra=-DEXTRA_UNPARK && idle_jobs=-DNJOBS=2
if ! command -v spin >/dev/null 2>&1; then
	echo "1..0 # SKIP spin is not installed"
	exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
fail=0
# verify NAME EXPECT FLAGS...: EXPECT is "pass" or "counterexample".
verify() {
	name=$1 expect=$2
	shift 2
	n=$((n + 1))
	dir="$work/$n"
	mkdir "$dir"
	(cd "$dir" && spin "$@" $extra -a "$model" >spin.out 2>&1 &&
		${CC:-cc} -O2 -w -DSAFETY -DCOLLAPSE -o pan pan.c &&
		./pan -m1000000 >pan.out 2>&1)
	out="$dir/pan.out"
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$out" 2>/dev/null)
	states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$out" 2>/dev/null)
	what=$(grep -m1 -E '^pan:[0-9]' "$out" 2>/dev/null | sed 's/^pan:[0-9]*: //')
	if [ "$expect" = pass ] && [ "$errors" = 0 ]; then
		echo "ok $n - $name: verified, $states states, no error"
	elif [ "$expect" = counterexample ] && [ -n "$errors" ] && [ "$errors" -gt 0 ]; then
		echo "ok $n - $name: caught ($what) after $states states"
	else
		echo "not ok $n - $name: expected $expect, got errors=${errors:-none}"
		sed 's/^/# /' "$dir/spin.out" "$out" 2>/dev/null | head -20
		fail=1
	fi
}
verify "condvar sleeper" pass
verify "futex sleeper" pass -DFUTEX
verify "sem sleeper" pass -DSEM
verify "unpark by CAS instead of swap (condvar)" counterexample -DBROKEN_CAS_UNPARK
verify "unpark by CAS instead of swap (futex)" counterexample -DFUTEX -DBROKEN_CAS_UNPARK
verify "condvar unpark without the mutex hand-off" counterexample -DBROKEN_NO_HANDOFF
verify "driver woken by a loopbreak flag (condvar)" counterexample -DBROKEN_LOOPBREAK
verify "driver woken by a loopbreak flag (futex)" counterexample -DFUTEX -DBROKEN_LOOPBREAK
verify "idle set: join, re-check, park (condvar)" pass -DIDLE $idle_jobs
verify "idle set: join, re-check, park (futex)" pass -DIDLE -DFUTEX $idle_jobs
verify "idle set without the re-check" counterexample -DIDLE -DBROKEN_NO_RECHECK $idle_jobs
verify "sem posted before the swap" counterexample -DSEM -DBROKEN_POST_FIRST
verify "spin before the sleeper (condvar)" pass -DSPIN
verify "spin before the sleeper (futex)" pass -DSPIN -DFUTEX
verify "spin before the sleeper (sem)" pass -DSPIN -DSEM
verify "idle set with spinning workers (futex)" pass -DIDLE -DSPIN -DFUTEX $idle_jobs
verify "spin, then PARKED_CONDVAR by a look and a store" counterexample -DSPIN -DFUTEX -DBROKEN_SPIN_PUBLISH
# (The searching variants run on the futex sleeper only: the idle-set
# variants above cover both sleepers under the same worker protocol.)
verify "idle set, searching: notify and the pass-on (futex)" pass -DIDLE -DSEARCH -DFUTEX -DNJOBS=2
verify "idle set, searching: the last searcher does not pass on" counterexample -DIDLE -DSEARCH -DBROKEN_NO_PASS_ON -DNJOBS=2
verify "idle set, searching, a searcher per queued job (futex)" pass -DIDLE -DSEARCH -DBOUNDED -DFUTEX -DNJOBS=2
verify "idle set, a searcher per queued job, no pass-on" counterexample -DIDLE -DSEARCH -DBOUNDED -DBROKEN_NO_PASS_ON -DNJOBS=2
model=$models/pool.pml
verify "pool batch: the worker's add against the cancel's exchange" pass
verify "pool batch: the cancel by a load and a store" counterexample -DBROKEN_LOAD_STORE
echo "1..$n"
exit $fail
