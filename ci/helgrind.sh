#!/bin/sh
# The C tests under helgrind: make check-helgrind in the default build.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/ci/lib.sh"

(cd "$build" && make -s check-helgrind) >"$build/helgrind.out" 2>&1
tap_merge "$build/helgrind.out" helgrind $?
tap_end
