#!/bin/sh
# make check's quick pass over the benchmarks: every measurement runs and
# prints its figures (the full run is make bench) (TAP).
n=0
fail=0
for sleeper in futex condvar; do
	n=$((n + 1))
	if out=$(./tests/bench/bench-$sleeper --smoke 2>&1) &&
		echo "$out" | grep -q 'libpark/this' &&
		echo "$out" | grep -q 'heap bytes per parker'; then
		echo "ok $n - benchmark smoke run, $sleeper sleeper"
	else
		echo "not ok $n - benchmark smoke run, $sleeper sleeper"
		fail=1
	fi
	echo "$out" | sed 's/^/# /'
done
echo "1..$n"
exit $fail
