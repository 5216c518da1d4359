# Shell functions shared by the server test and benchmark: start
# docs/examples/http-server on a free port, load it with ab, stop it.
# Sourced; needs $server (the program).

# server_start ARGS...: starts it, sets $server_pid and $server_port.
server_start() {
	server_out=$(mktemp)
	"$server" -p 0 -a "$@" >"$server_out" 2>&1 &
	server_pid=$!
	server_port=
	for _ in $(seq 200); do
		server_port=$(sed -n 's/^listening on //p' "$server_out")
		[ -n "$server_port" ] && return 0
		sleep 0.05
	done
	echo "server did not start:" >&2
	cat "$server_out" >&2
	return 1
}

# server_stop: SIGINT, wait; sets $server_last to its last line of output
# and returns its status. (Not in a $(...): a subshell cannot wait for it.)
server_stop() {
	kill -INT "$server_pid"
	wait "$server_pid"
	server_status=$?
	server_last=$(tail -n 1 "$server_out")
	rm -f "$server_out"
	return $server_status
}

# server_load N C WORK_US [-k]: ab's report for N requests, C at a time.
server_load() {
	n=$1 c=$2 work=$3
	shift 3
	ab -q -n "$n" -c "$c" "$@" "http://127.0.0.1:$server_port/?work=$work" 2>&1
}
