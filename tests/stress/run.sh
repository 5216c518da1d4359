#!/bin/sh
# The short stress run of make check, on each sleeper (TAP).
n=0
fail=0
for sleeper in futex condvar; do
	n=$((n + 1))
	if out=$(./tests/stress/stress-$sleeper -o "${PARK_STRESS_OPS:-200000}" 2>&1); then
		echo "ok $n - stress, $sleeper sleeper: $(echo "$out" | tail -n 2 | head -n 1)"
	else
		echo "not ok $n - stress, $sleeper sleeper"
		fail=1
	fi
	echo "$out" | sed 's/^/# /'
done
echo "1..$n"
exit $fail
