#!/bin/sh
# The server benchmark (docs/performance.md): docs/examples/http-server with
# W workers against single-threaded evhttp (-w 0), loaded by ab, for 0, 50
# and 200 microseconds of work per request, with and without keep-alive.
# Rounds alternate the two servers; requests/s and ab's 99th percentile are
# min / median / max over the rounds, the ratio is taken round by round;
# "lost" comes from the server's own counters after a graceful shutdown.
# Markdown on stdout.
#
#   server.sh [rounds] [requests] [workers]
server=./docs/examples/http-server
. "$srcdir/tests/server-lib.sh"
rounds=${1:-5} requests=${2:-20000} workers=${3:-2}
concurrency=32
command -v ab >/dev/null 2>&1 || { echo "server.sh: needs ab (apache2-utils)" >&2; exit 1; }

# spread "v1 v2 ...": "min / median / max"
spread() {
	echo "$1" | tr ' ' '\n' | grep . | sort -g | awk '
		{ v[NR] = $1 } END {
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			f = m < 10 ? "%.2f" : "%.0f"
			printf f " / " f " / " f, v[1], m, v[NR] }'
}

echo
echo "## HTTP server"
echo
echo "docs/examples/http-server with $workers workers parked on one driver (the loop"
echo "thread reads requests, workers run them and post the replies back) against"
echo "the same program with -w 0, plain single-threaded evhttp. ab sends"
echo "$requests requests, $concurrency at a time, from the same machine; each request"
echo "asks for the given microseconds of busy work. $rounds rounds, the two servers"
echo "taking turns; the ratio is libpark's requests/s over evhttp's, round by"
echo "round. Lost: requests the server accepted and never answered, from its own"
echo "counters after a graceful shutdown, summed over the rounds."
echo
echo "| work | keep-alive | server | requests/s (min / median / max) | p99 ms (min / median / max) | lost | libpark / evhttp requests/s (min / median / max) |"
echo "|---|---|---|---|---|---|---|"
for work in 0 50 200; do
	for ka in -k ""; do
		rps_pool= rps_one= p99_pool= p99_one= ratios= lost_pool=0 lost_one=0
		for r in $(seq "$rounds"); do
			for w in "$workers" 0; do
				server_start -w "$w" || exit 1
				out=$(server_load "$requests" "$concurrency" "$work" $ka)
				server_stop
				last=$server_last
				rps=$(echo "$out" | sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p')
				p99=$(echo "$out" | sed -n 's/^ *99% *\([0-9]*\).*/\1/p')
				lost=$(echo "$last" | sed -n 's/.* \([0-9]*\) lost$/\1/p')
				if [ -z "$rps" ] || [ -z "$p99" ]; then
					echo "server.sh: ab failed:" >&2
					echo "$out" >&2
					exit 1
				fi
				if [ "$w" = 0 ]; then
					rps_one="$rps_one $rps" p99_one="$p99_one $p99"
					lost_one=$((lost_one + ${lost:-1}))
					ratios="$ratios $(awk -v a="$rps_w" -v b="$rps" 'BEGIN { print a / b }')"
				else
					rps_pool="$rps_pool $rps" p99_pool="$p99_pool $p99"
					lost_pool=$((lost_pool + ${lost:-1}))
					rps_w=$rps
				fi
			done
		done
		kal=$([ -n "$ka" ] && echo yes || echo no)
		echo "| ${work} µs | $kal | libpark, $workers workers | $(spread "$rps_pool") | $(spread "$p99_pool") | $lost_pool | $(spread "$ratios") |"
		echo "| ${work} µs | $kal | evhttp, 1 thread | $(spread "$rps_one") | $(spread "$p99_one") | $lost_one | |"
	done
done

# The graceful stop under load: SIGINT half a second into ab -k -c 32 and
# ab -c 200 (20 µs of work each), once per round.
echo
echo "### Stopping under load"
echo
echo "SIGINT while \`ab -k -c 32\` and \`ab -c 200\` keep sending, $rounds rounds:"
echo "the server's exit status, and its counters (every request it read must"
echo "have a response: 200, or 503 once stopping began)."
echo
echo "| round | exit | accepted | replied | lost | answered 503 |"
echo "|---|---|---|---|---|---|"
for r in $(seq "$rounds"); do
	server_start -w "$workers" || exit 1
	ab -q -k -c 32 -n 10000000 -t 3 "http://127.0.0.1:$server_port/?work=20" >/dev/null 2>&1 &
	ka=$!
	ab -q -c 200 -n 10000000 -t 3 "http://127.0.0.1:$server_port/?work=20" >/dev/null 2>&1 &
	one=$!
	sleep 0.5
	out=$server_out
	kill -INT "$server_pid"
	wait "$server_pid"
	status=$?
	wait $ka $one
	refused=$(sed -n 's/^http-server: \([0-9]*\) answered 503.*/\1/p' "$out")
	set -- $(sed -n 's/^http-server: \([0-9]*\) requests accepted, \([0-9]*\) replied, \([0-9]*\) lost$/\1 \2 \3/p' "$out")
	rm -f "$out"
	echo "| $r | $status | ${1:-?} | ${2:-?} | ${3:-?} | ${refused:-?} |"
done
