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
echo "1..$n"
exit $fail
