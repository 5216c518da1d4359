#!/bin/sh
# libFuzzer on the seed corpus for FUZZ_SECONDS (default 60).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/ci/lib.sh"

secs=${FUZZ_SECONDS:-60}
(cd "$build" && make -s check-fuzz FUZZ_SECONDS="$secs") >"$build/fuzz.out" 2>&1
tap $? "libFuzzer for $secs s on the seed corpus" "$build/fuzz.out"
sed 's/^/# /' "$build/fuzz.out" | tail -n 5
tap_end
