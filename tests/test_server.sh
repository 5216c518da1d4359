#!/bin/sh
# docs/examples/http-server under load from ab (apache2-utils): every
# request answered, none failed, and after SIGINT the server's own counters
# show no request lost, with workers and as single-threaded evhttp (TAP).
server=./docs/examples/http-server
. "$srcdir/tests/server-lib.sh"
if ! command -v ab >/dev/null 2>&1; then
	echo "1..0 # SKIP ab is not installed (apt-get install apache2-utils)"
	exit 0
fi
n=0
fail=0
check() { # NAME CONDITION-OUTPUT...
	n=$((n + 1))
	name=$1
	shift
	if "$@"; then echo "ok $n - $name"; else echo "not ok $n - $name"; fail=1; fi
}
complete() { # REPORT N: ab completed N requests, none failed or non-2xx
	echo "$1" | grep -Eq "^Complete requests: +$2\$" &&
		echo "$1" | grep -Eq '^Failed requests: +0$' &&
		! echo "$1" | grep -q '^Non-2xx responses'
}
for workers in 3 0; do
	if ! server_start -w "$workers"; then
		check "server with $workers workers starts" false
		continue
	fi
	r1=$(server_load 2000 16 20 -k)
	check "$workers workers, keep-alive: 2000 of 2000 answered" complete "$r1" 2000
	r2=$(server_load 500 8 0)
	check "$workers workers, a connection per request: 500 of 500 answered" complete "$r2" 500
	server_stop
	status=$?
	last=$server_last
	echo "# $last"
	check "$workers workers: SIGINT exits cleanly" test "$status" = 0
	check "$workers workers: 2500 accepted, none lost" \
		test "$last" = "http-server: 2500 requests accepted, 2500 replied, 0 lost"
done
echo "1..$n"
exit $fail
