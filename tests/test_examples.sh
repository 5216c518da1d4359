#!/bin/sh
# The examples in docs/examples run and succeed (TAP, one line each).
n=0
fail=0
run() {
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n - $*"
	else
		echo "not ok $n - $*"
		echo "$out" | sed 's/^/# /'
		fail=1
	fi
}
run ./docs/examples/pool-demo 3 4
if [ -n "${PYTHON:-}" ]; then
	run "$PYTHON" "$srcdir/docs/examples/workers.py"
	run "$PYTHON" "$srcdir/docs/examples/echo.py"
fi
if [ -n "${LUA:-}" ]; then
	run "$LUA" "$srcdir/docs/examples/handoff.lua"
	run "$LUA" "$srcdir/docs/examples/linecount.lua"
	# The README's Lua example, on whichever Lua this build is for.
	readme_lua=${TMPDIR:-/tmp}/readme-$$.lua
	awk '$0 == "Lua" { on = 1 } $0 == "Threading rules" { on = 0 }
	     on && /^    / { sub(/^    /, ""); print }' "$srcdir/README" >"$readme_lua"
	run "$LUA" "$readme_lua"
	rm -f "$readme_lua"
fi
# The README's C example (a pool), built against this tree's library.
if [ -n "${PARK_BENCH_CC:-}" ] && [ -x ./libtool ]; then
	readme_dir=$(mktemp -d)
	readme_c=$readme_dir/readme
	awk '$0 == "A complete C example" { on = 1 } $0 == "Python" { on = 0 }
	     on && /^    / { sub(/^    /, ""); print }' "$srcdir/README" >"$readme_c.c"
	# With the build's CFLAGS: a sanitized libpark needs its runtime linked in.
	run ./libtool --quiet --mode=link $PARK_BENCH_CC $PARK_BENCH_CFLAGS -std=gnu11 -Ilibpark \
		-I"$srcdir/libpark" -o "$readme_c" "$readme_c.c" libpark/libpark.la \
		$(pkg-config --libs libevent_core) -pthread
	run ./libtool --mode=execute "$readme_c"
	rm -rf "$readme_dir"
fi
echo "1..$n"
exit $fail
