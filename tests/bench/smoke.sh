#!/bin/sh
# make check's quick pass over the benchmarks, once per library variant:
# every measurement runs and prints its figures (the full run is make
# bench) (TAP).
n=0
fail=0
for prog in ${PARK_BENCH_PROGRAMS:?}; do
	n=$((n + 1))
	if out=$(./"$prog" --smoke 2>&1) &&
		echo "$out" | grep -q 'libpark/this' &&
		echo "$out" | grep -q 'heap bytes per parker'; then
		echo "ok $n - benchmark smoke run, $(echo "$out" | head -n 1 | sed 's/.*bench, //; s/;.*//')"
	else
		echo "not ok $n - benchmark smoke run, $prog"
		fail=1
	fi
	echo "$out" | sed 's/^/# /'
done
echo "1..$n"
exit $fail
