#!/bin/sh
# docs/examples/http-server under load from ab (apache2-utils): every
# request answered, none failed, and after SIGINT the server's own counters
# show no request lost, with workers and as single-threaded evhttp; then
# SIGINT while ab keeps sending, and a keep-alive request after it (TAP).
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

# Stopping under load: SIGINT while ab keeps sending on 32 keep-alive
# connections and on 200 connections of one request each. Whatever moment
# the signal lands in: exit 0, every request read answered (200, or 503
# once stopping began), nothing aborted.
if server_start -w 3; then
	ab -q -k -c 32 -n 1000000 -t 3 "http://127.0.0.1:$server_port/?work=20" >/dev/null 2>&1 &
	ka=$!
	ab -q -c 200 -n 1000000 -t 3 "http://127.0.0.1:$server_port/?work=20" >/dev/null 2>&1 &
	one=$!
	sleep 0.5
	server_stop
	status=$?
	last=$server_last
	wait $ka $one
	echo "# $last"
	check "under load: SIGINT exits 0 (no abort)" test "$status" = 0
	check "under load: every request read was answered" \
		sh -c 'echo "$1" | grep -Eq " ([0-9]+) requests accepted, \1 replied, 0 lost$"' - "$last"
else
	check "server with 3 workers starts" false
fi

# A keep-alive connection that sends after the stop began is answered 503
# with "Connection: close", or (past the server's last 100 ms) not read.
if command -v python3 >/dev/null 2>&1 && server_start -w 2; then
	verdict=$(python3 - "$server_port" "$server_pid" <<'PY'
import os, signal, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
def request(s):
    s.sendall(b"GET /?work=0 HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data.split(b"\r\n\r\n")[0].decode().lower()
s = socket.create_connection(("127.0.0.1", port))
first = request(s)
if not first or " 200 " not in first.splitlines()[0]:
    print("first request not answered 200"); sys.exit()
os.kill(pid, signal.SIGINT)
deadline = time.time() + 20
while time.time() < deadline:  # until the listener is closed
    try:
        socket.create_connection(("127.0.0.1", port)).close()
        time.sleep(0.001)
    except OSError:
        break
try:
    head = request(s)
except OSError:
    head = None
if head is None:
    print("ok: not read (the connection closed first)")
elif " 503 " in head.splitlines()[0] and "connection: close" in head:
    print("ok: 503 with connection: close")
else:
    print("wrong answer: " + head.splitlines()[0])
PY
)
	server_stop
	status=$?
	echo "# $verdict; $server_last"
	check "keep-alive after the stop: 503 and Connection: close" \
		sh -c 'case "$1" in ok*) exit 0;; esac; exit 1' - "$verdict"
	check "keep-alive after the stop: exit 0" test "$status" = 0
fi
echo "1..$n"
exit $fail
