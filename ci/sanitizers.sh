#!/bin/sh
# The C suite (and the short stress run) under each sanitizer, each in a
# build of its own, _build-SANITIZER.
#
#   ci/sanitizers.sh [SANITIZER...]   (default: thread address,undefined)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/ci/lib.sh"

for san in ${*:-thread address,undefined}; do
	dir="$top/_build-$(echo "$san" | tr , -)"
	mkdir -p "$dir"
	ci_stamp "$dir"
	(cd "$dir" && { [ -f Makefile ] ||
		"$top/configure" -q --enable-sanitizers="$san"; } &&
		make -s -j"$jobs" && make -s -j"$jobs" check) >"$dir/check.out" 2>&1
	tap_suite "$dir" "-fsanitize=$san"
done
tap_end
