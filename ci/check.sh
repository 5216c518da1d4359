#!/bin/sh
# make check in the default build: the C suite on every sleeper, Python,
# Lua, the model, the examples. One TAP line per test case.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/ci/lib.sh"

ci_stamp "$build"
(cd "$build" && make -s -j"$jobs" check) >"$build/check.out" 2>&1
tap_suite "$build" "make check"
tap_end
