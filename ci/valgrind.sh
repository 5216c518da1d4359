#!/bin/sh
# Every test under valgrind's memcheck (C, Lua, Python): make
# check-valgrind in the default build.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/ci/lib.sh"

(cd "$build" && make -s check-valgrind) >"$build/valgrind.out" 2>&1
tap_merge "$build/valgrind.out" memcheck $?
tap_end
