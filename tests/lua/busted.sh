#!/bin/sh
# Runs one busted spec under the configured Lua ($LUA), as TAP: the test
# driver of make check for tests/lua/*_spec.lua. busted (Debian's
# lua-busted, which runs on 5.1 to 5.4 and LuaJIT) took the place of a
# hand-written TAP helper: named describe/it blocks, assertions that print
# both values, pending() for what only one Lua has, and --output=TAP still
# gives one TAP line per test.
: "${LUA:?the Lua interpreter}"
if [ -z "${BUSTED:-}" ] || [ ! -f "$BUSTED" ]; then
	echo "1..1"
	echo "not ok 1 - busted not found: apt-get install lua-busted, or configure BUSTED=/path/to/busted"
	exit 1
fi
exec "$LUA" "$BUSTED" --output=TAP "$@"
