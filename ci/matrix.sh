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
#   ci/matrix.sh [DIR]     (default DIR: _build-matrix in the source tree)
#
# PARK_MATRIX_DEFAULT_BUILD=dir uses an existing default build for the two
# backend runs instead of making one. Output is TAP, one line per
# configuration; the exit status is non-zero on any failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/ci/lib.sh"
root=${1:-$top/_build-matrix}
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
	start=$(date +%s)
	(cd "$dir" && env "$@" make -s -j"$jobs" check-platform >check.log 2>&1)
	rc=$?
	secs=$(($(date +%s) - start))
	suite_totals "$dir"
	if [ "$rc" = 0 ] && [ -n "$total" ] && [ "$bad" = 0 ]; then
		tap 0 "$name: $total tests passed ($secs s)"
	else
		tap 1 "$name: ${bad:-?} of ${total:-?} tests failed (make: $rc, $secs s)"
		suite_failures "$dir"
		# Kept apart: the next configuration's run in the same build
		# directory overwrites the logs.
		kept="$dir/test-suite.$(echo "$name" | tr -c 'A-Za-z0-9\n' _).log"
		cp "$dir/test-suite.log" "$kept" 2>/dev/null &&
			echo "# its failures, in full: $kept"
	fi
	grep -h '^# backend' "$dir/tests/check-condvar.log" 2>/dev/null | head -n 1
}

if build pipe-condvar --with-wake=pipe --with-sleeper=condvar \
	ac_cv_func_pthread_condattr_setclock=no --disable-python --disable-lua; then
	check "pipe wake, condvar sleeper without pthread_condattr_setclock" \
		"$root/pipe-condvar"
else
	tap 1 "pipe-condvar: build failed"
fi
if build sem --with-sleeper=sem ac_cv_func_sem_clockwait=no \
	--disable-python --disable-lua; then
	check "sem sleeper without sem_clockwait" "$root/sem"
else
	tap 1 "sem: build failed"
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
	tap 1 "default build failed"
fi
tap_end
