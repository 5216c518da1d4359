#!/bin/sh
# make distcheck: the condvar sleeper, VPATH, the tarball complete,
# install, uninstall.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/ci/lib.sh"

(cd "$build" && make -s -j"$jobs" distcheck) >"$build/distcheck.out" 2>&1
tap $? "make distcheck" "$build/distcheck.out"
tap_end
