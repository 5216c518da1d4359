#!/bin/sh
# The short stress run of make check, once per library variant (TAP), and
# the pool's. Each program names the sleeper it was linked with.
n=0
fail=0
for prog in ${PARK_STRESS_PROGRAMS:?}; do
	n=$((n + 1))
	if out=$(./"$prog" -o "${PARK_STRESS_OPS:-200000}" 2>&1); then
		echo "ok $n - $prog: $(echo "$out" | tail -n 2 | head -n 1 | sed 's/^stress: //')"
	else
		echo "not ok $n - $prog"
		fail=1
	fi
	echo "$out" | sed 's/^/# /'
done
for prog in ${PARK_POOL_STRESS_PROGRAMS:-}; do
	n=$((n + 1))
	if out=$(./"$prog" -o "${PARK_POOL_STRESS_JOBS:-100000}" 2>&1); then
		echo "ok $n - $prog: $(echo "$out" | tail -n 2 | head -n 1 | sed 's/^stress: //')"
	else
		echo "not ok $n - $prog"
		fail=1
	fi
	echo "$out" | sed 's/^/# /'
done
echo "1..$n"
exit $fail
