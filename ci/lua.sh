#!/bin/sh
# The Lua tests against every Lua: for each version, a build of its own
# (configure --with-lua=VERSION), then make check with the Lua tests only
# (the busted specs, the C hosts with one lua_State per thread and across
# fork(), the examples), then a staged make install and installcheck, which runs the
# README's Lua example and the Lua examples with the module installed in
# that version's own directory (LIBDIR/lua/5.x).
#
#   ci/lua.sh [VERSION...]             (default: 5.1 5.2 5.3 5.4 luajit)
#
# Run from a checkout after ./autogen.sh (or from an unpacked tarball).
# Builds go to $LUA_MATRIX_DIR (default: _build-lua-VERSION in the source
# tree); each is configured once and reused. Prints one TAP line per
# version and fails if any version failed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/ci/lib.sh"
srcdir=$top
if [ ! -x "$srcdir/configure" ]; then
	echo "Bail out! $srcdir/configure is missing: run ./autogen.sh first"
	exit 2
fi
versions=${*:-5.1 5.2 5.3 5.4 luajit}
lua_tests=$(cd "$srcdir" && ls tests/lua/*_spec.lua | tr '\n' ' ')
tests="$lua_tests tests/check-lua tests/test_examples.sh"
for version in $versions; do
	build=${LUA_MATRIX_DIR:-$srcdir/_build-lua}-$version
	mkdir -p "$build"
	log=$build/matrix.log
	t0=$(date +%s)
	(
		cd "$build" &&
		{ [ -f Makefile ] ||
		  "$srcdir/configure" -q --with-lua="$version" --enable-lua \
			--disable-python; } &&
		make -j2 &&
		make -j2 check TESTS="$tests" &&
		rm -rf stage &&
		make install DESTDIR="$build/stage" &&
		test -f "$build/stage$(make -s print-luacmoddir)/park.so" &&
		make installcheck DESTDIR="$build/stage"
	) >"$log" 2>&1
	rc=$?
	t1=$(date +%s)
	totals=$(sed -n 's/^# \(PASS\|FAIL\|ERROR\|SKIP\): *\([0-9]*\)/\1 \2/p' \
		"$build/test-suite.log" 2>/dev/null | tr '\n' ' ')
	tap $rc "lua $version (${totals:-no totals}) in $((t1 - t0)) s; log: $log" "$log"
done
tap_end
