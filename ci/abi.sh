#!/bin/sh
# make check-abi: the built library against libpark/libpark.abi.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/ci/lib.sh"

(cd "$build" && make -s check-abi) >"$build/abi.out" 2>&1
tap $? "$(tail -n 1 "$build/abi.out")" "$build/abi.out"
tap_end
