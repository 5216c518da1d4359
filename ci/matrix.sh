#!/bin/sh
# The portable paths, run on Linux (docs/reliability.md, "What is tested
# where"). Each configuration gets a build of its own under DIR and runs
# make check-platform there (the C suite on every sleeper variant, the
# stress run, and the bindings' tests where built):
#
#   pipe-condvar   --with-wake=pipe --with-sleeper=condvar, and no
#                  pthread_condattr_setclock (the condvar waits on
#                  CLOCK_REALTIME and re-checks the monotonic clock)
#   sem            --with-sleeper=sem without sem_clockwait (sem_timedwait
#                  on CLOCK_REALTIME, as before glibc 2.30)
#   poll, select   the default build's tests under EVENT_NOEPOLL=1, and
#                  EVENT_NOEPOLL=1 EVENT_NOPOLL=1 (level-triggered wake
#                  channel, drained)
#
#   tests/matrix.sh [DIR]     (default DIR: _build-matrix in the source tree)
#
# PARK_MATRIX_DEFAULT_BUILD=dir uses an existing default build for the two
# backend runs instead of making one. Output is TAP, one line per
# configuration; the exit status is non-zero on any failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-$top/_build-matrix}
jobs=$(nproc 2>/dev/null || echo 2)
n=0
fail=0
mkdir -p "$root"
root=$(cd "$root" && pwd)
[ -x "$top/configure" ] || "$top/autogen.sh" >/dev/null

# build NAME CONFIGURE-ARGS...: configure (once) and build $root/NAME.
build() {
	dir="$root/$1"
	shift
	mkdir -p "$dir"
	(cd "$dir" && { [ -f Makefile ] || "$top/configure" -q "$@"; } &&
		make -s -j"$jobs" >build.log 2>&1) || {
		echo "# build in $dir failed:"
		tail -n 20 "$dir/build.log" 2>/dev/null | sed 's/^/#   /'
		return 1
	}
}

# check NAME DIR [VAR=VALUE...]: make check-platform in DIR with the
# environment given; one TAP line from its test-suite.log.
check() {
	name=$1 dir=$2
	shift 2
	n=$((n + 1))
	start=$(date +%s)
	(cd "$dir" && env "$@" make -s -j"$jobs" check-platform >check.log 2>&1)
	rc=$?
	secs=$(($(date +%s) - start))
	log="$dir/test-suite.log"
	total=$(awk '/^# TOTAL:/ { print $3 }' "$log" 2>/dev/null)
	bad=$(awk '/^# (FAIL|ERROR|XPASS):/ { n += $3 } END { print n + 0 }' "$log" 2>/dev/null)
	if [ "$rc" = 0 ] && [ -n "$total" ] && [ "$bad" = 0 ]; then
		echo "ok $n - $name: $total tests passed ($secs s)"
	else
		echo "not ok $n - $name: ${bad:-?} of ${total:-?} tests failed (make: $rc, $secs s)"
		grep -hE '^(not ok|ERROR|FAIL)' "$dir"/tests/*.log "$dir"/tests/*/*.log \
			"$dir"/python/tests/*.log 2>/dev/null | sed 's/^/# /' | head -n 20
		fail=1
	fi
	grep -h '^# backend' "$dir/tests/check-wake.log" 2>/dev/null | head -n 1
}

configs_started=$(date +%s)
if build pipe-condvar --with-wake=pipe --with-sleeper=condvar \
	ac_cv_func_pthread_condattr_setclock=no --disable-python --disable-lua; then
	check "pipe wake, condvar sleeper without pthread_condattr_setclock" \
		"$root/pipe-condvar"
else
	n=$((n + 1)); echo "not ok $n - pipe-condvar: build failed"; fail=1
fi
if build sem --with-sleeper=sem ac_cv_func_sem_clockwait=no \
	--disable-python --disable-lua; then
	check "sem sleeper without sem_clockwait" "$root/sem"
else
	n=$((n + 1)); echo "not ok $n - sem: build failed"; fail=1
fi

default=${PARK_MATRIX_DEFAULT_BUILD:-}
if [ -z "$default" ]; then
	default="$root/default"
	build default || default=
fi
if [ -n "$default" ]; then
	check "poll backend (EVENT_NOEPOLL=1)" "$default" EVENT_NOEPOLL=1
	check "select backend (EVENT_NOEPOLL=1 EVENT_NOPOLL=1)" "$default" \
		EVENT_NOEPOLL=1 EVENT_NOPOLL=1
else
	n=$((n + 1)); echo "not ok $n - default build failed"; fail=1
fi
echo "1..$n"
echo "# matrix: $(($(date +%s) - configs_started)) s in all"
exit $fail
