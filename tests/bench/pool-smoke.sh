#!/bin/sh
# make check's quick pass over the pool benchmark, once per library
# variant: every mode runs for every pool size and prints its figures, and
# no wake was made on an empty set (TAP). The full run is make bench.
n=0
fail=0
for prog in ${PARK_POOL_PROGRAMS:?}; do
	n=$((n + 1))
	if out=$(./"$prog" --smoke 2>&1) &&
		[ "$(echo "$out" | grep -c 'libpark/condvar')" -eq 12 ] &&
		echo "$out" | grep -q 'park_idle_unpark_one' &&
		! echo "$out" | grep -q 'unexpected'; then
		echo "ok $n - pool benchmark smoke run, $(echo "$out" | head -n 1 | sed 's/.*bench, //; s/;.*//')"
	else
		echo "not ok $n - pool benchmark smoke run, $prog"
		fail=1
	fi
	echo "$out" | sed 's/^/# /'
done
echo "1..$n"
exit $fail
