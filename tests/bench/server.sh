#!/bin/sh
# The server benchmark (docs/performance.md): docs/examples/http-server with
# W workers against single-threaded evhttp (-w 0), loaded by ab, for 0, 50
# and 200 microseconds of work per request, with and without keep-alive.
# Rounds alternate the two servers; requests/s and ab's 99th percentile are
# min / median / max over the rounds; "lost" comes from the server's own
# counters after a graceful shutdown. Markdown on stdout.
#
#   server.sh [rounds] [requests] [workers]
server=./docs/examples/http-server
. "$srcdir/tests/server-lib.sh"
rounds=${1:-5} requests=${2:-20000} workers=${3:-2}
concurrency=32
command -v ab >/dev/null 2>&1 || { echo "server.sh: needs ab (apache2-utils)" >&2; exit 1; }

# med3 "v1 v2 ...": "min / median / max"
spread() {
	echo "$1" | tr ' ' '\n' | grep . | sort -g | awk '
		{ v[NR] = $1 } END {
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%g / %g / %g", v[1], m, v[NR] }'
}

echo "| work | keep-alive | server | requests/s (min / median / max) | p99 ms (min / median / max) | lost | ratio (median) |"
echo "|---|---|---|---|---|---|---|"
for work in 0 50 200; do
	for ka in -k ""; do
		rps_pool= rps_one= p99_pool= p99_one= lost_pool=0 lost_one=0
		for r in $(seq "$rounds"); do
			for w in "$workers" 0; do
				server_start -w "$w" || exit 1
				out=$(server_load "$requests" "$concurrency" "$work" $ka)
				server_stop
				last=$server_last
				rps=$(echo "$out" | sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p')
				p99=$(echo "$out" | sed -n 's/^ *99% *\([0-9]*\).*/\1/p')
				lost=$(echo "$last" | sed -n 's/.* \([0-9]*\) lost$/\1/p')
				if [ "$w" = 0 ]; then
					rps_one="$rps_one $rps" p99_one="$p99_one $p99"
					lost_one=$((lost_one + ${lost:-1}))
				else
					rps_pool="$rps_pool $rps" p99_pool="$p99_pool $p99"
					lost_pool=$((lost_pool + ${lost:-1}))
				fi
			done
		done
		med() { spread "$1" | awk -F' / ' '{ print $2 }'; }
		ratio=$(awk -v a="$(med "$rps_pool")" -v b="$(med "$rps_one")" 'BEGIN { printf "%.2f", a / b }')
		kal=$([ -n "$ka" ] && echo yes || echo no)
		echo "| ${work} µs | $kal | libpark, $workers workers | $(spread "$rps_pool") | $(spread "$p99_pool") | $lost_pool | $ratio |"
		echo "| ${work} µs | $kal | evhttp, 1 thread | $(spread "$rps_one") | $(spread "$p99_one") | $lost_one | 1.00 |"
	done
done
echo
echo "$rounds rounds of $requests requests, $concurrency at a time, per cell; ab on the same machine."
